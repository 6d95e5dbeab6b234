"""Reverse engineering: the tree logic on its own, then every page and form of the tree."""

import json
import re
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careerplan import versions
from plans.example import FIRST_STEP, load_example_plan
from plans.models import Step, StepEvent
from plans.tree.tree import (
    MAX_CHILDREN,
    MAX_DEPTH,
    Node,
    Tree,
    latest_commit_date,
    parent_problem,
)
from tests.factories import PlanFactory, StepFactory, UserFactory
from tests.refusals import message_beside

# Frozen at noon UTC on a Tuesday: the planner (Europe/London) is on the same date.
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 24)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


# --- Building trees ---------------------------------------------------------------------


def memory_tree(spec, plan=None, source=Step.Source.TREE):
    """Build a Tree from (pk, parent pk, due date, status) rows, without the database."""
    steps = [
        Step(
            pk=pk,
            parent_id=parent,
            position=index,
            title=f"Step {pk}",
            due_date=due,
            status=status,
            source=source,
        )
        for index, (pk, parent, due, status) in enumerate(spec)
    ]
    return Tree(plan, steps)


def open_step(pk, parent=None, due=None):
    return (pk, parent, due, Step.Status.OPEN)


def pks(nodes):
    return [node.step.pk for node in nodes]


def tree_step(plan, title, parent=None, due_date=None, **fields):
    """A step of the tree in the database, at the end of its siblings."""
    last = plan.steps.filter(parent=parent).count()
    fields.setdefault("source", Step.Source.TREE)
    return StepFactory(
        plan=plan, title=title, parent=parent, due_date=due_date, position=last, **fields
    )


def chain(plan, length):
    """Return `length` steps, each under the one before: the last is `length` levels deep."""
    steps, parent = [], None
    for level in range(1, length + 1):
        parent = tree_step(plan, f"Level {level}", parent=parent)
        steps.append(parent)
    return steps


# --- The tree logic, pure ---------------------------------------------------------------


def test_steps_hang_under_the_goal_in_sibling_order_with_their_depth():
    tree = memory_tree([open_step(1), open_step(2), open_step(3, 1), open_step(4, 3)])

    assert pks(tree.goal.children) == [1, 2]
    assert pks(tree.nodes[1].children) == [3]
    assert [tree.nodes[pk].depth for pk in (1, 2, 3, 4)] == [1, 1, 2, 3]
    assert pks(tree) == [1, 3, 4, 2]


def test_height_counts_the_levels_a_branch_spans():
    tree = memory_tree([open_step(1), open_step(2, 1), open_step(3, 2), open_step(4, 1)])

    assert tree.nodes[1].height() == 3
    assert tree.nodes[4].height() == 1


def test_first_step_is_the_earliest_dated_open_leaf():
    tree = memory_tree(
        [
            open_step(1, due=TODAY + timedelta(days=1)),  # has an open step under it
            open_step(2, 1, due=TODAY + timedelta(days=4)),
            open_step(3, due=TODAY + timedelta(days=3)),
            (4, None, TODAY, Step.Status.DONE),
            (5, None, TODAY, Step.Status.DROPPED),
            open_step(6),  # undated: still needs breaking down
        ]
    )

    assert tree.first_step().step.pk == 3


def test_first_step_ties_go_to_the_step_first_in_the_tree():
    due = TODAY + timedelta(days=2)
    tree = memory_tree([open_step(1), open_step(2, 1, due=due), open_step(3, due=due)])

    assert tree.first_step().step.pk == 2


def test_a_dated_step_whose_own_steps_are_done_can_be_the_first_step():
    tree = memory_tree(
        [open_step(1, due=TODAY + timedelta(days=2)), (2, 1, TODAY, Step.Status.DONE)]
    )

    assert tree.first_step().step.pk == 1


def test_there_is_no_first_step_until_something_is_dated():
    assert memory_tree([open_step(1), open_step(2, 1)]).first_step() is None
    assert memory_tree([]).first_step() is None


def test_the_goal_is_asked_about_first():
    tree = memory_tree([])

    assert tree.next_to_ask() is tree.goal


def test_dated_steps_from_elsewhere_under_the_goal_do_not_answer_its_question():
    dated = [open_step(1, due=TODAY), open_step(2, due=TODAY)]

    assert memory_tree(dated, source=Step.Source.GROW).next_to_ask().is_goal
    assert memory_tree(dated, source=Step.Source.DIRECT).next_to_ask().is_goal
    assert memory_tree(dated).next_to_ask() is None


def test_a_breakdown_from_anywhere_answers_the_goals_question():
    undated = [open_step(1, due=TODAY), open_step(2)]
    broken_down = [open_step(1, due=TODAY), open_step(2, 1, due=TODAY)]

    assert memory_tree(undated, source=Step.Source.DIRECT).next_to_ask().step.pk == 2
    assert memory_tree(broken_down, source=Step.Source.GROW).next_to_ask() is None
    assert memory_tree(undated, source=Step.Source.EXAMPLE).next_to_ask().step.pk == 2


def test_answers_are_followed_down_before_the_next_sibling():
    tree = memory_tree(
        [
            open_step(1),
            open_step(2),
            open_step(3, 1, due=TODAY),
            open_step(4, 1),
            open_step(5, 4, due=TODAY),
            open_step(6, 4),
        ]
    )

    assert tree.next_to_ask().step.pk == 6


def test_the_guide_stays_on_the_branch_being_drilled_until_it_is_done():
    # Goal -> 1, 2 (both still to answer); 2 was asked about first and answered with 3, 4.
    tree = memory_tree([open_step(1), open_step(2), open_step(3, 2), open_step(4, 2)])
    two, three = tree.nodes[2], tree.nodes[3]

    assert tree.next_to_ask().step.pk == 1  # in tree order alone, step 1 comes first...
    assert tree.next_to_ask(near=two).step.pk == 3  # ...but the answers to 2 come next
    # Once 3 has its date, the rest of 2's branch still comes before step 1.
    dated = memory_tree([open_step(1), open_step(2), open_step(3, 2, due=TODAY), open_step(4, 2)])
    assert dated.next_to_ask(near=dated.nodes[3]).step.pk == 4
    assert dated.next_to_ask().step.pk == 1
    # With 2's branch done, the guide moves on to what is left: step 1.
    done = memory_tree(
        [open_step(1), open_step(2), open_step(3, 2, due=TODAY), open_step(4, 2, due=TODAY)]
    )
    assert done.next_to_ask(near=done.nodes[4]).step.pk == 1
    assert three.needs_answer
    assert not two.needs_answer


def test_nothing_is_left_to_ask_when_every_branch_ends_in_an_action_step():
    tree = memory_tree([open_step(1), open_step(2, 1, due=TODAY), (3, None, None, "done")])

    assert tree.next_to_ask() is None


