"""Every part of a page that depends on an action changes with it, without a reload: the
next step, the lists due, the counts and progress bars, the step's state, the streak; the
focus lands on the control that replaced the one pressed, and the live region says what
happened."""

import datetime
from importlib import import_module

import pytest
from django.conf import settings
from playwright.sync_api import expect

from buddies.models import Buddyship, Note
from plans.models import Step
from tests.e2e.pages import PASSWORD, log_in, settled
from tests.factories import PlanFactory, StepFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def days(n):
    return datetime.timedelta(days=n)


@pytest.fixture
def planner():
    return UserFactory(display_name="Dee Daily", email="dee@example.com", tz="Europe/Paris")


def test_done_and_undo_on_the_dashboard_update_every_part_of_it(page, planner, screenshot):
    today = planner.local_today()
    plan = PlanFactory(owner=planner, goal="I will be running a bike repair shop by 2028")
    first = StepFactory(plan=plan, title="Call the shop on Mill Lane", due_date=today)
    StepFactory(plan=plan, title="Price a workbench", due_date=today + days(2))
    log_in(page, planner.email)

    next_card = page.locator("#next-title").locator("..")
    week = page.locator("#week-title").locator("..")
    expect(next_card).to_contain_text("Call the shop on Mill Lane")
    expect(page.locator("#week-title")).to_contain_text("2")
    expect(page.locator("#dashboard-plans")).to_contain_text("0 of 2 steps done")

    page.get_by_role("button", name="Mark done: Call the shop on Mill Lane").first.click()

    # The next step moves on, the step is done today (with Undo, which has the focus),
    # the week's list and count and the plan's progress agree: no reload.
    undo = page.locator(".done-today").get_by_role(
        "button", name="Undo: Call the shop on Mill Lane"
    )
    expect(undo).to_be_focused()
    expect(next_card.locator("#next-title + form")).to_contain_text("Price a workbench")
    expect(page.locator("#week-title")).to_contain_text("1")
    expect(week).not_to_contain_text("Call the shop on Mill Lane")
    expect(page.locator("#dashboard-plans")).to_contain_text("1 of 2 steps done")
    expect(page.locator("#messages")).to_contain_text("Done: Call the shop on Mill Lane.")
    screenshot("live-1-dashboard-done")
    first.refresh_from_db()
    assert first.status == Step.Status.DONE

    settled(page)
    undo.click()
    done_button = page.get_by_role("button", name="Mark done: Call the shop on Mill Lane").first
    expect(done_button).to_be_focused()
    expect(page.locator(".done-today")).to_have_count(0)
    expect(page.locator("#week-title")).to_contain_text("2")
    expect(page.locator("#dashboard-plans")).to_contain_text("0 of 2 steps done")
    expect(page.locator("#messages")).to_contain_text("Open again: Call the shop on Mill Lane.")


def test_a_step_page_tells_the_truth_after_done_drop_reopen_and_a_new_date(page, planner):
    today = planner.local_today()
    step = StepFactory(
        plan=PlanFactory(owner=planner), title="Email the course tutor", due_date=today + days(1)
    )
    log_in(page, planner.email)
    page.goto(f"/steps/{step.code}/")
    state = page.locator("#step-state")
    expect(state).to_contain_text("Open")

    page.get_by_role("button", name="Mark done: Email the course tutor").click()
    expect(state).to_contain_text("Done on")
    expect(page.get_by_role("heading", name="Move the date")).to_have_count(0)
    expect(page.get_by_role("heading", name="Drop this step")).to_have_count(0)
    expect(page.get_by_role("button", name="Undo: Email the course tutor")).to_be_focused()

    settled(page)
    page.get_by_role("button", name="Undo: Email the course tutor").click()
    expect(state).to_contain_text("Open")
    settled(page)
    page.get_by_label("Why are you dropping it? (optional)").fill("The course is full")
    page.get_by_role("button", name="Drop step").click()
    expect(state).to_contain_text("Dropped")
    expect(page.get_by_role("button", name="Reopen: Email the course tutor")).to_be_focused()
    expect(page.locator(".step-history")).to_contain_text("The course is full")

    settled(page)
    page.get_by_role("button", name="Reopen: Email the course tutor").click()
    # A new date without a reason is refused beside the field, with the focus there.
    settled(page)
    new_date = (today + days(5)).isoformat()
    page.get_by_label("New completion date").fill(new_date)
    page.get_by_role("button", name="Set new date").click()
    reason = page.get_by_label("Why is it moving?")
    expect(reason).to_be_focused()
    expect(page.locator("#step-body")).to_contain_text("Say briefly why")
    settled(page)
    reason.fill("The tutor is away this week")
    page.get_by_role("button", name="Set new date").click()
    expect(state).to_be_focused()
    expect(state).to_contain_text((today + days(5)).strftime("%-d %B %Y"))
    expect(page.locator(".step-history")).to_contain_text("The tutor is away this week")
    step.refresh_from_db()
    assert step.due_date == today + days(5)


