"""Sending: claim due rows with a lease; decide and mark each in one locked transaction;
hand it over; record the result.

Delivery semantics (docs/decisions.md): the lease and the attempt count fence every
update to a claim; whether an email is still wanted is decided on fresh, locked rows in
the transaction that writes the hand-over mark; an attempt whose outcome is unknown (a
crash, or a connection broken after the mark) is sent again with the same Message-ID, at
most MAX_RESENDS times; failures to reach the server retry with back-off.
"""

import contextlib
import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.db import DatabaseError, transaction
from django.db import connection as db_connection
from django.db.models import F
from django.utils import timezone

from buddies.models import Notification
from buddies.outbox import figures
from buddies.outbox.kinds import read_for_decision, why_not_wanted
from buddies.outbox.messages import build_message

log = logging.getLogger(__name__)

# Connection failures and refusals retry after 1, 2, 4, ... minutes (OUTBOX_RETRY_AFTER,
# at most an hour apart); after this many attempts the row is marked failed and left for
# a person to look at.
MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(hours=1)
# An attempt whose outcome is unknown is sent again this many times at most (so a message
# goes out at most 1 + MAX_RESENDS times, always with its one Message-ID); then the row is
# ambiguous and waits for a person.
MAX_RESENDS = 3

# Rows claimed at once: one locking query and one UPDATE serve them all, and a sender
# that dies holds few rows until their lease runs out.
CLAIM_BATCH = 10


def send_pending(now=None, limit=100):
    """Send up to `limit` pending rows whose time has come, over one mail connection.

    1. Claim the oldest due rows with a conditional UPDATE (claim_batch).
    2. For each, make sure the mail connection is open; if the server cannot be reached
       the row retries later, the rows not yet tried go back untouched, and the batch ends.
    3. Decide and mark (decide_and_mark): in one transaction on fresh, locked rows, skip
       the row if it is no longer wanted, else build its message and mark the hand-over.
    4. Hand the message over and record the outcome.
    Return a dict counting the outcomes; they are added to the outbox's figures too.
    """
    counts = {}
    connection = None
    try:
        while sum(counts.values()) < limit:
            claimed = claim_batch(
                now or timezone.now(), min(CLAIM_BATCH, limit - sum(counts.values()))
            )
            if not claimed:
                break
            for n, notification in enumerate(claimed):
                connection, outcome = send_one(notification, connection, now)
                counts[outcome] = counts.get(outcome, 0) + 1
                if outcome == "retry":
                    release(claimed[n + 1 :])
                    return counts
    finally:
        if connection is not None:
            _close_quietly(connection)
        figures.count_sends(counts)
    return counts


def claim_batch(now, size=CLAIM_BATCH, channel=Notification.Channel.EMAIL):
    """Claim up to `size` due pending rows of `channel` for this sender (email here; the
    planner's push rows have a sender of their own) and return them (pk, kind and the
    attempt count that fences the claim; the sender reads the rest fresh)."""
    with transaction.atomic():
        due = Notification.objects.filter(
            state=Notification.State.PENDING, next_attempt__lte=now, channel=channel
        ).order_by("next_attempt", "pk")
        if db_connection.features.has_select_for_update_skip_locked:
            # Rows another sender is claiming are skipped, not waited for; SQLite's
            # single writer serialises claims instead.
            due = due.select_for_update(skip_locked=True)
        pks = list(due.values_list("pk", flat=True)[:size])
        if not pks:
            return []
        Notification.objects.filter(pk__in=pks, state=Notification.State.PENDING).update(
            state=Notification.State.SENDING,
            # The lease (five minutes) is far longer than one message takes (the SMTP
            # timeout is 20 s); the hand-over mark renews it for the row being sent.
            lease_until=now + settings.OUTBOX_SEND_LEASE,
            attempts=F("attempts") + 1,
        )
    return list(
        Notification.objects.filter(pk__in=pks, state=Notification.State.SENDING)
        .only("pk", "code", "kind", "channel", "attempts", "resends", "next_attempt")
        .order_by("next_attempt", "pk")
    )


def claim_next(now):
    """Claim the next due pending row for this sender, or return None if there is none."""
    claimed = claim_batch(now, 1)
    return claimed[0] if claimed else None


def release(notifications):
    """Give claimed rows that were not tried back to pending, as they were."""
    for notification in notifications:
        _mine(notification).update(
            state=Notification.State.PENDING, lease_until=None, attempts=F("attempts") - 1
        )


def _mine(notification):
    # `attempts` fences this claim: if the lease ran out and another sender claimed the
    # row again, updates through this queryset match nothing.
    return Notification.objects.filter(
        pk=notification.pk, state=Notification.State.SENDING, attempts=notification.attempts
    )


