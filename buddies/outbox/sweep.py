"""The check-up sweep, and recovering rows a crash or a lost enqueue left behind.

Beat runs both every minute (buddies.tasks.sweep_checkups).
"""

import logging

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from buddies.models import Buddyship, Notification
from buddies.outbox.rows import checkup_key
from buddies.outbox.sender import MAX_ATTEMPTS
from plans.models import Plan, Step

log = logging.getLogger(__name__)

# Steps claimed per transaction by the check-up sweep, by database. PostgreSQL does best
# with large batches (1M steps with 10,000 due: 2.5-3.1 s at 1,000 against 3.1-3.5 s at
# 200, alternated in one run); on SQLite a batch holds the one write lock, and 1,000 was
# slower there (3.3 s against 1.7 s).
SWEEP_BATCH = {"postgresql": 1000}
SWEEP_BATCH_DEFAULT = 200


def sweep_batch_size():
    return SWEEP_BATCH.get(db_connection.vendor, SWEEP_BATCH_DEFAULT)


def sweep_checkups(now=None, batch_size=None):
    """Claim the steps whose check-up is due and write one check-up per active buddy.

    1. Read a batch of due, unclaimed, open steps in (checkup_due, id) order, after the
       last one seen (keyset), through the partial index `step_checkup_sweep_idx`
       (due_batch).
    2. In the same transaction, claim the batch and write its check-ups
       (claim_and_write).
    Return the number of check-up rows written (the caller asks a worker to send).
    """
    now = now or timezone.now()
    batch_size = batch_size or sweep_batch_size()
    written = 0
    after = None
    while True:
        with transaction.atomic():
            batch = due_batch(now, batch_size, after)
            if not batch:
                break
            after = (batch[-1].checkup_due, batch[-1].pk)
            written += claim_and_write(batch, now)
        if len(batch) < batch_size:
            break
    return written


def due_batch(now, size, after=None):
    """Read up to `size` due, unclaimed, open steps after the keyset position `after`.

    On PostgreSQL the rows are locked with SKIP LOCKED, so a concurrent sweep takes other
    rows instead of waiting; SQLite's write lock serialises sweeps anyway. The steps are
    read as plain rows: model instances were a fifth of the sweep's time.
    """
    due = Step.objects.checkup_due(now).order_by("checkup_due", "pk")
    if after is not None:
        due = due.filter(Q(checkup_due__gt=after[0]) | Q(checkup_due=after[0], pk__gt=after[1]))
    if db_connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return list(
        due.values_list("pk", "code", "plan_id", "due_date", "checkup_due", named=True)[:size]
    )


def claim_and_write(batch, now):
    """Claim the steps of `batch` and write their check-ups; return the rows written.

    1. One conditional UPDATE (`checkup_claimed` still null, still open) claims the batch:
       a step it did not claim was taken by another sweep or closed by the planner
       first, and is left alone. (One UPDATE per step made the sweep cost a round trip
       per due row.)
    2. Insert one check-up row per active, subscribed buddy whose shared plans include
       the step's (active) plan, ignoring rows that exist.
    Steps with no buddy to tell are claimed too, so the sweep never reads them again.
    """
    pks = [step.pk for step in batch]
    count = Step.objects.filter(
        pk__in=pks, status=Step.Status.OPEN, checkup_claimed__isnull=True
    ).update(checkup_claimed=now)
    if count == len(batch):
        claimed = batch
    elif count == 0:
        return 0
    else:
        # The rows are locked (PostgreSQL) or the write lock is held (SQLite), so normally
        # all are claimed; if some are not, keep only those this sweep claimed.
        mine = set(
            Step.objects.filter(pk__in=pks, checkup_claimed=now).values_list("pk", flat=True)
        )
        claimed = [step for step in batch if step.pk in mine]
    return write_checkups(claimed, now)


def write_checkups(steps, now):
    """Insert the check-up rows of claimed `steps` (rows with pk, code, plan_id and
    due_date); return how many were written."""
    if not steps:
        return 0
    shares = Buddyship.plans.through.objects.filter(
        plan_id__in={step.plan_id for step in steps},
        plan__status=Plan.Status.ACTIVE,
        buddyship__status=Buddyship.Status.ACTIVE,
        buddyship__unsubscribed__isnull=True,
    ).values_list("plan_id", "buddyship_id")
    buddies_of = {}
    for plan_id, buddyship_id in shares:
        buddies_of.setdefault(plan_id, []).append(buddyship_id)
    rows = [
        Notification(
            kind=Notification.Kind.CHECKUP,
            buddyship_id=buddyship_id,
            step_id=step.pk,
            key=checkup_key(step),
            created=now,
            next_attempt=now,
        )
        for step in steps
        for buddyship_id in buddies_of.get(step.plan_id, ())
    ]
    # The unique constraint makes a second insert of the same check-up a no-op, whatever
    # claimed the step before.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def requeue_stale(now=None):
    """Recover rows a crash or a lost enqueue left behind; return how many are waiting.

    1. A row in `sending` whose lease ran out and that was never handed over (no
       message_id yet) goes back to pending: the sender died before sending it (after
       the last attempt, it fails instead).
    2. One whose lease ran out after hand-over began (message_id set) is marked
       ambiguous: the server may have it, so it is not sent again.
    3. Count pending rows whose time has come and that have waited longer than a send
       task takes to start: their enqueue was lost, and the caller sends them.
    """
    now = now or timezone.now()
    expired = Notification.objects.filter(state=Notification.State.SENDING, lease_until__lt=now)
    # A row that kills its sender every time (it never reaches hand-over) stops after
    # the last attempt instead of taking a worker down forever.
    expired.filter(message_id="", attempts__gte=MAX_ATTEMPTS).update(
        state=Notification.State.FAILED,
        lease_until=None,
        last_error="The sender stopped before sending it, on every attempt.",
    )
    back = expired.filter(message_id="").update(
        state=Notification.State.PENDING, lease_until=None, next_attempt=now
    )
    ambiguous = expired.exclude(message_id="").update(
        state=Notification.State.AMBIGUOUS,
        lease_until=None,
        last_error="The sender stopped after handing the message over; not sent again.",
    )
    if back or ambiguous:
        log.warning("Outbox recovery: %s back to pending, %s marked ambiguous", back, ambiguous)
    return Notification.objects.filter(
        state=Notification.State.PENDING,
        next_attempt__lte=now,
        created__lte=now - settings.OUTBOX_LOST_ENQUEUE_AFTER,
    ).count()
