"""The links in a check-up email, followed in a real browser with no login: a one-click
answer (GET shows, POST acts once, CSRF passes under the page's Referrer-Policy), the
RFC 8058 unsubscribe page, and a clear page for a broken link."""

import datetime
import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from buddies.models import Buddyship, Note, Notification
from buddies.outbox import messages, rows, sender, sweep
from reminders.models import Reminder
from reminders.sweep import run_pass
from tests.buddies.pipeline import urls_in
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.pages import log_in
from tests.factories import PlanFactory, StepFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def link_after(label, body):
    """The URL on the line after `label` in a plain-text email."""
    return re.search(re.escape(label) + r"\s*\n(https?://\S+)", body).group(1)


@pytest.fixture
def checkup_email(live_server, settings):
    """A check-up email to Fern, a buddy who follows without an account."""
    settings.SITE_URL = live_server.url
    planner = UserFactory(display_name="Olivia Owner", email="olivia@example.com")
    plan = PlanFactory(owner=planner)
    StepFactory(
        plan=plan,
        title="Visit three bookshops",
        due_date=planner.local_today() - datetime.timedelta(days=2),
    )
    buddyship = Buddyship.objects.create(
        planner=planner,
        email="fern@example.com",
        name="Fern",
        status=Buddyship.Status.ACTIVE,
    )
    buddyship.plans.add(plan)
    assert sweep.sweep_checkups() == 1
    assert sender.send_pending() == {"sent": 1}
    return mail.outbox[-1]


def test_buddy_answers_from_the_email_once_without_logging_in(page, checkup_email, screenshot):
    cheer = link_after("Send a cheer:", checkup_email.body)
    page.goto(cheer)
    expect(page.get_by_role("heading", level=1)).to_have_text("Send Olivia Owner a cheer")
    expect(page.get_by_text("Visit three bookshops")).to_be_visible()
    expect(page.get_by_text("olivia@example.com")).to_have_count(0)
    assert not Note.objects.exists()  # opening the link sent nothing
    screenshot("mail-1-cheer-confirm")

    page.get_by_label("Add a few words (optional)").fill("Three shops, you can do it!")
    page.get_by_role("button", name="Send a cheer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your cheer is on its way")
    screenshot("mail-2-cheer-sent")
    note = Note.objects.get()
    assert (note.kind, note.text) == (Note.Kind.CHEER, "Three shops, you can do it!")

    # The same link again: it says it is done, and offers no second cheer.
    page.goto(cheer)
    expect(page.get_by_role("status")).to_contain_text("Done: you sent a cheer")
    expect(page.get_by_role("button", name="Send a cheer")).to_have_count(0)

    # Another answer from the same email still works.
    page.goto(link_after("Ask how it went:", checkup_email.body))
    page.get_by_role("button", name="Ask how it went").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your question is on its way")
    assert sorted(Note.objects.values_list("kind", flat=True)) == ["ask", "cheer"]


def test_buddy_unsubscribes_from_the_email_and_a_broken_link_says_so(
    page, checkup_email, screenshot
):
    unsubscribe = re.search(r"<(.+)>", checkup_email.extra_headers["List-Unsubscribe"]).group(1)
    assert unsubscribe in checkup_email.body
    page.goto(unsubscribe)
    expect(page.get_by_role("heading", level=1)).to_have_text("Stop the emails about Olivia Owner?")
    screenshot("mail-3-unsubscribe-confirm")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "You won\u2019t get more emails about Olivia Owner"
    )
    screenshot("mail-4-unsubscribed")
    assert Buddyship.objects.get().unsubscribed is not None

    response = page.goto(link_after("Send a cheer:", checkup_email.body)[:-4] + "xyz/")
    assert response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("This link doesn\u2019t work")
    screenshot("mail-5-broken-link")
    assert ARTIFACTS.joinpath("mail-5-broken-link.png").exists()


