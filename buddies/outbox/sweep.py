"""The outbox sweep beat runs every minute (run_sweep): the check-ups that fell due,
rows a crash left behind, rows whose wait is over, and rows whose send task was lost.
"""

import logging
import time

from django.conf import settings
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.constants import OnConflict
from django.utils import timezone

from buddies.models import Notification, active_between_open_accounts
from buddies.outbox import figures
from buddies.outbox.rows import CheckupKey, NewCode, ask_for_send
from buddies.outbox.sender import MAX_ATTEMPTS, after_unknown_outcome
from plans.models import Plan, Step

log = logging.getLogger(__name__)

# Steps claimed per transaction by the check-up sweep. With the rows written by one
# INSERT ... SELECT a batch costs a few statements, so large batches pay on both
# databases (an index page touched by a batch is written once for all of it); a batch
# holds its steps' row locks (SQLite: the write lock) for a fraction of a second.
SWEEP_BATCH = 2500


def run_sweep(now=None):
    """Run the sweep's steps, in order, and ask a worker to send if anything is waiting.

    1. Check-ups: claim the steps whose check-up is due and write their rows
       (sweep_checkups).
    2. Recovery: rows whose sender stopped while holding them (recover_stale).
    3. Waits that are over: rows written or put back to wait (a gathered commitment, a
       back-off retry, a recovered row) whose time has come (due_after_waiting). Nothing
       else sends them: no send task was asked for when they were written.
    4. Lost enqueues: rows that did not wait, whose send task never came (lost_enqueues).
    Asking for a send never raises (a broker outage leaves the rows for the next sweep).
    Record the sweep's figures and return its counts.
    """
    started = time.monotonic()
    now = now or timezone.now()
    counts = {"claimed": 0, "checkups": 0}
    sweep_checkups(now, counts=counts)
    counts["recovered"] = recover_stale(now)
    counts["due"] = due_after_waiting(now)
    counts["lost"] = lost_enqueues(now)
    if counts["checkups"] or counts["due"] or counts["lost"]:
        ask_for_send()
    figures.record_sweep(counts, time.monotonic() - started)
    return counts


def sweep_checkups(now=None, batch_size=None, counts=None):
    """Claim the steps whose check-up is due and write one check-up per active buddy.

    1. Read a batch of due, unclaimed, open steps in (checkup_due, id) order, after the
       last one seen (keyset), through the partial index `step_checkup_sweep_idx`
       (due_batch).
    2. In the same transaction, claim the batch and write its check-ups
       (claim, then write_checkups).
    Return the number of check-up rows written; `counts`, if given, gets the steps
    claimed ("claimed") and the rows written ("checkups") added.
    """
    now = now or timezone.now()
    batch_size = batch_size or SWEEP_BATCH
    counts = {"claimed": 0, "checkups": 0} if counts is None else counts
    after = None
    while True:
        with transaction.atomic():
            batch = due_batch(now, batch_size, after)
            if not batch:
                break
            after = (batch[-1].checkup_due, batch[-1].pk)
            claimed = claim(batch, now)
            counts["claimed"] += len(claimed)
            counts["checkups"] += write_checkups(claimed, now)
        if len(batch) < batch_size:
            break
    return counts["checkups"]


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
    """Claim the steps of `batch` and write their check-ups; return the rows written."""
    return write_checkups(claim(batch, now), now)


def claim(batch, now):
    """Claim the steps of `batch` with one conditional UPDATE (`checkup_claimed` still
    null, still open); return those this sweep claimed.

    A step it did not claim was taken by another sweep or closed by the planner first,
    and is left alone. (One UPDATE per step made the sweep cost a round trip per due
    row.) Steps with no buddy to tell are claimed too, so the sweep never reads them
    again.
    """
    pks = [step.pk for step in batch]
    count = Step.objects.filter(
        pk__in=pks, status=Step.Status.OPEN, checkup_claimed__isnull=True
    ).update(checkup_claimed=now)
    if count == len(batch):
        return batch
    if count == 0:
        return []
    # The rows are locked (PostgreSQL) or the write lock is held (SQLite), so normally
    # all are claimed; if some are not, keep only those this sweep claimed.
    mine = set(Step.objects.filter(pk__in=pks, checkup_claimed=now).values_list("pk", flat=True))
    return [step for step in batch if step.pk in mine]


