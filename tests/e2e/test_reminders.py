"""The planner's reminders in a real browser: the morning email's "Done" link (GET shows
a page to confirm, POST ticks the step off, a second use changes nothing), the four
emails as a mail client draws them (saved to artifacts/emails/ with their text), and the
Reminders page on a phone."""

import datetime as dt
import json
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from buddies.outbox import sender
from journals.models import JournalEntry
from plans.models import Step
from reminders.models import Kind, Reminder
from reminders.sweep import run_pass
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PlanFactory, StepFactory, UserFactory
from tests.reminders.conftest import new_vapid_key

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def link_after(label, body):
    return re.search(re.escape(label) + r"\s*(https?://\S+)", body).group(1)


def poll(page, script, tries=200):
    """Evaluate `script` in the page until it gives something truthy (within 20 s, as a
    busy machine may take that long to start a service worker); return that."""
    for _ in range(tries):
        result = page.evaluate(script)
        if result:
            return result
        page.wait_for_timeout(100)
    raise AssertionError(f"Never true: {script}")


def fire(user, kind):
    """Make `kind` due now for `user`, run the pass and send: return the email."""
    Reminder.objects.filter(user=user, kind=kind).update(enabled=True, next_due=timezone.now())
    run_pass()
    assert sender.send_pending() == {"sent": 1}
    return mail.outbox[-1]


@pytest.fixture
def planner(live_server, settings):
    settings.SITE_URL = live_server.url
    user = UserFactory(display_name="Olivia Owner", email="olivia@example.com")
    Reminder.objects.filter(user=user).update(next_due=None)
    return user


def test_planner_ticks_a_step_off_from_the_morning_email(page, planner, screenshot):
    plan = PlanFactory(owner=planner, goal="I will be running my own bookshop café by June 2027")
    step = StepFactory(
        plan=plan,
        title="Visit three bookshops",
        due_date=planner.local_today(),
        reward="a trip to the cinema",
    )
    email = fire(planner, Kind.MORNING)
    done = link_after("Done (one click, then confirm):", email.body)

    page.goto(done)
    expect(page.get_by_role("heading", level=1)).to_have_text("Mark this step done?")
    expect(page.get_by_text("Visit three bookshops")).to_be_visible()
    step.refresh_from_db()
    assert step.status == Step.Status.OPEN  # opening the link changed nothing
    screenshot("reminder-1-done-confirm")

    page.get_by_role("button", name="Yes, it's done").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Done: Visit three bookshops")
    expect(page.get_by_role("status")).to_contain_text("You earned: a trip to the cinema")
    screenshot("reminder-2-done")
    step.refresh_from_db()
    assert step.status == Step.Status.DONE

    # The same link again: a clear page, and nothing more happens.
    response = page.goto(done)
    assert response.status == 409
    expect(page.get_by_role("heading", level=1)).to_have_text("Already done")
    assert step.events.filter(kind="done").count() == 1


def test_the_reminder_emails_as_a_mail_client_draws_them(browser, live_server, planner):
    now = timezone.now()
    today = planner.local_today()
    plan = PlanFactory(owner=planner, goal="I will be running my own bookshop café by June 2027")
    StepFactory(plan=plan, title="Visit three bookshops", due_date=today, reward="a cinema trip")
    StepFactory(plan=plan, title="Ring Sam about shelving", due_date=today - dt.timedelta(days=2))
    StepFactory(plan=plan, title="Draft the opening budget", due_date=today + dt.timedelta(days=3))
    done = StepFactory(plan=plan, title="Read two shop leases", due_date=today, reward="cake")
    done.mark_done(now=now - dt.timedelta(days=2))
    for days in (1, 2, 3):
        JournalEntry.objects.write(planner, today - dt.timedelta(days=days), "Wrote to a landlord.")
    quiet = PlanFactory(owner=planner, goal="I will be teaching pottery evening classes by 2028")

    emails = {"morning": fire(planner, Kind.MORNING), "weekly": fire(planner, Kind.WEEKLY)}
    plan.archive()  # the nudge is about the quiet plan alone
    emails["next-step"] = fire(planner, Kind.NEXT_STEP)
    emails["journal"] = fire(planner, Kind.JOURNAL)
    assert quiet.goal in emails["next-step"].body

    folder = ARTIFACTS / "emails"
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        for name, email in emails.items():
            [(html, _)] = email.alternatives
            (folder / f"reminder-{name}.html").write_text(html)
            (folder / f"reminder-{name}.txt").write_text(
                f"Subject: {email.subject}\nTo: {', '.join(email.to)}\n"
                f"List-Unsubscribe: {email.extra_headers['List-Unsubscribe']}\n\n{email.body}"
            )
            page.set_content(html)
            expect(page.get_by_text("Hello Olivia Owner,")).to_be_visible()
            page.screenshot(path=str(folder / f"reminder-{name}.png"), full_page=True)
    finally:
        context.close()