def test_a_step_is_inside_itself_and_its_branch_only():
    tree = memory_tree([open_step(1), open_step(2, 1), open_step(3, 2), open_step(4)])
    one = tree.nodes[1]

    assert tree.is_inside(one, one)
    assert tree.is_inside(one, tree.nodes[3])
    assert not tree.is_inside(one, tree.nodes[4])
    assert not tree.is_inside(tree.nodes[3], one)


def test_a_step_cannot_move_under_itself_or_its_own_descendant():
    tree = memory_tree([open_step(1), open_step(2, 1), open_step(3, 2)])
    one = tree.nodes[1]

    assert "cannot go under itself" in tree.problem_moving(one, one)
    assert "one of its own steps" in tree.problem_moving(one, tree.nodes[3])


def test_a_move_may_not_take_a_branch_past_the_depth_limit():
    spec = [open_step(pk, pk - 1 or None) for pk in range(1, MAX_DEPTH + 1)]
    spec += [open_step(100), open_step(101, 100)]
    tree = memory_tree(spec)
    deepest = tree.nodes[MAX_DEPTH - 1]  # one level above the limit

    assert "more than 6 levels" in tree.problem_moving(tree.nodes[100], deepest)
    assert tree.problem_moving(tree.nodes[101], deepest) is None


def test_a_move_may_not_overfill_a_step():
    spec = [open_step(1), open_step(2)]
    spec += [open_step(pk, 1) for pk in range(10, 10 + MAX_CHILDREN)]
    tree = memory_tree(spec)

    assert "already has 12 steps" in tree.problem_moving(tree.nodes[2], tree.nodes[1])
    # Staying where it is never counts against it.
    assert tree.problem_moving(tree.nodes[10], tree.nodes[1]) is None


def test_move_targets_leave_out_the_branch_and_the_current_place():
    tree = memory_tree([open_step(1), open_step(2, 1), open_step(3), open_step(4, 3)])

    targets = tree.move_targets(tree.nodes[1])

    assert [node for node in targets if not node.is_goal] == [tree.nodes[3], tree.nodes[4]]
    assert tree.goal not in targets  # it is already directly under the goal
    assert tree.goal in tree.move_targets(tree.nodes[2])


def test_adding_is_refused_past_the_depth_limit():
    tree = memory_tree([open_step(pk, pk - 1 or None) for pk in range(1, MAX_DEPTH + 1)])

    assert tree.problem_adding(tree.nodes[MAX_DEPTH - 1], 1) is None
    assert "6 levels below your goal" in tree.problem_adding(tree.nodes[MAX_DEPTH], 1)


def test_adding_is_refused_past_the_breadth_limit_saying_how_much_room_is_left():
    tree = memory_tree([open_step(pk) for pk in range(1, MAX_CHILDREN - 1)])

    assert tree.room_under(tree.goal) == 2
    assert tree.problem_adding(tree.goal, 2) is None
    message = tree.problem_adding(tree.goal, 3)
    assert "room for 2 more; you wrote 3" in message
    assert message.startswith("Your goal can hold 12 steps")


def test_dated_steps_added_elsewhere_leave_the_goal_room_for_its_breakdown():
    # Twenty quick-added steps, already dated, sit under the goal without answering it.
    tree = memory_tree(
        [open_step(pk, due=TODAY + timedelta(days=pk)) for pk in range(1, 21)],
        source=Step.Source.DIRECT,
    )

    assert tree.room_under(tree.goal) == MAX_CHILDREN
    assert tree.problem_adding(tree.goal, 3) is None


def test_a_full_goal_says_which_steps_it_counted():
    """A goal with steps added on the plan page beside its answers says those do not
    count, so "already has 12" matches what the person sees under it."""
    answers = [open_step(pk) for pk in range(1, MAX_CHILDREN + 1)]
    tree = memory_tree(answers)
    assert "(steps added" not in tree.problem_adding(tree.goal, 1)
    tree = memory_tree([*answers, open_step(90, due=TODAY), open_step(91, due=TODAY)])
    for node in tree.goal.children[-2:]:
        node.step.source = Step.Source.DIRECT
    problem = tree.problem_adding(tree.goal, 1)
    assert problem.startswith("Your goal already has 12 steps worked out here (steps added on")


def test_a_full_step_says_it_is_full():
    tree = memory_tree([open_step(pk) for pk in range(1, MAX_CHILDREN + 1)])

    assert "the most it can hold" in tree.problem_adding(tree.goal, 1)


def test_lifting_steps_up_may_not_overfill_the_parent():
    spec = [open_step(pk) for pk in range(1, MAX_CHILDREN)]  # 11 under the goal
    spec += [open_step(50, 1), open_step(51, 1)]
    tree = memory_tree(spec)

    assert tree.problem_lifting(tree.nodes[1]) is None
    spec.append(open_step(52, 1))
    tree = memory_tree(spec)
    assert "put 13 steps under your goal" in tree.problem_lifting(tree.nodes[1])


def test_within_a_week_means_today_and_the_seven_days_after():
    assert latest_commit_date(TODAY) == date(2026, 12, 1)


# --- Pages: who may see them ------------------------------------------------------------


@pytest.fixture
def step(plan):
    return tree_step(plan, "Find a location")


def tree_url(plan):
    return reverse("plans-tree", args=[plan.code])


STEP_GETS = ["plans-tree-step-edit", "plans-tree-step-move", "plans-tree-step-delete"]
STEP_POSTS = [
    ("plans-tree-step-date", {"due_date": "2026-11-26"}),
    ("plans-tree-step-answers", {"answers": "Walk the high street"}),
    ("plans-tree-step-edit", {"title": "Find a site", "notes": ""}),
    ("plans-tree-step-move", {"parent": "goal"}),
    ("plans-tree-step-reorder", {"direction": "up"}),
    ("plans-tree-step-delete", {"children": ""}),
]
GOAL_POSTS = [
    ("plans-tree-goal-date", {"title": "Open the shop", "due_date": "2026-11-26"}),
    ("plans-tree-goal-answers", {"answers": "Find a location"}),
]


def all_requests(plan, step):
    yield "get", tree_url(plan), {}
    for name in STEP_GETS:
        yield "get", reverse(name, args=[step.code]), {}
    for name, data in STEP_POSTS:
        yield "post", reverse(name, args=[step.code]), data
    for name, data in GOAL_POSTS:
        yield "post", reverse(name, args=[plan.code]), data


def test_every_tree_page_is_404_for_a_stranger(stranger_client, plan, step):
    for method, url, data in all_requests(plan, step):
        response = getattr(stranger_client, method)(url, data)
        assert response.status_code == 404, url
    step.refresh_from_db()
    assert step.title == "Find a location"
    assert plan.steps.count() == 1


