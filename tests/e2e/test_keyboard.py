"""With the keyboard alone: check a step off and undo it, and build a branch of the tree
down to a dated first step, the focus always where the next key press is wanted."""

import datetime

import pytest
from playwright.sync_api import expect

from plans.models import Step
from tests.e2e.pages import log_in, settled
from tests.factories import PlanFactory, StepFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The focused element's name, near enough: its aria-label, its label, or its text.
FOCUSED_NAME = """() => { const a = document.activeElement;
  const label = a.labels && a.labels.length ? a.labels[0].innerText : "";
  return (a.getAttribute('aria-label') || label || a.innerText || a.value || '').trim(); }"""


def tab_to(page, name, limit=80):
    """Press Tab until the focused element's name starts with `name`; return the presses.

    It first lets htmx finish settling what it swapped in, as a person reading the page
    would: a burst of keys inside the few milliseconds between a swap and htmx taking over
    the new form (the browser focuses an autofocus field as soon as it is drawn) submits
    the plain form, which works, but as a page load.
    """
    settled(page)
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_NAME).startswith(name):
            return presses
    raise AssertionError(f"{name!r} not reached in {limit} Tab presses")


def test_check_off_and_undo_with_the_keyboard(page):
    user = UserFactory(email="kim@example.com", tz="Europe/Paris")
    step = StepFactory(plan=PlanFactory(owner=user), title="Phone the college")
    log_in(page, user.email)

    presses = tab_to(page, "Mark done: Phone the college")
    assert presses < 15  # the next step comes first on the page
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Undo: Phone the college")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Mark done: Phone the college").first).to_be_focused()
    # Space works on the same button as Enter does.
    settled(page)
    page.keyboard.press("Space")
    expect(page.get_by_role("button", name="Undo: Phone the college")).to_be_focused()
    step.refresh_from_db()
    assert step.status == Step.Status.DONE


def test_build_a_branch_of_the_tree_with_the_keyboard(page, screenshot):
    user = UserFactory(email="kim@example.com", tz="Europe/Paris")
    plan = PlanFactory(owner=user, goal="I will be keeping the books for small shops")
    log_in(page, user.email)
    page.goto(f"/plans/{plan.code}/tree/")
    guide = page.locator("#guide")

    def answer_no(*lines):
        """Say "something comes first", and write the answers, one per line."""
        tab_to(page, "No, something comes first")
        page.keyboard.press("Enter")
        expect(page.get_by_label("What would I have to have done first?")).to_be_focused()
        settled(page)
        for number, line in enumerate(lines):
            if number:
                page.keyboard.press("Enter")
            page.keyboard.type(line)
        tab_to(page, "Add these", limit=3)
        page.keyboard.press("Enter")
        expect(page.locator("#guide-heading")).to_be_focused()

    # The goal: something comes first, two answers.
    answer_no("Learn bookkeeping", "Find a mentor")
    expect(guide.locator(".tree-focus")).to_have_text("Learn bookkeeping")
    # Down the first branch: one answer under it, and the guide stays on the branch.
    answer_no("Borrow a bookkeeping book from the library")
    expect(guide.locator(".tree-focus")).to_have_text("Borrow a bookkeeping book from the library")

    # Small enough: a date this week and a reward.
    tab_to(page, "Yes, within a week")
    page.keyboard.press("Enter")
    date = page.get_by_label("Completion date")
    expect(date).to_be_focused()
    settled(page)
    due = user.local_today() + datetime.timedelta(days=2)
    page.keyboard.type(due.strftime("%m%d%Y"))
    expect(date).to_have_value(due.isoformat())
    # Tab moves through the date's own parts (month, day, year) before leaving it.
    tab_to(page, "Reward (optional)", limit=4)
    page.keyboard.type("a bar of chocolate")
    tab_to(page, "Set date", limit=3)
    page.keyboard.press("Enter")
    expect(page.locator("#guide-heading")).to_be_focused()
    # The branch is done: the guide moves on to what is left under the goal.
    expect(guide.locator(".tree-focus")).to_have_text("Find a mentor")
    expect(page.locator(".tree-node-first")).to_contain_text("Reward: a bar of chocolate")
    screenshot("keyboard-tree")

    leaf = Step.objects.get(plan=plan, title="Borrow a bookkeeping book from the library")
    assert (leaf.due_date, leaf.reward, leaf.parent.title) == (
        due,
        "a bar of chocolate",
        "Learn bookkeeping",
    )

    # A step's menu opens from the keyboard, and its actions are reached by Tab.
    tab_to(page, "Your first step Borrow a bookkeeping book")
    page.keyboard.press("Enter")
    tab_to(page, "Edit", limit=4)
    page.keyboard.press("Enter")
    title = page.get_by_label("Title")
    expect(title).to_be_focused()
    settled(page)
    page.keyboard.press("Control+a")
    page.keyboard.type("Borrow a bookkeeping book")
    tab_to(page, "Save changes", limit=4)
    page.keyboard.press("Enter")
    summary = page.locator(f"#step-{leaf.code} > details > summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Borrow a bookkeeping book")


def test_a_tab_pressed_right_after_an_answer_is_not_taken_back(page):
    """The focus goes to the next question after an answer, and a check 50 ms later puts
    it back if the swap took it away; a key the person pressed meanwhile is theirs."""
    user = UserFactory(email="kim@example.com", tz="Europe/Paris")
    plan = PlanFactory(owner=user, goal="I will be keeping the books for small shops")
    log_in(page, user.email)
    page.goto(f"/plans/{plan.code}/tree/")
    tab_to(page, "No, something comes first")
    page.keyboard.press("Enter")
    expect(page.get_by_label("What would I have to have done first?")).to_be_focused()
    settled(page)
    page.keyboard.type("Learn bookkeeping")
    tab_to(page, "Add these", limit=3)
    page.keyboard.press("Enter")
    expect(page.locator("#guide-heading")).to_be_focused()
    page.keyboard.press("Tab")  # at once, inside the 50 ms
    page.wait_for_timeout(200)
    assert page.evaluate("document.activeElement.id") != "guide-heading"
