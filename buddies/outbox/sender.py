"""Sending: claim due rows with a lease, re-check each, hand it over, record the result.

Delivery semantics (docs/decisions.md): the lease and the attempt count fence every
update to a claim; the Message-ID written just before hand-over marks a row that may
have reached the server; failures to reach the server retry with back-off.
"""

import contextlib
import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from buddies.models import Buddyship, Notification
from buddies.outbox.kinds import address_verified, why_not_wanted
from buddies.outbox.messages import build_message
from plans.models import Plan

log = logging.getLogger(__name__)

# Connection failures retry after 1, 2, 4, ... minutes (at most an hour apart); after
# this many attempts the row is marked failed and left for a person to look at.
MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=1)

# Rows claimed at once: one locking query and one UPDATE serve them all, and a sender
# that dies holds few rows until their lease runs out.
CLAIM_BATCH = 10


def send_pending(now=None, limit=100):
    """Send up to `limit` pending rows whose time has come, over one mail connection.

    1. Claim the oldest due rows with a conditional UPDATE (pending -> sending, a lease,
       attempts + 1); rows another sender holds are skipped, never waited for.
    2. Re-check that each email is still wanted; if not, mark it skipped.
    3. Build the message, open the connection (once per batch), and record the
       Message-ID just before hand-over: from then on a crash leaves an ambiguous row.
    4. Hand the message over and record sent (or the failure).
    If the mail server cannot be reached, the rows not yet tried go back to pending
    untouched and the batch ends. Return a dict counting the outcomes.
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
    return counts


def claim_batch(now, size=CLAIM_BATCH, channel=Notification.Channel.EMAIL):
    """Claim up to `size` due pending rows of `channel` for this sender (email here; the
    planner's push rows have a sender of their own); return them, ready to send."""
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
            # timeout is 20 s); hand-over renews it for the row being sent.
            lease_until=now + settings.OUTBOX_SEND_LEASE,
            attempts=F("attempts") + 1,
        )
    shared = Buddyship.plans.through.objects.filter(
        buddyship=OuterRef("buddyship"),
        plan=OuterRef("step__plan"),
        plan__status=Plan.Status.ACTIVE,
    )
    return list(
        Notification.objects.filter(pk__in=pks, state=Notification.State.SENDING)
        .select_related("buddyship__planner", "step__plan", "user")
        .annotate(plan_shared=Exists(shared), address_verified=address_verified())
        .order_by("next_attempt", "pk")
    )


def claim_next(now):
    """Claim the next due pending row for this sender, or return None if there is none."""
    claimed = claim_batch(now, 1)
    return claimed[0] if claimed else None


def release(notifications):
    """Give claimed rows that were not tried back to pending, as they were."""
    for notification in notifications:
        Notification.objects.filter(
            pk=notification.pk, state=Notification.State.SENDING, attempts=notification.attempts
        ).update(state=Notification.State.PENDING, lease_until=None, attempts=F("attempts") - 1)


def send_one(notification, connection, now=None):
    """Send one claimed row; return (the connection, still open or None, outcome)."""
    now = now or timezone.now()
    # `attempts` fences this claim: if the lease ran out and another sender claimed the
    # row again, these updates match nothing.
    mine = Notification.objects.filter(
        pk=notification.pk, state=Notification.State.SENDING, attempts=notification.attempts
    )
    try:
        reason = why_not_wanted(notification)
        if reason:
            mine.update(state=Notification.State.SKIPPED, lease_until=None, last_error=reason)
            return connection, "skipped"
        message = build_message(notification)
    except Exception as error:
        # A malformed row, a bad address or a broken template fails this row, not the
        # whole batch.
        log.exception("Could not build notification %s", notification.code)
        mine.update(state=Notification.State.FAILED, lease_until=None, last_error=repr(error))
        return connection, "failed"
    try:
        connection = _open(connection)
    except (OSError, smtplib.SMTPException) as error:
        retry_later(mine, notification, now, f"Could not reach the mail server: {error!r}")
        return None, "retry"
    hand_over = {
        "message_id": message.extra_headers["Message-ID"],
        "lease_until": timezone.now() + settings.OUTBOX_SEND_LEASE,
    }
    if not mine.update(**hand_over):
        return connection, "lost-lease"
    try:
        connection.send_messages([message])
    except Exception as error:
        refusal = _refusal(error)
        if refusal is None:
            # The connection broke while the message was on its way: the server may have
            # accepted it, so it is marked rather than sent again.
            mine.update(
                state=Notification.State.AMBIGUOUS, lease_until=None, last_error=repr(error)
            )
            log.warning(
                "Notification %s may or may not have been sent: %r", notification.code, error
            )
            _close_quietly(connection)
            return None, "ambiguous"
        if refusal == "retry":
            retry_later(mine, notification, now, f"The mail server refused for now: {error!r}")
            return connection, "retry-refused"
        mine.update(
            state=Notification.State.FAILED, lease_until=None, message_id="", last_error=repr(error)
        )
        return connection, "failed"
    payload = {k: v for k, v in notification.payload.items() if k != "secret"}
    with transaction.atomic():
        if connection_is_postgresql():
            # The record need not wait for the disk: if the database itself crashed
            # before writing it, the row would be left with its hand-over mark and end
            # ambiguous, never resent. The mark above is durable (it must be).
            with db_connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        mine.update(
            state=Notification.State.SENT,
            sent_at=timezone.now(),
            lease_until=None,
            last_error="",
            payload=payload,
        )
    return connection, "sent"


def connection_is_postgresql():
    return db_connection.vendor == "postgresql"


def retry_later(mine, notification, now, error):
    """Put a claimed row back to pending after a back-off (failed after the last try)."""
    attempts = notification.attempts  # read after the claim added this attempt
    if attempts >= MAX_ATTEMPTS:
        mine.update(state=Notification.State.FAILED, lease_until=None, last_error=error)
        return
    delay = min(FIRST_BACKOFF * 2 ** (attempts - 1), MAX_BACKOFF)
    mine.update(
        state=Notification.State.PENDING,
        lease_until=None,
        message_id="",
        next_attempt=now + delay,
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