def test_every_tree_page_sends_an_anonymous_visitor_to_log_in(client, plan, step):
    for method, url, data in all_requests(plan, step):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login")), url


def test_tree_pages_refuse_the_wrong_method(owner_client, plan, step):
    assert owner_client.post(tree_url(plan)).status_code == 405
    assert owner_client.delete(reverse("plans-tree-step-edit", args=[step.code])).status_code == 405
    for name in ["plans-tree-goal-date", "plans-tree-goal-answers"]:
        assert owner_client.get(reverse(name, args=[plan.code])).status_code == 405
    for name in ["plans-tree-step-date", "plans-tree-step-answers", "plans-tree-step-reorder"]:
        assert owner_client.get(reverse(name, args=[step.code])).status_code == 405
    for name in ["plans-tree-step-move", "plans-tree-step-delete"]:
        assert owner_client.put(reverse(name, args=[step.code])).status_code == 405


def test_the_tree_page_is_a_full_page_and_an_htmx_workspace(owner_client, plan, step, htmx_headers):
    page = owner_client.get(tree_url(plan))
    fragment = owner_client.get(tree_url(plan), headers=htmx_headers)

    assert page.status_code == fragment.status_code == 200
    assert "<html" in page.text
    assert "How reverse engineering works" in page.text
    assert f'aria-current="page" href="{tree_url(plan)}"' in page.text
    assert "<html" not in fragment.text
    assert 'id="tree-workspace"' in fragment.text
    assert "Find a location" in fragment.text


def test_a_steps_own_pages_are_full_pages_and_htmx_forms(owner_client, step, htmx_headers):
    for name in STEP_GETS:
        url = reverse(name, args=[step.code])
        page = owner_client.get(url)
        fragment = owner_client.get(url, headers=htmx_headers)
        assert page.status_code == fragment.status_code == 200, name
        assert "<html" in page.text, name
        assert "<html" not in fragment.text, name
        assert fragment.text.lstrip().startswith("<form"), name


def test_each_step_has_one_menu_of_named_actions(owner_client, plan):
    dated = tree_step(plan, "Call Anna", due_date=TODAY + timedelta(days=1))
    undated = tree_step(plan, "Find a location")

    html = owner_client.get(tree_url(plan)).text

    menus = re.findall(r'<li id="step-([0-9a-f-]+)"[^>]*><details>', html)
    assert menus == [str(dated.code), str(undated.code)]
    for step, actions in [
        (dated, ["Break it down", "Open the step", "Edit", "Move", "Delete"]),
        (undated, ["Ask about it", "Edit", "Move", "Delete"]),
    ]:
        menu = html[html.index(f'<li id="step-{step.code}"') :]
        menu = menu[: menu.index("</form>")]
        assert f'<form action="{reverse("plans-tree-step", args=[step.code])}">' in menu
        assert re.findall(r'<button name="\w+">([^<]+)</button>', menu) == actions
        # The summary that opens the menu is named by the step itself.
        summary = menu[menu.index("<summary>") : menu.index("</summary>")]
        assert f'{step.title} <span class="badge' in summary


@pytest.mark.parametrize(
    ("action", "name"),
    [
        ("edit", "plans-tree-step-edit"),
        ("move", "plans-tree-step-move"),
        ("delete", "plans-tree-step-delete"),
        ("open", "plans-step-detail"),
    ],
)
def test_a_menu_action_without_javascript_goes_to_its_page(owner_client, step, action, name):
    response = owner_client.get(reverse("plans-tree-step", args=[step.code]), {action: ""})

    assert response.status_code == 302
    assert response["Location"] == reverse(name, args=[step.code])


def test_asking_from_the_menu_goes_to_the_question(owner_client, plan, step, htmx_headers):
    url = reverse("plans-tree-step", args=[step.code])

    plain = owner_client.get(url, {"ask": ""})
    assert plain["Location"] == f"{tree_url(plan)}?node={step.code}#guide"
    swapped = owner_client.get(url, {"ask": ""}, headers=htmx_headers)
    assert re.search(r'<blockquote class="tree-focus">\s*Find a location', swapped.text)
    assert swapped["HX-Push-Url"] == f"{tree_url(plan)}?node={step.code}"


def test_a_menu_action_with_htmx_opens_its_form_in_place_of_the_menu(
    owner_client, step, htmx_headers
):
    response = owner_client.get(
        reverse("plans-tree-step", args=[step.code]), {"edit": ""}, headers=htmx_headers
    )

    assert response.text.lstrip().startswith("<form")
    # The focus goes to the form's first control once it has settled.
    trigger = json.loads(response["HX-Trigger-After-Settle"])
    assert trigger["cp-focus"]["selector"].startswith(f"#step-{step.code} .tree-step-form ")
    assert response["HX-Retarget"] == f"#step-{step.code} > details > form"
    assert response["HX-Reswap"] == "outerHTML"


def test_an_unknown_menu_action_is_a_bad_request(owner_client, step, stranger_client):
    url = reverse("plans-tree-step", args=[step.code])
    assert owner_client.get(url, {"explode": ""}).status_code == 400
    assert stranger_client.get(url, {"edit": ""}).status_code == 404


def test_the_date_form_takes_an_optional_reward(owner_client, owner, plan, step):
    response = owner_client.post(
        reverse("plans-tree-step-date", args=[step.code]),
        {"due_date": TODAY + timedelta(days=2), "reward": "a bar of chocolate"},
    )

    assert response.status_code == 302
    step.refresh_from_db()
    assert (step.due_date, step.reward) == (TODAY + timedelta(days=2), "a bar of chocolate")


def test_a_step_code_of_another_plan_in_the_query_is_404(owner_client, plan, owner):
    other = tree_step(PlanFactory(owner=owner), "Elsewhere")
    theirs = tree_step(PlanFactory(), "Someone else's")

    for code in [other.code, theirs.code, "not-a-code"]:
        assert owner_client.get(tree_url(plan), {"node": code}).status_code == 404


# --- The guided flow --------------------------------------------------------------------


def first_step_li(html):
    """Return the code of the tree item marked as the first step, checking there is one."""
    found = re.findall(r'<li id="step-([0-9a-f-]+)" class="tree-node-first', html)
    assert len(found) == 1, found
    return found[0]


def test_the_goal_is_asked_about_on_an_empty_tree(owner_client, plan):
    response = owner_client.get(tree_url(plan))

    assert "Start with your goal" in response.text
    assert "Could I be doing that within the next week?" in response.text
    assert "Yes, within a week" in response.text
    assert "No, something comes first" in response.text
    assert "You have no action step yet" in response.text


