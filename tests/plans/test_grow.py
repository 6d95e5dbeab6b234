"""GROW sheets: run-throughs, the four boxes, committing options to steps, the printable sheet."""

import datetime
import json
import re
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import reverse

from plans import signals
from plans.models import GrowSession, Obstacle, Option, Step, StepEvent
from tests.factories import (
    GrowSessionFactory,
    ObstacleFactory,
    OptionFactory,
    PlanFactory,
    StepFactory,
)

TODAY = datetime.date(2026, 11, 24)
# Noon in London on TODAY: the owner's local day is TODAY.
NOW = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def session(plan):
    return GrowSessionFactory(plan=plan, number=1, reality="I work in insurance.")


@pytest.fixture
def obstacle(session):
    return ObstacleFactory(session=session, kind=Obstacle.Kind.PEOPLE)


@pytest.fixture
def option(session, obstacle):
    return OptionFactory(session=session, obstacle=obstacle, prompt=Option.Prompt.HELP)


@pytest.fixture
def committed_signals():
    received = []

    def receiver(sender, step, **kwargs):
        received.append(step)

    signals.step_committed.connect(receiver)
    yield received
    signals.step_committed.disconnect(receiver)


def _url(name, obj):
    return reverse(name, args=[obj.code])


def _sheet(session):
    return _url("plans-grow-detail", session)


def _is_fragment(html, tag, element_id):
    """True if `html` is just the element `tag` with this id (an htmx swap), not a page."""
    return re.match(rf'\s*<{tag}\b[^>]*\bid="{element_id}"', html) is not None


# --- Access: owner, stranger, anonymous, wrong method -------------------------------------

GET_VIEWS = [
    ("plans-grow-list", "plan"),
    ("plans-grow-print-blank", "plan"),
    ("plans-grow-detail", "session"),
    ("plans-grow-print", "session"),
    ("plans-grow-obstacle-edit", "obstacle"),
    ("plans-grow-option-edit", "option"),
]
POST_VIEWS = [
    ("plans-grow-start", "plan", {}),
    ("plans-grow-goal", "session", {"goal": "I will be running a bookshop by 2028"}),
    ("plans-grow-reality", "session", {"reality": "Changed", "discoveries": "", "steps_taken": ""}),
    (
        "plans-grow-obstacle-add",
        "session",
        {"obstacle-text": "No savings", "obstacle-kind": "practical"},
    ),
    ("plans-grow-obstacle-edit", "obstacle", {"edit-text": "Changed", "edit-kind": "myself"}),
    ("plans-grow-obstacle-delete", "obstacle", {}),
    ("plans-grow-option-add", "session", {"prompt": "else", "else-text": "Ask the bank"}),
    ("plans-grow-option-edit", "option", {"edit-option-text": "Changed"}),
    ("plans-grow-option-delete", "option", {}),
    ("plans-grow-commit", "session", {"due_date": "2026-12-01"}),
]
POST_ONLY = [name for name, _, _ in POST_VIEWS if name not in dict(GET_VIEWS)]


@pytest.mark.parametrize(("name", "kind"), GET_VIEWS)
def test_get_views_work_for_the_owner(owner_client, name, kind, request, option):
    obj = request.getfixturevalue(kind)
    response = owner_client.get(_url(name, obj))
    assert response.status_code == 200


@pytest.mark.parametrize(("name", "kind"), GET_VIEWS)
def test_get_views_are_404_for_a_stranger(stranger_client, name, kind, request, option):
    obj = request.getfixturevalue(kind)
    assert stranger_client.get(_url(name, obj)).status_code == 404


@pytest.mark.parametrize(("name", "kind"), GET_VIEWS)
def test_get_views_send_anonymous_visitors_to_log_in(client, name, kind, request, option):
    obj = request.getfixturevalue(kind)
    response = client.get(_url(name, obj))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


@pytest.mark.parametrize(("name", "kind", "data"), POST_VIEWS)
def test_posts_are_404_for_a_stranger_and_change_nothing(
    stranger_client, name, kind, data, request, option
):
    obj = request.getfixturevalue(kind)
    before = (GrowSession.objects.count(), Obstacle.objects.count(), Option.objects.count())
    response = stranger_client.post(_url(name, obj), {**data, "option": str(option.code)})
    assert response.status_code == 404
    after = (GrowSession.objects.count(), Obstacle.objects.count(), Option.objects.count())
    assert after == before
    assert not Step.objects.exists()
    option.refresh_from_db()
    assert option.text == "Talk to a friend who worked in a bookshop"


