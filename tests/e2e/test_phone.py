"""On a phone (390 by 844 pixels), the main thing on each page is in the first screen, the
plan's tabs are all in sight, and no page scrolls sideways: the seed's worked example,
for the planner and for their buddy."""

import pytest
from playwright.sync_api import expect

from buddies.models import Buddyship
from journals.models import JournalEntry
from plans.example import load_example_plan
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.pages import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# The main thing must start this far above the bottom of the first screen, so a line or
# two of it shows, not only its top edge.
SHOWN = 80


@pytest.fixture
def example():
    planner = UserFactory(display_name="Sam Planner", email="sam@example.com")
    buddy = UserFactory(display_name="Bea Buddy", email="bea@example.com")
    plan, _ = load_example_plan(planner)
    JournalEntry.objects.write(planner, planner.local_today(), "Read two chapters.", "good")
    buddyship = Buddyship.objects.create(
        planner=planner, user=buddy, email=buddy.email, name="Bea", status="active"
    )
    buddyship.plans.set([plan])
    return {"planner": planner, "buddy": buddy, "plan": plan, "buddyship": buddyship}


def phone_page(browser, live_server, email):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, email)
    return context, page


def first_screen_problems(page, name, url, main):
    """What is wrong with `url` on a phone: `main` (a locator's selector) below the first
    screen, or a page wider than the phone."""
    page.goto(url)
    problems = []
    thing = page.locator(main).first
    expect(thing).to_be_visible()
    top = thing.bounding_box()["y"]
    if top > PHONE["height"] - SHOWN:
        problems.append(f"{name}: {main} starts at {top:.0f} px, below the first screen")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    if width > PHONE["width"]:
        problems.append(f"{name}: the page is {width} px wide and scrolls sideways")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"))
    return problems


def test_the_main_thing_of_each_planner_page_is_in_the_first_screen(browser, live_server, example):
    plan = example["plan"]
    grow = plan.grow_sessions.get()
    pages = [
        ("dashboard", "/dashboard/", "#next-title"),
        ("plan", f"/plans/{plan.code}/", "#plan-steps .step-row"),
        ("goal", f"/plans/{plan.code}/edit/", "#id_goal"),
        ("grow-sheet", f"/grow/{grow.code}/", "#goal"),
        ("tree", f"/plans/{plan.code}/tree/", "#guide-heading"),
        ("wall-chart", f"/plans/{plan.code}/wall-chart/", "#wc-heading"),
        ("journal", "/journal/", "#today-title"),
        ("journal-calendar", "/journal/calendar/", ".journal-month"),
        ("buddies", "/buddies/", "main h1"),
    ]
    context, page = phone_page(browser, live_server, example["planner"].email)
    try:
        problems = []
        for name, url, main in pages:
            problems += first_screen_problems(page, name, url, main)
        # The SMART advice is read before saving: between the fields and the buttons.
        page.goto(f"/plans/{plan.code}/edit/")
        advice = page.locator("#smart-feedback").bounding_box()["y"]
        save = page.get_by_role("button", name="Save goal").bounding_box()["y"]
        assert advice < save
        # This month comes first in the journal's year.
        page.goto("/journal/calendar/")
        month = page.locator(".journal-month caption").first.inner_text()
        today = example["planner"].local_today()
        assert month.startswith(today.strftime("%B")), month
        # Every tab of the plan is in sight: they wrap rather than scroll off the edge.
        page.goto(f"/plans/{plan.code}/")
        for tab in page.locator(".plan-nav a").all():
            box = tab.bounding_box()
            if box["x"] < 0 or box["x"] + box["width"] > PHONE["width"]:
                problems.append(f"the tab {tab.inner_text()!r} is cut off at the edge")
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_the_cheer_form_is_in_the_buddys_first_screen(browser, live_server, example):
    context, page = phone_page(browser, live_server, example["buddy"].email)
    try:
        problems = first_screen_problems(
            page, "progress", f"/buddies/b/{example['buddyship'].code}/", "#cheer-panel"
        )
        problems += first_screen_problems(page, "buddy-dashboard", "/dashboard/", "main h1")
    finally:
        context.close()
    assert not problems, "\n".join(problems)