@pytest.mark.parametrize("refused_first", [False, True], ids=["at-once", "after-a-refusal"])
def test_saving_todays_journal_entry_updates_the_streak(page, planner, refused_first):
    log_in(page, planner.email)
    page.goto("/journal/")
    streak = page.locator("#journal-streaks .journal-streak-number").first
    expect(streak).to_have_text("0")
    text = page.get_by_label("What did you achieve today, however small?")

    if refused_first:
        # Saved empty: refused, and the form drawn again must still be the home page's.
        page.get_by_role("button", name="Save entry").click()
        expect(text).to_have_attribute("aria-invalid", "true")
        expect(text).to_be_focused()
        settled(page)
    text.fill("Fixed a puncture.")
    page.get_by_role("button", name="Save entry").click()

    expect(streak).to_have_text("1")
    expect(page.locator("#journal-streaks")).to_contain_text("Today is written")
    expect(page.locator(".journal-card")).to_be_focused()
    expect(page.locator("#messages")).to_contain_text("Saved your entry")


def test_answering_a_checkup_updates_its_page_in_place(page, planner):
    step = StepFactory(
        plan=PlanFactory(owner=planner),
        title="Visit the trade fair",
        due_date=planner.local_today() - days(1),
    )
    buddyship = Buddyship.objects.create(
        planner=planner, email="bea@example.com", name="Bea", status=Buddyship.Status.ACTIVE
    )
    buddyship.plans.set([step.plan])
    Note.objects.create(buddyship=buddyship, step=step, kind=Note.Kind.ASK)
    log_in(page, planner.email)
    page.get_by_role("link", name="Answer: how did it go?").click()

    page.get_by_label("Done!").check()
    page.get_by_role("button", name="Send my answer").click()

    result = page.locator("#answer-result")
    expect(result).to_be_focused()
    expect(result).to_contain_text("the step is done")
    expect(page.locator("#messages")).to_contain_text("Your buddy hears about it in two minutes")
    step.refresh_from_db()
    assert step.status == Step.Status.DONE


def test_an_action_after_signing_out_elsewhere_leads_to_sign_in_and_back(page, planner):
    """Signed out in another tab: Done takes the whole tab to the sign-in page (not the
    sign-in page inside the step's row), and signing in comes back to the dashboard, with
    nothing done meanwhile."""
    step = StepFactory(
        plan=PlanFactory(owner=planner),
        title="Call the shop on Mill Lane",
        due_date=planner.local_today(),
    )
    log_in(page, planner.email)
    # Signed out elsewhere: the browser's session is gone when its next request comes.
    [key] = [
        c["value"] for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME
    ]
    import_module(settings.SESSION_ENGINE).SessionStore(key).delete()

    page.get_by_role("button", name="Mark done: Call the shop on Mill Lane").click()
    page.wait_for_url("**/accounts/login/?next=%2Fdashboard%2F")
    expect(page.locator("#dashboard-steps")).to_have_count(0)
    expect(page.get_by_role("heading", name="Sign in")).to_have_count(1)
    step.refresh_from_db()
    assert step.status == Step.Status.OPEN

    page.locator("#id_login").fill(planner.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/dashboard/")
    expect(page.get_by_role("button", name="Mark done: Call the shop on Mill Lane")).to_be_visible()
