"""Celery tasks of the reminder pipeline: thin wrappers around buddies.outbox.

Beat runs `sweep_checkups` every minute and `queue_digests` every hour; both end by
asking for a send. There are no ETA tasks: beat plus the outbox is the schedule, so a
broker restart, a redelivered task or a second beat can delay an email but not lose or
double one. Only this module imports the outbox's jobs; the outbox asks for a send by
the task's name (buddies.outbox.rows.SEND_TASK).
"""

from celery import shared_task

from buddies.outbox import digests, sender, sweep

# Rows one send task handles before handing over to a fresh task, so a long queue does
# not hold one worker process for minutes while another sits idle.
SEND_BATCH = 100


@shared_task(name="buddies.tasks.sweep_checkups")
def sweep_checkups():
    """Write the check-ups that are due, recover stale rows, and send what is waiting."""
    written = sweep.sweep_checkups()
    waiting = sweep.requeue_stale()
    if written or waiting:
        send_notifications.delay()
    return {"checkups": written, "waiting": waiting}


@shared_task(name="buddies.tasks.send_notifications")
def send_notifications():
    """Send a batch of pending rows over one mail connection; continue in a new task if
    the batch was full."""
    counts = sender.send_pending(limit=SEND_BATCH)
    if sum(counts.values()) >= SEND_BATCH:
        send_notifications.delay()
    return counts


@shared_task(name="buddies.tasks.queue_digests")
def queue_digests():
    """Write this week's digests whose Monday morning has come (enqueue sends them)."""
    return {"digests": digests.queue_digests()}