def test_the_tree_says_what_to_do_then_its_limits_plainly(owner_client, plan):
    html = owner_client.get(tree_url(plan)).text

    assert (
        "Open a step to see what you can do with it. "
        f"The tree goes up to {MAX_DEPTH} levels below your goal, with up to {MAX_CHILDREN} "
        f"steps under each step. Under your goal, only the steps worked out here count "
        f"towards the {MAX_CHILDREN}."
    ) in html
    assert "or worked out here directly under the goal" not in html


def test_three_levels_down_to_a_first_step(owner_client, plan):
    url = tree_url(plan)
    no = owner_client.get(url, {"node": "goal", "answer": "no"})
    assert "What would I have to have done first?" in no.text
    assert "Add these" in no.text

    response = owner_client.post(
        reverse("plans-tree-goal-answers", args=[plan.code]),
        {"answers": "Find a location\n\n  Learn about running a business  \n"},
    )
    assert response.status_code == 302
    location, business = plan.steps.order_by("position")
    assert [location.title, business.title] == ["Find a location", "Learn about running a business"]
    assert location.parent is None
    assert location.source == Step.Source.TREE
    assert location.due_date is None

    page = owner_client.get(url)
    assert "The next question" in page.text
    assert re.search(r'<blockquote class="tree-focus">\s*Find a location', page.text)

    owner_client.post(
        reverse("plans-tree-step-answers", args=[location.code]),
        {"answers": "Talk to a friend who worked in a bookshop\nWalk three high streets"},
    )
    friend = location.children.get(title__startswith="Talk")
    page = owner_client.get(url)
    assert re.search(r'<blockquote class="tree-focus">\s*Talk to a friend', page.text)

    yes = owner_client.get(url, {"node": str(friend.code), "answer": "yes"})
    assert "Completion date" in yes.text
    assert "Set date" in yes.text
    response = owner_client.post(
        reverse("plans-tree-step-date", args=[friend.code]), {"due_date": "2026-11-26"}
    )
    assert response.status_code == 302

    friend.refresh_from_db()
    assert friend.due_date == date(2026, 11, 26)
    assert friend.checkup_due is not None
    assert StepEvent.objects.filter(step=friend, kind=StepEvent.Kind.COMMITTED).count() == 1
    page = owner_client.get(url)
    assert first_step_li(page.text) == str(friend.code)
    assert "is an action step now, to do by Thursday 26 November" in page.text
    assert re.search(
        rf'Your first step</span>\s*<a href="#step-{friend.code}">Talk to a friend', page.text
    )
    # The next question moves on to the next answer still to break down.
    assert re.search(r'<blockquote class="tree-focus">\s*Walk three high streets', page.text)


def test_the_answer_form_carries_its_csrf_token(owner, plan):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    url = reverse("plans-tree-goal-answers", args=[plan.code])

    page = client.get(tree_url(plan), {"node": "goal", "answer": "no"})
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)

    assert client.post(url, {"answers": "Find a location"}).status_code == 403
    assert (
        client.post(url, {"answers": "Find a location", "csrfmiddlewaretoken": token}).status_code
        == 302
    )
    assert plan.steps.get().title == "Find a location"


def test_the_goal_itself_can_be_a_single_action_step(owner_client, plan):
    response = owner_client.post(
        reverse("plans-tree-goal-date", args=[plan.code]),
        {"title": "Email the bookshop owners' association", "due_date": "2026-12-01"},
    )

    assert response.status_code == 302
    step = plan.steps.get()
    assert (step.title, step.due_date, step.parent) == (
        "Email the bookshop owners' association",
        date(2026, 12, 1),
        None,
    )
    assert step.events.get().kind == StepEvent.Kind.COMMITTED


def test_the_yes_form_for_the_goal_starts_from_the_goals_words(owner_client, plan):
    response = owner_client.get(tree_url(plan), {"node": "goal", "answer": "yes"})

    assert f'value="{plan.goal}"' in response.text.replace("&#x27;", "'")
    assert 'min="2026-11-24" max="2026-12-01"' in response.text


def test_a_grow_commitment_under_the_goal_still_starts_with_the_goal(owner_client, plan):
    tree_step(plan, "Ask the café owner", due_date=TODAY + timedelta(days=3), source="grow")

    response = owner_client.get(tree_url(plan))

    assert "Start with your goal" in response.text
    assert "Ask the café owner" in response.text


def test_the_worked_example_opens_on_its_first_open_question(owner_client, owner):
    example, _ = load_example_plan(owner)

    response = owner_client.get(tree_url(example))

    assert re.search(r'<blockquote class="tree-focus">\s*Decide the market', response.text)
    first = example.steps.get(title=FIRST_STEP)
    assert first_step_li(response.text) == str(first.code)


def test_when_every_branch_is_dated_the_page_says_so(owner_client, plan):
    tree_step(plan, "Call Anna", due_date=TODAY + timedelta(days=1))

    response = owner_client.get(tree_url(plan))

    assert "Every branch ends in an action step" in response.text
    assert "You have no action step yet" not in response.text


def test_an_overdue_first_step_says_it_was_due(owner_client, plan):
    step = tree_step(plan, "Call Anna", due_date=TODAY - timedelta(days=2))

    response = owner_client.get(tree_url(plan))

    assert first_step_li(response.text) == str(step.code)
    assert "was due" in response.text
    step_page = reverse("plans-step-detail", args=[step.code])
    assert f'href="{step_page}">Open it to check it off</a>' in response.text


def test_asking_about_a_dated_step_offers_to_break_it_down(owner_client, plan):
    step = tree_step(plan, "Call Anna", due_date=TODAY + timedelta(days=1))

    response = owner_client.get(tree_url(plan), {"node": str(step.code), "answer": "yes"})

    assert "This is already an action step" in response.text
    assert "Set date" not in response.text
    assert "Add these" in response.text


def test_htmx_answers_return_the_next_question_and_the_message(owner_client, plan, htmx_headers):
    response = owner_client.post(
        reverse("plans-tree-goal-answers", args=[plan.code]),
        {"answers": "Find a location\nChoose a name"},
        headers=htmx_headers,
    )

    assert response.status_code == 200
    assert "<html" not in response.text
    assert re.search(r'<blockquote class="tree-focus">\s*Find a location', response.text)
    assert 'id="tree-workspace" class="row g-4"' in response.text
    assert 'hx-swap-oob="true"' in response.text
    assert response["HX-Reswap"] == "none"  # everything comes out of band
    assert 'id="messages" class="messages" aria-live="polite" hx-swap-oob="innerHTML"' in (
        response.text
    )
    assert json.loads(response["HX-Trigger-After-Settle"]) == {
        "cp-focus": {"selector": "#guide-heading"}
    }
    assert "Added 2 steps under your goal" in response.text
    assert response["HX-Replace-Url"] == tree_url(plan)


