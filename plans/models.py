import uuid
import zoneinfo
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from careerplan import versions
from careerplan.dates import EARLIEST, LATEST, validate_computable
from plans import signals
from plans.validators import validate_not_before

# A step's buddy check-up becomes due at this local time on the morning after its
# completion date: the planner had the whole day, and the buddy hears about it at a
# civil hour in the planner's zone.
CHECKUP_LOCAL_TIME = time(9, 0)


def checkup_instant(due_date, zone, at=CHECKUP_LOCAL_TIME):
    """Return the UTC instant the check-up for a step due on `due_date` becomes due.

    1. Take `at` (09:00) on the day after `due_date` as a wall-clock time in `zone`.
    2. If that wall-clock time does not exist (a DST gap, as on days whose clocks jump
       forward over it), zoneinfo with fold=0 resolves it with the offset from before
       the gap, which lands on the first real instant after it; normalising through UTC
       gives that instant.
    3. If it occurs twice (a DST overlap), fold=0 picks the first occurrence: the
       earlier of the two, so the check-up is never later than promised.

    A date outside the range the app computes with (careerplan.dates) has no check-up:
    one stored before the range was held must not stop a zone change or a save.
    """
    if not EARLIEST <= due_date <= LATEST:
        return None
    local = datetime.combine(due_date + timedelta(days=1), at, tzinfo=zone)
    return local.astimezone(UTC)


def local_midnight(day, zone):
    """Return the first instant of `day` in `zone`.

    Where a zone's clocks jump over midnight (a DST gap at 00:00, as in some American
    zones), the wall-clock midnight does not exist; zoneinfo with fold=0 gives it the
    offset from before the jump, which is the instant the new day begins. Where midnight
    repeats, fold=0 is its first occurrence: again the day's first instant. Normalised to
    UTC, because Python never calls a wall-clock time inside a gap equal to any instant.
    """
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


# "This week" is today and the six days after it, in the planner's zone.
WEEK = timedelta(days=6)


class State:
    """What a step is on the planner's local day: the one vocabulary of every list,
    chart, email and page (see step_state)."""

    DONE = "done"
    DROPPED = "dropped"
    OVERDUE = "overdue"  # open, and its completion date is before today
    DUE = "due"  # open, due today or in the six days after it
    UPCOMING = "upcoming"  # open, due later than this week
    UNDATED = "undated"  # open, with no date yet: still to break down (or broken down)


STATE_LABELS = {
    State.DONE: "Done",
    State.DROPPED: "Dropped",
    State.OVERDUE: "Overdue",
    # "Within 7 days", not "this week": the wall chart's weeks run Monday to Sunday.
    State.DUE: "Due in the next 7 days",
    State.UPCOMING: "Upcoming",
    State.UNDATED: "To break down",
}


def step_state(step, today):
    """Return the state of a step on the planner's local `today`.

    The one home of the rule: `step` is a Step or any row with `status` and `due_date`.
    A step due today is not overdue; it becomes overdue on the day after its date.
    """
    if step.status == "done":
        return State.DONE
    if step.status == "dropped":
        return State.DROPPED
    if step.due_date is None:
        return State.UNDATED
    if step.due_date < today:
        return State.OVERDUE
    if step.due_date <= today + WEEK:
        return State.DUE
    return State.UPCOMING


def date_has_come(step, today):
    """True for a step dated on or before the planner's local `today` (the boundary of the
    burn-up's "due by today"). An on-time rate judges such a step once it is done, or
    once it is overdue, the day after its date."""
    return step.due_date is not None and step.due_date <= today


def counts_towards_progress(step):
    """True for a step progress counts (the Python twin of counted_steps)."""
    return step.status != "dropped" and (step.due_date is not None or step.status == "done")


def counted_steps(prefix=""):
    """The steps progress counts, as a filter: not dropped, and dated or done (a tree
    step checked off before it had a date counts too). `counts_towards_progress` says the
    same of one row in Python. `prefix` is "steps__" from a plan."""
    status, dated = f"{prefix}status", f"{prefix}due_date__isnull"
    return ~Q(**{status: Step.Status.DROPPED}) & (
        Q(**{dated: False}) | Q(**{status: Step.Status.DONE})
    )


