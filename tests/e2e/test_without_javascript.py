"""Every form still works with JavaScript off, on a phone: the menu, checking a step off,
adding a step, committing on a GROW sheet, answering the tree's question (and its step
menus), and writing the journal."""

import datetime

import pytest
from playwright.sync_api import expect

from journals.models import JournalEntry
from plans.models import Step
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.pages import log_in
from tests.factories import PlanFactory, StepFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        timezone_id="Europe/Paris",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_a_planner_does_everything_with_javascript_off(phone):
    page = phone
    user = UserFactory(display_name="Noa Nojs", email="noa@example.com", tz="Europe/Paris")
    today = user.local_today()
    plan = PlanFactory(owner=user, goal="I will be running a pottery studio by 2028")
    StepFactory(plan=plan, title="Visit the clay supplier", due_date=today)
    # A passkey needs the browser's script: no button that would only reload the page.
    page.goto("/accounts/login/")
    expect(page.get_by_role("button", name="Sign in with a passkey")).to_be_hidden()
    log_in(page, user.email)

    # The phone menu: no button that would need a script, every link in reach.
    expect(page.get_by_role("button", name="Show or hide navigation")).to_be_hidden()
    for name in ("Plans", "Journal", "Buddies"):
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "nojs-1-dashboard.png"), full_page=True)

    # Check a step off: the page comes back with it done today, and the message.
    page.get_by_role("button", name="Mark done: Visit the clay supplier").first.click()
    expect(page.locator("#messages")).to_contain_text("Done: Visit the clay supplier.")
    expect(page.locator(".done-today")).to_contain_text("Visit the clay supplier")

    # Add a step on the plan's page.
    page.get_by_role("link", name=plan.goal).click()
    page.get_by_role("textbox", name="Step").fill("Price a kiln")
    page.get_by_label("Completion date").fill((today + datetime.timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Add step").click()
    expect(page.locator("#plan-steps")).to_contain_text("Price a kiln")

    # A GROW sheet: an option, then a commitment.
    page.get_by_role("link", name="GROW sheets").click()
    page.get_by_role("button", name="Start your first GROW sheet").click()
    page.locator("#options-help").get_by_role("textbox").fill("Ask the evening class teacher")
    page.locator("#options-help").get_by_role("button", name="Add option").click()
    page.get_by_label("Option to commit to").select_option(label="Ask the evening class teacher")
    page.get_by_label("Completion date").fill((today + datetime.timedelta(days=4)).isoformat())
    page.get_by_role("button", name="Commit").click()
    expect(page.locator("#messages")).to_contain_text("You committed to")
    expect(page.locator("#way-forward")).to_contain_text("Ask the evening class teacher")

    # The tree: answer the goal's question, then date the answer.
    page.get_by_role("link", name="Reverse engineering").click()
    page.get_by_role("link", name="Add what comes first under your goal").click()
    page.get_by_label("What would I have to have done first?").fill("Take a throwing class")
    page.get_by_role("button", name="Add these").click()
    expect(page.locator(".tree-focus")).to_have_text("Take a throwing class")
    page.get_by_role("button", name="Yes, within a week").click()
    page.get_by_label("Completion date").fill((today + datetime.timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Set date").click()
    expect(page.locator("#messages")).to_contain_text("is an action step now")
    # Its menu opens without a script, and its actions are plain pages.
    page.get_by_text("Take a throwing class").last.click()
    page.locator("details[open]").get_by_role("button", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit “Take a throwing class”")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "nojs-2-tree-edit.png"), full_page=True)

    # The journal: today's entry, and the streak.
    page.get_by_role("link", name="Journal", exact=True).click()
    page.get_by_label("What did you achieve today, however small?").fill("Booked a class.")
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator("#journal-streaks .journal-streak-number").first).to_have_text("1")

    assert JournalEntry.objects.filter(owner=user).count() == 1
    assert set(plan.steps.values_list("title", flat=True)) >= {
        "Price a kiln",
        "Ask the evening class teacher",
        "Take a throwing class",
    }
    assert plan.steps.get(title="Visit the clay supplier").status == Step.Status.DONE
