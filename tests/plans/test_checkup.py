"""When a step's buddy check-up becomes due: 09:00 local on the morning after its date,
across the daylight-saving changes of zones with unusual rules.

The transition dates below were read from zoneinfo's offsets, not assumed:
- Europe/London: 2026-03-29 01:00 GMT jumps to 02:00 BST; 2026-10-25 02:00 BST falls
  back to 01:00 GMT.
- America/Santiago: 2026-04-05 00:00 -03 falls back to 2026-04-04 23:00 -04; 2026-09-06
  00:00 -04 jumps to 01:00 -03 (both at midnight).
- Africa/Cairo: 2026-04-24 00:00 EET jumps to 01:00 EEST; 2026-10-29 24:00 EEST falls
  back to 23:00 EET (both at midnight).
- Australia/Lord_Howe: 2026-04-05 02:00 +11 falls back half an hour to 01:30 +10:30;
  2026-10-04 02:00 +10:30 jumps half an hour to 02:30 +11.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from plans.models import Step, checkup_instant
from tests.factories import PlanFactory, StepFactory, UserFactory

LONDON = ZoneInfo("Europe/London")
SANTIAGO = ZoneInfo("America/Santiago")
CAIRO = ZoneInfo("Africa/Cairo")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "due_date", "expected"),
    [
        # Ordinary mornings, summer and winter.
        (LONDON, date(2026, 6, 10), utc(2026, 6, 11, 8, 0)),
        (LONDON, date(2026, 12, 1), utc(2026, 12, 2, 9, 0)),
        (SANTIAGO, date(2026, 7, 1), utc(2026, 7, 2, 13, 0)),
        (SANTIAGO, date(2026, 12, 1), utc(2026, 12, 2, 12, 0)),
        (CAIRO, date(2026, 1, 15), utc(2026, 1, 16, 7, 0)),
        (CAIRO, date(2026, 7, 15), utc(2026, 7, 16, 6, 0)),
        (LORD_HOWE, date(2026, 6, 1), utc(2026, 6, 1, 22, 30)),
        (LORD_HOWE, date(2026, 12, 1), utc(2026, 12, 1, 22, 0)),
        # The next morning is a transition day: 09:00 is well clear of the change, so
        # it takes the new offset.
        (LONDON, date(2026, 3, 28), utc(2026, 3, 29, 8, 0)),
        (LONDON, date(2026, 10, 24), utc(2026, 10, 25, 9, 0)),
        (SANTIAGO, date(2026, 4, 4), utc(2026, 4, 5, 13, 0)),
        (SANTIAGO, date(2026, 9, 5), utc(2026, 9, 6, 12, 0)),
        (CAIRO, date(2026, 4, 23), utc(2026, 4, 24, 6, 0)),
        (CAIRO, date(2026, 10, 29), utc(2026, 10, 30, 7, 0)),
        (LORD_HOWE, date(2026, 4, 4), utc(2026, 4, 4, 22, 30)),
        (LORD_HOWE, date(2026, 10, 3), utc(2026, 10, 3, 22, 0)),
        # The day before a transition still has the old offset.
        (SANTIAGO, date(2026, 4, 3), utc(2026, 4, 4, 12, 0)),
        (CAIRO, date(2026, 10, 28), utc(2026, 10, 29, 6, 0)),
        (LORD_HOWE, date(2026, 4, 3), utc(2026, 4, 3, 22, 0)),
        # The same rules a year on.
        (LONDON, date(2027, 3, 27), utc(2027, 3, 28, 8, 0)),
        (CAIRO, date(2027, 4, 29), utc(2027, 4, 30, 6, 0)),
    ],
)
def test_checkup_is_at_nine_the_next_local_morning(zone, due_date, expected):
    instant = checkup_instant(due_date, zone)
    assert instant == expected
    assert instant.tzinfo is UTC
    assert instant.astimezone(zone).time() == time(9, 0)
    assert instant.astimezone(zone).date() == due_date + timedelta(days=1)


@pytest.mark.parametrize(
    ("zone", "due_date", "at", "expected", "local_after"),
    [
        # London: 01:30 on 2026-03-29 never happens; the instant after the gap.
        (LONDON, date(2026, 3, 28), time(1, 30), utc(2026, 3, 29, 1, 30), time(2, 30)),
        # Santiago: midnight on 2026-09-06 never happens.
        (SANTIAGO, date(2026, 9, 5), time(0, 0), utc(2026, 9, 6, 4, 0), time(1, 0)),
        (SANTIAGO, date(2026, 9, 5), time(0, 30), utc(2026, 9, 6, 4, 30), time(1, 30)),
        # Cairo: midnight on 2026-04-24 never happens.
        (CAIRO, date(2026, 4, 23), time(0, 0), utc(2026, 4, 23, 22, 0), time(1, 0)),
        # Lord Howe: only half an hour goes missing, 02:00 to 02:30 on 2026-10-04.
        (LORD_HOWE, date(2026, 10, 3), time(2, 15), utc(2026, 10, 3, 15, 45), time(2, 45)),
    ],
)
def test_a_time_lost_to_clocks_going_forward_lands_after_the_gap(
    zone, due_date, at, expected, local_after
):
    instant = checkup_instant(due_date, zone, at=at)
    assert instant == expected
    assert instant.astimezone(zone).time() == local_after
    assert instant.astimezone(zone).date() == due_date + timedelta(days=1)


@pytest.mark.parametrize(
    ("zone", "due_date", "at", "expected"),
    [
        # London: 01:30 on 2026-10-25 happens at 00:30 and again at 01:30 UTC.
        (LONDON, date(2026, 10, 24), time(1, 30), utc(2026, 10, 25, 0, 30)),
        # Santiago: 23:30 on 2026-04-04 happens at -03 and again at -04.
        (SANTIAGO, date(2026, 4, 3), time(23, 30), utc(2026, 4, 5, 2, 30)),
        # Cairo: 23:30 on 2026-10-29 happens at +03 and again at +02.
        (CAIRO, date(2026, 10, 28), time(23, 30), utc(2026, 10, 29, 20, 30)),
        # Lord Howe: 01:45 on 2026-04-05 happens at +11 and again half an hour later.
        (LORD_HOWE, date(2026, 4, 4), time(1, 45), utc(2026, 4, 4, 14, 45)),
    ],
)
def test_a_time_that_happens_twice_takes_the_first_occurrence(zone, due_date, at, expected):
    instant = checkup_instant(due_date, zone, at=at)
    assert instant == expected
    second = instant.astimezone(zone).replace(fold=1).astimezone(UTC)
    assert second > instant
    assert instant.astimezone(zone).replace(tzinfo=None) == datetime.combine(
        due_date + timedelta(days=1), at
    )


def test_lord_howe_moves_by_half_an_hour_not_an_hour():
    before = checkup_instant(date(2026, 4, 3), LORD_HOWE)
    after = checkup_instant(date(2026, 4, 4), LORD_HOWE)
    assert after - before == timedelta(days=1, minutes=30)


# The model keeps the instant in step with the date, the state and the owner's zone.


def test_saving_a_dated_step_sets_its_checkup(db):
    step = StepFactory(due_date=date(2026, 6, 10))
    step.refresh_from_db()
    assert step.checkup_due == utc(2026, 6, 11, 8, 0)


def test_an_undated_step_has_no_checkup(db):
    step = StepFactory(due_date=None)
    step.refresh_from_db()
    assert step.checkup_due is None


def test_checkup_follows_the_owners_zone(db):
    plan = PlanFactory(owner=UserFactory(tz="Australia/Lord_Howe"))
    step = StepFactory(plan=plan, due_date=date(2026, 6, 1))
    step.refresh_from_db()
    assert step.checkup_due == utc(2026, 6, 1, 22, 30)


def test_marking_done_clears_the_checkup(db):
    step = StepFactory(due_date=date(2026, 6, 10))
    assert step.mark_done()
    assert step.checkup_due is None
    step.refresh_from_db()
    assert step.status == Step.Status.DONE
    assert step.checkup_due is None


def test_rescheduling_moves_the_checkup(db):
    step = StepFactory(due_date=date(2026, 6, 10))
    step.reschedule(date(2026, 12, 1), "Waiting for the course to start")
    step.refresh_from_db()
    assert step.checkup_due == utc(2026, 12, 2, 9, 0)


def test_recompute_checkups_follows_a_change_of_zone(db):
    owner = UserFactory(tz="Europe/London")
    plan = PlanFactory(owner=owner)
    step = StepFactory(plan=plan, due_date=date(2026, 6, 10))
    done = StepFactory(plan=plan, due_date=date(2026, 6, 10))
    done.mark_done()
    other = StepFactory(due_date=date(2026, 6, 10))

    owner.tz = "America/Santiago"
    owner.save(update_fields=["tz"])
    count = Step.objects.filter(plan__owner=owner).recompute_checkups()

    assert count == 2
    step.refresh_from_db()
    done.refresh_from_db()
    other.refresh_from_db()
    assert step.checkup_due == utc(2026, 6, 11, 13, 0)
    assert done.checkup_due is None
    assert other.checkup_due == utc(2026, 6, 11, 8, 0)


def test_checkup_due_returns_only_open_unclaimed_due_steps(db):
    now = utc(2026, 6, 11, 8, 0)
    due = StepFactory(due_date=date(2026, 6, 10))  # due exactly now
    overdue = StepFactory(due_date=date(2026, 6, 1))
    StepFactory(due_date=date(2026, 6, 11))  # not due until tomorrow
    StepFactory(due_date=None)  # undated
    StepFactory(due_date=date(2026, 6, 1)).mark_done()
    StepFactory(due_date=date(2026, 6, 1)).mark_dropped("No longer needed")
    claimed = StepFactory(due_date=date(2026, 6, 1))
    Step.objects.filter(pk=claimed.pk).update(checkup_claimed=now - timedelta(hours=1))

    found = set(Step.objects.checkup_due(now))

    assert found == {due, overdue}