def to_break_down():
    """The steps still to break down, as a filter: open, undated, and nothing under them
    yet (one already broken down is represented by the steps under it). `is_to_break_down`
    says the same of one row in Python."""
    children = Step.objects.filter(parent=OuterRef("pk"))
    return Q(status=Step.Status.OPEN, due_date__isnull=True) & ~Exists(children)


def is_to_break_down(step, parents):
    """True for a step still to break down (the Python twin of to_break_down); `parents`
    holds the pk of every step of its plan that has a step under it."""
    return (
        step.status == Step.Status.OPEN
        and step.due_date is None
        and getattr(step, "pk", None) not in parents
    )


def count_progress(steps, today):
    """Return what StepQuerySet.progress counts, for steps already loaded (all of a plan's
    steps): the same keys by the same rules, for a page that holds the rows anyway.

    Rows need status and due_date, and pk and parent_id to tell a step already broken
    down from one still to break down.
    """
    steps = list(steps)
    parents = {getattr(step, "parent_id", None) for step in steps} - {None}
    states = [step_state(step, today) for step in steps]
    counts = {
        "total": sum(1 for step in steps if counts_towards_progress(step)),
        "done": states.count(State.DONE),
        "overdue": states.count(State.OVERDUE),
        "this_week": states.count(State.DUE),
        "upcoming": states.count(State.DUE) + states.count(State.UPCOMING),
        "dropped": states.count(State.DROPPED),
        "undated": sum(1 for step in steps if is_to_break_down(step, parents)),
    }
    counts["percent"] = percent_done(counts["done"], counts["total"])
    return counts


def percent_done(done, total):
    return round(100 * done / total) if total else 0


# The goal of a plan started from a first step alone ("start anywhere"): the planner
# sharpens it once they know more.
PLACEHOLDER_GOAL = "I will be working in a career I have chosen"


class PlanQuerySet(models.QuerySet):
    def for_owner(self, user):
        return self.filter(owner=user)

    def active(self):
        return self.filter(status=Plan.Status.ACTIVE)

    @transaction.atomic
    def start_anywhere(self, owner, first_step):
        """Create a plan with a placeholder goal and `first_step` due FIRST_STEP_DAYS from
        the owner's today: someone who does not know their goal yet still leaves with a
        dated step."""
        plan = self.create(owner=owner, goal=PLACEHOLDER_GOAL)
        plan.add_step(first_step, owner.local_today() + Step.FIRST_STEP_DAYS)
        return plan

    def with_progress(self):
        """Annotate `steps_total` (the steps progress counts) and `steps_done`, in one query."""
        return self.annotate(
            steps_total=models.Count("steps", filter=counted_steps("steps__")),
            steps_done=models.Count("steps", filter=Q(steps__status=Step.Status.DONE)),
        )