@pytest.mark.parametrize(("name", "kind", "data"), POST_VIEWS)
def test_posts_send_anonymous_visitors_to_log_in(client, name, kind, data, request, option):
    obj = request.getfixturevalue(kind)
    response = client.post(_url(name, obj), data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


@pytest.mark.parametrize("name", POST_ONLY)
def test_post_only_views_refuse_get_with_405(owner_client, name, request, option):
    kind = next(k for n, k, _ in POST_VIEWS if n == name)
    obj = request.getfixturevalue(kind)
    assert owner_client.get(_url(name, obj)).status_code == 405


@pytest.mark.parametrize(("name", "kind"), GET_VIEWS)
def test_get_views_refuse_other_methods_with_405(owner_client, name, kind, request, option):
    obj = request.getfixturevalue(kind)
    assert owner_client.delete(_url(name, obj)).status_code == 405
    if name not in ("plans-grow-obstacle-edit", "plans-grow-option-edit"):
        assert owner_client.post(_url(name, obj)).status_code == 405


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("plans-grow-obstacle-edit", "obstacle", "Write the obstacle in a few words."),
        ("plans-grow-option-edit", "option", "Write the option in a few words."),
    ],
)
def test_an_edit_posted_as_json_is_refused_with_the_fields_message(
    owner_client, name, kind, message, request, option
):
    obj = request.getfixturevalue(kind)
    text = obj.text
    response = owner_client.post(
        _url(name, obj), {"text": "Changed"}, content_type="application/json"
    )
    assert response.status_code == 422
    assert message in response.text
    obj.refresh_from_db()
    assert obj.text == text


# --- The list of run-throughs --------------------------------------------------------------


def test_empty_list_offers_the_first_sheet_and_a_blank_one_to_print(owner_client, plan):
    response = owner_client.get(_url("plans-grow-list", plan))
    html = response.content.decode()
    assert "Start your first GROW sheet" in html
    assert "Run GROW again" not in html
    assert _url("plans-grow-print-blank", plan) in html


def test_list_shows_run_throughs_newest_first_with_counts(owner_client, plan):
    first = GrowSessionFactory(plan=plan, number=1)
    second = GrowSessionFactory(plan=plan, number=2)
    ObstacleFactory.create_batch(3, session=second)
    OptionFactory.create_batch(2, session=second)
    OptionFactory(session=second, step=StepFactory(plan=plan))
    html = owner_client.get(_url("plans-grow-list", plan)).content.decode()
    assert html.index(_sheet(second)) < html.index(_sheet(first))
    assert "3 obstacles · 3 options · 1 committed" in html
    assert "Run GROW again" in html


def test_list_for_htmx_is_the_sessions_fragment(owner_client, session, htmx_headers):
    response = owner_client.get(_url("plans-grow-list", session.plan), headers=htmx_headers)
    html = response.content.decode()
    assert response.status_code == 200
    assert _is_fragment(html, "div", "grow-sessions")
    assert "<html" not in html
    assert _sheet(session) in html


# --- Starting a run-through ----------------------------------------------------------------


def test_first_sheet_starts_from_the_plan_goal(owner_client, plan):
    response = owner_client.post(_url("plans-grow-start", plan))
    session = GrowSession.objects.get(plan=plan)
    assert response.status_code == 302
    assert response["Location"] == _sheet(session)
    assert (session.number, session.goal) == (1, plan.goal)


def test_run_grow_again_is_prefilled_from_the_last_sheet(owner_client, plan):
    last = GrowSessionFactory(
        plan=plan,
        number=1,
        goal="I will be running a bookshop café by 2028",
        reality="Insurance job",
        discoveries="I love talking to people",
        steps_taken="Read two books on retail",
    )
    money = ObstacleFactory(
        session=last, text="No savings", kind=Obstacle.Kind.PRACTICAL, position=0
    )
    fear = ObstacleFactory(
        session=last, text="Afraid to fail", kind=Obstacle.Kind.MYSELF, position=1
    )
    OptionFactory(session=last, text="Ask the bank", obstacle=money, prompt="help", position=0)
    OptionFactory(
        session=last, text="Talk to a mentor", obstacle=fear, prompt="someone", position=1
    )
    OptionFactory(session=last, text="Done already", step=StepFactory(plan=plan), position=2)

    owner_client.post(_url("plans-grow-start", plan))

    new = GrowSession.objects.get(plan=plan, number=2)
    assert (new.goal, new.reality, new.discoveries, new.steps_taken) == (
        last.goal,
        last.reality,
        last.discoveries,
        last.steps_taken,
    )
    obstacles = list(new.obstacles.order_by("position").values_list("text", "kind"))
    assert obstacles == [("No savings", "practical"), ("Afraid to fail", "myself")]
    options = [
        (o.text, o.prompt, o.obstacle.text, o.obstacle.session_id, o.step_id)
        for o in new.options.select_related("obstacle").order_by("position")
    ]
    assert options == [
        ("Ask the bank", "help", "No savings", new.pk, None),
        ("Talk to a mentor", "someone", "Afraid to fail", new.pk, None),
    ]
    # The earlier run-through is untouched.
    assert last.obstacles.count() == 2
    assert last.options.count() == 3


