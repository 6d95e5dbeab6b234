"""Celery tasks of the planner's reminders: thin wrappers around the pass and the push
sender. Beat runs `reminder_pass` every minute; it also sends push rows a lost enqueue
left waiting (email rows are the check-up sweep's to recover)."""

from celery import shared_task
from django.utils import timezone

from buddies.models import Notification
from buddies.outbox.rows import ask_for_send
from reminders import push, sweep

# Push rows one task sends before handing over to a fresh task.
SEND_BATCH = 100


@shared_task(name="reminders.tasks.reminder_pass")
def reminder_pass():
    """Write the reminders whose moment has come, and send push rows left waiting."""
    written = sweep.run_pass()
    waiting = Notification.objects.filter(
        state=Notification.State.PENDING,
        channel=Notification.Channel.PUSH,
        next_attempt__lte=timezone.now(),
    ).exists()
    if waiting and not written["push"]:
        # Through ask_for_send: a broker outage leaves the rows for the next pass.
        ask_for_send(sweep.PUSH_TASK)
    return written


@shared_task(name=sweep.PUSH_TASK)
def send_push():
    """Send a batch of pending push rows; continue in a new task if the batch was full."""
    counts = push.send_pending_push(limit=SEND_BATCH)
    if sum(counts.values()) >= SEND_BATCH:
        ask_for_send(sweep.PUSH_TASK)
    return counts