class Plan(models.Model):
    """A career goal stated SMART and in positive terms, and everything done towards it."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ARCHIVED = "archived", "Archived"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="plans")
    goal = models.CharField(
        "your goal",
        max_length=300,
        help_text="Say where you are going, in positive terms: “I will be running …”.",
    )
    measure = models.TextField(
        "how you will know you have arrived",
        max_length=1000,
        blank=True,
        help_text="What will be true, that you could show someone, on the day you arrive?",
    )
    relevance = models.TextField(
        "why it matters to you",
        max_length=1000,
        blank=True,
        help_text="What this change gives you that you want.",
    )
    target_date = models.DateField(
        "target date", null=True, blank=True, validators=[validate_computable]
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    is_example = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    objects = PlanQuerySet.as_manager()

    class Meta:
        indexes = [
            # Used by the dashboard and the plan list: a person's plans, newest first.
            models.Index(fields=["owner", "status", "-created"], name="plan_owner_status_idx"),
        ]

    def __str__(self):
        return self.goal

    def get_absolute_url(self):
        return reverse("plans-detail", args=[self.code])

    @contextmanager
    def lock(self):
        """Open a transaction holding this plan's row locked until the block ends.

        Changes that check a rule across the plan's steps (the tree's limits, positions
        among siblings) run inside it, so two tabs cannot both pass the same check.
        SQLite has no row locks but lets one writer in at a time, which serves the same.
        """
        with transaction.atomic():
            Plan.objects.select_for_update().filter(pk=self.pk).values_list("pk").get()
            yield self

    @property
    def is_archived(self):
        """Resting: off the dashboard, and nothing sent about it (reminders, buddy emails)."""
        return self.status == Plan.Status.ARCHIVED

    def archive(self):
        """Rest the plan: off the dashboard and out of buddy emails, still editable.
        Return False if it was archived already."""
        return self._change_status(Plan.Status.ARCHIVED)

    def reactivate(self):
        """Bring an archived plan back; return False if it was active already."""
        return self._change_status(Plan.Status.ACTIVE)

    def _change_status(self, status):
        # One conditional UPDATE: a double submit or a second tab changes nothing twice.
        now = timezone.now()
        changed = (
            Plan.objects.filter(pk=self.pk)
            .exclude(status=status)
            .update(status=status, updated=now)
        )
        self.status = status
        if changed:
            self.updated = now
            versions.changed(self)
        return bool(changed)

    @transaction.atomic
    def add_step(self, title, due_date=None, *, source="direct", parent=None, **fields):
        """Create a step at the end of its siblings; a dated one is a commitment."""
        step = Step(
            plan=self,
            title=title,
            due_date=due_date,
            source=source,
            parent=parent,
            position=_next_position(self.steps.filter(parent=parent)),
            **fields,
        )
        step.save()
        if due_date is not None:
            record_commitment(step)
        return step


class StepQuerySet(models.QuerySet):
    def for_owner(self, user):
        """The person's steps in their active plans (archived plans rest)."""
        return self.filter(plan__owner=user, plan__status=Plan.Status.ACTIVE)

    def progress(self, today):
        """Count steps by state, in one query: total (counted_steps), done, overdue, due
        this week, upcoming (due this week or later), dropped, and those still to break
        down (to_break_down). Every page that shows these numbers reads them here."""
        counts = self.aggregate(
            total=models.Count("pk", filter=counted_steps()),
            done=models.Count("pk", filter=Q(status=Step.Status.DONE)),
            overdue=models.Count("pk", filter=overdue_filter(today)),
            this_week=models.Count("pk", filter=due_this_week_filter(today)),
            upcoming=models.Count("pk", filter=upcoming_filter(today)),
            dropped=models.Count("pk", filter=Q(status=Step.Status.DROPPED)),
            undated=models.Count("pk", filter=to_break_down()),
        )
        counts["percent"] = percent_done(counts["done"], counts["total"])
        return counts

    def due_counts(self, today):
        """Count open steps overdue and due this week, in one query."""
        return self.aggregate(
            overdue=models.Count("pk", filter=overdue_filter(today)),
            this_week=models.Count("pk", filter=due_this_week_filter(today)),
        )

    def done_on(self, day, zone):
        """Steps checked off on the local date `day` in `zone` (the planner's day, as the
        journal shows it)."""
        return self.filter(
            status=Step.Status.DONE,
            completed__gte=local_midnight(day, zone),
            completed__lt=local_midnight(day + timedelta(days=1), zone),
        )

    def open(self):
        return self.filter(status=Step.Status.OPEN)

    def done(self):
        return self.filter(status=Step.Status.DONE)

    def dated(self):
        """Action steps: those with a completion date (undated ones still need breaking down)."""
        return self.filter(due_date__isnull=False)

    def counted(self):
        """The steps progress counts (counted_steps)."""
        return self.filter(counted_steps())

    def to_break_down(self):
        """Open, undated steps with nothing under them yet."""
        return self.filter(to_break_down())

    def overdue(self, today):
        """Open steps whose completion date is before the planner's `today`."""
        return self.filter(overdue_filter(today))

    def due_this_week(self, today):
        """Open steps due today or in the six days after it."""
        return self.filter(due_this_week_filter(today))

    def upcoming(self, today):
        """Open steps due today or later (this week's included)."""
        return self.filter(upcoming_filter(today))

    def due_today(self, today):
        """Open steps due on the planner's `today`."""
        return self.filter(due_today_filter(today))

    def due_by(self, today):
        """Open steps due on the planner's `today` or overdue on it."""
        return self.filter(due_today_filter(today) | overdue_filter(today))

    def next_small_step(self, today):
        """Return "your next small step" (choose_next_small_step) from these steps."""
        steps = self.open().dated().order_by("due_date", "position", "pk")
        return choose_next_small_step(
            lambda: steps.filter(due_date__gte=today).first(), lambda: steps.first()
        )

    def checkup_due(self, now):
        """Return open steps whose check-up instant has passed and that no sweep has claimed.

        The filter matches the partial index `step_checkup_sweep_idx` exactly, so the
        sweep's cost follows the due rows, not the size of the table.
        """
        return self.filter(
            status=Step.Status.OPEN,
            checkup_claimed__isnull=True,
            checkup_due__isnull=False,
            checkup_due__lte=now,
        )

    def recompute_checkups(self):
        """Recompute `checkup_due` for these steps (after a change of the planner's zone,
        or an import); return how many steps that is.

        An open dated step's instant depends only on its date and its planner's zone
        (`compute_checkup_due`), so it is one UPDATE per date and zone, however many
        steps share them: years of steps are a few hundred statements, not a row each.
        """
        open_dated = Q(status=Step.Status.OPEN, due_date__isnull=False)
        self.exclude(open_dated).exclude(checkup_due=None).update(checkup_due=None)
        dates_and_zones = (
            self.filter(open_dated).values_list("due_date", "plan__owner__tz").distinct()
        )
        for day, tz in dates_and_zones:
            self.filter(open_dated, due_date=day, plan__owner__tz=tz).update(
                checkup_due=checkup_instant(day, zoneinfo.ZoneInfo(tz))
            )
        return self.count()


