"""The reminder pass: beat runs it every minute (reminders.tasks.reminder_pass).

It costs what is due, not what is stored: each planner's reminder keeps the next instant
it falls due (Reminder.next_due, UTC), and the pass reads only those whose instant has
come, through the partial index `reminder_due_idx`.
"""

from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from buddies.models import Notification
from buddies.outbox.kinds import address_verified
from buddies.outbox.rows import schedule_send
from reminders import push
from reminders.kinds import REMINDER_KINDS, push_key
from reminders.models import PushSubscription, Reminder
from reminders.schedule import day_over, local_day

# Reminders claimed per transaction.
PASS_BATCH = 500
# The task that sends pending push rows, asked for by name (reminders.tasks imports this
# module, never the other way round).
PUSH_TASK = "reminders.tasks.send_push"


def run_pass(now=None, batch_size=PASS_BATCH):
    """Write the reminders whose moment has come, once per planner's local day.

    1. Read a batch of due reminders in (next_due, id) order, after the last one seen
       (keyset), through the partial index (due_batch).
    2. In the same transaction, move each past the local day it fired for, and write
       what it says is due as outbox rows (claim_and_write).
    3. Read on until no reminder is due: one moved past a missed day (beat was down) to
       a moment already passed is read again further on, and fires in this run.
    Return the rows written, by channel; their sends are asked for after commit.
    """
    now = now or timezone.now()
    written = {"email": 0, "push": 0}
    after = None
    while True:
        with transaction.atomic():
            batch = due_batch(now, batch_size, after)
            if not batch:
                break
            after = (batch[-1].next_due, batch[-1].pk)
            for channel, count in claim_and_write(batch, now).items():
                written[channel] += count
    return written


def due_batch(now, size, after=None):
    """Read up to `size` due reminders after the keyset position `after` (due_query)."""
    return list(due_query(now, after)[:size])


def due_query(now, after=None):
    """The pass's query: due reminders after the keyset position `after`, in (next_due,
    id) order, with what the pass needs of their planner.

    On PostgreSQL the rows are locked with SKIP LOCKED, so a second pass at the same time
    takes other rows instead of waiting; SQLite's write lock (IMMEDIATE transactions)
    serialises passes anyway.
    """
    due = Reminder.objects.due(now).order_by("next_due", "pk")
    if after is not None:
        due = due.filter(Q(next_due__gt=after[0]) | Q(next_due=after[0], pk__gt=after[1]))
    if db_connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return (
        due.select_related("user")
        .only("kind", "enabled", "at", "weekday", "next_due", "user__tz", "user__is_active")
        .annotate(verified=address_verified())
    )


def claim_and_write(batch, now):
    """Claim the reminders of `batch` and write their rows; return the rows written.

    1. For each reminder, the local day it fired for is the day of its instant in the
       planner's zone. Move it to its next occurrence on a later local day (so a time
       that happens twice when the clocks go back fires once), in one UPDATE for the
       batch: the rows are locked, so no other pass can claim them meanwhile.
    2. A reminder still fires if its day is not over (kinds.day_over: a pass that was
       down all day sends no stale morning email), and the planner's account is active
       with a verified address; otherwise it is only moved on.
    3. Each kind says which of the planners it fired for get a row, under which key
       (REMINDER_KINDS[kind].due); write an email row each, and a push row per browser
       the planner subscribed, ignoring rows that exist: the key is the local day, so a
       second firing on the same day (a later time, a zone moved west) writes nothing.
    """
    fired = {}
    for reminder in batch:
        zone = reminder.user.zone
        day = local_day(reminder.next_due, zone)
        reminder.next_due = reminder.next_due_after_day(day, now)
        wanted = reminder.enabled and reminder.user.is_active and reminder.verified
        if wanted and not day_over(day, zone, now):
            fired.setdefault(reminder.kind, []).append((reminder, day))
    Reminder.objects.bulk_update(batch, ["next_due"])
    rows = [
        (kind, row) for kind, dues in fired.items() for row in REMINDER_KINDS[kind].due(dues, now)
    ]
    return write_rows(rows, now)


def write_rows(rows, now):
    """Insert (kind, Row) pairs as outbox rows: an email each, and a push message per
    subscribed browser; ask for their sends after commit. Return the counts."""
    browsers = {}
    if rows and push.configured():
        for user_id, code in PushSubscription.objects.filter(
            user_id__in={row.user_id for _, row in rows}
        ).values_list("user_id", "code"):
            browsers.setdefault(user_id, []).append(str(code))
    notifications = []
    for kind, row in rows:
        common = {"kind": kind, "user_id": row.user_id, "created": now, "next_attempt": now}
        notifications.append(Notification(key=row.key, payload=row.payload, **common))
        notifications += [
            Notification(
                key=push_key(row.key, code),
                payload={**row.payload, "subscription": code},
                channel=Notification.Channel.PUSH,
                **common,
            )
            for code in browsers.get(row.user_id, ())
        ]
    # The unique constraint (kind, user, key) makes a second insert of the same reminder
    # a no-op, whatever wrote it first.
    Notification.objects.bulk_create(notifications, ignore_conflicts=True)
    counts = {"email": len(rows), "push": len(notifications) - len(rows)}
    if counts["email"]:
        schedule_send()
    if counts["push"]:
        schedule_send(PUSH_TASK)
    return counts
