"""An action that fails changes nothing, and the page says so: sent from a page out of
date (signed in again in another tab), on a step deleted in another tab, or with no
connection. Without JavaScript the same out-of-date form gets the site's own page."""

import re

import pytest
from playwright.sync_api import expect

from plans.models import Step
from tests.e2e.pages import log_in, settled
from tests.factories import PlanFactory, StepFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DONE = "Mark done: Call the shop on Mill Lane"


@pytest.fixture
def step():
    planner = UserFactory(display_name="Fin Failed", email="fin@example.com", tz="Europe/Paris")
    return StepFactory(
        plan=PlanFactory(owner=planner),
        title="Call the shop on Mill Lane",
        due_date=planner.local_today(),
    )


@pytest.fixture
def context(browser, live_server):
    """A browser context of the test's own: htmx logs each failed request as an error in
    the console, which the shared `page` fixture would count against the test."""
    context = browser.new_context(timezone_id="Europe/Paris", base_url=live_server.url)
    context.set_default_timeout(10_000)
    yield context
    context.close()


def sign_in_again_in_another_tab(context, email):
    """Sign out and in again in another tab: the browser gets a new CSRF secret, and the
    forms of the pages already open are out of date."""
    other = context.new_page()
    other.goto("/accounts/logout/")
    other.locator("#main").get_by_role("button", name="Sign out").click()
    log_in(other, email)
    other.close()


def the_failure_is_said_and_focused(page, words):
    alert = page.locator("#messages [data-request-failed]")
    expect(alert).to_contain_text(words)
    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_be_focused()
    return alert


def test_done_from_a_page_out_of_date_says_so_and_reloads(context, step):
    page = context.new_page()
    log_in(page, step.plan.owner.email)
    sign_in_again_in_another_tab(context, step.plan.owner.email)

    page.get_by_role("button", name=DONE).first.click()
    alert = the_failure_is_said_and_focused(page, "That page was out of date")
    # Nothing on the page pretends the step was checked off, and it was not.
    expect(page.get_by_role("button", name=DONE).first).to_be_visible()
    step.refresh_from_db()
    assert step.status == Step.Status.OPEN

    alert.get_by_role("link", name="Reload the page").click()
    page.get_by_role("button", name=DONE).first.click()
    expect(page.locator(".done-today")).to_contain_text("Call the shop on Mill Lane")
    step.refresh_from_db()
    assert step.status == Step.Status.DONE


def test_done_on_a_step_deleted_in_another_tab_says_it_is_gone(context, step):
    page = context.new_page()
    log_in(page, step.plan.owner.email)
    step.plan.delete()

    page.get_by_role("button", name=DONE).first.click()
    the_failure_is_said_and_focused(page, "That is no longer here")
    page.get_by_role("link", name="Reload the page").click()
    expect(page.get_by_text("Call the shop on Mill Lane")).to_have_count(0)


def test_done_with_no_connection_says_nothing_was_sent(context, step):
    page = context.new_page()
    log_in(page, step.plan.owner.email)
    settled(page)
    context.set_offline(True)
    page.get_by_role("button", name=DONE).first.click()
    alert = the_failure_is_said_and_focused(page, "No connection, so nothing was sent")
    expect(alert.get_by_role("link")).to_have_count(0)
    step.refresh_from_db()
    assert step.status == Step.Status.OPEN


def test_without_javascript_a_form_out_of_date_gets_the_site_s_own_page(browser, live_server, step):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    try:
        page = context.new_page()
        log_in(page, step.plan.owner.email)
        sign_in_again_in_another_tab(context, step.plan.owner.email)

        page.get_by_role("button", name=DONE).first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("That page was out of date")
        expect(page.locator("header")).to_be_visible()
        page.get_by_role("link", name="Open the page again").click()
        expect(page).to_have_url(re.compile(r"/dashboard/$"))
        page.get_by_role("button", name=DONE).first.click()
        step.refresh_from_db()
        assert step.status == Step.Status.DONE
    finally:
        context.close()
