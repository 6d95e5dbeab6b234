"""Sending: claim due rows with a lease; decide and mark them in one locked transaction;
hand them over; record the results.

Delivery semantics (docs/decisions.md): the lease and the attempt count fence every
update to a claim; whether an email is still wanted is decided on fresh, locked rows in
the transaction that writes the hand-over mark; an attempt whose outcome is unknown (a
crash, or a connection broken after the mark) is sent again with the same Message-ID, at
most MAX_RESENDS times; failures to reach the server retry with back-off.
"""

import contextlib
import logging
import smtplib
import time
from datetime import timedelta

from django.conf import settings
from django.core import mail
from django.db import DatabaseError, transaction
from django.db import connection as db_connection
from django.db.models import F, TextField
from django.db.models.expressions import RawSQL
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
# that dies holds few rows until their lease runs out. Emails are claimed by more, as a
# fast mail server gets a whole claim decided in one transaction (DECIDE_AHEAD); a push
# message is a request of its own to a push service, which may take seconds.
CLAIM_BATCH = 10
EMAIL_CLAIM_BATCH = 25
# Rows are decided and marked together (one transaction, one query per table read) only
# as many as the mail server takes in this time at the pace it last showed, so that no
# decision is made much longer than this before its message is handed over: a fast
# relay gets the claimed rows decided at once, a slow one (a second a message) each row
# just before it is sent.
DECIDE_AHEAD = 0.25


def send_pending(now=None, limit=100):
    """Send up to `limit` pending rows whose time has come, over one mail connection.

    1. Claim the oldest due rows with a conditional UPDATE (claim_batch).
    2. Take as many of them as the server takes in DECIDE_AHEAD at its last pace
       (group_size), and send them (send_group): make sure the mail connection is open
       (if the server cannot be reached, the first row retries later, the others go
       back untouched, and the batch ends); decide and mark them in one transaction on
       fresh, locked rows (decide_and_mark_all); hand each message over; record the
       outcomes.
    Return a dict counting the outcomes; they are added to the outbox's figures too.
    """
    counts = {}
    connection = None
    pace = None
    try:
        while sum(counts.values()) < limit:
            claimed = claim_batch(
                now or timezone.now(), min(EMAIL_CLAIM_BATCH, limit - sum(counts.values()))
            )
            if not claimed:
                break
            while claimed:
                size = group_size(pace, len(claimed))
                group, claimed = claimed[:size], claimed[size:]
                connection, outcomes, pace = send_group(group, connection, now, pace)
                for outcome in outcomes:
                    counts[outcome] = counts.get(outcome, 0) + 1
                if "retry" in outcomes:
                    release(claimed)
                    return counts
    finally:
        if connection is not None:
            _close_quietly(connection)
        figures.count_sends(counts)
    return counts


def group_size(pace, claimed):
    """How many claimed rows to decide together: as many as the server takes in
    DECIDE_AHEAD seconds at `pace` (seconds a message), one while the pace is unknown."""
    if pace is None:
        return 1
    return max(1, min(claimed, int(DECIDE_AHEAD / max(pace, 1e-6))))


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
    if notifications:
        Notification.objects.claimed(notifications).update(
            state=Notification.State.PENDING, lease_until=None, attempts=F("attempts") - 1
        )


def _mine(notification):
    # `attempts` fences this claim: if the lease ran out and another sender claimed the
    # row again, updates through this queryset match nothing.
    return Notification.objects.claimed([notification])


def _per_row(values):
    """An expression giving each row (by pk) its own text, for one UPDATE of many.

    Written as SQL: the ORM's Case() resolves and copies every When(), which cost five
    times the UPDATE it is in for a group of 25 rows.
    """
    pk = db_connection.ops.quote_name(Notification._meta.pk.column)
    cases = " ".join(f"WHEN {pk} = %s THEN %s" for _ in values)
    params = [item for pair in values.items() for item in pair]
    # Every value is a parameter; only the quoted column name is in the text.
    return RawSQL(f"CASE {cases} END", params, output_field=TextField())  # noqa: S611


def send_one(notification, connection, now=None):
    """Send one claimed row; return (the connection, still open or None, outcome)."""
    connection, [outcome], _ = send_group([notification], connection, now)
    return connection, outcome


def send_group(group, connection, now=None, pace=None):
    """Decide, mark and send claimed rows; return (the connection, still open or None,
    their outcomes, the pace the server took the messages at in seconds each)."""
    now = now or timezone.now()
    try:
        connection = _open(connection)
    except (OSError, smtplib.SMTPException) as error:
        retry_later(_mine(group[0]), group[0], now, f"Could not reach the mail server: {error!r}")
        release(group[1:])
        return None, ["retry"], pace
    decided = decide_group(group)
    outcomes, sent = [], []
    unreachable = None
    started = time.perf_counter()
    for notification, message, outcome in decided:
        if message is not None and connection is None and unreachable is None:
            # The connection broke on an earlier message of this group.
            try:
                connection = _open(None)
            except (OSError, smtplib.SMTPException) as error:
                unreachable = error
        if message is not None and unreachable is not None:
            # Marked, but the server is gone: never handed over, so not a maybe.
            error = f"Could not reach the mail server: {unreachable!r}"
            retry_later(_mine(notification), notification, now, error)
            outcome = "retry"
        elif message is not None:
            connection, outcome = hand_over(notification, message, connection, now)
            if outcome == "sent":
                sent.append(notification)
        outcomes.append(outcome)
    if sent:
        pace = (time.perf_counter() - started) / len(sent)
        record_sent_all(sent)
    return connection, outcomes, pace