def test_earlier_run_through_stays_readable_but_has_no_forms(owner_client, plan):
    old = GrowSessionFactory(plan=plan, number=1, reality="Back then")
    ObstacleFactory(session=old, text="An old worry")
    GrowSessionFactory(plan=plan, number=2)
    response = owner_client.get(_sheet(old))
    html = response.content.decode()
    assert response.status_code == 200
    assert "earlier run-through" in html
    assert "An old worry" in html
    assert "Back then" in html
    assert 'name="goal"' not in html
    assert "Add obstacle" not in html
    assert ">Commit<" not in html


def test_changing_an_earlier_run_through_is_refused_with_409(owner_client, plan):
    old = GrowSessionFactory(plan=plan, number=1, goal="Old goal")
    GrowSessionFactory(plan=plan, number=2)
    response = owner_client.post(_url("plans-grow-goal", old), {"goal": "A new goal for it"})
    assert response.status_code == 409
    assert "make changes on sheet 2" in response.content.decode()
    old.refresh_from_db()
    assert old.goal == "Old goal"
    response = owner_client.post(
        _url("plans-grow-obstacle-add", old), {"obstacle-text": "X", "obstacle-kind": "practical"}
    )
    assert response.status_code == 409
    assert not old.obstacles.exists()


# --- The sheet -----------------------------------------------------------------------------


def test_sheet_shows_the_four_boxes_and_teaches_the_method(owner_client, option):
    html = owner_client.get(_sheet(option.session)).content.decode()
    for heading in ("Goal", "Reality", "Obstacles and options", "Way forward"):
        assert re.search(rf"</span> {heading}</h3>", html), heading
    for prompt in (
        "What else could I do?",
        "Who could help?",
        "What would someone else in your place do?",
    ):
        assert prompt in html
    assert "in positive terms" in html
    assert "SMART" in html
    assert "Completion date" in html
    assert "Answers: I don&#x27;t know anyone in the book trade" in html
    # htmx posts before a document-level submit listener could cancel: it must ask itself.
    assert 'hx-confirm="Delete this obstacle?' in html
    assert "data-confirm" not in html
    assert "hx-headers=" in html


def test_sheet_for_htmx_is_the_work_fragment(owner_client, option, htmx_headers):
    response = owner_client.get(_sheet(option.session), headers=htmx_headers)
    html = response.content.decode()
    assert response.status_code == 200
    assert _is_fragment(html, "div", "grow-work")
    assert "<html" not in html
    assert option.text in html


def test_goal_saves_and_redirects_back_to_the_goal_box(owner_client, session):
    response = owner_client.post(
        _url("plans-grow-goal", session), {"goal": "I will be running a bookshop café by 2028"}
    )
    assert response.status_code == 302
    assert response["Location"] == _sheet(session) + "#goal"
    session.refresh_from_db()
    assert session.goal == "I will be running a bookshop café by 2028"