def test_htmx_choice_of_answer_swaps_in_the_matching_form(owner_client, plan, step, htmx_headers):
    response = owner_client.get(
        tree_url(plan), {"node": str(step.code), "answer": "yes"}, headers=htmx_headers
    )

    assert "<html" not in response.text
    assert re.search(r'<input type="date" name="due_date"[^>]* autofocus', response.text)
    assert 'id="guide-heading" class="h5" tabindex="-1" autofocus' not in response.text
    assert reverse("plans-tree-step-date", args=[step.code]) in response.text


def input_tag(html, name):
    """Return the <input> (or <textarea>) tag of the field `name`."""
    return re.search(rf'<(?:input|textarea)[^>]*name="{name}"[^>]*>', html).group(0)


# --- Bad input on the guided forms -------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Pick the day you will do it."),
        # The example is a day the form takes: a few days into its week, not a fixed date.
        ("2026-13-45", "Enter a real date, like 2026-11-27."),
        ("2027-02-31", "Enter a real date, like 2026-11-27."),
        ("2026-11-23", "a completion date cannot be in the past"),
        ("2026-12-02", "That is more than a week away (the latest is Tuesday 1 December)"),
    ],
)
def test_a_bad_completion_date_is_refused_beside_the_field(owner_client, step, typed, message):
    response = owner_client.post(
        reverse("plans-tree-step-date", args=[step.code]), {"due_date": typed}
    )

    assert response.status_code == 422
    html = response.text
    assert message in message_beside(html, "due_date")
    field = input_tag(html, "due_date")
    assert "is-invalid" in field
    assert f'value="{typed}"' in field if typed else 'value="2' not in field
    step.refresh_from_db()
    assert step.due_date is None
    assert not step.events.exists()


@pytest.mark.parametrize("owner_of", ["goal", "step"])
def test_the_example_of_a_real_date_is_one_the_form_takes(owner_client, plan, step, owner_of):
    url = (
        reverse("plans-tree-goal-date", args=[plan.code])
        if owner_of == "goal"
        else reverse("plans-tree-step-date", args=[step.code])
    )
    data = {"title": "Open the shop"} if owner_of == "goal" else {}

    refused = owner_client.post(url, {**data, "due_date": "2027-02-31"})

    assert refused.status_code == 422
    example = re.search(r"Enter a real date, like (\d{4}-\d\d-\d\d)\.", refused.text)[1]
    assert owner_client.post(url, {**data, "due_date": example}).status_code == 302
    assert plan.steps.filter(due_date=date.fromisoformat(example)).exists()


def test_the_week_is_counted_in_the_planners_own_zone(client, db):
    # At noon UTC it is already Wednesday 25 November on Kiritimati (UTC+14).
    planner = UserFactory(tz="Pacific/Kiritimati")
    client.force_login(planner)
    step = tree_step(PlanFactory(owner=planner), "Call Anna")
    url = reverse("plans-tree-step-date", args=[step.code])

    assert client.post(url, {"due_date": "2026-11-24"}).status_code == 422
    assert client.post(url, {"due_date": "2026-12-02"}).status_code == 302
    step.refresh_from_db()
    assert step.due_date == date(2026, 12, 2)


def test_a_dated_step_is_not_dated_again_here(owner_client, plan):
    step = tree_step(plan, "Call Anna", due_date=TODAY + timedelta(days=1))

    response = owner_client.post(
        reverse("plans-tree-step-date", args=[step.code]), {"due_date": "2026-11-30"}
    )

    assert response.status_code == 422
    assert "already has its completion date" in response.text
    step.refresh_from_db()
    assert step.due_date == TODAY + timedelta(days=1)


def test_a_done_step_is_not_given_a_date(owner_client, plan):
    step = tree_step(plan, "Call Anna", status=Step.Status.DONE)

    page = owner_client.get(tree_url(plan), {"node": str(step.code), "answer": "yes"})
    response = owner_client.post(
        reverse("plans-tree-step-date", args=[step.code]), {"due_date": "2026-11-26"}
    )

    assert "This step is done: there is nothing to ask about it." in page.text
    assert "Set date" not in page.text
    assert response.status_code == 422
    assert "This step is done already" in response.text
    step.refresh_from_db()
    assert step.due_date is None


def test_an_empty_answer_list_is_refused(owner_client, plan):
    response = owner_client.post(
        reverse("plans-tree-goal-answers", args=[plan.code]), {"answers": " \n \n"}
    )

    assert response.status_code == 422
    assert "Write at least one answer, one per line." in response.text
    assert not plan.steps.exists()


def test_an_over_long_answer_refuses_them_all_and_keeps_what_was_typed(owner_client, plan):
    typed = "Find a location\n" + "x" * 201 + "\nChoose a name"

    response = owner_client.post(
        reverse("plans-tree-goal-answers", args=[plan.code]), {"answers": typed}
    )

    assert response.status_code == 422
    assert "Keep each answer under 200 characters (answer 2 is longer)" in response.text
    assert "Find a location\n" + "x" * 201 in response.text
    assert "is-invalid" in input_tag(response.text, "answers")
    assert not plan.steps.exists()


def test_answers_beyond_the_breadth_limit_are_refused_whole(owner_client, plan):
    for number in range(MAX_CHILDREN - 1):
        tree_step(plan, f"Answer {number}")

    response = owner_client.post(
        reverse("plans-tree-goal-answers", args=[plan.code]), {"answers": "One\nTwo"}
    )

    assert response.status_code == 422
    assert "room for 1 more; you wrote 2" in response.text
    assert plan.steps.count() == MAX_CHILDREN - 1


def test_answers_beyond_the_depth_limit_are_refused(owner_client, plan):
    deepest = chain(plan, MAX_DEPTH)[-1]

    response = owner_client.post(
        reverse("plans-tree-step-answers", args=[deepest.code]), {"answers": "Even smaller"}
    )

    assert response.status_code == 422
    assert "already 6 levels below your goal" in response.text
    assert plan.steps.count() == MAX_DEPTH
    page = owner_client.get(tree_url(plan), {"node": str(deepest.code), "answer": "no"})
    assert "already 6 levels below your goal" in page.text
    assert "Add these" not in page.text


def test_a_full_goal_takes_no_more_action_steps(owner_client, plan):
    for number in range(MAX_CHILDREN):
        tree_step(plan, f"Answer {number}")

    response = owner_client.post(
        reverse("plans-tree-goal-date", args=[plan.code]),
        {"title": "Open the shop", "due_date": "2026-11-26"},
    )

    assert response.status_code == 422
    assert "the most it can hold" in response.text
    assert plan.steps.count() == MAX_CHILDREN