def decide_group(group):
    """Decide and mark a group of claimed rows: together if the database allows, and
    each alone if it ends the lock wait (a deadlock with an unforeseen writer), so that
    a row that keeps failing holds up no other. Return (row, message, outcome) for each;
    a row whose decision the database ended goes back untouched ("released")."""
    try:
        return [
            (notification, *decided)
            for notification, decided in zip(group, decide_and_mark_all(group), strict=True)
        ]
    except DatabaseError:
        if len(group) > 1:
            return [decision for notification in group for decision in decide_group([notification])]
        log.warning("Could not decide notification %s", group[0].code, exc_info=True)
        release(group)
        return [(group[0], None, "released")]


def hand_over(notification, message, connection, now):
    """Hand a marked row's message to the server; return (the connection, still open or
    None, outcome). "sent" is recorded by the caller, with the group's other rows."""
    try:
        connection.send_messages([message])
    except Exception as error:
        mine = _mine(notification)
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
    return connection, "sent"


def email_message(notification):
    """The email for a row read fresh, with the Message-ID its hand-over records."""
    message = build_message(notification)
    return message, message.extra_headers["Message-ID"]


def decide_and_mark(notification, build=email_message):
    """Decide whether a claimed row is still wanted and, if so, mark its hand-over
    (decide_and_mark_all for one row). An error building its message is raised, and
    nothing is written. Return (the message, "ready"), or (None, "skipped" or
    "lost-lease")."""
    [decided] = decide_and_mark_all([notification], build, raise_errors=True)
    return decided


def decide_and_mark_all(claimed, build=email_message, raise_errors=False):
    """Decide whether claimed rows are still wanted and mark the hand-over of those that
    are: one transaction, on fresh rows locked until it ends (kinds.read_for_decision).

    A change that cancels a message (a step done, a buddy removed, ...) either committed
    first, and the row is skipped, or waits for this transaction and finds the hand-over
    marked. `build` makes a message and its fixed id from a fresh row (an email here; a
    push message for the planner's browsers); a row whose message cannot be built fails
    alone (unless `raise_errors`). Return (the message, "ready"), or (None, "skipped",
    "failed" or "lost-lease"), for each claimed row in order.
    """
    decided = {}
    skipped, failed, ready = {}, {}, {}
    by_pk = {notification.pk: notification for notification in claimed}
    with transaction.atomic():
        for fresh in read_for_decision(claimed):
            reason = why_not_wanted(fresh)
            if reason:
                skipped[fresh.pk] = reason
                decided[fresh.pk] = (None, "skipped")
                continue
            try:
                message, ready[fresh.pk] = build(fresh)
            except DatabaseError:
                raise
            except Exception as error:
                # A malformed row, a bad address or a broken template fails this row,
                # not the whole batch.
                if raise_errors:
                    raise
                log.exception("Could not build notification %s", fresh.code)
                failed[fresh.pk] = repr(error)
                decided[fresh.pk] = (None, "failed")
                continue
            decided[fresh.pk] = (message, "ready")
            by_pk[fresh.pk].payload = fresh.payload
        rows = Notification.objects.filter(state=Notification.State.SENDING)
        if skipped:
            rows.filter(pk__in=skipped).update(
                state=Notification.State.SKIPPED,
                lease_until=None,
                handed_over=None,
                last_error=_per_row(skipped),
            )
        if failed:
            rows.filter(pk__in=failed).update(
                state=Notification.State.FAILED, lease_until=None, last_error=_per_row(failed)
            )
        if ready:
            now = timezone.now()
            rows.filter(pk__in=ready).update(
                handed_over=now,
                message_id=_per_row(ready),
                lease_until=now + settings.OUTBOX_SEND_LEASE,
            )
    return [decided.get(notification.pk, (None, "lost-lease")) for notification in claimed]


def record_sent(mine, notification):
    """Record that the server took the message, erasing any `secret` in the payload."""
    with _record():
        mine.update(**_sent(notification))


def record_sent_all(notifications):
    """Record that the server took these claimed rows' messages: one UPDATE for all but
    those with a `secret` in the payload to erase."""
    plain = [n for n in notifications if "secret" not in n.payload]
    with _record():
        if plain:
            Notification.objects.claimed(plain).update(**_sent())
        for notification in notifications:
            if "secret" in notification.payload:
                _mine(notification).update(**_sent(notification))


@contextlib.contextmanager
def _record():
    with transaction.atomic():
        if db_connection.vendor == "postgresql":
            # The record need not wait for the disk: if the database itself crashed
            # before writing it, the row keeps its hand-over mark and is sent again with
            # the same Message-ID. The mark is durable (it must be).
            with db_connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        yield


def _sent(notification=None):
    """The fields of a `sent` record; with a row, its payload without the `secret`."""
    fields = {
        "state": Notification.State.SENT,
        "sent_at": timezone.now(),
        "lease_until": None,
        "last_error": "",
    }
    if notification is not None:
        fields["payload"] = {k: v for k, v in notification.payload.items() if k != "secret"}
    return fields


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