def test_goal_with_htmx_answers_with_the_goal_box(owner_client, session, htmx_headers):
    response = owner_client.post(
        _url("plans-grow-goal", session), {"goal": "I will run a bookshop"}, headers=htmx_headers
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert _is_fragment(html, "section", "goal")
    assert "Goal saved." in html
    # The live region, which stays on the page, says it too (shown only beside the box).
    assert re.search(
        r'<div id="messages"[^>]*hx-swap-oob="innerHTML">\s*<p class="visually-hidden">'
        r"\s*Goal saved.\s*</p>",
        html,
    )
    # The keyboard stays in the box just saved (careerplan.htmx's cp-focus).
    assert '"selector": "#goal textarea"' in response["HX-Trigger-After-Settle"]


@pytest.mark.parametrize(
    ("goal", "message"),
    [
        ("   ", "Write your goal"),
        ("x" * 1001, "Keep the goal to 1000 characters (it has 1001)"),
    ],
)
def test_bad_goal_is_refused_with_the_text_kept(owner_client, session, goal, message):
    response = owner_client.post(_url("plans-grow-goal", session), {"goal": goal})
    html = response.content.decode()
    assert response.status_code == 422
    assert message in html
    if goal.strip():
        assert goal in html
    session.refresh_from_db()
    assert session.goal == session.plan.goal


def test_reality_saves_all_three_answers(owner_client, session):
    data = {"reality": "Insurance", "discoveries": "I like people", "steps_taken": "A course"}
    response = owner_client.post(_url("plans-grow-reality", session), data)
    assert response["Location"] == _sheet(session) + "#reality"
    session.refresh_from_db()
    assert (session.reality, session.discoveries, session.steps_taken) == tuple(data.values())


def test_over_long_reality_is_refused_and_nothing_is_saved(owner_client, session, htmx_headers):
    data = {"reality": "y" * 3001, "discoveries": "kept", "steps_taken": ""}
    response = owner_client.post(_url("plans-grow-reality", session), data, headers=htmx_headers)
    html = response.content.decode()
    assert response.status_code == 422
    assert "Keep your situation to 3000 characters" in html
    assert "kept</textarea>" in html
    session.refresh_from_db()
    assert (session.reality, session.discoveries) == ("I work in insurance.", "")


# --- Obstacles -----------------------------------------------------------------------------


def test_obstacle_is_added_with_its_kind(owner_client, session):
    response = owner_client.post(
        _url("plans-grow-obstacle-add", session),
        {"obstacle-text": "  My partner   worries ", "obstacle-kind": "people"},
    )
    assert response["Location"] == _sheet(session) + "#obstacles"
    assert list(session.obstacles.values_list("text", "kind")) == [("My partner worries", "people")]


def test_obstacle_added_with_htmx_returns_the_work_boxes(owner_client, session, htmx_headers):
    response = owner_client.post(
        _url("plans-grow-obstacle-add", session),
        {"obstacle-text": "No savings", "obstacle-kind": "practical"},
        headers=htmx_headers,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="grow-work"' in html
    assert "No savings" in html
    assert "<html" not in html
    assert re.search(r'<p class="visually-hidden">\s*Obstacle added: No savings.\s*</p>', html)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"obstacle-text": "", "obstacle-kind": "practical"}, "Write the obstacle in a few words."),
        (
            {"obstacle-text": "z" * 301, "obstacle-kind": "practical"},
            "Keep an obstacle to 300 characters (it has 301)",
        ),
        ({"obstacle-text": "Money", "obstacle-kind": "luck"}, "Select a valid choice"),
    ],
)
def test_bad_obstacle_is_refused_with_the_text_kept(
    owner_client, session, htmx_headers, data, message
):
    for headers in ({}, htmx_headers):
        response = owner_client.post(
            _url("plans-grow-obstacle-add", session), data, headers=headers
        )
        html = response.content.decode()
        assert response.status_code == 422
        assert message in html
        assert f'value="{data["obstacle-text"]}"' in html or not data["obstacle-text"]
    assert not session.obstacles.exists()


def test_obstacle_edit_form_comes_inline_with_htmx_and_as_a_page_without(
    owner_client, obstacle, htmx_headers
):
    url = _url("plans-grow-obstacle-edit", obstacle)
    fragment = owner_client.get(url, headers=htmx_headers).content.decode()
    assert _is_fragment(fragment, "li", f"obstacle-{obstacle.code}")
    assert "Save obstacle" in fragment
    page = owner_client.get(url).content.decode()
    assert "<html" in page
    assert "Save obstacle" in page
    assert "Add obstacle" in page


def test_obstacle_is_edited(owner_client, obstacle):
    response = owner_client.post(
        _url("plans-grow-obstacle-edit", obstacle),
        {"edit-text": "No contacts", "edit-kind": "myself"},
    )
    assert response.status_code == 302
    obstacle.refresh_from_db()
    assert (obstacle.text, obstacle.kind) == ("No contacts", "myself")


