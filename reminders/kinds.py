"""The planner's reminders, declared once per kind (REMINDER_KINDS).

For each kind one ReminderKind says:
- `email`: its outbox declaration (buddies.outbox.kinds.EmailKind, audience "planner"):
  its template, when a claimed row is no longer wanted, its context and its one-click
  unsubscribe. `register_kinds` adds these to the outbox's table when the app is ready,
  so the outbox's sender and messages handle them like every other kind;
- `due`: which planners the reminder pass writes a row for when the reminder fires on
  their local day, and under which key (the key names the local day, so a reminder is
  written once per day whatever the clock, the season or the planner's zone does);
- `push`: the few words of its Web Push notification.

Every reminder is about one local day (`payload["date"]`) and goes stale an hour after
that day ends, in the planner's zone: a morning email held up by a mail outage is not
sent the next day.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from buddies.models import Notification
from buddies.outbox.kinds import Audience, EmailKind, register
from careerplan.mail import absolute_url
from journals.models import PROMPT, JournalEntry
from plans.models import Plan, Step
from plans.tree.tree import Tree, describe, latest_commit_date
from reminders import links
from reminders.models import Kind, Reminder
from reminders.schedule import day_over, local_day, occurrence

# Steps listed under each heading of an email.
LIST_LIMIT = 10
# "Give me more time" offers a new date this many days after the later of today and the
# step's own date; the planner can change it before saving.
MORE_TIME = timedelta(days=3)
# The next-step nudge is sent at most once in this many days per plan.
NUDGE_EVERY = 7


@dataclass(frozen=True)
class Row:
    """An outbox row the pass writes: to whom, under which key, with what payload."""

    user_id: int
    key: str
    payload: dict


@dataclass(frozen=True)
class ReminderKind:
    email: EmailKind
    # (reminder, local day) pairs that fired, and the pass's `now` -> the rows to write.
    due: Callable[[list, datetime], list[Row]]
    # The notification's title, body, the page it opens, and its tag.
    push: Callable[[Notification], dict]
    # Whether the planner can do what the reminder asks before it fires (write the day's
    # journal entry): then a day `due` already writes nothing for is not its next send.
    done_ahead: bool = False


# Keys --------------------------------------------------------------------------------
# A key names one reminder among those of its kind to one planner; the formats are this
# module's own.


def day_key(day):
    """The key of a reminder sent at most once a day: its local date."""
    return day.isoformat()


def week_key(day):
    """The key of the weekly plan: the ISO week of its local date, so moving the day
    within a week sends no second one."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def plan_key(plan_code, day):
    """The key of a next-step nudge: the plan and the local date."""
    return f"{plan_code}:{day.isoformat()}"


def push_key(key, subscription_code):
    """The key of a push message: the email's key and the browser it goes to."""
    return f"{key}:push:{subscription_code}"


def _plan_and_day(key):
    plan_code, day = key.split(":")[:2]
    return plan_code, date.fromisoformat(day)


# What every reminder shares -------------------------------------------------------------


def the_day(notification):
    return date.fromisoformat(notification.payload["date"])


def by_day(dues):
    """Group (reminder, day) pairs by the day: each day is one query per kind."""
    days = defaultdict(list)
    for reminder, day in dues:
        days[day].append(reminder.user_id)
    return days.items()


def unwanted_because(notification):
    """Why a reminder is no longer wanted for reasons every kind shares, or ""."""
    if not Reminder.objects.filter(
        user_id=notification.user_id, kind=notification.kind, enabled=True
    ).exists():
        return f"The planner turned the {Kind(notification.kind).label} off."
    if day_over(the_day(notification), notification.user.zone, timezone.now()):
        return "The day it was for is over."
    return ""


def unsubscribe_url(notification):
    token = links.unsubscribe_token(notification.user, notification.kind)
    return absolute_url(reverse("reminders-mail-unsubscribe", args=[token]))


def common_context(notification):
    return {
        "day": the_day(notification),
        "kind_label": Kind(notification.kind).label,
        "settings_url": absolute_url(reverse("reminders-settings")),
        "dashboard_url": absolute_url(reverse("plans-dashboard")),
    }


def declare(template, unwanted, context):
    """The outbox's declaration of a reminder's email."""
    return EmailKind(
        template=template,
        audience=Audience.PLANNER,
        unwanted=lambda n: unwanted_because(n) or unwanted(n),
        context=lambda n: {**common_context(n), **context(n)},
        unsubscribe_url=unsubscribe_url,
    )


# Morning email ---------------------------------------------------------------------


def morning_steps(day):
    """What a morning email is about: open steps of active plans due on `day` or before
    (due that day, or overdue)."""
    return Step.objects.filter(plan__status=Plan.Status.ACTIVE).due_by(day)


def morning_due(dues, now):
    rows = []
    for day, user_ids in by_day(dues):
        with_steps = set(
            morning_steps(day)
            .filter(plan__owner_id__in=user_ids)
            .values_list("plan__owner_id", flat=True)
            .distinct()
        )
        rows += [
            Row(user_id, day_key(day), {"date": day.isoformat()})
            for user_id in user_ids
            if user_id in with_steps
        ]
    return rows


