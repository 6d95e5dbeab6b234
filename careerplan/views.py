import hashlib
from urllib.parse import urlsplit

from celery import current_app
from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.templatetags.static import static
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from careerplan.http import nearest_page
from careerplan.metrics import exposition, metrics_allowed
from careerplan.models import Heartbeat


@require_safe
def home(request):
    return render(request, "home.html")


@require_safe
def privacy(request):
    """What is stored, who sees what, the emails sent, and how to take it out or delete it."""
    return render(request, "privacy.html")


# What the service worker keeps for offline use from the start: the shell every page
# needs. Other static files are kept as pages load them.
SHELL = [
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "css/app.css",
    "js/theme.js",
    "js/app.js",
    "django_htmx/htmx-2.min.js",
    "favicon.svg",
    "icons/icon-192.png",
]


@require_safe
def service_worker(request):
    """The service worker, at the root so that it may serve every page of the site."""
    shell = [static(path) for path in SHELL]
    # A new version whenever a shell file changes (its fingerprinted URL changes with it),
    # so the browser installs the new worker and drops the old shell.
    version = hashlib.sha256("\n".join(["1", *shell]).encode()).hexdigest()[:12]
    response = render(
        request,
        "sw.js",
        {"shell": shell, "version": version},
        content_type="text/javascript; charset=utf-8",
    )
    # Browsers check for a new worker on each visit; the file itself must not be cached.
    response["Cache-Control"] = "no-cache"
    return response


@require_safe
def manifest(request):
    """The web app manifest, so the app can be installed on a phone's home screen."""
    return render(request, "manifest.webmanifest", content_type="application/manifest+json")


@require_safe
def offline(request):
    """The page the service worker shows for a page it has not kept. It is kept in every
    visitor's cache, so it is drawn as for a visitor who is not signed in."""
    return render(request, "offline.html", {"user": AnonymousUser()})


@require_safe
def healthz(request):
    """Liveness: the process answers requests. Touches nothing else, so a database or
    broker outage never gets healthy web processes restarted."""
    return HttpResponse("ok", content_type="text/plain")


@require_safe
def readyz(request):
    """Readiness: the database and the broker answer (503 naming what does not), so an
    orchestrator or load balancer sends no traffic here until both do."""
    problems = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        problems.append(f"database: {error.__class__.__name__}")
    try:
        broker_reachable()
    except Exception as error:
        problems.append(f"broker: {error.__class__.__name__}")
    if problems:
        return HttpResponse("\n".join(problems), content_type="text/plain", status=503)
    return HttpResponse("ok", content_type="text/plain")


def broker_reachable(timeout=2):
    """Connect to the broker once, within `timeout` seconds; raise if it cannot be reached."""
    with current_app.connection_for_read(
        settings.CELERY_BROKER_URL, connect_timeout=timeout
    ) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=timeout)


@require_safe
def metrics(request):
    """Prometheus figures (careerplan.metrics): for a scrape bearing METRICS_TOKEN or a
    staff member; 401 to anyone else."""
    if not metrics_allowed(request):
        response = HttpResponse("Unauthorized", content_type="text/plain", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
    response["Cache-Control"] = "no-store"
    return response


def _redact(url):
    """Hide a password in a connection URL before showing it."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"


@staff_member_required
@require_safe
def status(request):
    db = settings.DATABASES["default"]
    context = {
        "heartbeat": Heartbeat.objects.filter(name="heartbeat").first(),
        "database": f"{connection.vendor} ({db['NAME']})",
        "broker": _redact(settings.CELERY_BROKER_URL),
        "mailer": settings.MAILERS["default"].get("BACKEND", "smtp"),
        "beat_schedule": sorted(settings.CELERY_BEAT_SCHEDULE.items()),
    }
    return render(request, "status.html", context)


def bad_request(request, exception=None):
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def csrf_failure(request, reason=""):
    """A form sent from a page that is out of date (the person signed in or out in another
    tab since it opened, or their cookies were cleared): the site's own page, which says
    so and leads back to the page the form belongs to, instead of Django's bare one."""
    referer = request.headers.get("Referer", "")
    same_site = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    back_url = nearest_page(request.path_info)
    if same_site:
        back_url = urlsplit(referer)._replace(scheme="", netloc="", fragment="").geturl()
    return render(request, "403_csrf.html", {"back_url": back_url}, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No request context: whatever failed may be the database or a context processor.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