def send_one(notification, connection, now=None):
    """Send one claimed row; return (the connection, still open or None, outcome)."""
    now = now or timezone.now()
    mine = _mine(notification)
    try:
        connection = _open(connection)
    except (OSError, smtplib.SMTPException) as error:
        retry_later(mine, notification, now, f"Could not reach the mail server: {error!r}")
        return None, "retry"
    try:
        message, outcome = decide_and_mark(notification)
    except DatabaseError:
        # A lock wait ended by the database (a deadlock with an unforeseen writer): the
        # transaction rolled back before any mark, so the row is simply tried again.
        log.warning("Could not decide notification %s", notification.code, exc_info=True)
        release([notification])
        return connection, "released"
    except Exception as error:
        # A malformed row, a bad address or a broken template fails this row, not the
        # whole batch.
        log.exception("Could not build notification %s", notification.code)
        mine.update(state=Notification.State.FAILED, lease_until=None, last_error=repr(error))
        return connection, "failed"
    if message is None:
        return connection, outcome
    try:
        connection.send_messages([message])
    except Exception as error:
        refusal = _refusal(error)
        if refusal is None:
            # The connection broke while the message was on its way: the server may or
            # may not have it. It goes again with the same Message-ID (a server or mail
            # client that has the first copy shows one), at most MAX_RESENDS times.
            _close_quietly(connection)
            resent, _ = after_unknown_outcome(
                mine,
                f"The connection broke during hand-over: {error!r}",
                retry_at=now + backoff(notification.attempts),
            )
            log.warning(
                "Notification %s may or may not have been sent (%s): %r",
                notification.code,
                "sending again" if resent else "no resends left",
                error,
            )
            return None, "resend" if resent else "ambiguous"
        if refusal == "retry":
            retry_later(mine, notification, now, f"The mail server refused for now: {error!r}")
            return connection, "retry-refused"
        mine.update(
            state=Notification.State.FAILED,
            lease_until=None,
            handed_over=None,
            last_error=repr(error),
        )
        return connection, "failed"
    record_sent(mine, notification)
    return connection, "sent"


def email_message(notification):
    """The email for a row read fresh, with the Message-ID its hand-over records."""
    message = build_message(notification)
    return message, message.extra_headers["Message-ID"]


def decide_and_mark(notification, build=email_message):
    """Decide whether a claimed row is still wanted and, if so, mark its hand-over: one
    transaction, on fresh rows locked until it ends (kinds.read_for_decision).

    A change that cancels the message (a step done, a buddy removed, ...) either
    committed first, and the row is skipped, or waits for this transaction and finds the
    hand-over marked. `build` makes the message and its fixed id from the fresh row (an
    email here; a push message for the planner's browsers). Return (the message,
    "ready"), or (None, "skipped" or "lost-lease").
    """
    with transaction.atomic():
        fresh = read_for_decision(notification)
        if fresh is None:
            return None, "lost-lease"
        mine = _mine(notification)
        reason = why_not_wanted(fresh)
        if reason:
            mine.update(
                state=Notification.State.SKIPPED,
                lease_until=None,
                handed_over=None,
                last_error=reason,
            )
            return None, "skipped"
        message, message_id = build(fresh)
        now = timezone.now()
        mine.update(
            handed_over=now,
            message_id=message_id,
            lease_until=now + settings.OUTBOX_SEND_LEASE,
        )
    notification.payload = fresh.payload
    return message, "ready"


def record_sent(mine, notification):
    """Record that the server took the message, erasing any `secret` in the payload."""
    payload = {k: v for k, v in notification.payload.items() if k != "secret"}
    with transaction.atomic():
        if db_connection.vendor == "postgresql":
            # The record need not wait for the disk: if the database itself crashed
            # before writing it, the row keeps its hand-over mark and is sent again with
            # the same Message-ID. The mark is durable (it must be).
            with db_connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        mine.update(
            state=Notification.State.SENT,
            sent_at=timezone.now(),
            lease_until=None,
            last_error="",
            payload=payload,
        )


def after_unknown_outcome(rows, error, retry_at):
    """Rows (still `sending`) whose hand-over's outcome is unknown go again with the same
    Message-ID while resends and attempts are left, else they are marked ambiguous.
    Return (how many go again, how many are ambiguous)."""
    rows = rows.filter(state=Notification.State.SENDING)
    again = rows.filter(resends__lt=MAX_RESENDS, attempts__lt=MAX_ATTEMPTS).update(
        state=Notification.State.PENDING,
        resends=F("resends") + 1,
        handed_over=None,
        lease_until=None,
        next_attempt=retry_at,
        last_error=error,
    )
    ambiguous = rows.update(
        state=Notification.State.AMBIGUOUS,
        lease_until=None,
        last_error=f"{error} No resends left: it may or may not have arrived.",
    )
    return again, ambiguous


def backoff(attempts):
    """How long a row waits after its `attempts`-th attempt failed: 1, 2, 4, ... times
    OUTBOX_RETRY_AFTER (a minute), at most an hour."""
    return min(settings.OUTBOX_RETRY_AFTER * 2 ** (attempts - 1), MAX_BACKOFF)


def retry_later(mine, notification, now, error):
    """Put a claimed row back to pending after a back-off (failed after the last try)."""
    attempts = notification.attempts  # read after the claim added this attempt
    if attempts >= MAX_ATTEMPTS:
        mine.update(
            state=Notification.State.FAILED, lease_until=None, handed_over=None, last_error=error
        )
        return
    mine.update(
        state=Notification.State.PENDING,
        lease_until=None,
        handed_over=None,
        next_attempt=now + backoff(attempts),
        last_error=error,
    )


def _refusal(error):
    """Return "retry" or "fail" if the server refused the message, else None."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return "retry" if codes and all(400 <= code < 500 for code in codes) else "fail"
    if isinstance(error, smtplib.SMTPResponseException):
        return "retry" if 400 <= error.smtp_code < 500 else "fail"
    if isinstance(error, ValueError):
        return "fail"
    return None


def _open(connection):
    """Return an open mail connection: the batch's own, checked, or a new one."""
    if connection is not None:
        smtp = getattr(connection, "connection", None)
        if isinstance(smtp, smtplib.SMTP):
            # A server may drop an idle connection; find out before a message is on the
            # wire, where a broken connection would make its fate unknown.
            try:
                alive = smtp.noop()[0] == 250
            except (OSError, smtplib.SMTPException):
                alive = False
            if not alive:
                _close_quietly(connection)
                connection = None
    if connection is None:
        connection = mail.mailers.default
        connection.open()
    return connection


def _close_quietly(connection):
    with contextlib.suppress(OSError, smtplib.SMTPException):
        connection.close()
