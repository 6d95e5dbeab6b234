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
    updated = Heartbeat.objects.filter(name="heartbeat").update(
        last_run=now, runs=F("runs") + 1, hostname=host
    )
    if not updated:
        Heartbeat.objects.get_or_create(
            name="heartbeat", defaults={"last_run": now, "runs": 1, "hostname": host}
        )
    return now.isoformat()


@shared_task(name="careerplan.tasks.probe", ignore_result=True)
def probe():
    """Do nothing: a worker's watchdog sends this to the worker's own queue, to see that
    the worker still consumes (careerplan.watchdog)."""