def write_checkups(steps, now):
    """Insert one check-up row per active, subscribed buddy whose shared plans include
    the (active) plan of each claimed step, between open accounts (a closed account
    counts as gone), ignoring rows that exist; return how many were written.

    One INSERT ... SELECT from the steps joined to their plans' shares: the database
    makes the rows (building a Notification and its parameters per row in Python was
    most of the sweep). Every column the statement does not name gets the field's
    default, or NULL.
    """
    if not steps:
        return 0
    made = {
        "code": NewCode(),
        "kind": Value(Notification.Kind.CHECKUP),
        "buddyship": F("plan__buddyships__id"),
        "step": F("pk"),
        "key": CheckupKey(),
        "created": Value(now, output_field=DateTimeField()),
        "next_attempt": Value(now, output_field=DateTimeField()),
    }
    columns = {}
    for field in Notification._meta.concrete_fields:
        if field.name in made:
            columns[field.column] = made[field.name]
        elif not (field.primary_key or field.null):
            columns[field.column] = Value(field.get_default(), output_field=field)
    rows = Step.objects.filter(
        active_between_open_accounts("plan__buddyships__"),
        pk__in=[step.pk for step in steps],
        plan__status=Plan.Status.ACTIVE,
        plan__buddyships__unsubscribed__isnull=True,
    ).values(**{f"new_{column}": value for column, value in columns.items()})
    select, params = rows.query.sql_with_params()
    ops = db_connection.ops
    # The unique constraint makes a second insert of the same check-up a no-op, whatever
    # claimed the step before.
    insert = ops.insert_statement(on_conflict=OnConflict.IGNORE)
    ignore = ops.on_conflict_suffix_sql([], OnConflict.IGNORE, [], [])
    names = ", ".join(map(ops.quote_name, columns))
    table = ops.quote_name(Notification._meta.db_table)
    with db_connection.cursor() as cursor:
        cursor.execute(f"{insert} {table} ({names}) {select} {ignore}", params)
        return cursor.rowcount


def recover_stale(now=None):
    """Recover rows whose sender stopped (a crash, a kill) while holding them, once their
    lease has run out; return how many went which way.

    1. Not handed over (no hand-over mark): the message never left, so the row goes back
       to pending ("back"); after the last attempt it fails instead ("failed"), so a row
       that kills its sender every time stops taking workers down.
    2. Handed over: the server may or may not have it. It goes again with the same
       Message-ID ("resent") while resends are left, else it is ambiguous ("ambiguous").
    """
    now = now or timezone.now()
    expired = Notification.objects.filter(state=Notification.State.SENDING, lease_until__lt=now)
    not_handed_over = expired.filter(handed_over__isnull=True)
    failed = not_handed_over.filter(attempts__gte=MAX_ATTEMPTS).update(
        state=Notification.State.FAILED,
        lease_until=None,
        last_error="The sender stopped before sending it, on every attempt.",
    )
    back = not_handed_over.update(
        state=Notification.State.PENDING, lease_until=None, next_attempt=now
    )
    resent, ambiguous = after_unknown_outcome(
        expired.filter(handed_over__isnull=False),
        "The sender stopped after handing the message over.",
        retry_at=now,
    )
    recovered = {"back": back, "resent": resent, "ambiguous": ambiguous, "failed": failed}
    if any(recovered.values()):
        log.warning("Outbox recovery: %s", recovered)
    return recovered


def due_after_waiting(now=None):
    """Count the pending rows whose wait is over: written to wait (a commitment gathering
    others) or put back to wait (a retry after back-off, a recovered row), and now due.
    No send task was asked for when they were put to wait; the sweep asks for one."""
    now = now or timezone.now()
    return Notification.objects.filter(
        state=Notification.State.PENDING, next_attempt__lte=now, next_attempt__gt=F("created")
    ).count()


def lost_enqueues(now=None):
    """Count the pending rows that were due when written and are still pending longer
    after than a send task takes to start: their send task was lost (a broker outage, a
    task dropped on a restart), and the sweep asks for another."""
    now = now or timezone.now()
    lost = Notification.objects.filter(
        state=Notification.State.PENDING,
        next_attempt__lte=F("created"),
        created__lte=now - settings.OUTBOX_LOST_ENQUEUE_AFTER,
    ).count()
    if lost:
        log.warning("Outbox: %s rows whose send task never came; asking again.", lost)
    return lost