def morning_unwanted(notification):
    if not morning_steps(the_day(notification)).filter(plan__owner=notification.user).exists():
        return "Nothing is due or overdue any more."
    return ""


def more_time_url(step, day):
    """The step's page, its reschedule form filled in with a later date; None for a step
    whose date was cleared since the email (it has no date to move)."""
    if step.due_date is None:
        return None
    new_date = max(day, step.due_date) + MORE_TIME
    path = reverse("plans-step-detail", args=[step.code])
    return absolute_url(f"{path}?new_date={new_date.isoformat()}#reschedule-title")


def morning_context(notification):
    day = the_day(notification)
    user = notification.user
    steps = morning_steps(day).filter(plan__owner=user).select_related("plan")
    listed = {
        "due": list(steps.due_today(day).order_by("position", "pk")[: LIST_LIMIT + 1]),
        "overdue": list(steps.overdue(day).order_by("due_date", "pk")[: LIST_LIMIT + 1]),
    }
    context = {
        "next_step": Step.objects.for_owner(user).select_related("plan").next_small_step(day),
    }
    for name, rows in listed.items():
        context[name] = [
            {
                "step": step,
                "done_url": absolute_url(
                    reverse("reminders-mail-done", args=[links.done_token(notification, step)])
                ),
                "more_time_url": more_time_url(step, day),
            }
            for step in rows[:LIST_LIMIT]
        ]
        context[f"more_{name}"] = len(rows) > LIST_LIMIT
        for row in context[name]:
            row["is_next"] = row["step"] == context["next_step"]
    # The next small step is named on its own only when it is not listed with its
    # buttons already (due today or overdue); a listed one is marked in its row.
    context["next_step_listed"] = any(
        row["is_next"] for row in (*context["due"], *context["overdue"])
    )
    return context


def morning_push(notification):
    context = morning_context(notification)
    due, overdue = len(context["due"]), len(context["overdue"])
    parts = []
    if due:
        parts.append(f"{due}{'+' if context['more_due'] else ''} due today")
    if overdue:
        parts.append(f"{overdue}{'+' if context['more_overdue'] else ''} overdue")
    first = (context["due"] or context["overdue"])[0]["step"].title if due or overdue else ""
    return {
        "title": ("Your steps: " + ", ".join(parts)) if parts else "Your steps for today",
        "body": first,
        "url": reverse("plans-dashboard"),
    }


# Weekly plan -----------------------------------------------------------------------


def weekly_due(dues, now):
    """Everyone whose weekly plan fired, except planners whose every plan is archived
    (they are resting). A planner with no plan yet gets it: it helps them start."""
    user_ids = [reminder.user_id for reminder, _ in dues]
    statuses = defaultdict(set)
    for owner_id, status in (
        Plan.objects.filter(owner_id__in=user_ids).values_list("owner_id", "status").distinct()
    ):
        statuses[owner_id].add(status)
    return [
        Row(reminder.user_id, week_key(day), {"date": day.isoformat()})
        for reminder, day in dues
        if not statuses[reminder.user_id] or Plan.Status.ACTIVE in statuses[reminder.user_id]
    ]


def weekly_unwanted(notification):
    plans = Plan.objects.for_owner(notification.user)
    if plans.exists() and not plans.active().exists():
        return "Every plan is archived."
    return ""


def weekly_context(notification):
    """Last week's done steps and rewards, this week's steps, the overdue ones, and the
    journal streak, on the planner's local day (the step states every page uses)."""
    day = the_day(notification)
    user = notification.user
    steps = Step.objects.for_owner(user).select_related("plan")
    # The week starts at midnight where the planner lives, not in UTC.
    week_start = occurrence(day - timedelta(days=7), time(0), user.zone)
    done = list(steps.done().filter(completed__gte=week_start).order_by("completed")[:LIST_LIMIT])
    return {
        "done": done,
        "rewards": [step for step in done if step.reward],
        "this_week": list(steps.due_this_week(day).order_by("due_date", "position")[:LIST_LIMIT]),
        "overdue": list(steps.overdue(day).order_by("due_date", "position")[:LIST_LIMIT]),
        "streaks": JournalEntry.objects.for_owner(user).streaks(day),
        "next_step": steps.next_small_step(day),
        "has_plans": Plan.objects.for_owner(user).exists(),
        "new_plan_url": absolute_url(reverse("plans-create")),
        "calendar_url": absolute_url(reverse("plans-calendar")),
    }


def weekly_push(notification):
    context = weekly_context(notification)
    body = f"{len(context['this_week'])} step(s) this week"
    if context["overdue"]:
        body += f", {len(context['overdue'])} overdue"
    if context["streaks"].current:
        body += f". Journal streak: {context['streaks'].current} day(s)"
    return {"title": "Your week ahead", "body": body + ".", "url": reverse("plans-dashboard")}


# Next small step nudge ------------------------------------------------------------