def test_a_refused_htmx_answer_is_the_workspace_with_the_error(owner_client, step, htmx_headers):
    response = owner_client.post(
        reverse("plans-tree-step-date", args=[step.code]),
        {"due_date": "2026-11-01"},
        headers=htmx_headers,
    )

    assert response.status_code == 422
    assert "<html" not in response.text
    assert 'id="tree-workspace"' in response.text
    assert "cannot be in the past" in response.text
    assert 'value="2026-11-01"' in response.text


# --- Editing ----------------------------------------------------------------------------


def test_editing_saves_title_and_notes(owner_client, step):
    response = owner_client.post(
        reverse("plans-tree-step-edit", args=[step.code]),
        {"title": "Find a shop to rent", "notes": "Ask the council about empty units"},
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"#step-{step.code}")
    step.refresh_from_db()
    assert (step.title, step.notes) == ("Find a shop to rent", "Ask the council about empty units")


@pytest.mark.parametrize(
    ("title", "message"),
    [("   ", "Give the step a title."), ("x" * 201, "at most 200 characters")],
)
def test_a_bad_title_is_refused_keeping_what_was_typed(owner_client, step, title, message):
    response = owner_client.post(
        reverse("plans-tree-step-edit", args=[step.code]),
        {"title": title, "notes": "My typed notes"},
    )

    assert response.status_code == 422
    assert message in response.text
    assert "My typed notes" in response.text
    assert "Edit “Find a location”" in response.text
    step.refresh_from_db()
    assert (step.title, step.notes) == ("Find a location", "")


def test_a_refused_edit_with_a_good_new_title_keeps_the_saved_one_in_the_heading(
    owner_client, step
):
    response = owner_client.post(
        reverse("plans-tree-step-edit", args=[step.code]),
        {"title": "Find a shop", "notes": "n" * 2001},
    )
    assert response.status_code == 422
    assert "Edit “Find a location”" in response.text
    assert "Edit “Find a shop”" not in response.text
    assert 'value="Find a shop"' in response.text


def test_htmx_edit_answers_with_the_workspace_in_place_of_the_form(
    owner_client, step, htmx_headers
):
    response = owner_client.post(
        reverse("plans-tree-step-edit", args=[step.code]),
        {"title": "Find a shop", "notes": ""},
        headers=htmx_headers,
    )

    assert response.status_code == 200
    assert 'id="tree-workspace"' in response.text
    assert response["HX-Reswap"] == "none"
    assert "Find a shop" in response.text
    # The keyboard focus returns to the step's own menu once swapped.
    assert json.loads(response["HX-Trigger-After-Settle"]) == {
        "cp-focus": {"selector": f"#step-{step.code} > details > summary"}
    }


def test_a_refused_htmx_edit_is_the_form_again(owner_client, step, htmx_headers):
    response = owner_client.post(
        reverse("plans-tree-step-edit", args=[step.code]),
        {"title": "", "notes": "kept"},
        headers=htmx_headers,
    )

    assert response.status_code == 422
    assert response.text.lstrip().startswith("<form")
    assert "Give the step a title." in response.text
    assert "HX-Retarget" not in response


# --- Moving and reordering --------------------------------------------------------------


def test_a_step_moves_with_its_branch_to_the_end_of_its_new_place(owner_client, plan):
    location = tree_step(plan, "Find a location")
    business = tree_step(plan, "Learn about running a business")
    course = tree_step(plan, "Take a course", parent=business)
    site = tree_step(plan, "Visit sites", parent=location)
    tree_step(plan, "Ask an agent", parent=site)

    response = owner_client.post(
        reverse("plans-tree-step-move", args=[site.code]), {"parent": str(business.code)}
    )

    assert response.status_code == 302
    site.refresh_from_db()
    assert site.parent == business
    assert site.position > course.position
    assert site.children.get().title == "Ask an agent"


def test_a_move_target_code_is_read_as_a_uuid_whatever_its_case(owner_client, plan):
    location = tree_step(plan, "Find a location")
    name = tree_step(plan, "Choose a name")

    response = owner_client.post(
        reverse("plans-tree-step-move", args=[name.code]), {"parent": str(location.code).upper()}
    )

    assert response.status_code == 302
    name.refresh_from_db()
    assert name.parent == location


def test_a_step_moves_up_to_the_goal(owner_client, plan):
    location = tree_step(plan, "Find a location")
    site = tree_step(plan, "Visit sites", parent=location)

    owner_client.post(reverse("plans-tree-step-move", args=[site.code]), {"parent": "goal"})

    site.refresh_from_db()
    assert site.parent is None


def selected_places(html):
    """Return the values of the chosen options of the move form's "Put it under"."""
    select = re.search(r'<select name="parent".*?</select>', html, flags=re.DOTALL)[0]
    return re.findall(r'<option value="([^"]*)" selected>', select)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_top_level_step_starts_with_no_place_chosen(owner_client, plan, htmx, htmx_headers):
    location = tree_step(plan, "Find a location")
    tree_step(plan, "Choose a name")

    response = owner_client.get(
        reverse("plans-tree-step-move", args=[location.code]), headers=htmx_headers if htmx else {}
    )

    assert response.status_code == 200
    assert '<option value="" selected>Choose where it goes …</option>' in response.text
    assert selected_places(response.text) == [""]


def test_a_nested_step_starts_on_the_goal_when_it_can_go_there(owner_client, plan):
    location = tree_step(plan, "Find a location")
    site = tree_step(plan, "Visit sites", parent=location)

    response = owner_client.get(reverse("plans-tree-step-move", args=[site.code]))

    assert selected_places(response.text) == ["goal"]


def test_a_nested_step_starts_with_no_place_chosen_when_the_goal_is_full(owner_client, plan):
    answers = [tree_step(plan, f"Answer {number}") for number in range(MAX_CHILDREN)]
    site = tree_step(plan, "Visit sites", parent=answers[0])

    response = owner_client.get(reverse("plans-tree-step-move", args=[site.code]))

    assert '<option value="goal"' not in response.text
    assert selected_places(response.text) == [""]


def test_a_step_with_nowhere_to_go_offers_no_choice_and_no_move_button(owner_client, step):
    response = owner_client.get(reverse("plans-tree-step-move", args=[step.code]))

    assert "There is nowhere else this step can go" in response.text
    assert '<select name="parent"' not in response.text
    assert ">Move</button>" not in response.text