@pytest.mark.parametrize(
    ("name", "kind", "data"),
    [
        (
            "plans-grow-obstacle-edit",
            "obstacle",
            {"edit-text": "No contacts", "edit-kind": "myself"},
        ),
        ("plans-grow-option-edit", "option", {"edit-option-text": "Ask Sam"}),
    ],
)
def test_an_edit_saved_with_htmx_replaces_the_whole_box_not_the_row(
    owner_client, htmx_headers, request, name, kind, data
):
    """The form is sent from its row; the answer is the whole box, so it goes in the box's
    place (it was nested inside the row, the box drawn twice)."""
    obj = request.getfixturevalue(kind)
    response = owner_client.post(_url(name, obj), data, headers=htmx_headers)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#grow-work"
    assert response["HX-Reswap"] == "outerHTML"
    assert _is_fragment(response.text, "div", "grow-work")
    trigger = json.loads(response["HX-Trigger-After-Settle"])
    assert trigger["cp-focus"]["selector"] == f"#{kind}-{obj.code} a[hx-get]"


def test_bad_obstacle_edit_keeps_the_row_in_edit_mode(owner_client, obstacle, htmx_headers):
    response = owner_client.post(
        _url("plans-grow-obstacle-edit", obstacle),
        {"edit-text": "", "edit-kind": "myself"},
        headers=htmx_headers,
    )
    assert response.status_code == 422
    assert "Write the obstacle in a few words." in response.content.decode()
    obstacle.refresh_from_db()
    assert obstacle.kind == "people"


def test_deleting_an_obstacle_keeps_the_options_that_answered_it(owner_client, option):
    obstacle = option.obstacle
    response = owner_client.post(_url("plans-grow-obstacle-delete", obstacle))
    assert response.status_code == 302
    assert not Obstacle.objects.filter(pk=obstacle.pk).exists()
    option.refresh_from_db()
    assert option.obstacle is None


# --- Options -------------------------------------------------------------------------------


def test_option_is_added_under_its_prompt_answering_an_obstacle(owner_client, obstacle):
    session = obstacle.session
    response = owner_client.post(
        _url("plans-grow-option-add", session),
        {
            "prompt": "someone",
            "someone-text": "Ask how a friend did it",
            "someone-obstacle": str(obstacle.code),
        },
    )
    assert response["Location"] == _sheet(session) + "#options-someone"
    option = session.options.get()
    assert (option.text, option.prompt, option.obstacle) == (
        "Ask how a friend did it",
        "someone",
        obstacle,
    )


def test_option_added_with_htmx_can_be_committed_at_once(owner_client, session, htmx_headers):
    response = owner_client.post(
        _url("plans-grow-option-add", session),
        {"prompt": "help", "help-text": "My aunt the accountant"},
        headers=htmx_headers,
    )
    html = response.content.decode()
    assert response.status_code == 200
    option = session.options.get()
    assert f'<option value="{option.code}">My aunt the accountant</option>' in html


