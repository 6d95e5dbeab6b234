"""No date produces a 500: every date a person can enter is held to 1900-2200 and
refused next to its field, every date in a query string outside it is a 4xx, and pages
built from dates stored before the range was held still render.

The property-based tests send hypothesis-made dates (ISO dates from year 1 to 9999,
near-misses and junk) to every form and query parameter that takes one; the example
counts are kept small (EXAMPLES per target) for CI time.
"""

import datetime as dt
import string

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from buddies.models import Notification
from careerplan.dates import EARLIEST, LATEST, clamp
from plans.calendar.models import CalendarFeed
from plans.models import Plan, Step, checkup_instant
from tests.buddies.conftest import client_for, make_buddyship, make_link
from tests.factories import GrowSessionFactory, OptionFactory, StepFactory, UserFactory

EXAMPLES = 25
FAR = [dt.date(9999, 12, 30), dt.date(9999, 12, 31), dt.date(1, 1, 2), dt.date(1, 1, 1)]

date_text = st.one_of(
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)).map(dt.date.isoformat),
    st.sampled_from(
        ["0001-01-01", "9999-12-31", "10000-01-01", "2026-02-30", "1899-12-31", "2201-01-01"]
    ),
    st.text(alphabet=string.digits + "-/.: T", max_size=14),
)
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_a_date_outside_the_range_has_no_check_up_and_is_drawn_at_its_edge():
    zone = dt.UTC
    assert checkup_instant(dt.date(9999, 12, 31), zone) is None
    assert checkup_instant(dt.date(1, 1, 1), zone) is None
    assert checkup_instant(LATEST, zone) is not None
    assert clamp(dt.date(9999, 12, 31)) == LATEST
    assert clamp(dt.date(1, 1, 1)) == EARLIEST


@pytest.fixture
def far(owner, plan):
    """A plan whose steps and target were stored at far dates around the forms."""
    buddy = UserFactory(email="bea@example.com")
    buddyship = make_buddyship(owner, [plan], user=buddy, share_journal=True)
    follower = make_buddyship(owner, [plan], email="fern@example.com", name="Fern")
    steps = [StepFactory(plan=plan, title=f"Far step {day}") for day in FAR]
    for step, day in zip(steps, FAR, strict=True):
        Step.objects.filter(pk=step.pk).update(due_date=day, checkup_due=None)
    done = steps[0]
    Step.objects.filter(pk=done.pk).update(status="done", completed=done.created)
    Plan.objects.filter(pk=plan.pk).update(target_date=FAR[0])
    return {
        "buddy": client_for(buddy),
        "buddyship": buddyship,
        "link": make_link(follower),
        "feed": CalendarFeed.issue(owner),
        "plan": plan,
        "step": steps[1],
    }


def far_pages(far):
    plan, code = far["plan"], far["plan"].code
    return [
        ("owner", reverse("plans-dashboard")),
        ("owner", reverse("plans-list")),
        ("owner", reverse("plans-detail", args=[code])),
        ("owner", reverse("plans-wallchart", args=[code])),
        ("owner", reverse("plans-wallchart", args=[code]) + "?scale=week"),
        ("owner", reverse("plans-wallchart", args=[code]) + "?scale=month"),
        ("owner", reverse("plans-wallchart-print", args=[code])),
        ("owner", reverse("plans-tree", args=[code])),
        ("owner", reverse("plans-grow-list", args=[code])),
        ("owner", reverse("plans-step-detail", args=[far["step"].code])),
        ("owner", reverse("buddies-checkup-answer", args=[far["step"].code])),
        ("owner", reverse("buddies-preview", args=[far["buddyship"].code])),
        ("owner", reverse("buddies-list")),
        ("owner", reverse("journals-today")),
        ("owner", reverse("personaldata-home")),
        ("buddy", reverse("buddies-progress", args=[far["buddyship"].code])),
        ("anonymous", reverse("buddies-link-progress", args=[far["link"]])),
        ("anonymous", reverse("plans-calendar-feed", args=[far["feed"]])),
        ("owner", plan.get_absolute_url()),
    ]


def test_pages_built_from_far_stored_dates_render(far, owner_client, client):
    clients = {"owner": owner_client, "buddy": far["buddy"], "anonymous": client}
    for who, url in far_pages(far):
        response = clients[who].get(url)
        assert response.status_code == 200, (who, url, response.status_code)


