import os

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from careerplan import views

# The admin has no sign-in of its own: it sends people to the site's, so the same
# throttling, lockout and two-factor step guard both doors.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics, name="metrics"),
    path("sw.js", views.service_worker, name="service-worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("offline/", views.offline, name="offline"),
    path("status/", views.status, name="status"),
    path("admin/", admin.site.urls),
    # Before allauth's: the email page here takes the place of its own.
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("accounts/data/", include("personaldata.urls")),
    path("privacy/", views.privacy, name="privacy"),
    # Before plans' URLs, which have no prefix of their own: a request for the journal
    # or a buddy's page would otherwise try every one of them first.
    path("journal/", include("journals.urls")),
    path("buddies/", include("buddies.urls")),
    path("reminders/", include("reminders.urls")),
    path("", include("plans.urls")),
]
# The load benchmark's baseline (bench/urls.py); never mounted in a deployment. First, as
# the truly bare view is in its own URL conf: both find their view at the first pattern.
if os.environ.get("BENCH_BARE_VIEW") == "1":
    urlpatterns.insert(0, path("bench/", include("bench.urls")))

handler400 = "careerplan.views.bad_request"
handler403 = "careerplan.views.permission_denied"
handler404 = "careerplan.views.page_not_found"
handler500 = "careerplan.views.server_error"
