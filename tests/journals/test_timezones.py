"""Days are the planner's local days: across DST changes, midnight gaps and moves between
zones, no day is split, merged, lost or counted twice."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from journals import days as journal
from journals.models import JournalEntry
from tests.journals.conftest import utc

D = dt.date


def write_today(client, owner, text):
    owner.refresh_from_db()
    owner.__dict__.pop("zone", None)
    day = owner.local_today()
    response = client.post(reverse("journals-write"), {"date": day.isoformat(), "text": text})
    assert response.status_code == 302, response.content
    return day


def move(owner, tz):
    owner.tz = tz
    owner.save(update_fields=["tz"])
    owner.__dict__.pop("zone", None)


def streaks(client):
    return client.get(reverse("journals-today")).context["streaks"]


@pytest.mark.parametrize(
    ("local_evening", "nights"),
    [
        # Clocks go forward in London at 01:00 UTC on Sunday 29 March 2026.
        (utc(2026, 3, 26, 23, 50), 8),
        # Clocks go back at 01:00 UTC on Sunday 25 October 2026 (a 25-hour day).
        (utc(2026, 10, 22, 22, 50), 8),
    ],
)
def test_writing_late_every_evening_across_a_dst_change_is_one_unbroken_streak(
    owner, owner_client, local_evening, nights
):
    days = []
    for night in range(nights):
        instant = local_evening + dt.timedelta(days=night)
        # Keep the wall clock at ten to midnight local: an hour earlier in UTC under BST.
        local = instant.astimezone(owner.zone)
        if local.hour != 23:
            instant -= dt.timedelta(hours=1)
        with time_machine.travel(instant, tick=False):
            days.append(write_today(owner_client, owner, f"Night {night}"))
    assert days == [days[0] + dt.timedelta(days=n) for n in range(nights)]
    with time_machine.travel(local_evening + dt.timedelta(days=nights - 1), tick=False):
        result = streaks(owner_client)
    assert (result.current, result.longest) == (nights, nights)


def test_just_after_midnight_on_the_day_clocks_go_forward_is_that_day(owner, owner_client):
    # 00:30 GMT on 29 March, half an hour before the clocks jump to 02:00 BST.
    with time_machine.travel(utc(2026, 3, 29, 0, 30), tick=False):
        assert write_today(owner_client, owner, "Early bird") == D(2026, 3, 29)


def test_the_repeated_hour_when_clocks_go_back_stays_on_one_day(owner, owner_client):
    # 01:30 local happens twice on 25 October: 00:30 UTC (BST) and 01:30 UTC (GMT).
    with time_machine.travel(utc(2026, 10, 25, 0, 30), tick=False):
        write_today(owner_client, owner, "First time round")
    with time_machine.travel(utc(2026, 10, 25, 1, 30), tick=False):
        write_today(owner_client, owner, "Second time round")
    entry = JournalEntry.objects.get(owner=owner)
    assert entry.date == D(2026, 10, 25)
    assert entry.text == "First time round\n\nSecond time round"


@pytest.mark.parametrize(
    ("instant", "local_day"),
    [
        (utc(2026, 3, 28, 23, 30), D(2026, 3, 28)),  # 23:30 GMT
        (utc(2026, 3, 29, 0, 30), D(2026, 3, 29)),  # 00:30 GMT, before the jump
        (utc(2026, 3, 29, 23, 30), D(2026, 3, 30)),  # 00:30 BST the next day
        (utc(2026, 10, 24, 23, 30), D(2026, 10, 25)),  # 00:30 BST
        (utc(2026, 10, 25, 23, 30), D(2026, 10, 25)),  # 23:30 GMT, same long day
    ],
)
def test_a_step_done_shows_on_the_local_day_across_dst(owner, done_step, instant, local_day):
    done_step(instant)
    with time_machine.travel(utc(2026, 12, 1), tick=False):
        days, _ = journal.journal_days(owner)
        calendar = journal.year_calendar(owner, 2026, {}, owner.local_today())
        day = journal.journal_day(owner, local_day)
    assert [d.date for d in days] == [local_day]
    assert [(d.date, d.steps) for d in calendar.days if d.steps] == [(local_day, 1)]
    assert len(day.steps) == 1


def test_a_midnight_that_does_not_exist_still_starts_the_day(owner, done_step):
    # In Santiago clocks jump from 24:00 on 5 September 2026 to 01:00 on the 6th.
    move(owner, "America/Santiago")
    before_jump = done_step(utc(2026, 9, 6, 3, 59), title="23:59 on the 5th")
    after_jump = done_step(utc(2026, 9, 6, 4, 0), title="01:00 on the 6th")
    assert journal.local_midnight(D(2026, 9, 6), owner.zone) == utc(2026, 9, 6, 4)
    assert journal.journal_day(owner, D(2026, 9, 5)).steps == [before_jump]
    assert journal.journal_day(owner, D(2026, 9, 6)).steps == [after_jump]
    counts = journal.step_counts_by_day(owner, D(2026, 9, 1), D(2026, 9, 30))
    assert counts == {D(2026, 9, 5): 1, D(2026, 9, 6): 1}


def test_moving_east_then_west_neither_breaks_nor_doubles_a_streak(owner, owner_client):
    # London, 20 to 24 November.
    for day in range(20, 25):
        with time_machine.travel(utc(2026, 11, day, 20), tick=False):
            write_today(owner_client, owner, f"London {day}")
    # Fly to Tokyo: 20:00 UTC on the 24th is already 05:00 on the 25th there.
    move(owner, "Asia/Tokyo")
    with time_machine.travel(utc(2026, 11, 24, 21), tick=False):
        result = streaks(owner_client)
        assert (result.current, result.written_today) == (5, False)
        assert write_today(owner_client, owner, "Tokyo") == D(2026, 11, 25)
        assert streaks(owner_client).current == 6
    # Fly on to Los Angeles: 02:00 UTC on the 25th is 18:00 on the 24th there, a day
    # already written. Writing "today" adds to that day; the 25th is not lost.
    move(owner, "America/Los_Angeles")
    with time_machine.travel(utc(2026, 11, 25, 2), tick=False):
        assert streaks(owner_client).current == 6
        assert write_today(owner_client, owner, "LA evening") == D(2026, 11, 24)
        assert streaks(owner_client).current == 6
    assert JournalEntry.objects.filter(owner=owner).count() == 6
    assert "LA evening" in JournalEntry.objects.get(date=D(2026, 11, 24)).text
    # The next LA day after the 25th continues the run.
    with time_machine.travel(utc(2026, 11, 26, 20), tick=False):
        assert write_today(owner_client, owner, "LA") == D(2026, 11, 26)
        result = streaks(owner_client)
    assert (result.current, result.longest) == (7, 7)


def test_the_reminder_and_the_form_follow_the_new_zone(owner, owner_client, make_entry):
    make_entry(D(2026, 11, 24))
    move(owner, "Asia/Tokyo")
    with time_machine.travel(utc(2026, 11, 24, 21), tick=False):
        page = owner_client.get(reverse("journals-today"))
    assert page.context["today"] == D(2026, 11, 25)
    assert page.context["form"] is not None
