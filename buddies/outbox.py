"""The outbox: every email to a buddy is a Notification row first and a message second.

Rows are written in the same transaction as the change that causes them, under the
unique constraint (kind, buddyship, key), so a retried request or a second sweep writes
nothing twice. Sending claims a few rows at a time with a lease, re-checks that each email
is still wanted, marks the hand-over, sends, and records the result; docs/decisions.md
("Delivery semantics") says what is guaranteed when something fails.
"""

import contextlib
import logging
import smtplib
from datetime import date, datetime, time, timedelta
from email.utils import formataddr, parseaddr
from urllib.parse import urlsplit

from django.conf import settings
from django.core import mail
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from buddies import links
from buddies.models import Buddyship, Notification
from careerplan.mail import absolute_url, build_email
from plans.models import Plan, Step

log = logging.getLogger(__name__)

# Connection failures retry after 1, 2, 4, ... minutes (at most an hour apart); after
# this many attempts the row is marked failed and left for a person to look at.
MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=1)
# Steps claimed per transaction by the check-up sweep, by database. PostgreSQL does best
# with large batches (1M steps with 10,000 due: 2.5-3.1 s at 1,000 against 3.1-3.5 s at
# 200, alternated in one run); on SQLite a batch holds the one write lock, and 1,000 was
# slower there (3.3 s against 1.7 s).
SWEEP_BATCH = {"postgresql": 1000}
SWEEP_BATCH_DEFAULT = 200


def sweep_batch_size():
    return SWEEP_BATCH.get(db_connection.vendor, SWEEP_BATCH_DEFAULT)


# An email the buddy asked for (their own private link) is sent even after they
# unsubscribed: unsubscribing stops what others send them, not answers to their requests.
# A re-sent invitation is the planner's doing, so it respects the unsubscribe.
TRANSACTIONAL = {Notification.Kind.LINK}
# The one-click answers each kind of email offers.
ACTIONS = {
    Notification.Kind.CHECKUP: ("ask", "cheer", "confirm"),
    Notification.Kind.COMMITMENT: ("cheer",),
    Notification.Kind.CELEBRATION: ("cheer",),
    Notification.Kind.ANSWER: ("cheer",),
    Notification.Kind.DIGEST: ("cheer",),
}


# Writing rows ---------------------------------------------------------------------


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


def schedule_send():
    """Ask a worker to send pending rows once the current transaction commits.

    If the broker is unreachable the row stays pending and beat's next pass sends it,
    so a lost enqueue delays an email but never loses it.
    """

    def dispatch():
        from buddies.tasks import send_notifications

        try:
            send_notifications.delay()
        except Exception:
            log.warning(
                "Could not enqueue the send task; beat will pick the rows up.", exc_info=True
            )

    transaction.on_commit(dispatch)


def invitation_key(buddyship):
    """The key of an invitation email: its token, so inviting again is a new email and
    the earlier one is no longer sent."""
    return f"invite:{buddyship.invite_token_hash[:32]}"


def link_key(link):
    """The key of a private-link email: the link's code, so a rotated link is a new email."""
    return f"link:{link.code}"


def checkup_key(step, due_date=None):
    """The key of a step's check-up: its code and date, so a new date is a new check-up."""
    due_date = due_date or step.due_date
    return f"{step.code}:{due_date.isoformat() if due_date else 'undated'}"


def sweep_checkups(now=None, batch_size=None):
    """Claim the steps whose check-up is due and write one check-up per active buddy.

    1. Read a batch of due, unclaimed, open steps in (checkup_due, id) order, after the
       last one seen (keyset), through the partial index `step_checkup_sweep_idx`. On
       PostgreSQL the rows are locked with SKIP LOCKED, so a concurrent sweep takes
       other rows instead of waiting; SQLite's write lock serialises sweeps anyway.
    2. In the same transaction, claim the batch with one conditional UPDATE
       (`checkup_claimed` still null, still open): a step it did not claim was taken by
       another sweep or closed by the planner first, and is left alone.
    3. Still in that transaction, insert one check-up row per active, subscribed buddy
       whose shared plans include the step's (active) plan, ignoring rows that exist.
    Return the number of check-up rows written (the caller asks a worker to send).
    Steps with no buddy to tell are claimed too, so the sweep never reads them again.
    The steps are read as plain rows: model instances were a fifth of the sweep's time.
    """
    now = now or timezone.now()
    batch_size = batch_size or sweep_batch_size()
    written = 0
    after = None
    while True:
        with transaction.atomic():
            due = Step.objects.checkup_due(now).order_by("checkup_due", "pk")
            if after is not None:
                due = due.filter(
                    Q(checkup_due__gt=after[0]) | Q(checkup_due=after[0], pk__gt=after[1])
                )
            if db_connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True, of=("self",))
            batch = list(
                due.values_list("pk", "code", "plan_id", "due_date", "checkup_due", named=True)[
                    :batch_size
                ]
            )
            if not batch:
                break
            after = (batch[-1].checkup_due, batch[-1].pk)
            # One conditional UPDATE claims the whole batch (one per step made the sweep
            # cost a round trip per due row). The rows are locked (PostgreSQL) or the
            # write lock is held (SQLite), so normally all are claimed; if some are not,
            # keep only those this sweep claimed.
            pks = [step.pk for step in batch]
            count = Step.objects.filter(
                pk__in=pks, status=Step.Status.OPEN, checkup_claimed__isnull=True
            ).update(checkup_claimed=now)
            if count == len(batch):
                claimed = batch
            else:
                mine = set(
                    Step.objects.filter(pk__in=pks, checkup_claimed=now).values_list(
                        "pk", flat=True
                    )
                )
                claimed = [step for step in batch if step.pk in mine]
            written += _write_checkups(claimed, now)
        if len(batch) < batch_size:
            break
    return written


