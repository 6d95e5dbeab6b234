import socket

from celery import shared_task
from django.utils import timezone

from careerplan.models import Heartbeat


@shared_task
def heartbeat():
    """Record that beat and a worker are alive (shown on the staff status page)."""
    now = timezone.now()
    Heartbeat.objects.beat("heartbeat", socket.gethostname()[:255], now)
    return now.isoformat()


@shared_task(name="careerplan.tasks.probe", ignore_result=True)
def probe():
    """Do nothing: a worker's watchdog sends this to the worker's own queue, to see that
    the worker still consumes (careerplan.watchdog)."""
