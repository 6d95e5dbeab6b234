"""The weekly digest: one row per buddy who asked for it, on the planner's Monday
morning, and the week in numbers it shows."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from buddies.models import Buddyship, Notification
from buddies.outbox.rows import digest_key, schedule_send
from plans.models import Plan, Step

# A planner's digest goes out on Monday from 08:00 in their zone.
DIGEST_WEEKDAY = 0
DIGEST_HOUR = 8
# Steps listed under each heading of a digest.
DIGEST_LIST = 20


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
        since = local.date() - timedelta(days=7)
        rows.append(
            Notification(
                kind=Notification.Kind.DIGEST,
                buddyship=buddyship,
                key=digest_key(local.date()),
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
    """The week in numbers for a digest: steps done since, overdue, and due this week
    (the step states every page uses: plans.models.StepQuerySet)."""
    buddyship = notification.buddyship
    since = date.fromisoformat(notification.payload["since"])
    today = date.fromisoformat(notification.payload["today"])
    steps = (
        Step.objects.filter(plan__buddyships=buddyship, plan__status=Plan.Status.ACTIVE)
        .dated()
        .select_related("plan")
    )
    # The week starts at midnight where the planner lives, not in UTC.
    week_start = datetime.combine(since, time(0), tzinfo=buddyship.planner.zone)
    done = steps.done().filter(completed__gte=week_start).order_by("completed")
    overdue = steps.overdue(today).order_by("due_date")
    upcoming = steps.due_this_week(today).order_by("due_date")
    # Each shared plan's progress, counted by the rule every page uses (one query a plan;
    # a buddy shares a handful).
    plans = [
        {"plan": plan, "counts": plan.steps.progress(today)}
        for plan in Plan.objects.filter(buddyships=buddyship, status=Plan.Status.ACTIVE)
        .order_by("-created")
        .distinct()
    ]
    return {
        "plans": plans,
        "done": list(done[:DIGEST_LIST]),
        "overdue": list(overdue[:DIGEST_LIST]),
        "upcoming": list(upcoming[:DIGEST_LIST]),
        "since": since,
        "today": today,
    }