def test_far_stored_dates_survive_a_zone_change_and_an_export(far, owner_client, owner):
    response = owner_client.post(
        reverse("accounts-profile"), {"display_name": "Olivia", "tz": "Pacific/Kiritimati"}
    )
    assert response.status_code == 302
    assert owner_client.post(reverse("personaldata-export-start")).status_code == 200


def test_far_stored_dates_never_make_a_check_up_email(far):
    from buddies.outbox.sweep import sweep_checkups

    sweep_checkups()
    assert not Notification.objects.filter(kind=Notification.Kind.CHECKUP).exists()


@pytest.fixture
def forms(owner, plan):
    """Each form that takes a date: (url, data without the date, the date's field)."""
    step = StepFactory(plan=plan)
    node = plan.add_step("Find out what a shop costs")
    session = GrowSessionFactory(plan=plan)
    option = OptionFactory(session=session)
    return [
        (reverse("plans-create"), {"goal": "I will be running a shop"}, "target_date"),
        (reverse("plans-edit", args=[plan.code]), {"goal": plan.goal}, "target_date"),
        (reverse("plans-step-add", args=[plan.code]), {"title": "Call Ann"}, "due_date"),
        (
            reverse("plans-step-quick-add"),
            {"title": "Call Bo", "plan": str(plan.code)},
            "due_date",
        ),
        (reverse("plans-step-reschedule", args=[step.code]), {"reason": "ill"}, "due_date"),
        (reverse("plans-tree-step-date", args=[node.code]), {}, "due_date"),
        (reverse("plans-tree-goal-date", args=[plan.code]), {"title": "Go"}, "due_date"),
        (
            reverse("plans-grow-commit", args=[session.code]),
            {"option": str(option.code)},
            "due_date",
        ),
        (
            reverse("buddies-checkup-answer", args=[step.code]),
            {"answer": "more_time", "reason": "ill"},
            "new_date",
        ),
        (reverse("journals-write"), {"text": "Did a thing"}, "date"),
    ]


@SETTINGS
@given(value=date_text)
def test_no_date_sent_to_any_form_is_a_server_error(owner_client, forms, value):
    for url, data, field in forms:
        response = owner_client.post(url, {**data, field: value})
        assert response.status_code < 500, (url, value)
        day = _date(value)
        if day is not None and not EARLIEST <= day <= LATEST:
            assert response.status_code == 422, (url, value)
        if day is not None and day > LATEST:
            # (One far in the past may be refused as past first: either way, at the field.)
            assert "Pick a date between 1900 and 2200" in response.content.decode(), (url, value)


def _date(value):
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


@SETTINGS
@given(value=date_text)
@example(value="9999-12-30")
@example(value="0001-01-01")
def test_no_date_in_a_query_string_is_a_server_error(owner_client, plan, value):
    step = plan.steps.first() or StepFactory(plan=plan)
    htmx = {"HTTP_HX_REQUEST": "true"}
    for url, params, headers in [
        (reverse("journals-today"), {"before": value}, {}),
        (reverse("journals-today"), {"before": value}, htmx),
        # "Give me more time" in a morning email opens the step with a new date filled in.
        (reverse("plans-step-detail", args=[step.code]), {"new_date": value}, {}),
        (reverse("journals-write"), {"date": value}, {}),
        (reverse("journals-search"), {"q": "a", "start": value}, {}),
        (reverse("journals-search"), {"q": "a", "end": value}, {}),
        (reverse("journals-calendar"), {"year": value}, {}),
        (reverse("journals-calendar"), {"year": value}, htmx),
        (reverse("plans-wallchart", args=[plan.code]), {"scale": value}, {}),
    ]:
        response = owner_client.get(url, params, **headers)
        assert response.status_code < 500, (url, params)
        day = _date(value)
        # An empty value is an absent one.
        unreadable = value != "" and (day is None or not EARLIEST <= day <= LATEST)
        if {"before", "date", "new_date"} & set(params) and unreadable:
            assert response.status_code == 400, (url, params)


@SETTINGS
@given(day=st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_no_stored_date_breaks_a_page(owner_client, owner, plan, day):
    step = StepFactory(plan=plan)
    Step.objects.filter(pk=step.pk).update(due_date=day, checkup_due=None)
    Plan.objects.filter(pk=plan.pk).update(target_date=day)
    for name in ("plans-wallchart", "plans-wallchart-print", "plans-detail", "plans-tree"):
        response = owner_client.get(reverse(name, args=[plan.code]))
        assert response.status_code == 200, (name, day)
