import socket

from celery import shared_task
from django.db.models import F
from django.utils import timezone

from careerplan.models import Heartbeat


@shared_task
def heartbeat():
    """Record that beat and a worker are alive (shown on the staff status page)."""
    now = timezone.now()
    host = socket.gethostname()[:255]
    beat = Heartbeat.objects.filter(name="heartbeat")
    changes = {"last_run": now, "runs": F("runs") + 1, "hostname": host}
    if not beat.update(**changes):
        # The first run: make the row at zero (another worker may make it at the same
        # moment) and count this run in it, so two first runs count two.
        row = Heartbeat(name="heartbeat", last_run=now, hostname=host)
        Heartbeat.objects.bulk_create([row], ignore_conflicts=True)
        beat.update(**changes)
    return now.isoformat()


@shared_task(name="careerplan.tasks.probe", ignore_result=True)
def probe():
    """Do nothing: a worker's watchdog sends this to the worker's own queue, to see that
    the worker still consumes (careerplan.watchdog)."""