def test_the_move_form_offers_only_valid_places(owner_client, plan):
    location = tree_step(plan, "Find a location")
    site = tree_step(plan, "Visit sites", parent=location)
    name = tree_step(plan, "Choose a name")

    response = owner_client.get(reverse("plans-tree-step-move", args=[location.code]))

    options = re.findall(r'<option value="([^"]+)"', response.text)
    assert options == [str(name.code)]
    assert str(site.code) not in options
    assert "The steps under it move with it." in response.text


@pytest.mark.parametrize("where", ["itself", "descendant"])
def test_a_forged_move_under_its_own_branch_is_refused(owner_client, plan, where):
    location = tree_step(plan, "Find a location")
    site = tree_step(plan, "Visit sites", parent=location)
    agent = tree_step(plan, "Ask an agent", parent=site)
    target = location if where == "itself" else agent

    response = owner_client.post(
        reverse("plans-tree-step-move", args=[location.code]), {"parent": str(target.code)}
    )

    assert response.status_code == 422
    assert "A step cannot go under itself or under one of its own steps" in response.text
    location.refresh_from_db()
    assert location.parent is None


def test_a_move_past_the_depth_limit_is_refused(owner_client, plan):
    levels = chain(plan, MAX_DEPTH)
    branch = tree_step(plan, "Branch")
    tree_step(plan, "Under the branch", parent=branch)

    response = owner_client.post(
        reverse("plans-tree-step-move", args=[branch.code]), {"parent": str(levels[-2].code)}
    )

    assert response.status_code == 422
    assert "more than 6 levels below your goal" in response.text
    branch.refresh_from_db()
    assert branch.parent is None


def test_a_move_into_a_full_step_is_refused(owner_client, plan):
    full = tree_step(plan, "Full")
    for number in range(MAX_CHILDREN):
        tree_step(plan, f"Part {number}", parent=full)
    other = tree_step(plan, "Other")

    response = owner_client.post(
        reverse("plans-tree-step-move", args=[other.code]), {"parent": str(full.code)}
    )

    assert response.status_code == 422
    assert "already has 12 steps under it" in response.text


def test_moving_to_where_it_already_is_is_refused_with_a_message(owner_client, step):
    response = owner_client.post(
        reverse("plans-tree-step-move", args=[step.code]), {"parent": "goal"}
    )

    assert response.status_code == 422
    assert "It is already there." in response.text


def test_a_move_under_a_step_outside_this_plan_is_404(owner_client, owner, plan, step):
    mine_elsewhere = tree_step(PlanFactory(owner=owner), "Other plan")
    theirs = tree_step(PlanFactory(), "Someone else's")

    for target in [str(mine_elsewhere.code), str(theirs.code), "junk"]:
        response = owner_client.post(
            reverse("plans-tree-step-move", args=[step.code]), {"parent": target}
        )
        assert response.status_code == 404, target
    step.refresh_from_db()
    assert step.parent is None


@pytest.mark.parametrize("htmx", [False, True])
@pytest.mark.parametrize("data", [{"parent": ""}, {}])
def test_a_move_without_a_place_is_refused_beside_the_field(
    owner_client, plan, step, data, htmx, htmx_headers
):
    other = tree_step(plan, "Choose a name")

    response = owner_client.post(
        reverse("plans-tree-step-move", args=[step.code]),
        data,
        headers=htmx_headers if htmx else {},
    )

    assert response.status_code == 422
    assert ("<html" in response.text) is not htmx
    assert message_beside(response.text, "parent") == "Choose where it goes from the list."
    assert selected_places(response.text) == [""]
    assert str(other.code) in response.text
    step.refresh_from_db()
    assert step.parent is None
    assert not step.events.exists()