def plans_without_a_near_step(day):
    """Active plans with no open step dated from `day` to the end of "within the next
    week" (plans.tree.tree.latest_commit_date): time to ask for the next small step."""
    near = Step.objects.filter(
        plan=OuterRef("pk"),
        status=Step.Status.OPEN,
        due_date__gte=day,
        due_date__lte=latest_commit_date(day),
    )
    return Plan.objects.active().filter(~Exists(near))


def next_step_due(dues, now):
    """One nudge per plan that needs a step, unless that plan had one in the last
    NUDGE_EVERY days."""
    rows = []
    for day, user_ids in by_day(dues):
        plans = plans_without_a_near_step(day).filter(owner_id__in=user_ids)
        plans = list(plans.values_list("owner_id", "code"))
        recent = Notification.objects.filter(
            kind=Notification.Kind.NEXT_STEP,
            channel=Notification.Channel.EMAIL,
            user_id__in={owner_id for owner_id, _ in plans},
            created__gte=now - timedelta(days=NUDGE_EVERY + 1),
        ).values_list("key", flat=True)
        last_nudged = {}
        for key in recent:
            plan_code, nudged = _plan_and_day(key)
            last_nudged[plan_code] = max(nudged, last_nudged.get(plan_code, nudged))
        for owner_id, code in plans:
            last = last_nudged.get(str(code))
            if last is None or (day - last).days >= NUDGE_EVERY:
                rows.append(
                    Row(owner_id, plan_key(code, day), {"date": day.isoformat(), "plan": str(code)})
                )
    return rows


def nudged_plan(notification):
    if not hasattr(notification, "nudged_plan"):
        notification.nudged_plan = (
            Plan.objects.for_owner(notification.user)
            .filter(code=notification.payload["plan"])
            .first()
        )
    return notification.nudged_plan


def next_step_unwanted(notification):
    plan = nudged_plan(notification)
    if plan is None or plan.status != Plan.Status.ACTIVE:
        return "The plan is archived or deleted."
    if not plans_without_a_near_step(the_day(notification)).filter(pk=plan.pk).exists():
        return "The plan has a step dated in the next seven days now."
    return ""


def next_step_context(notification):
    plan = nudged_plan(notification)
    node = Tree.for_plan(plan).next_to_ask()
    return {
        "plan": plan,
        "question_about": describe(node, lower=True) if node is not None else "",
        "tree_url": absolute_url(reverse("plans-tree", args=[plan.code])),
    }


def next_step_push(notification):
    plan = nudged_plan(notification)
    return {
        "title": "What\u2019s your next small step?",
        "body": plan.goal,
        "url": reverse("plans-tree", args=[plan.code]),
    }


# Journal nudge --------------------------------------------------------------------


def journal_due(dues, now):
    rows = []
    for day, user_ids in by_day(dues):
        written = set(
            JournalEntry.objects.filter(owner_id__in=user_ids, date=day).values_list(
                "owner_id", flat=True
            )
        )
        rows += [
            Row(user_id, day_key(day), {"date": day.isoformat()})
            for user_id in user_ids
            if user_id not in written
        ]
    return rows


def journal_unwanted(notification):
    day = the_day(notification)
    if JournalEntry.objects.for_owner(notification.user).filter(date=day).exists():
        return "The day's journal entry is written."
    return ""


def journal_context(notification):
    return {
        "prompt": PROMPT,
        "streaks": JournalEntry.objects.for_owner(notification.user).streaks(the_day(notification)),
        "write_url": absolute_url(reverse("journals-write")),
    }


def journal_push(notification):
    streak = journal_context(notification)["streaks"].current
    body = f"Keep your {streak}-day streak going." if streak else "One line is enough."
    return {"title": PROMPT, "body": body, "url": reverse("journals-write")}


REMINDER_KINDS = {
    Kind.MORNING: ReminderKind(
        email=declare("reminder-morning", morning_unwanted, morning_context),
        due=morning_due,
        push=morning_push,
    ),
    Kind.WEEKLY: ReminderKind(
        email=declare("reminder-weekly", weekly_unwanted, weekly_context),
        due=weekly_due,
        push=weekly_push,
    ),
    Kind.NEXT_STEP: ReminderKind(
        email=declare("reminder-next-step", next_step_unwanted, next_step_context),
        due=next_step_due,
        push=next_step_push,
    ),
    Kind.JOURNAL: ReminderKind(
        email=declare("reminder-journal", journal_unwanted, journal_context),
        due=journal_due,
        push=journal_push,
        done_ahead=True,
    ),
}


def next_send(reminder, now):
    """When the reminder next sends, as things stand at `now` (None while it is off): its
    next instant, or, for a kind done ahead whose pass would write nothing for that day
    (today's journal entry is written), its instant on the day after."""
    if reminder.next_due is None or not REMINDER_KINDS[reminder.kind].done_ahead:
        return reminder.next_due
    day = local_day(reminder.next_due, reminder.user.zone)
    if REMINDER_KINDS[reminder.kind].due([(reminder, day)], now):
        return reminder.next_due
    return reminder.next_due_after_day(day, now)


def register_kinds():
    """Add the reminders to the outbox's table of email kinds (at the app's ready())."""
    for kind, declaration in REMINDER_KINDS.items():
        register(Notification.Kind(kind), declaration.email)
