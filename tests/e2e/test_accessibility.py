"""Accessibility as a test: axe-core over every main page, at 390 and 1280 pixels wide, in
the light and the dark colour scheme, for a planner, a buddy and a visitor: no violation
of any impact. Each page is also kept as a screenshot at both widths (artifacts/).

One browser page per role visits every page once; the width and the colour scheme change
in place (theme.js follows the scheme as the system does), so the whole sweep stays lean.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from buddies.links import action_token
from buddies.models import Buddyship, Note, Notification
from careerplan.tokens import new_token
from journals.models import JournalEntry
from plans.example import FIRST_STEP, load_example_plan
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.pages import axe_violations, describe, log_in, watch_errors
from tests.factories import PlanFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTHS = {"390": {"width": 390, "height": 844}, "1280": {"width": 1280, "height": 900}}
SCHEMES = ("light", "dark")


@pytest.fixture
def world():
    """A planner with the worked example, a done step, a journal entry and a buddy who
    asked how a step went; an invitation still open; a link turned off."""
    planner = UserFactory(display_name="Sam Planner", email="sam@example.com", tz="Europe/Paris")
    buddy = UserFactory(display_name="Bea Buddy", email="bea@example.com", tz="Europe/Paris")
    plan, _ = load_example_plan(planner)
    first = plan.steps.get(title=FIRST_STEP)
    done = plan.add_step("Read a book about running a shop", planner.local_today())
    done.mark_done()
    JournalEntry.objects.write(
        planner, planner.local_today(), "Read **two** chapters about the book trade.", "good"
    )
    buddyship = Buddyship.objects.create(
        planner=planner,
        user=buddy,
        email=buddy.email,
        name="Bea",
        status=Buddyship.Status.ACTIVE,
        share_journal=True,
    )
    buddyship.plans.set([plan])
    Note.objects.create(buddyship=buddyship, step=first, kind=Note.Kind.ASK, text="How did it go?")
    invited = Buddyship.objects.create(planner=planner, email="nia@example.com", name="Nia")
    invited.plans.set([plan])
    invitation = invited.issue_invitation()
    follower = Buddyship.objects.create(
        planner=planner, email="fern@example.com", name="Fern", status=Buddyship.Status.ACTIVE
    )
    follower.plans.set([PlanFactory(owner=planner, goal="I will be teaching yoga by 2028")])
    dead_link = follower.new_link()
    follower.revoke()
    # A live private link, an invitation that has expired, and a planner who stopped
    # sharing with Bea.
    lou = Buddyship.objects.create(
        planner=planner, email="lou@example.com", name="Lou", status=Buddyship.Status.ACTIVE
    )
    lou.plans.set([plan])
    live_link = lou.new_link()
    expired = Buddyship.objects.create(planner=planner, email="eve@example.com", name="Eve")
    expired_invitation = expired.issue_invitation(now=timezone.now() - timedelta(days=30))
    other = UserFactory(display_name="Pat Planner", email="pat@example.com")
    stopped = Buddyship.objects.create(
        planner=other, user=buddy, email=buddy.email, name="Bea", status=Buddyship.Status.ACTIVE
    )
    stopped.plans.set([PlanFactory(owner=other)])
    stopped.revoke()
    # The cheer page a check-up email's link opens.
    checkup = Notification.objects.create(
        kind=Notification.Kind.CHECKUP, buddyship=buddyship, step=first, key="a11y", state="sent"
    )
    entry = JournalEntry.objects.for_owner(planner).get()
    grow = plan.grow_sessions.get()
    return {
        "planner": [
            ("dashboard", "/dashboard/"),
            ("plans", "/plans/"),
            ("plan", f"/plans/{plan.code}/"),
            ("goal", f"/plans/{plan.code}/edit/"),
            ("new-plan", "/plans/new/"),
            ("step", f"/steps/{first.code}/"),
            ("grow-list", f"/plans/{plan.code}/grow/"),
            ("grow-sheet", f"/grow/{grow.code}/"),
            ("tree", f"/plans/{plan.code}/tree/"),
            ("wall-chart", f"/plans/{plan.code}/wall-chart/"),
            ("journal", "/journal/"),
            ("journal-calendar", "/journal/calendar/"),
            ("journal-search", "/journal/search/?q=chapters"),
            ("buddies", "/buddies/"),
            ("checkup-answer", f"/buddies/steps/{first.code}/answer/"),
            ("calendar-feeds", "/calendar/"),
            ("reminders", "/reminders/"),
            ("your-data", "/accounts/data/"),
            ("two-factor", "/accounts/2fa/"),
            ("profile", "/accounts/profile/"),
            ("email-address", "/accounts/email/"),
            ("delete-account", "/accounts/data/delete/"),
            ("form-address", f"/grow/{grow.code}/obstacles/"),
            ("journal-entry", f"/journal/{entry.code}/"),
            ("journal-edit", f"/journal/{entry.code}/edit/"),
            ("wall-chart-print", f"/plans/{plan.code}/wall-chart/print/"),
            ("grow-print", f"/grow/{grow.code}/print/"),
            ("more-time", f"/steps/{first.code}/?new_date=2099-01-01"),
        ],
        "buddy": [
            ("dashboard", "/dashboard/"),
            ("progress", f"/buddies/b/{buddyship.code}/"),
            ("buddies", "/buddies/"),
            ("stopped-sharing", f"/buddies/b/{stopped.code}/"),
        ],
        "visitor": [
            ("home", "/"),
            ("login", "/accounts/login/"),
            ("signup", "/accounts/signup/"),
            ("privacy", "/privacy/"),
            ("offline", "/offline/"),
            ("invitation", f"/buddies/invitation/{invitation}/"),
            ("link-gone", f"/buddies/p/{dead_link}/"),
            ("link-progress", f"/buddies/p/{live_link}/"),
            ("invitation-expired", f"/buddies/invitation/{expired_invitation}/"),
            ("mail-cheer", f"/buddies/m/a/{action_token(checkup, 'cheer')}/"),
            ("not-found", f"/buddies/p/{new_token()[0]}/"),
        ],
        "emails": {"planner": planner.email, "buddy": buddy.email},
    }


def sweep(page, role, pages):
    """Visit each page; run axe at each width and scheme; keep the screenshots. An error
    the browser reports on the way counts as a failure too."""
    ARTIFACTS.mkdir(exist_ok=True)
    failures = {}
    errors = watch_errors(page)
    for name, url in pages:
        page.set_viewport_size(WIDTHS["1280"])
        page.emulate_media(color_scheme="light", reduced_motion="reduce")
        errors.clear()
        page.goto(url)
        for width, size in WIDTHS.items():
            page.set_viewport_size(size)
            for scheme in SCHEMES:
                page.emulate_media(color_scheme=scheme, reduced_motion="reduce")
                page.wait_for_function(
                    "(scheme) => document.documentElement.dataset.bsTheme === scheme", arg=scheme
                )
                if scheme == "light" or width == "390":
                    shot = ARTIFACTS / f"a11y-{role}-{name}-{width}-{scheme}.png"
                    page.screenshot(path=str(shot), full_page=True)
                violations = axe_violations(page)
                if violations:
                    failures[f"{name} {width} {scheme} ({url})"] = violations
        if errors:
            failures[f"{name} console ({url})"] = list(errors)
    return failures


@pytest.mark.parametrize("role", ["planner", "buddy", "visitor"])
def test_every_main_page_has_no_axe_violation(browser, live_server, world, role):
    # Reduced motion turns Bootstrap's colour transitions off: axe reads each colour as
    # it ends, not halfway through a change of scheme.
    context = browser.new_context(
        timezone_id="Europe/Paris", base_url=live_server.url, reduced_motion="reduce"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        if role != "visitor":
            log_in(page, world["emails"][role])
        failures = sweep(page, role, world[role])
    finally:
        context.close()
    assert not failures, describe(failures)


def test_the_checks_catch_a_violation(browser, live_server, db):
    """The sweep can fail: an image without a text alternative is a violation."""
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.evaluate(
            "document.querySelector('main').insertAdjacentHTML("
            "'beforeend', '<img src=\"/static/favicon.svg\">')"
        )
        assert "image-alt" in {v["id"] for v in axe_violations(page)}
    finally:
        context.close()


def test_the_checks_catch_what_the_content_security_policy_refuses(browser, live_server, db):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    try:
        errors = watch_errors(page)
        page.goto("/accounts/login/")
        assert errors == []
        page.evaluate(
            "document.querySelector('main').insertAdjacentHTML("
            "'beforeend', '<p style=\"color: red\">Inline</p>')"
        )
        page.wait_for_function("() => document.querySelector('main p:last-child')")
        page.wait_for_timeout(100)
        assert any("Content Security Policy" in error for error in errors), errors
    finally:
        context.close()


def test_a_main_page_keeps_its_nonce_csp_while_axe_runs(page, live_server, db):
    response = page.goto("/")
    csp = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    assert "'nonce-" in csp
    assert axe_violations(page) == []