def _write_checkups(steps, now):
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


# Sending --------------------------------------------------------------------------


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


def claim_batch(now, size=CLAIM_BATCH):
    """Claim up to `size` due pending rows for this sender; return them, ready to send."""
    with transaction.atomic():
        due = Notification.objects.filter(
            state=Notification.State.PENDING, next_attempt__lte=now
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
        .select_related("buddyship__planner", "step__plan")
        .annotate(plan_shared=Exists(shared))
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
        _retry_later(mine, notification, now, f"Could not reach the mail server: {error!r}")
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
            _retry_later(mine, notification, now, f"The mail server refused for now: {error!r}")
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


def _retry_later(mine, notification, now, error):
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


def why_not_wanted(notification):
    """Return why a claimed row should no longer be sent, or "" if it should."""
    buddyship = notification.buddyship
    kind = notification.kind
    wanted_status = (
        Buddyship.Status.INVITED
        if kind == Notification.Kind.INVITATION
        else Buddyship.Status.ACTIVE
    )
    if buddyship.status != wanted_status:
        return f"The buddyship is {buddyship.status}."
    if kind == Notification.Kind.INVITATION and not (
        buddyship.invite_token_hash
        and notification.key == invitation_key(buddyship)
        and buddyship.invite_expires
        and buddyship.invite_expires > timezone.now()
    ):
        return "The invitation was sent again or has expired; this link no longer works."
    if (
        kind == Notification.Kind.LINK
        and not buddyship.links.filter(
            code=notification.key.removeprefix("link:"), revoked__isnull=True
        ).exists()
    ):
        return "The private link was rotated or revoked."
    if kind not in TRANSACTIONAL and buddyship.unsubscribed:
        return "The buddy unsubscribed."
    if kind == Notification.Kind.CELEBRATION and not buddyship.celebrations:
        return "The buddy turned celebrations off."
    if kind == Notification.Kind.DIGEST and not buddyship.digest:
        return "The buddy turned the digest off."
    step = notification.step
    if step is not None:
        shared = getattr(notification, "plan_shared", None)
        if shared is None:
            shared = _shares(buddyship, step.plan)
        if not shared:
            return "The step's plan is no longer shared with this buddy."
        if kind == Notification.Kind.CHECKUP:
            if step.status != Step.Status.OPEN:
                return f"The step is {step.status}."
            if checkup_key(step) != notification.key:
                return "The step has a new date."
        if kind == Notification.Kind.CELEBRATION and step.status != Step.Status.DONE:
            return "The step is no longer done."
    if kind == Notification.Kind.COMMITMENT and not commitment_steps(notification):
        return "None of the steps committed to is still open and shared."
    return ""


def _shares(buddyship, plan):
    return plan.status == Plan.Status.ACTIVE and buddyship.plans.filter(pk=plan.pk).exists()


def commitment_steps(notification):
    """The steps a commitment email lists: those still open, dated and shared, by date.

    Read once per claimed row: the check that the email is still wanted and the email
    itself use the same list.
    """
    if not hasattr(notification, "commitment_steps"):
        notification.commitment_steps = list(
            Step.objects.filter(
                code__in=notification.payload.get("steps", []),
                status=Step.Status.OPEN,
                due_date__isnull=False,
                plan__status=Plan.Status.ACTIVE,
                plan__buddyships=notification.buddyship,
            )
            .select_related("plan")
            .order_by("due_date", "plan_id", "position")
        )
    return notification.commitment_steps


def message_id(notification):
    """A Message-ID fixed by the row, the same on every attempt, so a receiving server or
    mail client can tell a repeat from a new message."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{notification.code}@{domain}>"


def build_message(notification):
    """Return the email for a row: text and HTML bodies, Message-ID and RFC 8058 headers."""
    buddyship = notification.buddyship
    planner = buddyship.planner
    unsubscribe_url = absolute_url(
        reverse("buddies-mail-unsubscribe", args=[links.unsubscribe_token(buddyship)])
    )
    context = {
        "buddyship": buddyship,
        "planner_name": planner.display_name or "Your friend",
        "step": notification.step,
        "payload": notification.payload,
        "unsubscribe_url": unsubscribe_url,
        "progress_url": _progress_url(buddyship),
    }
    for action in ACTIONS.get(notification.kind, ()):
        context[f"{action}_url"] = absolute_url(
            reverse("buddies-mail-action", args=[links.action_token(notification, action)])
        )
    context.update(_kind_context(notification))
    headers = {
        "Message-ID": message_id(notification),
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        # Out-of-office replies are not sent to automatic messages (RFC 3834).
        "Auto-Submitted": "auto-generated",
    }
    message = build_email(
        f"buddy-{notification.kind}",
        context,
        [_address(buddyship.name, buddyship.email)],
        headers=headers,
    )
    # The planner's name, never their address, shows who the email is about.
    _, sender = parseaddr(settings.DEFAULT_FROM_EMAIL)
    site = parseaddr(settings.DEFAULT_FROM_EMAIL)[0] or "careerplan"
    message.from_email = _address(f"{context['planner_name']} via {site}", sender)
    return message


def _address(name, email):
    # A name is typed by a person: line breaks would be a header injection.
    return formataddr((" ".join(str(name).split()), email))


def _progress_url(buddyship):
    if buddyship.user_id is not None:
        return absolute_url(reverse("buddies-progress", args=[buddyship.code]))
    return ""


def _kind_context(notification):
    kind = notification.kind
    if kind == Notification.Kind.COMMITMENT:
        return {"steps": commitment_steps(notification)}
    if kind == Notification.Kind.DIGEST:
        return digest_context(notification)
    if kind == Notification.Kind.ANSWER:
        payload = notification.payload
        return {
            name: date.fromisoformat(payload[name])
            for name in ("old_date", "new_date")
            if payload.get(name)
        }
    return {}


# Weekly digest --------------------------------------------------------------------

# A planner's digest goes out on Monday from 08:00 in their zone.
DIGEST_WEEKDAY = 0
DIGEST_HOUR = 8


def queue_digests(now=None):
    """Write this week's digest for every active buddy who asked for one and whose
    planner's Monday morning has come; beat calls this hourly, and the week in the key
    makes every later call that week a no-op. Return the number of rows written."""
    now = now or timezone.now()
    buddyships = (
        Buddyship.objects.active()
        .filter(digest=True, unsubscribed__isnull=True)
        .select_related("planner")
    )
    rows = []
    for buddyship in buddyships:
        local = now.astimezone(buddyship.planner.zone)
        if local.weekday() != DIGEST_WEEKDAY or local.hour < DIGEST_HOUR:
            continue
        year, week, _ = local.isocalendar()
        since = local.date() - timedelta(days=7)
        rows.append(
            Notification(
                kind=Notification.Kind.DIGEST,
                buddyship=buddyship,
                key=f"{year}-W{week:02d}",
                payload={"since": since.isoformat(), "today": local.date().isoformat()},
                created=now,
                next_attempt=now,
            )
        )
    if not rows:
        return 0
    # One query for the digests already written this week, then one insert; the unique
    # constraint still makes a concurrent second pass a no-op.
    written_before = set(
        Notification.objects.filter(
            kind=Notification.Kind.DIGEST,
            buddyship__in=[row.buddyship_id for row in rows],
            key__in={row.key for row in rows},
        ).values_list("buddyship_id", "key")
    )
    new = [row for row in rows if (row.buddyship_id, row.key) not in written_before]
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        schedule_send()
    return len(new)


def digest_context(notification):
    """The week in numbers for a digest: steps done since, overdue, and coming up."""
    buddyship = notification.buddyship
    since = date.fromisoformat(notification.payload["since"])
    today = date.fromisoformat(notification.payload["today"])
    steps = Step.objects.filter(
        plan__buddyships=buddyship, plan__status=Plan.Status.ACTIVE, due_date__isnull=False
    ).select_related("plan")
    # The week starts at midnight where the planner lives, not in UTC.
    week_start = datetime.combine(since, time(0), tzinfo=buddyship.planner.zone)
    done = list(
        steps.filter(status=Step.Status.DONE, completed__gte=week_start).order_by("completed")[:20]
    )
    overdue = list(
        steps.filter(status=Step.Status.OPEN, due_date__lt=today).order_by("due_date")[:20]
    )
    upcoming = list(
        steps.filter(
            status=Step.Status.OPEN, due_date__gte=today, due_date__lte=today + Step.WEEK
        ).order_by("due_date")[:20]
    )
    return {"done": done, "overdue": overdue, "upcoming": upcoming, "since": since, "today": today}
