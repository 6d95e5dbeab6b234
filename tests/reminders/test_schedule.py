"""A reminder's time on a local day as an instant, at the DST edges of three zones."""

import datetime as dt
import zoneinfo

import pytest

from reminders.schedule import (
    day_over,
    first_occurrence,
    first_open_day,
    local_day,
    next_occurrence,
    occurrence,
)
from tests.reminders.conftest import utc

LONDON = zoneinfo.ZoneInfo("Europe/London")
LOS_ANGELES = zoneinfo.ZoneInfo("America/Los_Angeles")
LORD_HOWE = zoneinfo.ZoneInfo("Australia/Lord_Howe")


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        # Ordinary days.
        (LONDON, dt.date(2026, 3, 9), dt.time(7, 30), utc(2026, 3, 9, 7, 30)),
        (LONDON, dt.date(2026, 6, 1), dt.time(7, 30), utc(2026, 6, 1, 6, 30)),
        # Times inside a gap land as far past the jump as they were into it.
        (LONDON, dt.date(2026, 3, 29), dt.time(1, 30), utc(2026, 3, 29, 1, 30)),
        (LOS_ANGELES, dt.date(2026, 3, 8), dt.time(2, 30), utc(2026, 3, 8, 10, 30)),
        (LORD_HOWE, dt.date(2026, 10, 4), dt.time(2, 15), utc(2026, 10, 3, 15, 45)),
        # Times that happen twice are their first occurrence.
        (LONDON, dt.date(2026, 10, 25), dt.time(1, 30), utc(2026, 10, 25, 0, 30)),
        (LOS_ANGELES, dt.date(2026, 11, 1), dt.time(1, 30), utc(2026, 11, 1, 8, 30)),
        (LORD_HOWE, dt.date(2026, 4, 5), dt.time(1, 45), utc(2026, 4, 4, 14, 45)),
    ],
)
def test_a_local_time_is_one_instant_on_its_day(zone, day, at, expected):
    instant = occurrence(day, at, zone)
    assert instant == expected
    assert local_day(instant, zone) == day


def test_next_occurrence_is_today_until_the_time_passes_then_tomorrow():
    at = dt.time(7, 30)
    assert next_occurrence(utc(2026, 3, 9, 7, 29), LONDON, at) == utc(2026, 3, 9, 7, 30)
    assert next_occurrence(utc(2026, 3, 9, 7, 30), LONDON, at) == utc(2026, 3, 10, 7, 30)


def test_a_weekly_time_falls_on_its_weekday_within_a_week():
    at = dt.time(8, 0)
    # Monday 9 March 2026, 08:00 has passed: the next Monday.
    assert next_occurrence(utc(2026, 3, 9, 9), LONDON, at, weekday=0) == utc(2026, 3, 16, 8)
    # Sunday, 08:00: Wednesday 11 March.
    assert next_occurrence(utc(2026, 3, 8, 8), LONDON, at, weekday=2) == utc(2026, 3, 11, 8)


def test_a_time_that_happens_twice_is_due_once_that_day():
    at = dt.time(1, 45)
    first = utc(2026, 4, 4, 14, 45)  # 01:45 +11:00 on Lord Howe, 5 April
    # The second 01:45 that night (15:15 UTC) is not an occurrence: the next is 6 April.
    after_first = next_occurrence(first, LORD_HOWE, at)
    assert after_first == utc(2026, 4, 5, 15, 15)  # 01:45 +10:30
    assert local_day(after_first, LORD_HOWE) == dt.date(2026, 4, 6)
    # The pass moves a reminder to the next day's occurrence, the same instant.
    assert first_occurrence(dt.date(2026, 4, 6), LORD_HOWE, at) == after_first


def test_a_day_is_over_an_hour_after_its_local_midnight():
    day = dt.date(2026, 3, 9)
    assert not day_over(day, LONDON, utc(2026, 3, 10, 0, 59))
    assert day_over(day, LONDON, utc(2026, 3, 10, 1, 0))
    # Lord Howe's day ends earlier in UTC: 10 March 00:00 +11:00 is 9 March 13:00 UTC.
    assert day_over(day, LORD_HOWE, utc(2026, 3, 9, 14, 0))
    assert first_open_day(LORD_HOWE, utc(2026, 3, 9, 14, 0)) == dt.date(2026, 3, 10)
