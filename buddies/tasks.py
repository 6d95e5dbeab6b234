"""Celery tasks of the reminder pipeline: thin wrappers around buddies.outbox.

Beat runs `sweep_checkups` every minute and `queue_digests` every hour; the sweep asks
for a send when anything is waiting. There are no ETA tasks: beat plus the outbox is the
schedule, so a broker restart, a redelivered task or a second beat can delay an email but
not lose or double one. Only this module imports the outbox's jobs; the outbox asks for a
send by the task's name (buddies.outbox.rows.SEND_TASK), through `ask_for_send`, which
never raises: a write is never undone by a broker outage.
"""

from celery import shared_task

from buddies.outbox import digests, rows, sender, sweep

# Rows one send task handles before handing over to a fresh task, so a long queue does
# not hold one worker process for minutes while another sits idle.
SEND_BATCH = 100


@shared_task(name="buddies.tasks.sweep_checkups")
def sweep_checkups():
    """Run the outbox sweep: check-ups that fell due, recovery, rows whose wait is over,
    lost enqueues (buddies.outbox.sweep.run_sweep)."""
    return sweep.run_sweep()


@shared_task(name="buddies.tasks.send_notifications")
def send_notifications():
    """Send a batch of pending rows over one mail connection; continue in a new task if
    the batch was full."""
    counts = sender.send_pending(limit=SEND_BATCH)
    if sum(counts.values()) >= SEND_BATCH:
        rows.ask_for_send()
    return counts


@shared_task(name="buddies.tasks.queue_digests")
def queue_digests():
    """Write this week's digests whose Monday morning has come (enqueue sends them)."""
    return {"digests": digests.queue_digests()}