def test_another_persons_obstacle_in_the_option_form_is_refused(
    owner_client, session, obstacle, htmx_headers
):
    theirs = ObstacleFactory(session=GrowSessionFactory(plan=PlanFactory()))
    data = {"prompt": "else", "else-text": "Sneaky", "else-obstacle": str(theirs.code)}
    for headers in ({}, htmx_headers):
        response = owner_client.post(_url("plans-grow-option-add", session), data, headers=headers)
        html = response.content.decode()
        assert response.status_code == 422
        assert "That obstacle is not on this sheet" in html
        assert 'value="Sneaky"' in html
    assert not Option.objects.filter(text="Sneaky").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Write the option in a few words."),
        ("o" * 201, "Keep an option to 200 characters (it has 201)"),
    ],
)
def test_bad_option_is_refused(owner_client, session, text, message):
    response = owner_client.post(
        _url("plans-grow-option-add", session), {"prompt": "help", "help-text": text}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not session.options.exists()


def test_option_is_edited_and_can_drop_its_obstacle(owner_client, option):
    response = owner_client.post(
        _url("plans-grow-option-edit", option),
        {"edit-option-text": "Phone Jo", "edit-option-obstacle": ""},
    )
    assert response["Location"] == _sheet(option.session) + "#options-help"
    option.refresh_from_db()
    assert (option.text, option.obstacle) == ("Phone Jo", None)


def test_option_edit_with_htmx_comes_inline(owner_client, option, htmx_headers):
    html = owner_client.get(
        _url("plans-grow-option-edit", option), headers=htmx_headers
    ).content.decode()
    assert _is_fragment(html, "li", f"option-{option.code}")
    assert f'value="{option.text}"' in html


def test_option_is_deleted(owner_client, option, htmx_headers):
    response = owner_client.post(_url("plans-grow-option-delete", option), headers=htmx_headers)
    assert response.status_code == 200
    assert "Option deleted" in response.content.decode()
    assert not Option.objects.filter(pk=option.pk).exists()


def test_committed_option_cannot_be_edited_or_deleted(owner_client, option, plan):
    option.step = StepFactory(plan=plan, title=option.text)
    option.save()
    edit = owner_client.post(_url("plans-grow-option-edit", option), {"edit-option-text": "New"})
    delete = owner_client.post(_url("plans-grow-option-delete", option))
    assert (edit.status_code, delete.status_code) == (409, 409)
    assert "already committed" in delete.content.decode()
    option.refresh_from_db()
    assert option.text == "Talk to a friend who worked in a bookshop"


# --- Way forward: committing ---------------------------------------------------------------


def test_commit_creates_a_dated_step_an_event_and_a_signal(owner_client, option, committed_signals):
    response = owner_client.post(
        _url("plans-grow-commit", option.session),
        {"option": str(option.code), "due_date": "2026-12-01", "reward": "A trip to the cinema"},
    )
    assert response.status_code == 302
    assert response["Location"] == _sheet(option.session) + "#way-forward"
    option.refresh_from_db()
    step = option.step
    assert (step.plan, step.title, step.due_date, step.source, step.reward) == (
        option.session.plan,
        option.text,
        datetime.date(2026, 12, 1),
        Step.Source.GROW,
        "A trip to the cinema",
    )
    assert list(step.events.values_list("kind", "new_date")) == [
        (StepEvent.Kind.COMMITTED, datetime.date(2026, 12, 1))
    ]
    assert committed_signals == [step]
    assert step.checkup_due is not None


def test_commit_with_htmx_shows_the_step_in_the_way_forward(owner_client, option, htmx_headers):
    response = owner_client.post(
        _url("plans-grow-commit", option.session),
        {"option": str(option.code), "due_date": "2026-11-24"},
        headers=htmx_headers,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "You have committed to" in html
    assert "Tuesday 24 November 2026" in html
    assert "You committed to “Talk to a friend who worked in a bookshop”" in html
    assert "Every option on this sheet is committed" in html


def test_committed_step_shows_its_state(owner_client, option, plan):
    option.step = StepFactory(
        plan=plan, title=option.text, due_date=TODAY - datetime.timedelta(days=2)
    )
    option.save()
    chip = re.compile(
        r'grow-committed state-chip state-(\w+)"[^>]*>(?:(?!</li>).)*badge[^>]*>(\w+)<', re.S
    )
    html = owner_client.get(_sheet(option.session)).content.decode()
    assert chip.findall(html) == [("overdue", "Overdue")]
    option.step.mark_done()
    html = owner_client.get(_sheet(option.session)).content.decode()
    assert chip.findall(html) == [("done", "Done")]


@pytest.mark.parametrize(
    ("due_date", "message"),
    [
        ("2026-11-23", "a completion date cannot be in the past"),
        ("2026-02-30", "Enter a real date, like 2026-11-27."),
        ("", "Give it a completion date"),
    ],
)
def test_bad_commit_date_is_refused_and_nothing_is_half_saved(
    owner_client, option, htmx_headers, committed_signals, due_date, message
):
    data = {"option": str(option.code), "due_date": due_date, "reward": "Chocolate"}
    for headers in ({}, htmx_headers):
        response = owner_client.post(
            _url("plans-grow-commit", option.session), data, headers=headers
        )
        html = response.content.decode()
        assert response.status_code == 422
        assert message in html
        assert 'value="Chocolate"' in html
    assert not Step.objects.exists()
    assert not StepEvent.objects.exists()
    assert committed_signals == []


def test_committing_twice_is_refused_with_a_clear_message(owner_client, option):
    url = _url("plans-grow-commit", option.session)
    data = {"option": str(option.code), "due_date": "2026-12-01"}
    owner_client.post(url, data)
    response = owner_client.post(url, {**data, "reward": "Cake"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "You have already committed to “Talk to a friend who worked in a bookshop”" in html
    assert "due 1 December 2026" in html
    assert 'value="Cake"' in html
    assert Step.objects.count() == 1


def test_a_stale_commit_of_a_committed_option_makes_no_second_step(
    option, django_capture_on_commit_callbacks
):
    stale = Option.objects.get(pk=option.pk)
    enqueued = []

    def enqueue(sender, step, **kwargs):
        # What a receiver in another app does: work that waits for the commit.
        transaction.on_commit(lambda: enqueued.append(step.due_date))

    signals.step_committed.connect(enqueue)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            option.commit(datetime.date(2026, 12, 1))
            with pytest.raises(Option.AlreadyCommitted):
                stale.commit(datetime.date(2026, 12, 2))
    finally:
        signals.step_committed.disconnect(enqueue)
    assert Step.objects.count() == 1
    assert StepEvent.objects.count() == 1
    # The savepoint took the second attempt's on-commit work back with its step.
    assert enqueued == [datetime.date(2026, 12, 1)]


def test_another_persons_option_cannot_be_committed(owner_client, session):
    theirs = OptionFactory(session=GrowSessionFactory(plan=PlanFactory()))
    response = owner_client.post(
        _url("plans-grow-commit", session), {"option": str(theirs.code), "due_date": "2026-12-01"}
    )
    assert response.status_code == 422
    assert "That option is not on this sheet" in response.content.decode()
    assert not Step.objects.exists()


def test_commit_form_posts_with_csrf_enforced(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    session = GrowSessionFactory(plan=PlanFactory(owner=owner), number=1)
    option = OptionFactory(session=session)
    url = _url("plans-grow-commit", session)
    data = {"option": str(option.code), "due_date": "2026-12-01"}
    assert client.post(url, data).status_code == 403
    client.get(_sheet(session))
    token = client.cookies["csrftoken"].value
    assert client.post(url, {**data, "csrfmiddlewaretoken": token}).status_code == 302


# --- Printing ------------------------------------------------------------------------------


def test_print_view_lays_out_the_four_boxes_with_a_print_button(owner_client, option, plan):
    OptionFactory(
        session=option.session,
        text="Visit a trade fair",
        step=StepFactory(plan=plan, title="Visit a trade fair", reward="Cake"),
    )
    html = owner_client.get(_url("plans-grow-print", option.session)).content.decode()
    assert "data-print" in html
    assert "css/grow" in html
    assert html.count('class="grow-print-box"') == 4
    assert option.text in html
    assert "Visit a trade fair" in html
    assert "Cake" in html
    assert "I work in insurance." in html


def test_blank_sheet_prints_empty_boxes_with_the_prompts(owner_client, plan):
    html = owner_client.get(_url("plans-grow-print-blank", plan)).content.decode()
    assert html.count('class="grow-print-box"') == 4
    assert "Who could help?" in html
    assert "What would someone else in my place do?" in html
    assert "What you have found out about yourself" in html
    assert 'class="grow-line"' in html
    assert "data-print" in html


def test_print_css_asks_for_one_landscape_a4_page():
    css = (Path(settings.BASE_DIR) / "static/css/grow.css").read_text()
    print_rules = css[css.index("@media print") :]
    assert "@page { size: A4 landscape" in print_rules


# --- Fixed query counts --------------------------------------------------------------------


def _fill(plan, session, n):
    """Give a sheet n obstacles, n open options and n committed options (n steps)."""
    obstacles = Obstacle.objects.bulk_create(
        Obstacle(session=session, text=f"Obstacle {i}", position=i) for i in range(n)
    )
    steps = Step.objects.bulk_create(
        Step(plan=plan, title=f"Step {i}", due_date=TODAY, position=i, source="grow")
        for i in range(n)
    )
    Option.objects.bulk_create(
        [
            Option(session=session, text=f"Open {i}", obstacle=obstacles[i], position=i)
            for i in range(n)
        ]
        + [
            Option(session=session, text=f"Done {i}", step=steps[i], position=n + i)
            for i in range(n)
        ]
    )


@pytest.mark.parametrize("size", [5, 500])
def test_sheet_runs_a_fixed_number_of_queries(
    owner_client, plan, size, django_assert_max_num_queries
):
    session = GrowSessionFactory(plan=plan, number=1)
    _fill(plan, session, size)
    # One of them asks whether a buddy hears of a commitment (has_buddy_to_tell).
    with django_assert_max_num_queries(7):
        response = owner_client.get(_sheet(session))
    assert response.content.decode().count("grow-committed") == size


@pytest.mark.parametrize("size", [5, 500])
def test_print_view_runs_a_fixed_number_of_queries(
    owner_client, plan, size, django_assert_max_num_queries
):
    session = GrowSessionFactory(plan=plan, number=1)
    _fill(plan, session, size)
    with django_assert_max_num_queries(6):
        assert owner_client.get(_url("plans-grow-print", session)).status_code == 200


@pytest.mark.parametrize("size", [5, 500])
def test_list_runs_a_fixed_number_of_queries(
    owner_client, plan, size, django_assert_max_num_queries
):
    sessions = GrowSession.objects.bulk_create(
        GrowSession(plan=plan, number=i + 1) for i in range(size)
    )
    _fill(plan, sessions[-1], size)
    with django_assert_max_num_queries(4):
        response = owner_client.get(_url("plans-grow-list", plan))
    assert response.content.decode().count("grow-run") == size


def test_option_forms_offer_no_obstacle_picker_until_there_is_an_obstacle(owner_client, session):
    html = owner_client.get(_sheet(session)).content.decode()
    assert "Does it answer an obstacle?" not in html
    ObstacleFactory(session=session)
    html = owner_client.get(_sheet(session)).content.decode()
    assert html.count("Does it answer an obstacle?") == 3


def test_added_obstacle_leaves_the_cursor_in_the_obstacle_box_for_the_next(
    owner_client, session, htmx_headers
):
    response = owner_client.post(
        _url("plans-grow-obstacle-add", session),
        {"obstacle-text": "No savings", "obstacle-kind": "practical"},
        headers=htmx_headers,
    )
    assert re.search(r'<input[^>]*autofocus[^>]*id="id_obstacle-text"', response.content.decode())


def test_goal_phrased_as_leaving_gets_a_tip_but_is_saved(owner_client, session):
    response = owner_client.post(
        _url("plans-grow-goal", session), {"goal": "I will quit my job in insurance next year"}
    )
    assert response.status_code == 302
    html = owner_client.get(_sheet(session)).content.decode()
    assert "“Quit” says what you are moving away from" in html


def test_a_racing_second_start_opens_the_sheet_the_first_made(owner_client, plan, monkeypatch):
    made = GrowSessionFactory(plan=plan, number=1)

    def lose_the_race(plan):
        # As start_next does when another request numbered the sheet first: its own
        # transaction rolls back and the IntegrityError reaches the view.
        with transaction.atomic():
            GrowSession.objects.create(plan=plan, number=1)

    monkeypatch.setattr(GrowSession, "start_next", staticmethod(lose_the_race))
    response = owner_client.post(_url("plans-grow-start", plan))
    assert response["Location"] == _sheet(made)
    assert plan.grow_sessions.count() == 1


def test_start_with_htmx_redirects_the_browser_to_the_new_sheet(owner_client, plan, htmx_headers):
    response = owner_client.post(_url("plans-grow-start", plan), headers=htmx_headers)
    assert response["HX-Redirect"] == _sheet(plan.grow_sessions.get())


def test_commit_to_this_link_preselects_the_option_without_javascript(owner_client, option):
    html = owner_client.get(_sheet(option.session), {"commit": str(option.code)}).content.decode()
    assert f'<option value="{option.code}" selected>' in html


def test_obstacle_deleted_with_htmx_returns_the_work_boxes_without_it(
    owner_client, obstacle, htmx_headers
):
    response = owner_client.post(_url("plans-grow-obstacle-delete", obstacle), headers=htmx_headers)
    html = response.content.decode()
    assert response.status_code == 200
    assert _is_fragment(html, "div", "grow-work")
    assert f'id="obstacle-{obstacle.code}"' not in html


def test_obstacle_saved_with_htmx_returns_the_work_boxes(owner_client, obstacle, htmx_headers):
    response = owner_client.post(
        _url("plans-grow-obstacle-edit", obstacle),
        {"edit-text": "No contacts yet", "edit-kind": "practical"},
        headers=htmx_headers,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Obstacle saved." in html
    assert "No contacts yet" in html


def test_reality_saved_with_htmx_returns_the_reality_box(owner_client, session, htmx_headers):
    response = owner_client.post(
        _url("plans-grow-reality", session),
        {"reality": "Part-time now", "discoveries": "", "steps_taken": ""},
        headers=htmx_headers,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert _is_fragment(html, "section", "reality")
    assert "Reality saved." in html


def test_committed_option_links_to_its_step(owner_client, option, plan):
    option.step = StepFactory(plan=plan, title=option.text)
    option.save()
    html = owner_client.get(_sheet(option.session)).content.decode()
    assert reverse("plans-step-detail", args=[option.step.code]) in html
