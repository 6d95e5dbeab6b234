"""A planner writes today's entry, checks a step off on the plan page, and finds both in
the day's entry and in the year calendar."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from journals.models import JournalEntry
from plans.models import Step
from tests.factories import PlanFactory, StepFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_planner_writes_today_checks_a_step_off_and_sees_both(page, screenshot):
    user = UserFactory(display_name="Jo Journal", email="jo@example.com")
    plan = PlanFactory(owner=user)
    today = user.local_today()
    step = StepFactory(
        plan=plan, title="Email the bookshop owner", reward="a slice of cake", due_date=today
    )

    page.goto("/accounts/login/")
    page.locator("#id_login").fill("jo@example.com")
    page.locator("#id_password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello, Jo Journal")

    # Write today's entry from the journal's home; htmx swaps the form for the entry.
    page.get_by_role("link", name="Journal", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Success Journal")
    page.get_by_label("What did you achieve today, however small?").fill(
        "Sent my CV to **two** bookshops. <script>alert('x')</script>"
    )
    page.get_by_label("Good").check()
    page.get_by_role("button", name="Save entry").click()
    card = page.locator(".journal-card")
    expect(card.locator("strong")).to_have_text("two")
    expect(card).to_contain_text("<script>alert('x')</script>")
    expect(card).to_contain_text("Mood: Good")
    assert JournalEntry.objects.get(owner=user).date == today

    # Edit it in place.
    card.get_by_role("link", name=re.compile("^Edit")).click()
    page.get_by_label("What did you achieve today, however small?").fill(
        "Sent my CV to **two** bookshops and one café."
    )
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator(".journal-card")).to_contain_text("and one café.")

    # Check the step off with its own button on the plan page.
    page.goto(f"/plans/{plan.code}/")
    with page.expect_response(lambda response: f"/steps/{step.code}/done/" in response.url):
        page.get_by_role("button", name=f"Mark done: {step.title}").click()
    step.refresh_from_db()
    assert step.status == Step.Status.DONE

    # Both appear in today's entry...
    page.goto("/journal/")
    today_card = page.locator(".journal-card")
    expect(today_card).to_contain_text("and one café.")
    expect(today_card).to_contain_text("Steps done today")
    expect(today_card).to_contain_text("Email the bookshop owner")
    expect(today_card).to_contain_text("a slice of cake")
    expect(page.locator(".journal-streak-number").first).to_have_text("1")
    screenshot("journal")

    # ...and in the calendar: today's cell is ringed as journaled and heated by one step.
    page.get_by_role("link", name="See the year as a calendar").click()
    cell = page.locator(f'td[data-date="{today.isoformat()}"]')
    expect(cell).to_have_class(re.compile(r"\bjournaled\b"))
    expect(cell).to_have_class(re.compile(r"\bheat-1\b"))
    expect(cell).to_contain_text("journal entry, 1 step done")
    expect(page.get_by_text("The year as text, month by month")).to_be_visible()
    cell.get_by_role("link").focus()
    screenshot("journal-calendar")
    cell.get_by_role("link").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text(today.strftime("%B"))
    expect(page.locator(".journal-card")).to_contain_text("Email the bookshop owner")

    # Keep it: the Markdown export downloads with a dated name.
    with page.expect_download() as download:
        page.get_by_role("link", name="Export .md (Markdown)").click()
    assert download.value.suggested_filename == f"success-journal-{today.isoformat()}.md"
    assert "Email the bookshop owner" in Path(download.value.path()).read_text(encoding="utf-8")
