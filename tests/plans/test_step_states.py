"""A step's state and the counts built on it: one rule (plans.models), the same answer on
every page that shows it, and a boundary that fails a test if it moves by a day."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from buddies.models import Buddyship, Notification
from buddies.outbox.messages import build_message
from plans.models import State, Step, count_progress, step_state
from tests.factories import GrowSessionFactory, OptionFactory, StepFactory, UserFactory

pytestmark = pytest.mark.django_db

# 10:00 UTC on Wednesday 10 March 2027: the same date for a planner in London.
NOW = datetime(2027, 3, 10, 10, 0, tzinfo=UTC)
TODAY = date(2027, 3, 10)


def days(n):
    return timedelta(days=n)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


# --- The rule ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "state"),
    [
        (TODAY - days(1), State.OVERDUE),
        (TODAY, State.DUE),
        (TODAY + days(6), State.DUE),
        (TODAY + days(7), State.UPCOMING),
        (None, State.UNDATED),
    ],
)
def test_an_open_steps_state_turns_at_the_edges_of_today_and_this_week(due, state):
    assert step_state(Step(due_date=due), TODAY) == state


def test_done_and_dropped_win_over_any_date():
    assert step_state(Step(due_date=TODAY - days(9), status="done"), TODAY) == State.DONE
    assert step_state(Step(due_date=TODAY - days(9), status="dropped"), TODAY) == State.DROPPED


@pytest.mark.parametrize("offset", [-1, 0, 6, 7])
def test_the_queryset_filters_agree_with_the_rule_at_its_edges(plan, offset):
    step = StepFactory(plan=plan, due_date=TODAY + days(offset))
    state = step_state(step, TODAY)
    steps = plan.steps.all()

    assert steps.overdue(TODAY).exists() == (state == State.OVERDUE)
    assert steps.due_this_week(TODAY).exists() == (state == State.DUE)
    assert steps.upcoming(TODAY).exists() == (state in (State.DUE, State.UPCOMING))
    assert steps.due_today(TODAY).exists() == (offset == 0)
    # What a morning email is about: due today or overdue.
    assert steps.due_by(TODAY).exists() == (offset == 0 or state == State.OVERDUE)


# --- One plan with a step in every state ------------------------------------------------


@pytest.fixture
def every_state(plan):
    """A step in every state; the expected counts are worked out by hand below."""
    done = StepFactory(plan=plan, title="Choose a name", due_date=TODAY - days(3))
    done.mark_done()
    StepFactory(plan=plan, title="Call Anna", due_date=TODAY)  # due today: not overdue
    StepFactory(plan=plan, title="Ring the bank", due_date=TODAY - days(1))  # overdue by a day
    StepFactory(plan=plan, title="Book a course", due_date=TODAY + days(7))  # after this week
    StepFactory(plan=plan, title="Send the letter", due_date=TODAY + days(2)).mark_dropped()
    location = StepFactory(plan=plan, title="Find a location", due_date=None, source="tree")
    StepFactory(plan=plan, parent=location, title="Walk the high street", due_date=TODAY + days(3))
    StepFactory(plan=plan, parent=location, title="Ask the council", due_date=None)  # a leaf
    talk = StepFactory(plan=plan, parent=location, title="Talk to Ann", due_date=None)
    talk.mark_done()  # a tree step done before it had a date: it counts
    market = StepFactory(plan=plan, title="Decide the market", due_date=None, source="tree")
    StepFactory(plan=plan, parent=market, title="Open a café", due_date=None).mark_dropped()
    return plan


# done: Choose a name, Talk to Ann. Counted: those two and the four open dated steps.
# Overdue: Ring the bank. Still to break down: Ask the council (Find a location and
# Decide the market have steps under them, even if only a dropped one).
EXPECTED = {"done": 2, "total": 6, "overdue": 1, "undated": 1}


def test_progress_counts_every_state_by_the_rule(every_state):
    counts = every_state.steps.progress(TODAY)

    assert {key: counts[key] for key in EXPECTED} == EXPECTED
    assert (counts["this_week"], counts["upcoming"], counts["dropped"]) == (2, 3, 2)
    assert counts["percent"] == 33


def test_counting_loaded_rows_gives_what_the_database_counts(every_state):
    rows = every_state.steps.values_list("pk", "parent_id", "status", "due_date", named=True)

    assert count_progress(rows, TODAY) == every_state.steps.progress(TODAY)


def tally(pattern, html):
    """Read the numbers of a progress line: done, total, and the named extras (0 if absent)."""
    found = re.search(pattern, html)
    assert found, pattern
    done, total = int(found["done"]), int(found["total"])
    line = html[found.start() : html.index("</p>", found.start())]
    extras = {
        key: int(match[1]) if (match := re.search(rf"(\d+) {words}", line)) else 0
        for key, words in (("overdue", "overdue"), ("undated", "still to break down"))
    }
    return {"done": done, "total": total, **extras}


PLAN_PAGE = r"(?P<done>\d+) of (?P<total>\d+) steps? done \(\d+%\)"
WALL_CHART = r"<strong>(?P<done>\d+) of (?P<total>\d+) steps? done</strong>"


def digest_html(buddyship):
    """The weekly digest written today, as the buddy receives it (its HTML body)."""
    notification = Notification.objects.create(
        kind=Notification.Kind.DIGEST,
        buddyship=buddyship,
        key="this-week",
        payload={"since": (TODAY - days(7)).isoformat(), "today": TODAY.isoformat()},
    )
    message = build_message(notification)
    html = message.alternatives[0].content
    return html.replace("<br>", " ")


def test_every_page_shows_the_same_numbers_for_the_same_plan(owner_client, owner, every_state):
    plan = every_state
    buddy = UserFactory()
    buddyship = Buddyship.objects.create(
        planner=owner,
        user=buddy,
        email=buddy.email,
        name="Bea",
        status=Buddyship.Status.ACTIVE,
        accepted=timezone.now(),
    )
    buddyship.plans.set([plan])
    buddy_client = Client()
    buddy_client.force_login(buddy)

    plan_page = owner_client.get(plan.get_absolute_url()).text
    wall_chart = owner_client.get(reverse("plans-wallchart", args=[plan.code])).text
    progress_page = buddy_client.get(reverse("buddies-progress", args=[buddyship.code])).text
    dashboard = owner_client.get(reverse("plans-dashboard")).text

    assert tally(PLAN_PAGE, plan_page) == EXPECTED
    assert tally(WALL_CHART, wall_chart) == EXPECTED
    assert tally(WALL_CHART, progress_page) == EXPECTED
    assert tally(PLAN_PAGE, digest_html(buddyship)) == EXPECTED
    # The dashboard shows done and total per plan, and what is overdue across plans.
    done, total = re.search(r"(\d+) of (\d+) steps done", dashboard).groups()
    overdue = re.search(r'id="overdue-title"[^>]*>Overdue <span[^>]*>(\d+)<', dashboard)[1]
    assert (int(done), int(total), int(overdue)) == (2, 6, 1)


# --- The overdue boundary, as each page draws it ---------------------------------------


@pytest.fixture
def edge(plan):
    """Two steps either side of the overdue boundary."""
    return {
        "today": StepFactory(plan=plan, title="Due today", due_date=TODAY),
        "yesterday": StepFactory(plan=plan, title="Due yesterday", due_date=TODAY - days(1)),
    }


def element(html, step):
    """The <li> of `step` on a page (a step row or a tree leaf)."""
    start = html.index(f'<li id="step-{step.code}"')
    return html[start : html.index("</li>", start)]


def card_state(html, title):
    """The state class of the wall chart card titled `title`."""
    return re.search(rf'<li class="wc-card state-(\w+)[^>]*>(?:(?!</li>).)*>{title}<', html)[1]


def test_a_step_row_says_overdue_from_the_day_after_its_date(owner_client, plan, edge):
    html = owner_client.get(plan.get_absolute_url()).text

    today, yesterday = element(html, edge["today"]), element(html, edge["yesterday"])
    assert "state-due" in today
    assert "Overdue" not in today
    assert ">due today</time>" in today
    assert "state-overdue" in yesterday
    assert ">Overdue</span>" in yesterday


def test_a_tree_node_says_overdue_from_the_day_after_its_date(owner_client, plan, edge):
    html = owner_client.get(reverse("plans-tree", args=[plan.code])).text

    assert "Action step, by" in element(html, edge["today"])
    assert "Overdue" not in element(html, edge["today"])
    assert "Overdue: was due" in element(html, edge["yesterday"])


def test_the_wall_chart_says_overdue_from_the_day_after_its_date(owner_client, plan, edge):
    html = owner_client.get(reverse("plans-wallchart", args=[plan.code])).text

    assert card_state(html, "Due today") == "upcoming"
    assert card_state(html, "Due yesterday") == "overdue"
    assert "0 of 2 steps done</strong> (0%) · 1 overdue · 1 upcoming" in html


def test_the_day_turns_at_midnight_in_the_planners_zone_not_in_utc(owner_client, owner, plan):
    # 02:30 UTC on 11 March is still 23:30 on 10 March in Santiago (UTC-3 that summer):
    # a step due on the 10th is due today there, not overdue.
    owner.tz = "America/Santiago"
    owner.save(update_fields=["tz"])
    step = StepFactory(plan=plan, title="Due on the tenth", due_date=date(2027, 3, 10))
    url = reverse("plans-wallchart", args=[plan.code])

    with time_machine.travel(datetime(2027, 3, 11, 2, 30, tzinfo=UTC), tick=False):
        wall_chart = owner_client.get(url).text
        row = element(owner_client.get(plan.get_absolute_url()).text, step)
    with time_machine.travel(datetime(2027, 3, 11, 3, 30, tzinfo=UTC), tick=False):
        turned = owner_client.get(url).text

    assert card_state(wall_chart, "Due on the tenth") == "upcoming"
    assert "state-due" in row
    assert card_state(turned, "Due on the tenth") == "overdue"


def test_a_committed_option_on_the_grow_sheet_says_overdue_by_the_same_rule(owner_client, plan):
    session = GrowSessionFactory(plan=plan, number=1)
    for title, due in (("Due today", TODAY), ("Due yesterday", TODAY - days(1))):
        OptionFactory(
            session=session, text=title, step=StepFactory(plan=plan, title=title, due_date=due)
        )

    html = owner_client.get(reverse("plans-grow-detail", args=[session.code])).text

    chips = re.findall(r'grow-committed state-chip state-(\w+)"[^>]*>\s*<a[^>]*>([^<]+)</a>', html)
    assert {title: state for state, title in chips} == {
        "Due today": "due",
        "Due yesterday": "overdue",
    }
