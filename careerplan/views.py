from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.http import require_GET

from careerplan.models import Heartbeat


@require_GET
def home(request):
    return render(request, "home.html")


@require_GET
def healthz(request):
    """Liveness for load balancers and docker-compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def _redact(url):
    """Hide a password in a connection URL before showing it."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"


@staff_member_required
@require_GET
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


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", status=404)


def server_error(request):
    # No request context: whatever failed may be the database or a context processor.
    return HttpResponse(loader.get_template("500.html").render(), status=500)
