"""The journal as days: each local day's entry beside the steps done and rewards earned.

Steps store when they were done as a UTC instant (`Step.completed`); the journal shows
them on the planner's local date. Every function here runs a fixed number of queries,
whatever the length of the journal.
"""

import calendar
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate

from journals.models import JournalEntry
from plans.models import Step, local_midnight

DAYS_PER_PAGE = 30


@dataclass
class JournalDay:
    """One local day of the journal: the entry, if written, and what got done."""

    date: date
    entry: JournalEntry | None = None
    steps: list = field(default_factory=list)

    @property
    def rewards(self):
        return [step for step in self.steps if step.reward]


def done_steps(owner, plans=None):
    """The owner's done steps (only those in `plans`, when given: a buddy's share)."""
    steps = Step.objects.done().filter(plan__owner=owner, completed__isnull=False)
    if plans is not None:
        steps = steps.filter(plan__in=plans)
    return steps


def steps_by_day(owner, start=None, end=None, plans=None):
    """Map each local date from `start` to before `end` to the steps done that day."""
    zone = owner.zone
    steps = done_steps(owner, plans).select_related("plan")
    if start is not None:
        steps = steps.filter(completed__gte=local_midnight(start, zone))
    if end is not None:
        steps = steps.filter(completed__lt=local_midnight(end, zone))
    by_day = defaultdict(list)
    for step in steps.annotate(day=TruncDate("completed", tzinfo=zone)).order_by("completed", "pk"):
        by_day[step.day].append(step)
    return by_day


_UNKNOWN = object()


def journal_day(owner, day, entry=_UNKNOWN):
    """Return the JournalDay for one date (two queries; one when the entry is given)."""
    if entry is _UNKNOWN:
        entry = JournalEntry.objects.for_owner(owner).filter(date=day).first()
    steps = steps_by_day(owner, day, day + timedelta(days=1)).get(day, [])
    return JournalDay(date=day, entry=entry, steps=steps)


def journal_days(owner, before=None, limit=DAYS_PER_PAGE, plans=None):
    """Return (days, older): up to `limit` days with an entry or a done step, newest first,
    strictly before the date `before` (None: up to now), and the `before` of the next
    page (None when there is nothing older).

    1. The newest `limit + 1` entries and the newest `limit + 1` distinct local dates with
       a done step (the database converts each instant to the planner's zone).
    2. Their union, newest first, cut to `limit` days: the page's window.
    3. The steps done inside that window, grouped by the same database conversion to local dates.
    Three queries, whatever the journal's length.
    """
    zone = owner.zone
    entries = JournalEntry.objects.for_owner(owner)
    steps = done_steps(owner, plans)
    if before is not None:
        entries = entries.filter(date__lt=before)
        steps = steps.filter(completed__lt=local_midnight(before, zone))
    entries = list(entries.order_by("-date")[: limit + 1])
    step_dates = list(
        steps.annotate(day=TruncDate("completed", tzinfo=zone))
        .order_by("-day")
        .values_list("day", flat=True)
        .distinct()[: limit + 1]
    )
    dates = sorted({e.date for e in entries} | set(step_dates), reverse=True)
    older = dates[limit - 1] if len(dates) > limit else None
    dates = dates[:limit]
    if not dates:
        return [], None
    window_start, window_end = dates[-1], dates[0] + timedelta(days=1)
    entry_on = {e.date: e for e in entries}
    done_on = steps_by_day(owner, window_start, window_end, plans)
    days = [JournalDay(date=d, entry=entry_on.get(d), steps=done_on.get(d, [])) for d in dates]
    return days, older


def all_journal_days(owner, start=None, end=None):
    """Every day with an entry or a done step from `start` to `end` (both included),
    oldest first: for exports. Two queries."""
    entries = JournalEntry.objects.for_owner(owner).between(start, end).order_by("date")
    entry_on = {e.date: e for e in entries}
    done_on = steps_by_day(owner, start, end + timedelta(days=1) if end else None)
    dates = sorted(set(entry_on) | set(done_on))
    return [JournalDay(date=d, entry=entry_on.get(d), steps=done_on.get(d, [])) for d in dates]


@dataclass
class CalendarDay:
    date: date
    entry_code: object  # the entry's UUID, None if the day has no entry
    steps: int
    future: bool

    @property
    def journaled(self):
        return self.entry_code is not None

    @property
    def level(self):
        """Heat level 0-3 by steps done (the legend explains each)."""
        if self.steps == 0:
            return 0
        if self.steps == 1:
            return 1
        return 2 if self.steps <= 3 else 3


@dataclass
class CalendarMonth:
    first: date
    weeks: list  # of 7-item lists: CalendarDay, or None outside the month

    @property
    def days(self):
        return [d for week in self.weeks for d in week if d is not None]

    @property
    def journaled(self):
        return sum(d.journaled for d in self.days)

    @property
    def steps(self):
        return sum(d.steps for d in self.days)


@dataclass
class YearCalendar:
    year: int
    months: list

    @property
    def days(self):
        return [d for m in self.months for d in m.days]

    @property
    def journaled(self):
        return sum(m.journaled for m in self.months)

    @property
    def steps(self):
        return sum(m.steps for m in self.months)

    @property
    def active_days(self):
        return sum(d.steps > 0 for d in self.days)


def step_counts_by_day(owner, start, end):
    """Count the steps done on each local date from `start` to before `end` (one query:
    the database converts each instant to the planner's zone and counts per date)."""
    zone = owner.zone
    counts = (
        done_steps(owner)
        .filter(completed__gte=local_midnight(start, zone), completed__lt=local_midnight(end, zone))
        .annotate(day=TruncDate("completed", tzinfo=zone))
        .order_by()
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    return Counter(dict(counts))


def year_calendar(owner, year, entry_codes, today):
    """Build the year's heat map: months of Monday-first weeks, each day with its entry
    and its count of steps done (one query; `entry_codes` maps each journaled date to its
    entry's code, fetched by the caller, who needs the dates for the streaks anyway).

    Months come newest first, as the journal's days do, and this year stops at this
    month: on a phone, where the months stack, this month is the first thing seen.
    """
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    counts = step_counts_by_day(owner, start, end)
    weeks_of = calendar.Calendar(firstweekday=calendar.MONDAY).monthdatescalendar
    last = today.month if year == today.year else 12
    months = []
    for month in range(last, 0, -1):
        weeks = [
            [
                CalendarDay(d, entry_codes.get(d), counts.get(d, 0), d > today)
                if d.month == month
                else None
                for d in week
            ]
            for week in weeks_of(year, month)
        ]
        months.append(CalendarMonth(first=date(year, month, 1), weeks=weeks))
    return YearCalendar(year=year, months=months)
