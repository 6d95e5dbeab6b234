"""Prometheus figures for an operator, read at scrape time: the outbox's (from its table,
and what workers and beat counted into careerplan.models.Tally) and the last heartbeat.

Never public: the scrape sends `Authorization: Bearer <METRICS_TOKEN>`, or a staff
member is signed in (metrics_allowed).
"""

import hmac

from django.conf import settings
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from buddies.outbox.figures import OutboxCollector
from careerplan.models import Heartbeat


class HeartbeatCollector:
    """When beat's heartbeat last ran on a worker."""

    def collect(self):
        beat = Heartbeat.objects.filter(name="heartbeat").first()
        yield GaugeMetricFamily(
            "careerplan_last_heartbeat_timestamp_seconds",
            "When a worker last ran beat's heartbeat (Unix time; 0: never).",
            value=beat.last_run.timestamp() if beat else 0,
        )


def metrics_allowed(request):
    """True for a staff member signed in, or a request bearing METRICS_TOKEN."""
    if request.user.is_authenticated and request.user.is_staff and request.user.is_active:
        return True
    token = settings.METRICS_TOKEN
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    return bool(
        token
        and scheme.lower() == "bearer"
        and hmac.compare_digest(offered.strip().encode(), token.encode())
    )


def exposition():
    """The figures in Prometheus' text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OutboxCollector())
    registry.register(HeartbeatCollector())
    return generate_latest(registry)
