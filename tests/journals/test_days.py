"""The journal as days: entries and steps done meet on the planner's local date."""

import datetime as dt

import pytest

from journals import days as journal
from journals.models import JournalEntry
from plans.models import Step
from tests.factories import PlanFactory, StepFactory
from tests.journals.conftest import utc

D = dt.date

pytestmark = pytest.mark.usefixtures("frozen")


def test_days_with_only_steps_done_appear_without_an_entry(owner, make_entry, done_step):
    make_entry(D(2026, 11, 23))
    done_step(utc(2026, 11, 22, 9), title="Only a step", reward="a walk")
    days, older = journal.journal_days(owner)
    assert [(d.date, d.entry is not None) for d in days] == [
        (D(2026, 11, 23), True),
        (D(2026, 11, 22), False),
    ]
    assert [s.title for s in days[1].steps] == ["Only a step"]
    assert [s.reward for s in days[1].rewards] == ["a walk"]
    assert older is None


def test_steps_not_done_are_not_in_the_journal(owner, plan, done_step):
    dropped = done_step(utc(2026, 11, 20, 9), title="Dropped later")
    dropped.mark_dropped(reason="Not for me")
    reopened = done_step(utc(2026, 11, 21, 9), title="Reopened")
    reopened.mark_open()
    StepFactory(plan=plan, title="Still open")
    assert journal.journal_days(owner) == ([], None)


def test_other_peoples_steps_and_entries_stay_out(owner, stranger, make_entry):
    make_entry(D(2026, 11, 23), text="Not mine", who=stranger)
    StepFactory(plan=PlanFactory(owner=stranger)).mark_done(now=utc(2026, 11, 23, 9))
    assert journal.journal_days(owner) == ([], None)
    assert journal.all_journal_days(owner) == []


def test_days_come_in_pages_of_thirty_newest_first(owner, make_entry, done_step):
    # 40 days of entries, and steps on 10 earlier days without entries.
    for n in range(40):
        make_entry(D(2026, 11, 24) - dt.timedelta(days=n), text=f"Entry {n}")
    for n in range(40, 50):
        done_step(utc(2026, 11, 24, 9) - dt.timedelta(days=n), title=f"Step {n}")
    first, older = journal.journal_days(owner)
    assert len(first) == 30
    assert first[0].date == D(2026, 11, 24)
    assert older == first[-1].date == D(2026, 10, 26)
    second, older = journal.journal_days(owner, before=older)
    assert len(second) == 20
    assert second[0].date == D(2026, 10, 25)
    assert [s.title for s in second[-1].steps] == ["Step 49"]
    assert older is None


def test_many_steps_on_one_day_make_one_day(owner, done_step):
    for minute in range(5):
        done_step(utc(2026, 11, 23, 9, minute), title=f"Step {minute}")
    days, _ = journal.journal_days(owner)
    assert len(days) == 1
    assert [s.title for s in days[0].steps] == [f"Step {m}" for m in range(5)]


def test_a_buddys_view_shows_steps_of_shared_plans_only(owner, plan, done_step, make_entry):
    make_entry(D(2026, 11, 23), text="Shared entry")
    private_plan = PlanFactory(owner=owner, goal="A private plan")
    done_step(utc(2026, 11, 23, 9), title="Shared step")
    done_step(utc(2026, 11, 22, 9), title="Private step", on_plan=private_plan)
    shared = owner.plans.filter(pk=plan.pk)
    days, _ = journal.journal_days(owner, plans=shared)
    assert [d.date for d in days] == [D(2026, 11, 23)]
    assert [s.title for s in days[0].steps] == ["Shared step"]


def test_all_days_for_export_run_oldest_first_within_a_range(owner, make_entry, done_step):
    make_entry(D(2026, 1, 5))
    make_entry(D(2026, 3, 5))
    done_step(utc(2026, 2, 5, 9))
    assert [d.date for d in journal.all_journal_days(owner)] == [
        D(2026, 1, 5),
        D(2026, 2, 5),
        D(2026, 3, 5),
    ]
    in_range = journal.all_journal_days(owner, start=D(2026, 2, 1), end=D(2026, 2, 5))
    assert [d.date for d in in_range] == [D(2026, 2, 5)]


def test_the_calendar_heats_days_by_steps_done_and_marks_entries(owner, make_entry, done_step):
    entry = make_entry(D(2026, 5, 4))
    for count, day in ((1, 1), (2, 2), (3, 3), (4, 4), (7, 5)):
        for n in range(count):
            done_step(utc(2026, 5, day, 9, n))
    calendar = journal.year_calendar(
        owner, 2026, JournalEntry.objects.for_owner(owner).codes_by_date(), D(2026, 11, 24)
    )
    may_month = next(m for m in calendar.months if m.first == D(2026, 5, 1))
    may = {d.date.day: d for d in may_month.days}
    assert [may[day].level for day in range(1, 7)] == [1, 2, 2, 3, 3, 0]
    assert may[4].journaled
    assert may[4].entry_code == entry.code
    assert not may[3].journaled
    assert (calendar.journaled, calendar.steps, calendar.active_days) == (1, 17, 5)
    assert (may_month.journaled, may_month.steps) == (1, 17)


def test_the_calendar_starts_with_this_month_and_stops_there(owner):
    this_year = journal.year_calendar(owner, 2026, {}, D(2026, 11, 24))
    assert [m.first.month for m in this_year.months] == list(range(11, 0, -1))
    last_year = journal.year_calendar(owner, 2025, {}, D(2026, 11, 24))
    assert [m.first.month for m in last_year.months] == list(range(12, 0, -1))


def test_the_calendar_has_every_day_of_the_year_in_monday_first_weeks(owner):
    calendar = journal.year_calendar(owner, 2028, {}, D(2026, 11, 24))
    assert len(calendar.days) == 366
    february = calendar.months[-2]
    assert february.weeks[0][:1] == [None]  # 1 February 2028 is a Tuesday
    assert february.weeks[0][1].date == D(2028, 2, 1)
    assert all(len(week) == 7 for month in calendar.months for week in month.weeks)
    assert all(d.future for d in calendar.days)


def test_steps_of_a_year_boundary_fall_on_the_local_year(owner, done_step):
    owner.tz = "Asia/Tokyo"
    owner.save()
    owner.__dict__.pop("zone", None)
    # 20:00 UTC on 31 December 2025 is 05:00 on 1 January 2026 in Tokyo.
    done_step(utc(2025, 12, 31, 20))
    assert journal.year_calendar(owner, 2026, {}, D(2026, 11, 24)).steps == 1
    assert journal.year_calendar(owner, 2025, {}, D(2026, 11, 24)).steps == 0


def test_done_steps_are_ordered_by_when_they_were_done(owner, plan):
    late = StepFactory(plan=plan, title="Late")
    early = StepFactory(plan=plan, title="Early")
    late.mark_done(now=utc(2026, 11, 23, 18))
    early.mark_done(now=utc(2026, 11, 23, 8))
    day = journal.journal_day(owner, D(2026, 11, 23))
    assert [s.title for s in day.steps] == ["Early", "Late"]
    assert Step.objects.done().count() == 2
