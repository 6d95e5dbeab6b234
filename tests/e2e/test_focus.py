"""Where the focus goes after the actions that replace what was pressed, besides Done and
Undo (test_live_updates) and the tree's questions (test_keyboard): a form opened in place
of a menu, a row saved or deleted, a layout chosen. Never the top of the page."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from plans.models import Option, Step
from tests.e2e.pages import log_in, settled
from tests.factories import (
    GrowSessionFactory,
    ObstacleFactory,
    OptionFactory,
    PlanFactory,
    StepFactory,
    UserFactory,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def planner():
    return UserFactory(display_name="Fay Focus", email="fay@example.com", tz="Europe/Paris")


def open_menu_action(page, step, action):
    page.locator(f"#step-{step.code} > details > summary").click()
    page.locator(f"#step-{step.code}").get_by_role("button", name=action, exact=True).click()


def test_deleting_a_tree_step_with_nothing_under_it_focuses_the_delete_button(page, planner):
    plan = PlanFactory(owner=planner)
    step = StepFactory(plan=plan, title="Extra thing", due_date=None)
    log_in(page, planner.email)
    page.goto(f"/plans/{plan.code}/tree/")

    open_menu_action(page, step, "Delete")
    delete = page.get_by_role("button", name="Delete step")
    expect(delete).to_be_focused()
    settled(page)
    page.keyboard.press("Enter")
    expect(page.locator("#tree-heading")).to_be_focused()
    expect(page.locator("#messages")).to_contain_text("Deleted “Extra thing”")
    assert not Step.objects.filter(pk=step.pk).exists()


def test_a_step_that_can_go_nowhere_focuses_the_way_back(page, planner):
    plan = PlanFactory(owner=planner)
    step = StepFactory(plan=plan, title="Only thing", due_date=None)
    log_in(page, planner.email)
    page.goto(f"/plans/{plan.code}/tree/")

    open_menu_action(page, step, "Move")
    expect(page.get_by_text("There is nowhere else this step can go")).to_be_visible()
    expect(
        page.locator(f"#step-{step.code} .tree-step-form").get_by_role("link", name="Cancel")
    ).to_be_focused()


def test_grow_rows_saved_and_deleted_keep_the_focus_in_their_box(page, planner):
    session = GrowSessionFactory(plan=PlanFactory(owner=planner), number=1)
    obstacle = ObstacleFactory(session=session, text="No savings")
    OptionFactory(session=session, text="Ask at the bank", prompt=Option.Prompt.HELP)
    log_in(page, planner.email)
    page.goto(f"/grow/{session.code}/")

    row = page.locator(f"#obstacle-{obstacle.code}")
    row.get_by_role("link", name="Edit obstacle “No savings”").click()
    text = row.locator("textarea, input[type=text]").first
    expect(text).to_be_focused()
    settled(page)
    text.fill("Only a little saved")
    text.press("Enter")
    expect(row.get_by_role("link", name="Edit obstacle “Only a little saved”")).to_be_focused()
    # The box came back once, in its own place, not inside the row.
    expect(page.locator("#grow-work")).to_have_count(1)
    expect(page.locator("#grow-work")).to_contain_text("Obstacle saved.")

    settled(page)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete option “Ask at the bank”").click()
    expect(page.locator(f"#prompt-{Option.Prompt.HELP}")).to_be_focused()
    expect(page.locator("#grow-work")).to_contain_text("Option deleted: Ask at the bank.")


def test_choosing_the_wall_chart_s_layout_keeps_the_focus_on_the_choice(page, planner):
    plan = PlanFactory(owner=planner)
    StepFactory(plan=plan, due_date=planner.local_today() + datetime.timedelta(days=3))
    log_in(page, planner.email)
    page.goto(f"/plans/{plan.code}/wall-chart/")

    page.get_by_role("link", name="By month").click()
    chosen = page.get_by_role("link", name="By month")
    expect(chosen).to_have_attribute("aria-current", "true")
    expect(chosen).to_be_focused()


def test_another_year_of_the_journal_takes_the_keyboard_to_its_heading(page):
    planner = UserFactory(display_name="Yan Year", email="yan@example.com")
    this_year = planner.local_today().year
    planner.date_joined = datetime.datetime(this_year - 1, 3, 1, tzinfo=datetime.UTC)
    planner.save(update_fields=["date_joined"])
    log_in(page, planner.email)
    page.goto("/journal/calendar/")

    page.get_by_role("link", name=str(this_year - 1)).click()
    heading = page.locator("#calendar-title")
    expect(heading).to_have_text(str(this_year - 1))
    expect(heading).to_be_focused()
    # The whole page moved with it: the address, the title, and the link back to this year.
    expect(page).to_have_title(f"Journal calendar {this_year - 1} · careerplan")
    expect(page.locator("#calendar title")).to_have_count(0)
    expect(page).to_have_url(re.compile(rf"/journal/calendar/\?year={this_year - 1}$"))
    expect(page.get_by_role("link", name=str(this_year))).to_be_visible()
    expect(page.get_by_role("link", name=str(this_year - 2))).to_have_count(0)