def test_reminders_page_on_a_phone(browser, live_server, planner, settings):
    settings.VAPID_PRIVATE_KEY = new_vapid_key()
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        page.goto("/accounts/login/")
        page.locator("#id_login").fill(planner.email)
        page.locator("#id_password").fill("correct horse battery")
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.goto("/reminders/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Reminders")
        # The script found Web Push in this browser and offers it.
        expect(
            page.get_by_role("button", name="Send notifications to this browser")
        ).to_be_visible()
        page.get_by_label("Remind me to write in my journal in the evening").check()
        page.locator("#id_journal-at").fill("21:15")
        page.get_by_role("button", name="Save reminders").click()
        expect(page.locator("#messages")).to_contain_text("Your reminders are saved.")
        journal = Reminder.objects.get(user=planner, kind=Kind.JOURNAL)
        assert (journal.enabled, journal.at) == (True, dt.time(21, 15))
        page.screenshot(path=str(ARTIFACTS / "reminders-page-phone.png"), full_page=True)
        assert errors == []
    finally:
        context.close()


def test_the_service_worker_shows_a_push_message_as_a_notification(browser, live_server, planner):
    """A push message delivered to the worker (through the browser's DevTools protocol,
    as a push service would) becomes a notification that opens its page."""
    context = browser.new_context(base_url=live_server.url)
    context.grant_permissions(["notifications"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        page.goto("/accounts/login/")
        # Polled from here: the page's CSP (rightly) refuses Playwright's own polling.
        poll(page, "() => navigator.serviceWorker.ready.then(() => true)")
        cdp = context.new_cdp_session(page)
        registrations = []
        cdp.on(
            "ServiceWorker.workerRegistrationUpdated",
            lambda event: registrations.extend(event["registrations"]),
        )
        cdp.send("ServiceWorker.enable")
        for _ in range(200):
            if registrations:
                break
            page.wait_for_timeout(100)
        [registration] = [r for r in registrations if not r["isDeleted"]]
        message = {
            "title": "Your steps: 1 due today",
            "body": "Visit three bookshops",
            "url": "/dashboard/",
            "tag": "morning",
        }
        shown = None
        # A push service delivers again when the worker did not take a message; a busy
        # browser may still be starting the worker for the first one.
        for _ in range(4):
            cdp.send(
                "ServiceWorker.deliverPushMessage",
                {
                    "origin": live_server.url,
                    "registrationId": registration["registrationId"],
                    "data": json.dumps(message),
                },
            )
            try:
                shown = poll(
                    page,
                    """() => navigator.serviceWorker.ready
                        .then((r) => r.getNotifications())
                        .then((ns) => ns.map((n) => [n.title, n.body, n.tag, n.data.url]))""",
                    tries=80,
                )
                break
            except AssertionError:
                continue
        assert shown == [
            ["Your steps: 1 due today", "Visit three bookshops", "morning", "/dashboard/"]
        ]
    finally:
        context.close()
