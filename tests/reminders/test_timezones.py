"""Each reminder is sent once per local day, across DST changes (London and Los Angeles
move an hour, Lord Howe Island half an hour) and a change of the planner's zone.

The pass runs every quarter hour (the times under test fall on quarter hours) over the
days around each change; the clock is time-machine's.
"""

import datetime as dt

import pytest

from reminders.models import Kind
from tests.factories import PlanFactory
from tests.reminders.conftest import due_step, make_planner, rows, run_every, set_reminder, utc

CASES = {
    # 01:30 does not exist in London on 29 March 2026 (01:00 GMT -> 02:00 BST).
    "london-spring": (
        "Europe/London",
        dt.time(1, 30),
        utc(2026, 3, 27, 0),
        [
            ("2026-03-27", utc(2026, 3, 27, 1, 30)),
            ("2026-03-28", utc(2026, 3, 28, 1, 30)),
            ("2026-03-29", utc(2026, 3, 29, 1, 30)),  # 02:30 BST
            ("2026-03-30", utc(2026, 3, 30, 0, 30)),
        ],
    ),
    # 01:30 happens twice in London on 25 October 2026 (02:00 BST -> 01:00 GMT).
    "london-autumn": (
        "Europe/London",
        dt.time(1, 30),
        utc(2026, 10, 23, 23),
        [
            ("2026-10-24", utc(2026, 10, 24, 0, 30)),
            ("2026-10-25", utc(2026, 10, 25, 0, 30)),  # the first 01:30, not the second
            ("2026-10-26", utc(2026, 10, 26, 1, 30)),
        ],
    ),
    # 02:30 does not exist in Los Angeles on 8 March 2026 (02:00 PST -> 03:00 PDT).
    "los-angeles-spring": (
        "America/Los_Angeles",
        dt.time(2, 30),
        utc(2026, 3, 7, 0),
        [
            ("2026-03-07", utc(2026, 3, 7, 10, 30)),
            ("2026-03-08", utc(2026, 3, 8, 10, 30)),  # 03:30 PDT
            ("2026-03-09", utc(2026, 3, 9, 9, 30)),
        ],
    ),
    # 01:30 happens twice in Los Angeles on 1 November 2026.
    "los-angeles-autumn": (
        "America/Los_Angeles",
        dt.time(1, 30),
        utc(2026, 10, 31, 0),
        [
            ("2026-10-31", utc(2026, 10, 31, 8, 30)),
            ("2026-11-01", utc(2026, 11, 1, 8, 30)),
            ("2026-11-02", utc(2026, 11, 2, 9, 30)),
        ],
    ),
    # Lord Howe moves half an hour: 02:00 -> 02:30 on 4 October 2026, so 02:15 is gone.
    "lord-howe-spring": (
        "Australia/Lord_Howe",
        dt.time(2, 15),
        utc(2026, 10, 2, 0),
        [
            ("2026-10-03", utc(2026, 10, 2, 15, 45)),
            ("2026-10-04", utc(2026, 10, 3, 15, 45)),  # 02:45 +11:00
            ("2026-10-05", utc(2026, 10, 4, 15, 15)),
        ],
    ),
    # ... and 02:00 -> 01:30 on 5 April 2026, so 01:45 happens twice.
    "lord-howe-autumn": (
        "Australia/Lord_Howe",
        dt.time(1, 45),
        utc(2026, 4, 3, 0),
        [
            ("2026-04-04", utc(2026, 4, 3, 14, 45)),
            ("2026-04-05", utc(2026, 4, 4, 14, 45)),  # the first 01:45, +11:00
            ("2026-04-06", utc(2026, 4, 5, 15, 15)),
        ],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_the_morning_email_is_written_once_a_local_day_across_a_dst_change(db, clock, case):
    tz, at, start, expected = CASES[case]
    clock.move_to(start)
    planner = make_planner(tz)
    due_step(PlanFactory(owner=planner), start.date() - dt.timedelta(days=5))  # overdue
    set_reminder(planner, Kind.MORNING, at=at)
    run_every(clock, start, start + dt.timedelta(days=len(expected)))
    assert [(row.key, row.created) for row in rows(Kind.MORNING)] == expected


def test_a_change_of_zone_writes_no_second_reminder_for_a_day(db, clock):
    clock.move_to(utc(2026, 3, 9, 7))
    planner = make_planner("Europe/London")
    due_step(PlanFactory(owner=planner), dt.date(2026, 3, 1))  # overdue every morning
    run_every(clock, utc(2026, 3, 9, 7), utc(2026, 3, 9, 7, 45))
    # Flying west just after London's 07:30: in Los Angeles it is 00:45 on the same
    # 9 March, whose 07:30 comes round again; it writes nothing.
    planner.change_zone("America/Los_Angeles")
    run_every(clock, utc(2026, 3, 9, 8), utc(2026, 3, 10, 15))
    # Then far east: in Auckland it is already 11 March.
    planner.change_zone("Pacific/Auckland")
    run_every(clock, utc(2026, 3, 10, 15, 15), utc(2026, 3, 11, 19))
    assert [(row.key, row.created) for row in rows(Kind.MORNING)] == [
        ("2026-03-09", utc(2026, 3, 9, 7, 30)),  # 07:30 GMT
        ("2026-03-10", utc(2026, 3, 10, 14, 30)),  # 07:30 PDT
        ("2026-03-11", utc(2026, 3, 10, 18, 30)),  # 07:30 NZDT
        ("2026-03-12", utc(2026, 3, 11, 18, 30)),
    ]