def choose_next_small_step(ahead, overdue):
    """The rule of "your next small step": the earliest open step dated today or later,
    else the oldest overdue one (None if neither). `ahead` and `overdue` give each
    candidate when called, so a page that has them loaded already asks nothing more."""
    return ahead() or overdue()


def overdue_filter(today):
    return Q(status=Step.Status.OPEN, due_date__lt=today)


def due_this_week_filter(today):
    return Q(status=Step.Status.OPEN, due_date__gte=today, due_date__lte=today + WEEK)


def upcoming_filter(today):
    return Q(status=Step.Status.OPEN, due_date__gte=today)


def due_today_filter(today):
    return Q(status=Step.Status.OPEN, due_date=today)


class Step(models.Model):
    """A small step towards a plan's goal, with a completion date and an optional reward.

    Steps form the reverse-engineering tree through `parent` (None: directly under the
    goal). A step with a `due_date` is an action step; one without still needs breaking
    down ("What would I have to have done first?").
    """

    # A first step is dated three days out, inside the five days a first step should take.
    WEEK = WEEK
    FIRST_STEP_DAYS = timedelta(days=3)

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    class Source(models.TextChoices):
        DIRECT = "direct", "Added directly"
        GROW = "grow", "Committed on a GROW sheet"
        TREE = "tree", "Reverse engineering"
        EXAMPLE = "example", "Worked example"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(Plan, models.CASCADE, related_name="steps")
    parent = models.ForeignKey(
        "self", models.CASCADE, null=True, blank=True, related_name="children"
    )
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    notes = models.TextField(max_length=2000, blank=True)
    due_date = models.DateField(
        "completion date", null=True, blank=True, validators=[validate_computable]
    )
    reward = models.CharField(
        max_length=200,
        blank=True,
        help_text="Something to look forward to, e.g. “a trip to the cinema”.",
    )
    reward_enjoyed = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.DIRECT)
    created = models.DateTimeField(default=timezone.now)
    completed = models.DateTimeField(null=True, blank=True)
    # The UTC instant the buddy check-up becomes due (None for undated or closed steps),
    # and the instant a sweep claimed it (the check-up is then made exactly once).
    checkup_due = models.DateTimeField(null=True, blank=True)
    checkup_claimed = models.DateTimeField(null=True, blank=True)

    objects = StepQuerySet.as_manager()

    class Meta:
        indexes = [
            # Used by the check-up sweep (StepQuerySet.checkup_due): only open, unclaimed
            # steps with a due instant are in the index, so it stays small.
            models.Index(
                fields=["checkup_due"],
                name="step_checkup_sweep_idx",
                condition=Q(status="open", checkup_claimed__isnull=True)
                & Q(checkup_due__isnull=False),
            ),
            # Used by the plan page, tree and wall chart: a plan's steps in order.
            models.Index(fields=["plan", "parent", "position"], name="step_plan_tree_idx"),
            # Used by the dashboard and journal: a plan's steps by date and state.
            models.Index(fields=["plan", "status", "due_date"], name="step_plan_due_idx"),
            # Used by the journal: steps completed on a day.
            models.Index(fields=["plan", "completed"], name="step_plan_completed_idx"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # Keep the check-up instant true to the date and state on every save that may
        # change them, so no caller can forget it.
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"due_date", "status"} & set(update_fields):
            self.checkup_due = self.compute_checkup_due()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "checkup_due"}
        super().save(*args, **kwargs)

    def compute_checkup_due(self):
        if self.status != Step.Status.OPEN or self.due_date is None:
            return None
        return checkup_instant(self.due_date, self.plan.owner.zone)

    def state(self, today):
        """The step's State on the planner's local `today` (step_state)."""
        return step_state(self, today)

    @property
    def can_move_date(self):
        """An open, dated step can be given a new date (an undated one gets its first date
        in the tree; a closed one must be reopened first)."""
        return self.status == Step.Status.OPEN and self.due_date is not None

    def validate_new_date(self, value, today=None):
        """Raise ValidationError if `value` cannot be this step's new completion date.

        The one rule for moving a date, wherever the move comes from (the step page, a
        check-up answer): not before today in the planner's zone, and not the date it
        already has.
        """
        if self.status != Step.Status.OPEN:
            raise ValidationError(
                "This step is %(state)s, so its date stays as it is. Reopen it to give it "
                "a new date.",
                code="closed",
                params={"state": self.get_status_display().lower()},
            )
        validate_not_before(value, today or self.plan.owner.local_today())
        if value == self.due_date:
            raise ValidationError(
                "That is the date it already has: choose another.", code="same_date"
            )

    def new_date_range(self, today):
        """`earliest` and `example_after` for a field asking for this step's new date
        (careerplan.dates.DateField.set_range), from validate_new_date's rule: from today
        on, and an example after the date it already has, which is refused."""
        return {"earliest": today, "example_after": max(today, self.due_date or today)}

    @transaction.atomic
    def enjoy_reward(self, now=None):
        """Record that the reward for a done step was enjoyed (once)."""
        if self.status != Step.Status.DONE or not self.reward or self.reward_enjoyed:
            return False
        self.reward_enjoyed = now or timezone.now()
        self.save(update_fields=["reward_enjoyed"])
        return True

    @transaction.atomic
    def mark_done(self, now=None, note=""):
        """Check the step off, with the planner's own words about it if they gave some;
        return True if it changed (False if it was already done)."""
        now = now or timezone.now()
        changed = (
            Step.objects.filter(pk=self.pk)
            .exclude(status=Step.Status.DONE)
            .update(status=Step.Status.DONE, completed=now, checkup_due=None)
        )
        if changed:
            self.status, self.completed, self.checkup_due = Step.Status.DONE, now, None
            versions.changed(self)
            StepEvent.objects.create(step=self, kind=StepEvent.Kind.DONE, reason=note, created=now)
            signals.step_done.send(sender=Step, step=self, note=note)
        return bool(changed)

    def _change_status(self, status):
        """Move the step to `status` if it is not there already, as one conditional
        UPDATE (of two tabs or requests at once, one changes it and the other finds it
        changed); return True if this call changed it. The check-up instant follows."""
        self.status, self.completed = status, None
        checkup_due = self.compute_checkup_due()
        changed = (
            Step.objects.filter(pk=self.pk)
            .exclude(status=status)
            .update(status=status, completed=None, checkup_due=checkup_due)
        )
        self.refresh_from_db(fields=["status", "completed", "checkup_due"])
        if changed:
            versions.changed(self)
        return bool(changed)

    @transaction.atomic
    def mark_open(self, now=None):
        """Undo a check-off or a drop; the check-up is due again if the date is past.
        Return False, writing nothing, if it was open already."""
        if not self._change_status(Step.Status.OPEN):
            return False
        StepEvent.objects.create(
            step=self, kind=StepEvent.Kind.REOPENED, created=now or timezone.now()
        )
        signals.step_reopened.send(sender=Step, step=self)
        return True

    @transaction.atomic
    def mark_dropped(self, reason="", now=None):
        """Drop the step with an optional reason; it stays in the history and can reopen.
        Return False, writing nothing, if it was dropped already."""
        if not self._change_status(Step.Status.DROPPED):
            return False
        StepEvent.objects.create(
            step=self, kind=StepEvent.Kind.DROPPED, reason=reason, created=now or timezone.now()
        )
        signals.step_dropped.send(sender=Step, step=self, reason=reason)
        return True

    @transaction.atomic
    def reschedule(self, new_date, reason, now=None):
        """Move the completion date of an open step, keeping the old date and the reason
        in the history; return False, changing nothing, if the step is done or dropped
        (checked under the row's lock: a check-off in another tab may have come first)."""
        now = now or timezone.now()
        # The date as it stands under the lock: another move may have come first.
        found = list(
            Step.objects.select_for_update()
            .filter(pk=self.pk, status=Step.Status.OPEN)
            .values_list("due_date", flat=True)
        )
        if not found:
            return False
        [old_date] = found
        self.due_date = new_date
        # A new date is a new promise: its check-up has not been made yet.
        self.checkup_claimed = None
        self.save(update_fields=["due_date", "checkup_claimed"])
        StepEvent.objects.create(
            step=self,
            kind=StepEvent.Kind.RESCHEDULED,
            old_date=old_date,
            new_date=new_date,
            reason=reason,
            created=now,
        )
        signals.step_rescheduled.send(sender=Step, step=self, old_date=old_date, reason=reason)
        return True

    @transaction.atomic
    def commit(self, due_date, reward="", now=None):
        """Give an undated step (a tree node) its completion date, and a reward if one is
        given: it becomes an action step the planner has committed to, and buddies are
        told."""
        now = now or timezone.now()
        self.due_date = due_date
        self.checkup_claimed = None
        fields = ["due_date", "checkup_claimed"]
        if reward:
            self.reward = reward
            fields.append("reward")
        self.save(update_fields=fields)
        record_commitment(self, now)

    # Position among siblings: a step's place under its parent (or the goal) is its
    # `position`, ties broken by pk, the order Tree.for_plan reads them in. A new step
    # goes last (Plan.add_step); moves hold the plan's lock, so two tabs never renumber
    # the same siblings at once.

    def siblings(self):
        """The steps under the same parent (or the goal), itself included, in order."""
        return Step.objects.filter(plan_id=self.plan_id, parent_id=self.parent_id).order_by(
            "position", "pk"
        )

    def move_under(self, parent):
        """Move the step, with every step under it, to the end of `parent`'s steps (None:
        directly under the goal). The tree's limits are the caller's to check."""
        with self.plan.lock():
            self.parent = parent
            self.position = _next_position(Step.objects.filter(plan_id=self.plan_id, parent=parent))
            self.save(update_fields=["parent", "position"])

    def move(self, direction):
        """Swap the step with its neighbour "up" or "down" among its siblings; return False
        at either end, where nothing changes."""
        with self.plan.lock():
            order = list(self.siblings())
            index = next(i for i, sibling in enumerate(order) if sibling.pk == self.pk)
            other = index - 1 if direction == "up" else index + 1
            if not 0 <= other < len(order):
                return False
            order[index], order[other] = order[other], order[index]
            _renumber(order)
        return True

    def delete_lifting_children(self):
        """Delete the step; the steps directly under it move up into its place among its
        siblings, in their order, each with everything under it."""
        with self.plan.lock():
            children = list(self.children.order_by("position", "pk"))
            order = []
            for sibling in self.siblings():
                order.extend(children if sibling.pk == self.pk else [sibling])
            for child in children:
                child.parent_id = self.parent_id
            _renumber(order, "parent", "position")
            self.delete()