def test_every_link_in_every_email_leads_to_the_served_address(page, live_server, settings):
    """Buddy emails (every kind, built as the sender builds them) and account emails (as a
    person's own actions send them) link only to the address the app is served on, and
    every link opens there (no 404, no 500). `make run` sets SITE_URL from its port the
    same way the test does from the live server's."""
    settings.SITE_URL = live_server.url
    served = live_server.url + "/"
    planner = UserFactory(display_name="Olivia Owner", email="olivia@example.com")
    plan = PlanFactory(owner=planner)
    step = StepFactory(plan=plan, title="Visit three bookshops")
    buddyship = Buddyship.objects.create(
        planner=planner, email="fern@example.com", name="Fern", status=Buddyship.Status.ACTIVE
    )
    buddyship.plans.add(plan)
    invited = Buddyship.objects.create(planner=planner, email="ivy@example.com", name="Ivy")
    invited.plans.add(plan)
    invited.issue_invitation()
    buddyship.new_link()
    for kind, payload in [
        (Notification.Kind.COMMITMENT, {"steps": [str(step.code)]}),
        (Notification.Kind.CHECKUP, {}),
        (Notification.Kind.CELEBRATION, {}),
        (Notification.Kind.ANSWER, {"outcome": "done"}),
        (Notification.Kind.DIGEST, {"since": "2026-03-09", "today": "2026-03-16"}),
    ]:
        about = None if kind in (Notification.Kind.COMMITMENT, Notification.Kind.DIGEST) else step
        rows.enqueue(kind, buddyship, "key", step=about, payload=payload)
    # The farewells of a closed account, to the buddy and to the planner.
    rows.enqueue(Notification.Kind.FAREWELL, buddyship, rows.farewell_key())
    rows.enqueue(Notification.Kind.BUDDY_LEFT, buddyship, rows.farewell_key())
    rows.enqueue(Notification.Kind.DECLINED, invited, rows.farewell_key())
    # The planner's own reminders, written by the reminder pass: a step due today (the
    # morning email), a plan with nothing dated this week (the nudge), no journal today.
    StepFactory(plan=plan, title="Ring the bank", due_date=planner.local_today())
    PlanFactory(owner=planner, goal="I will be teaching pottery evening classes by 2028")
    Reminder.objects.filter(user=planner).update(enabled=True, next_due=timezone.now())
    run_pass()
    emails = [
        messages.build_message(row)
        for row in Notification.objects.filter(channel=Notification.Channel.EMAIL).select_related(
            "buddyship__planner", "step__plan", "user"
        )
    ]
    assert {row.kind for row in Notification.objects.all()} == set(Notification.Kind)

    # Account emails, from the pages a person uses.
    mail.outbox.clear()
    # A new address (verification), and one with an account already (a warning to it).
    for name, address in (
        ("Nadia Newcomer", "nadia@example.com"),
        ("Olivia", "olivia@example.com"),
    ):
        page.goto("/accounts/signup/")
        page.locator("#id_display_name").fill(name)
        page.locator("#id_email").fill(address)
        page.locator("#id_password1").fill("a long and unusual passphrase")
        page.locator("#id_password2").fill("a long and unusual passphrase")
        page.get_by_role("button", name="Sign Up").click()
    for address in ("olivia@example.com", "nobody@example.com"):
        page.goto("/accounts/password/reset/")
        page.locator("#id_email").fill(address)
        page.get_by_role("button", name="Send me a reset link").click()
    log_in(page, "olivia@example.com")
    page.goto("/accounts/email/")
    page.locator("#id_email").fill("olivia.new@example.com")
    page.get_by_role("button", name="Change my address").click()
    account = list(mail.outbox)
    assert len(account) == 5, [m.subject for m in account]

    links = set()
    for message in emails + account:
        bodies = [message.body] + [html for html, _type in message.alternatives]
        found = set(urls_in(" ".join(bodies) + message.extra_headers.get("List-Unsubscribe", "")))
        assert found, message.subject
        for url in found:
            # The site's own address, shown as text, may come without its final slash.
            assert (url + "/").startswith(served), f"{message.subject}: {url}"
        links |= found
    for url in sorted(links):
        response = page.request.get(url, max_redirects=0)
        assert response.status < 400, f"{url}: {response.status}"
