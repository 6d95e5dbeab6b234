"""A newcomer's whole path through a plan, in a real browser: goal with SMART feedback, a GROW
sheet with a commitment, a three-level reverse-engineering tree down to a first step, the
step checked off with its reward, and the wall chart printed on one landscape page."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from plans.models import Plan, Step, StepEvent
from tests.e2e.pages import settled
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, user):
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_newcomer_plans_a_goal_down_to_a_first_step_and_prints_the_wall_chart(
    page, screenshot, tmp_path
):
    user = UserFactory(display_name="Nadia Newcomer", email="nadia@example.com", tz="Europe/Paris")
    today = user.local_today()
    log_in(page, user)

    # An empty dashboard offers a way in.
    expect(page.get_by_role("heading", name="Start anywhere")).to_be_visible()
    screenshot("plan-01-empty-dashboard")
    page.get_by_role("link", name="Write your goal").click()

    # SMART feedback changes as the goal is typed.
    feedback = page.locator("#smart-feedback")
    page.get_by_label("Your goal").fill("I will quit my job")
    expect(feedback).to_contain_text("moving away from")
    target = today + datetime.timedelta(days=500)
    page.get_by_label("Your goal").fill(
        f"I will be running my own bookshop with a coffee corner by {target:%B %Y}"
    )
    page.get_by_label("How you will know you have arrived").fill(
        "The shop is open six days a week and pays me a wage"
    )
    page.get_by_label("Why it matters to you").fill("Books and conversation are what I love")
    # In the month the goal names, or Time-bound says the two disagree.
    page.get_by_label("Target date").fill(target.isoformat())
    expect(feedback).not_to_contain_text("moving away from")
    expect(feedback).not_to_contain_text("needs work")
    screenshot("plan-02-smart-goal")
    page.get_by_role("button", name="Save plan").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("bookshop with a coffee corner")
    plan = Plan.objects.get(owner=user)

    # One GROW sheet: reality, an obstacle, an option answering it, then a commitment.
    page.get_by_role("link", name="GROW sheets").click()
    page.get_by_role("button", name="Start your first GROW sheet").click()
    # A new page: htmx takes its forms over once it has loaded (a press before that
    # sends the form as a page, which works, but reloads under the next field typed in).
    page.wait_for_load_state()
    page.get_by_label("Your current situation").fill("I work in an office and read every night")
    page.get_by_role("button", name="Save reality").click()
    expect(page.locator("#reality")).to_contain_text("Reality saved.")
    # The focus goes back to the reality box; the person then taps the next box, as a
    # person does (a fill alone, with no tap, could be overtaken by that focus).
    expect(page.locator("#reality textarea").first).to_be_focused()
    obstacle = page.get_by_label("What stands in your way?")
    obstacle.click()
    obstacle.fill("I don't know what a shop costs")
    page.get_by_role("button", name="Add obstacle").click()
    expect(page.locator("#grow-work")).to_contain_text("I don't know what a shop costs")
    # The cursor goes back to the obstacle box for the next one. htmx moves it there when
    # the new box settles, so wait for that before typing elsewhere: typing earlier would
    # land in the obstacle box, as a person's would.
    expect(page.get_by_label("What stands in your way?")).to_be_focused()
    settled(page)
    help_group = page.locator("#options-help")
    help_box = help_group.get_by_role("textbox")
    help_box.fill("Ask the owner of the café on Mill Street")
    expect(help_box).to_have_value("Ask the owner of the café on Mill Street")
    help_group.get_by_role("button", name="Add option").click()
    expect(page.locator("#grow-work")).to_contain_text("Ask the owner of the café on Mill Street")
    expect(help_box).to_be_focused()
    settled(page)
    page.get_by_label("Option to commit to").select_option(
        label="Ask the owner of the café on Mill Street"
    )
    page.get_by_label("Completion date").fill((today + datetime.timedelta(days=4)).isoformat())
    page.get_by_role("button", name="Commit").click()
    expect(page.locator("#way-forward")).to_contain_text("You have committed to")
    committed = Step.objects.get(plan=plan, source=Step.Source.GROW)
    # The focus goes to the new commitment; with no buddy yet, no one is said to hear.
    expect(page.locator(".grow-committed").first).to_be_focused()
    expect(page.locator("#grow-work")).to_contain_text("You committed to")
    expect(page.locator("#grow-work")).not_to_contain_text("hears about it")
    assert committed.events.filter(kind=StepEvent.Kind.COMMITTED).exists()
    screenshot("plan-03-grow-sheet")

    # Reverse engineering: goal -> business -> course -> a dated first step.
    page.get_by_role("link", name="Reverse engineering").click()
    levels = [
        "Learn about running a business",
        "Find a small-business course",
        "Talk to a friend who worked in a bookshop",
    ]
    # The committed GROW step already sits under the goal, so start from the goal's own
    # "Add what comes first"; after that the page asks the next question by itself.
    page.get_by_role("link", name="Add what comes first under your goal").click()
    for number, title in enumerate(levels):
        if number:
            page.get_by_role("button", name="No, something comes first").click()
        page.get_by_label("What would I have to have done first?").fill(title)
        page.get_by_role("button", name="Add these").click()
        expect(page.locator("main")).to_contain_text(title)
    page.get_by_role("button", name="Yes, within a week").first.click()
    page.get_by_label("Completion date").fill((today + datetime.timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Set date").click()
    expect(page.get_by_text("Your first step").first).to_be_visible()
    screenshot("plan-04-tree")
    leaf = Step.objects.get(plan=plan, title=levels[-1])
    assert leaf.parent.parent.title == levels[0]
    assert leaf.due_date == today + datetime.timedelta(days=2)

    # Give the first step a reward, check it off, and see the reward celebrated.
    page.goto(f"/steps/{leaf.code}/")
    page.get_by_label("Reward (optional)").fill("a trip to the cinema")
    page.get_by_role("button", name="Save step").click()
    expect(page.get_by_text("The step is saved.")).to_be_visible()
    page.get_by_role("link", name=plan.goal).click()
    page.get_by_role("button", name=f"Mark done: {levels[-1]}").click()
    expect(page.locator(".step-celebration")).to_contain_text("You earned: a trip to the cinema")
    expect(page.locator("#plan-progress")).to_contain_text("1 of 2 steps done")
    screenshot("plan-05-reward")
    leaf.refresh_from_db()
    assert leaf.status == Step.Status.DONE

    # The wall chart, and its print layout on one landscape page.
    page.get_by_role("link", name="Wall chart").click()
    expect(page.locator("main")).to_contain_text(levels[-1])
    screenshot("plan-06-wall-chart")
    page.get_by_role("link", name="Print layout").click()
    page.emulate_media(media="print")
    screenshot("plan-07-wall-chart-print")
    pdf = tmp_path / "wall-chart.pdf"
    page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes())
    assert len(pages) == 1, f"the wall chart printed on {len(pages)} pages"