def _renumber(steps, *fields):
    """Number `steps` 0, 1, 2... in the order given and save `fields` (position at least)."""
    for position, step in enumerate(steps):
        step.position = position
    Step.objects.bulk_update(steps, fields or ["position"])
    if steps:
        versions.changed(steps[0])  # steps of one plan: one owner


def commitment_notice(step):
    """What the planner is told on committing to `step` about who hears of it: nothing
    when no one does. The buddies app gathers commitments for five minutes
    (buddies.receivers.COMMITMENT_GATHER), so a burst of them is one email."""
    told = getattr(step, "buddies_told", 0)
    if not told:
        return ""
    who = "Your buddy hears" if told == 1 else "Your buddies hear"
    return f"{who} about it in one email within about five minutes."


def record_commitment(step, now=None):
    """Write the `committed` event for a dated step and tell the other apps; the step's
    `buddies_told` is how many people they say they will tell (commitment_notice)."""
    StepEvent.objects.create(
        step=step,
        kind=StepEvent.Kind.COMMITTED,
        new_date=step.due_date,
        created=now or timezone.now(),
    )
    answers = signals.step_committed.send(sender=Step, step=step)
    step.buddies_told = sum(told for _receiver, told in answers if isinstance(told, int))


class StepEvent(models.Model):
    """What happened to a step and when: the history the planner and buddies see.

    `committed` events are written when the planner commits to a step (on a GROW sheet's
    Way forward, or by giving a tree node a date); the buddies app turns them into
    commitment emails.
    """

    class Kind(models.TextChoices):
        COMMITTED = "committed", "Committed"
        DONE = "done", "Done"
        REOPENED = "reopened", "Reopened"
        DROPPED = "dropped", "Dropped"
        RESCHEDULED = "rescheduled", "Rescheduled"

    step = models.ForeignKey(Step, models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    created = models.DateTimeField(default=timezone.now)
    old_date = models.DateField(null=True, blank=True)
    new_date = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            # Used by the commitment emails: recent commitments, oldest first.
            models.Index(fields=["kind", "created"], name="stepevent_kind_created_idx"),
            # Used by a step's history.
            models.Index(fields=["step", "created"], name="stepevent_step_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.step}"


class GrowSessionQuerySet(models.QuerySet):
    def with_counts(self):
        """Annotate obstacle_count, option_count and committed_count, in one query."""
        return self.annotate(
            obstacle_count=_count_per_session(Obstacle),
            option_count=_count_per_session(Option),
            committed_count=_count_per_session(Option, step__isnull=False),
        )


def _count_per_session(model, **filters):
    """Count a session's related rows in a subquery (two joined counts would multiply)."""
    rows = (
        model.objects.filter(session=OuterRef("pk"), **filters)
        .order_by()
        .values("session")
        .annotate(n=models.Count("pk"))
        .values("n")
    )
    return Coalesce(models.Subquery(rows, output_field=models.IntegerField()), 0)


class GrowSession(models.Model):
    """One run-through of the GROW sheet for a plan: Goal, Reality, Obstacles and
    Options, Way forward. Numbered from 1; earlier ones stay readable."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(Plan, models.CASCADE, related_name="grow_sessions")
    number = models.PositiveIntegerField()
    goal = models.TextField("goal", max_length=1000, blank=True)
    reality = models.TextField("your current situation", max_length=3000, blank=True)
    discoveries = models.TextField(
        "what you have found out about yourself", max_length=3000, blank=True
    )
    steps_taken = models.TextField(
        "positive steps you have already taken", max_length=3000, blank=True
    )
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    objects = GrowSessionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="grow_plan_number_uniq"),
        ]

    def __str__(self):
        return f"GROW #{self.number} for {self.plan}"

    @cached_property
    def latest_number(self):
        """The number of the plan's latest run-through, the only one that can change
        (one query, then kept for this instance: a request asks twice)."""
        return self.plan.grow_sessions.aggregate(latest=models.Max("number"))["latest"]

    @classmethod
    @transaction.atomic
    def start_next(cls, plan):
        """Start the plan's next run-through, pre-filled from the last one.

        1. Number it one after the last (1 for the first). If two starts race, the unique
           (plan, number) constraint refuses the second with IntegrityError.
        2. Copy the goal and the three reality texts from the last sheet; the first sheet
           starts from the plan's goal.
        3. Copy the last sheet's obstacles, and its options not yet committed (a committed
           one is already a step), keeping which obstacle each option answers.
        """
        last = plan.grow_sessions.order_by("-number").first()
        if last is None:
            return cls.objects.create(plan=plan, number=1, goal=plan.goal)
        session = cls.objects.create(
            plan=plan,
            number=last.number + 1,
            goal=last.goal,
            reality=last.reality,
            discoveries=last.discoveries,
            steps_taken=last.steps_taken,
        )
        obstacles = list(last.obstacles.order_by("position", "pk"))
        copies = Obstacle.objects.bulk_create(
            Obstacle(session=session, kind=o.kind, text=o.text, position=o.position)
            for o in obstacles
        )
        copy_of = {old.pk: new for old, new in zip(obstacles, copies, strict=True)}
        Option.objects.bulk_create(
            Option(
                session=session,
                text=o.text,
                prompt=o.prompt,
                obstacle=copy_of.get(o.obstacle_id),
                position=o.position,
            )
            for o in last.options.filter(step__isnull=True).order_by("position", "pk")
        )
        return session

    def add_obstacle(self, text, kind):
        return Obstacle.objects.create(
            session=self, text=text, kind=kind, position=_next_position(self.obstacles)
        )

    def add_option(self, text, prompt="", obstacle=None):
        return Option.objects.create(
            session=self,
            text=text,
            prompt=prompt,
            obstacle=obstacle,
            position=_next_position(self.options),
        )


def _next_position(related):
    last = related.aggregate(models.Max("position"))["position__max"]
    return 0 if last is None else last + 1


class Obstacle(models.Model):
    class Kind(models.TextChoices):
        PRACTICAL = "practical", "Practical"
        PEOPLE = "people", "Other people"
        MYSELF = "myself", "Myself (attitudes and beliefs)"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(GrowSession, models.CASCADE, related_name="obstacles")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PRACTICAL)
    text = models.CharField(max_length=300)
    position = models.PositiveIntegerField(default=0)

    def __str__(self):
        return self.text


class Option(models.Model):
    """A brainstormed option; committing it on the Way forward makes it a dated step."""

    class Prompt(models.TextChoices):
        ELSE = "else", "What else could I do?"
        HELP = "help", "Who could help?"
        SOMEONE = "someone", "What would someone else in your place do?"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    session = models.ForeignKey(GrowSession, models.CASCADE, related_name="options")
    # An option becomes a step's title when committed, so it has the same limit.
    text = models.CharField(max_length=200)
    prompt = models.CharField(max_length=10, choices=Prompt.choices, blank=True)
    obstacle = models.ForeignKey(
        Obstacle, models.SET_NULL, null=True, blank=True, related_name="options"
    )
    step = models.OneToOneField(Step, models.SET_NULL, null=True, blank=True, related_name="option")
    position = models.PositiveIntegerField(default=0)

    class AlreadyCommitted(Exception):
        """The option is already a step: committing it again would make a second one."""

    def __str__(self):
        return self.text

    def commit(self, due_date, reward=""):
        """Commit to the option: it becomes a dated step on the plan and buddies are told.

        1. Create the step through Plan.add_step, which writes the `committed` event and
           sends `step_committed`.
        2. Claim the option with a conditional UPDATE: if another request committed it
           first (a double submit, a second tab), nothing is claimed, AlreadyCommitted is
           raised and the savepoint takes the new step, its event and its email back.
        """
        with transaction.atomic():
            step = self.session.plan.add_step(
                self.text, due_date, source=Step.Source.GROW, reward=reward
            )
            if not Option.objects.filter(pk=self.pk, step__isnull=True).update(step=step):
                raise Option.AlreadyCommitted
        self.step = step
        return step


# Models of the feature packages, so Django finds them with the app's own.
from plans.calendar.models import CalendarFeed  # noqa: E402, F401