def test_up_and_down_swap_neighbours(owner_client, plan):
    first, _, third = (tree_step(plan, title) for title in ["First", "Second", "Third"])

    response = owner_client.post(
        reverse("plans-tree-step-reorder", args=[third.code]), {"direction": "up"}
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#step-{third.code}")
    assert list(plan.steps.order_by("position").values_list("title", flat=True)) == [
        "First",
        "Third",
        "Second",
    ]

    owner_client.post(reverse("plans-tree-step-reorder", args=[first.code]), {"direction": "down"})
    assert list(plan.steps.order_by("position").values_list("title", flat=True)) == [
        "Third",
        "First",
        "Second",
    ]


def test_moving_the_first_step_up_changes_nothing_and_says_so(owner_client, plan):
    first = tree_step(plan, "First")
    tree_step(plan, "Second")

    response = owner_client.post(
        reverse("plans-tree-step-reorder", args=[first.code]), {"direction": "up"}, follow=True
    )

    assert "“First” is already first in its list." in response.text
    first.refresh_from_db()
    assert first.position == 0


def test_reordering_keeps_to_the_steps_own_siblings(owner_client, plan):
    parent = tree_step(plan, "Parent")
    child_a = tree_step(plan, "A", parent=parent)
    child_b = tree_step(plan, "B", parent=parent)
    top = tree_step(plan, "Top")

    owner_client.post(reverse("plans-tree-step-reorder", args=[child_b.code]), {"direction": "up"})

    assert list(parent.children.order_by("position")) == [child_b, child_a]
    top.refresh_from_db()
    assert top.parent is None


def test_a_forged_direction_is_a_bad_request(owner_client, step):
    response = owner_client.post(
        reverse("plans-tree-step-reorder", args=[step.code]), {"direction": "sideways"}
    )

    assert response.status_code == 400


def test_htmx_reorder_returns_the_workspace(owner_client, plan, htmx_headers):
    tree_step(plan, "First")
    second = tree_step(plan, "Second")

    response = owner_client.post(
        reverse("plans-tree-step-reorder", args=[second.code]),
        {"direction": "up"},
        headers=htmx_headers,
    )

    assert response.status_code == 200
    assert 'id="tree-workspace"' in response.text
    assert response.text.index("Second") < response.text.index("First")


# --- Deleting ---------------------------------------------------------------------------


@pytest.fixture
def branch(plan):
    """Three steps under the goal; the middle one has two of its own, one with a child."""
    before = tree_step(plan, "Before")
    middle = tree_step(plan, "Middle")
    after = tree_step(plan, "After")
    one = tree_step(plan, "One", parent=middle)
    two = tree_step(plan, "Two", parent=middle)
    deep = tree_step(plan, "Deep", parent=two)
    return {
        "before": before,
        "middle": middle,
        "after": after,
        "one": one,
        "two": two,
        "deep": deep,
    }


def test_the_delete_page_says_what_happens_to_the_steps_under_it(owner_client, branch):
    response = owner_client.get(reverse("plans-tree-step-delete", args=[branch["middle"].code]))

    assert "It has 2 steps directly under it" in response.text
    assert "Move them up to your goal, in its place (nothing else is deleted)" in response.text
    assert "Delete them too (3 steps in all, with everything under them)" in response.text
    assert re.search(r'value="lift"[^>]*checked|checked[^>]*value="lift"', response.text)
    assert "Delete step" in response.text


def test_deleting_a_leaf_says_nothing_else_changes(owner_client, branch):
    response = owner_client.get(reverse("plans-tree-step-delete", args=[branch["deep"].code]))

    assert "Nothing is under it, so nothing else changes." in response.text
    response = owner_client.post(reverse("plans-tree-step-delete", args=[branch["deep"].code]))
    assert response.status_code == 302
    assert not Step.objects.filter(pk=branch["deep"].pk).exists()


def test_deleting_and_lifting_puts_the_steps_in_its_place(owner_client, plan, branch):
    response = owner_client.post(
        reverse("plans-tree-step-delete", args=[branch["middle"].code]), {"children": "lift"}
    )

    assert response.status_code == 302
    top = plan.steps.filter(parent=None).order_by("position")
    assert [step.title for step in top] == ["Before", "One", "Two", "After"]
    assert Step.objects.get(pk=branch["deep"].pk).parent_id == branch["two"].pk
    follow = owner_client.get(tree_url(plan))
    assert "Deleted “Middle”; the steps under it moved up to your goal." in follow.text


def test_deleting_with_its_steps_removes_the_whole_branch(owner_client, plan, branch):
    response = owner_client.post(
        reverse("plans-tree-step-delete", args=[branch["middle"].code]), {"children": "delete"}
    )

    assert response.status_code == 302
    assert sorted(plan.steps.values_list("title", flat=True)) == ["After", "Before"]


def test_deleting_a_step_with_steps_under_it_needs_a_choice(owner_client, plan, branch):
    response = owner_client.post(reverse("plans-tree-step-delete", args=[branch["middle"].code]))

    assert response.status_code == 422
    assert "Choose what should happen to the steps under it." in response.text
    assert plan.steps.count() == 6


def test_lifting_into_a_full_parent_is_refused_and_nothing_is_deleted(owner_client, plan):
    for number in range(MAX_CHILDREN - 1):
        tree_step(plan, f"Top {number}")
    crowded = tree_step(plan, "Crowded")
    tree_step(plan, "A", parent=crowded)
    tree_step(plan, "B", parent=crowded)

    response = owner_client.post(
        reverse("plans-tree-step-delete", args=[crowded.code]), {"children": "lift"}
    )

    assert response.status_code == 422
    assert "Moving them up would put 13 steps under your goal" in response.text
    assert plan.steps.count() == MAX_CHILDREN + 2


def test_htmx_delete_answers_with_the_workspace(owner_client, plan, branch, htmx_headers):
    response = owner_client.post(
        reverse("plans-tree-step-delete", args=[branch["one"].code]), headers=htmx_headers
    )

    assert response.status_code == 200
    assert 'id="tree-workspace"' in response.text
    assert "Deleted “One”." in response.text


# --- Queries ----------------------------------------------------------------------------


def grow_tree(plan, count):
    """Bulk-create `count` steps: a few under the goal, more under those, dated leaves."""
    n_top = max(count // 50, 1)
    n_middle = max((count - n_top) // 3, 1)
    tops = Step.objects.bulk_create(
        Step(plan=plan, title=f"Top {n}", position=n, source=Step.Source.TREE) for n in range(n_top)
    )
    middles = Step.objects.bulk_create(
        Step(plan=plan, parent=tops[n % n_top], title=f"Middle {n}", position=n)
        for n in range(n_middle)
    )
    Step.objects.bulk_create(
        Step(
            plan=plan,
            parent=middles[n % n_middle],
            title=f"Leaf {n}",
            position=n,
            due_date=TODAY + timedelta(days=n % 7),
        )
        for n in range(count - n_top - n_middle)
    )
    versions.bump(plan.owner_id)  # rows written in bulk send no signal
    assert plan.steps.count() == count
    return plan


def count_queries(client, url):
    # The signed-in person is read from the database once, then from the cache.
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_the_tree_page_runs_the_same_queries_for_5_and_500_steps(owner_client, owner):
    small = grow_tree(PlanFactory(owner=owner), 5)
    large = grow_tree(PlanFactory(owner=owner), 500)

    small_count = count_queries(owner_client, tree_url(small))
    large_count = count_queries(owner_client, tree_url(large))

    assert small_count == large_count
    assert large_count <= 6


def test_the_move_and_delete_pages_run_the_same_queries_for_5_and_500_steps(owner_client, owner):
    small = grow_tree(PlanFactory(owner=owner), 5)
    large = grow_tree(PlanFactory(owner=owner), 500)

    for name in ["plans-tree-step-move", "plans-tree-step-delete"]:
        counts = [
            count_queries(owner_client, reverse(name, args=[plan.steps.first().code]))
            for plan in (small, large)
        ]
        assert counts[0] == counts[1], name


def test_a_tree_of_200_steps_is_a_page_of_at_most_100_kb(owner_client, owner):
    """The issue's measure: the page as sent, uncompressed, with titles of a realistic
    length (40 characters), some rewards and some notes."""
    plan = grow_tree(PlanFactory(owner=owner), 200)
    for n, step in enumerate(plan.steps.order_by("pk")):
        step.title = f"Ask the owner of the café on Mill Street {n}"[:40]
        step.reward = "a bar of chocolate" if n % 5 == 0 else ""
        step.notes = "Her number is in the red notebook." if n % 10 == 0 else ""
        step.save(update_fields=["title", "reward", "notes"])

    response = owner_client.get(tree_url(plan))

    assert response.text.count("<details><summary>") == 200
    assert len(response.content) <= 100_000, len(response.content)


def test_a_walk_visits_each_node_once_even_round_a_loop_of_parents():
    first, second = Node(step="first"), Node(step="second")
    first.children.append(second)
    second.children.append(first)
    assert [node.step for node in first.walk()] == ["second", "first"]


def test_parent_problem_finds_loops_and_parents_in_other_plans():
    def step(pk, plan, parent=None):
        return SimpleNamespace(pk=pk, plan_id=plan, parent_id=parent)

    tree = [step(1, 1), step(2, 1, 1), step(3, 1, 2), step(4, 2), step(5, 2, 4)]
    assert parent_problem(tree) == ""
    assert "under itself" in parent_problem([step(1, 1, 1)])
    assert "under itself" in parent_problem([step(1, 1, 3), step(2, 1, 1), step(3, 1, 2)])
    assert "another plan" in parent_problem([step(1, 1), step(2, 2, 1)])
    # A long chain is checked once per step, not once per step per ancestor.
    chain = [step(1, 1)] + [step(n, 1, n - 1) for n in range(2, 50_001)]
    assert parent_problem(chain) == ""
