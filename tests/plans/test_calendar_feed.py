"""The private calendar feed: what a calendar app shows, and who can read it."""

import datetime
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from plans.calendar.models import CalendarFeed
from plans.models import Plan
from tests.factories import PlanFactory, StepFactory

TODAY = datetime.date(2026, 3, 20)


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(datetime.datetime(2026, 3, 20, 10, 0, tzinfo=datetime.UTC)):
        yield


def turn_on(client, plan=None):
    response = client.post("/calendar/on/", {"plan": str(plan.code) if plan else ""})
    assert response.status_code == 302
    page = client.get("/calendar/")
    match = re.search(r'value="(http://[^"]+\.ics)"', page.text)
    assert match, page.text
    return match.group(1).split("testserver", 1)[-1].replace("http://127.0.0.1:8000", "")


def events(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


def test_a_calendar_shows_each_dated_step_on_its_date_with_its_goal_and_link(
    owner_client, owner, plan
):
    step = StepFactory(plan=plan, title="Call Mary", due_date=datetime.date(2026, 3, 24))
    step.reward = "a bar of chocolate"
    step.save(update_fields=["reward"])
    done = StepFactory(plan=plan, title="Read a book on shops", due_date=TODAY)
    done.mark_done()
    StepFactory(plan=plan, title="Dropped one", due_date=TODAY).mark_dropped("no")
    StepFactory(plan=plan, title="Still to break down", due_date=None)
    StepFactory(plan=PlanFactory(owner=owner, status=Plan.Status.ARCHIVED), title="Resting")
    StepFactory(title="Someone else's")
    url = turn_on(owner_client)

    shown = events(Client().get(url))

    assert set(shown) == {"Call Mary", "Done: Read a book on shops"}
    event = shown["Call Mary"]
    # An all-day event: a date, not a time, so no zone can move it to another day.
    assert event.decoded("dtstart") == datetime.date(2026, 3, 24)
    assert event.decoded("dtend") == datetime.date(2026, 3, 25)
    description = str(event["description"])
    assert plan.goal in description
    assert "Reward: a bar of chocolate" in description
    assert f"/steps/{step.code}/" in description
    assert str(event["url"]).endswith(f"/steps/{step.code}/")
    assert "Done on Friday 20 March 2026" in str(shown["Done: Read a book on shops"]["description"])


def test_the_feed_asks_to_be_fetched_hourly_in_durations_outlook_reads(owner_client, plan):
    StepFactory(plan=plan, title="Call Mary", due_date=datetime.date(2026, 3, 24))
    url = turn_on(owner_client)

    lines = Client().get(url).content.decode().split("\r\n")

    assert "X-PUBLISHED-TTL:PT1H" in lines
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines


def test_an_event_keeps_its_uid_when_the_step_moves_so_calendars_update_it(owner_client, plan):
    step = StepFactory(plan=plan, title="Call Mary", due_date=datetime.date(2026, 3, 24))
    url = turn_on(owner_client)
    before = events(Client().get(url))["Call Mary"]

    step.reschedule(datetime.date(2026, 3, 27), "Mary is away")
    after = events(Client().get(url))["Call Mary"]

    assert str(after["uid"]) == str(before["uid"])
    assert after.decoded("dtstart") == datetime.date(2026, 3, 27)


def test_the_feed_answers_304_until_something_changes(owner_client, plan):
    step = StepFactory(plan=plan, title="Call Mary")
    url = turn_on(owner_client)
    first = Client().get(url)

    again = Client().get(url, headers={"If-None-Match": first["ETag"]})
    step.mark_done()
    changed = Client().get(url, headers={"If-None-Match": first["ETag"]})

    assert again.status_code == 304
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_dates_stay_put_across_a_dst_change_and_a_change_of_zone(owner_client, owner, plan):
    # Clocks go forward in London on 29 March 2026 and in Los Angeles on 8 March.
    StepFactory(plan=plan, title="On the DST day", due_date=datetime.date(2026, 3, 29))
    StepFactory(plan=plan, title="The day after", due_date=datetime.date(2026, 3, 30))
    url = turn_on(owner_client)
    london = events(Client().get(url))

    owner.change_zone("America/Los_Angeles")
    los_angeles = events(Client().get(url))

    for shown in (london, los_angeles):
        assert shown["On the DST day"].decoded("dtstart") == datetime.date(2026, 3, 29)
        assert shown["The day after"].decoded("dtstart") == datetime.date(2026, 3, 30)


def test_a_plan_feed_shows_only_that_plan(owner_client, owner, plan):
    StepFactory(plan=plan, title="In this plan")
    StepFactory(plan=PlanFactory(owner=owner), title="In another plan")
    url = turn_on(owner_client, plan)

    assert set(events(Client().get(url))) == {"In this plan"}


def test_a_new_address_stops_the_old_one_and_turning_off_stops_both(owner_client, owner, plan):
    old = turn_on(owner_client)
    new = turn_on(owner_client)

    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200
    assert CalendarFeed.objects.filter(owner=owner).count() == 1

    owner_client.post("/calendar/off/", {"plan": ""})

    assert Client().get(new).status_code == 404


def test_only_the_hash_of_the_token_is_stored(owner_client, owner):
    url = turn_on(owner_client)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")

    assert len(token) >= 22  # at least 128 random bits, URL-safe base64
    feed = CalendarFeed.objects.get(owner=owner)
    assert token not in str(feed.__dict__)


def test_the_address_is_shown_once(owner_client):
    turn_on(owner_client)

    assert ".ics" not in owner_client.get("/calendar/").text


@pytest.mark.parametrize("token", ["nope", "x" * 43, "x" * 200])
def test_an_unknown_token_is_404(db, token):
    assert Client().get(f"/calendar/{token}.ics").status_code == 404


def test_a_deactivated_owner_s_feed_is_404(owner_client, owner):
    url = turn_on(owner_client)
    owner.is_active = False
    owner.save(update_fields=["is_active"])

    assert Client().get(url).status_code == 404


def test_a_stranger_cannot_make_a_feed_of_someone_else_s_plan(stranger_client, plan):
    response = stranger_client.post("/calendar/on/", {"plan": str(plan.code)})

    assert response.status_code == 404
    assert not CalendarFeed.objects.exists()


@pytest.mark.parametrize("code", ["not-a-uuid", "x" * 5000, "\x00"])
@pytest.mark.parametrize("action", ["on", "off"])
def test_a_posted_plan_code_that_is_no_code_finds_nothing(owner_client, code, action):
    response = owner_client.post(f"/calendar/{action}/", {"plan": code})

    assert response.status_code == 404
    assert not CalendarFeed.objects.exists()


def test_the_settings_page_needs_a_login_and_its_forms_a_csrf_token(client, owner):
    assert client.get("/calendar/").status_code == 302
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(owner)

    assert csrf_client.post("/calendar/on/", {"plan": ""}).status_code == 403
    assert csrf_client.get("/calendar/").status_code == 200


def test_the_feed_refuses_writes(owner_client):
    url = turn_on(owner_client)

    assert Client().post(url).status_code == 405


def test_the_feed_runs_the_same_queries_for_5_and_50_steps(owner_client, plan):
    url = turn_on(owner_client)
    Client().get(url)  # the first read records the feed's last use
    counts = []
    for added in (5, 45):
        StepFactory.create_batch(added, plan=plan)
        with CaptureQueriesContext(connection) as queries:
            assert Client().get(url).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1] == 2


def test_the_webcal_link_is_the_same_address_for_a_calendar_app(owner_client, owner, settings):
    owner_client.post("/calendar/on/", {"plan": ""})
    page = owner_client.get("/calendar/").text
    https = re.search(r'value="(https?://[^"]+\.ics)"', page).group(1)
    webcal = re.search(r'href="(webcal://[^"]+\.ics)"', page).group(1)
    assert webcal == "webcal://" + https.split("://", 1)[1]
    assert https.startswith(settings.SITE_URL)
    # A calendar app asks the https address the webcal link stands for.
    assert events(Client().get(https.removeprefix(settings.SITE_URL))) is not None
