"""Writing outbox rows: one row per email, named by its key, sent after commit."""

import logging

from celery import current_app
from django.db import NotSupportedError, transaction
from django.db.models import CharField, F, Func, UUIDField
from django.utils import timezone

from buddies.models import Notification

log = logging.getLogger(__name__)

# The task that sends pending rows, asked for by name: buddies.tasks imports the outbox,
# never the other way round.
SEND_TASK = "buddies.tasks.send_notifications"


def enqueue(kind, buddyship, key, step=None, payload=None, *, not_before=None):
    """Write one outbox row (or find the one already written) and send it after commit.

    Insert-or-ignore under the unique constraint (kind, buddyship, key): enqueueing the
    same email twice returns the first row and sends nothing more.
    """
    now = timezone.now()
    # get_or_create inserts in a savepoint and, if a concurrent writer's row won the
    # unique constraint, reads that row instead.
    notification, created = Notification.objects.get_or_create(
        kind=kind,
        buddyship=buddyship,
        key=key,
        defaults={
            "step": step,
            "payload": payload or {},
            "created": now,
            "next_attempt": not_before or now,
        },
    )
    if created and notification.next_attempt <= now:
        schedule_send()
    return notification


def schedule_send(task=SEND_TASK):
    """Ask a worker to send pending rows once the current transaction commits (`task`
    names the sender: the email one, or the planner's push sender)."""
    transaction.on_commit(lambda: ask_for_send(task))


def ask_for_send(task=SEND_TASK):
    """Put a send task on the broker now.

    If the broker is unreachable the row stays pending and beat's next pass sends it,
    so a lost enqueue delays an email but never loses it.
    """
    try:
        current_app.send_task(task)
    except Exception:
        log.warning("Could not enqueue the send task; beat will pick the rows up.", exc_info=True)


# Keys -------------------------------------------------------------------------------
# A key names one email among the emails of its kind to one buddy; the formats are this
# module's own (the outbox compares keys, it never parses them elsewhere).


def invitation_key(buddyship):
    """The key of an invitation email: its token, so inviting again is a new email and
    the earlier one is no longer sent."""
    return f"invite:{buddyship.invite_token_hash[:32]}"


def link_key(link):
    """The key of a private-link email: the link's code, so a rotated link is a new email."""
    return f"link:{link.code}"


def link_code(key):
    """The code of the private link a link email's key names."""
    return key.removeprefix("link:")


def _step_key(step, due_date):
    return f"{step.code}:{due_date.isoformat() if due_date else 'undated'}"


def checkup_key(step, due_date=None):
    """The key of a step's check-up: its code and date, so a new date is a new check-up."""
    return _step_key(step, due_date or step.due_date)


class CheckupKey(Func):
    """checkup_key in SQL, for each row of a query on steps: the sweep writes its rows
    with one INSERT ... SELECT. tests/buddies/test_sweep.py holds the two the same."""

    output_field = CharField()

    def __init__(self):
        super().__init__(F("code"), F("due_date"))

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("CheckupKey is written for PostgreSQL and SQLite.")

    def as_postgresql(self, compiler, connection, **extra_context):
        (code, params), (due_date, more) = map(compiler.compile, self.get_source_expressions())
        day = f"COALESCE(to_char({due_date}, 'YYYY-MM-DD'), 'undated')"
        return f"({code}::text || ':' || {day})", (*params, *more)

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite keeps a UUID as its 32 hex digits and a date as ISO text.
        (code, params), (due_date, more) = map(compiler.compile, self.get_source_expressions())
        parts = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
        text = " || '-' || ".join(f"substr({code}, {start}, {length})" for start, length in parts)
        params = tuple(params) * len(parts)
        return f"({text} || ':' || COALESCE({due_date}, 'undated'))", (*params, *more)


class NewCode(Func):
    """A random UUID (version 4) made by the database, for the `code` of a row that an
    INSERT ... SELECT writes."""

    output_field = UUIDField()

    def as_sql(self, compiler, connection, **extra_context):
        raise NotSupportedError("NewCode is written for PostgreSQL and SQLite.")

    def as_postgresql(self, compiler, connection, **extra_context):
        return "gen_random_uuid()", ()

    def as_sqlite(self, compiler, connection, **extra_context):
        # 32 hex digits, as SQLite keeps a UUID: the version (4) and variant (8-b) set.
        return (
            "lower(hex(randomblob(4)) || hex(randomblob(2)) || '4' || "
            "substr(hex(randomblob(2)), 2) || substr('89ab', 1 + (random() & 3), 1) || "
            "substr(hex(randomblob(2)), 2) || hex(randomblob(6)))",
            (),
        )


def commitment_key(step):
    """The key of a commitment email: the step whose commitment started it, on its date
    (later commitments join the email's list while it waits)."""
    return _step_key(step, step.due_date)


def celebration_key(step):
    """The key of a celebration: the step and its date, so one done step is celebrated
    once, however often it is undone and done again."""
    return _step_key(step, step.due_date)


def answer_key(step, outcome, due_date=None):
    """The key of the planner's answer to a check-up: that check-up's key (`due_date` is
    the date checked up on, if the answer moved it) and the outcome."""
    return f"{checkup_key(step, due_date)}:{outcome}"


def digest_key(local_date):
    """The key of a weekly digest: the ISO week of the planner's local date."""
    year, week, _ = local_date.isocalendar()
    return f"{year}-W{week:02d}"


def farewell_key():
    """The key of the email that tells one side a buddyship has ended (the planner's
    account deleted, the buddy gone or saying no): there is one per buddyship."""
    return "farewell"
