"""The Career Change Buddy's whole path in a browser: the planner invites a buddy, the
buddy accepts from the email, a completion date passes, the check-up email goes out, the
buddy sends a cheer from it and the planner sees the cheer."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from playwright.sync_api import expect

from buddies.models import Buddyship, Note, Notification
from buddies.outbox import sender, sweep
from plans.models import Step
from tests.e2e.conftest import ARTIFACTS
from tests.factories import PlanFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, email):
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in", exact=True).click()


def link_after(label, body):
    """The URL on the line after `label` in a plain-text email."""
    return re.search(re.escape(label) + r"\s*\n(https?://\S+)", body).group(1)


def test_buddy_accepts_gets_the_checkup_and_cheers_the_planner(
    browser, live_server, page, screenshot, settings
):
    # Email links must lead to this test's server.
    settings.SITE_URL = live_server.url
    planner = UserFactory(
        display_name="Olivia Owner", email="olivia@example.com", tz="Europe/Paris"
    )
    UserFactory(display_name="Bea Buddy", email="bea@example.com", tz="Europe/London")
    plan = PlanFactory(owner=planner, goal="I will be running my own bookshop café by June 2027")
    step = plan.add_step(
        "Visit three bookshops and ask the owners one question",
        planner.local_today() + datetime.timedelta(days=2),
    )

    # 1. The planner invites Bea.
    page.goto("/accounts/login/?next=/buddies/")
    log_in(page, "olivia@example.com")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your Career Change Buddies")
    page.get_by_label("Their name").fill("Bea")
    page.get_by_label("Their email address").fill("bea@example.com")
    page.get_by_label("A personal message (optional)").fill("Will you check up on me? Thank you!")
    page.get_by_label(plan.goal).check()
    expect(page.get_by_label("Share my Success Journal with this buddy")).not_to_be_checked()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invitation sent to Bea.")).to_be_visible()
    expect(page.locator(".buddy-card")).to_contain_text("Invited")
    screenshot("buddy-1-planner-invited")

    # 2. The invitation goes out through the outbox; Bea opens its link.
    assert sender.send_pending() == {"sent": 1}
    invitation = mail.outbox[-1]
    assert invitation.to == ["Bea <bea@example.com>"]
    assert step.title in invitation.body
    accept = link_after("Accept (sign in or sign up with bea@example.com):", invitation.body)

    buddy_context = browser.new_context(timezone_id="Europe/London", base_url=live_server.url)
    buddy = buddy_context.new_page()
    buddy.set_default_timeout(10_000)
    buddy.goto(accept)
    expect(buddy.get_by_role("heading", level=1)).to_have_text(
        "Be Olivia Owner's Career Change Buddy?"
    )
    expect(buddy.get_by_text("Will you check up on me? Thank you!")).to_be_visible()
    buddy.get_by_role("link", name="Sign in to accept").click()
    log_in(buddy, "bea@example.com")
    # Back on the invitation after logging in.
    expect(buddy.get_by_role("heading", level=1)).to_have_text(
        "Be Olivia Owner's Career Change Buddy?"
    )
    buddy.get_by_role("button", name="Accept").click()
    expect(buddy.get_by_role("heading", level=1)).to_have_text("Olivia Owner's progress")
    expect(buddy.locator(".wallchart")).to_contain_text(step.title)
    expect(buddy.get_by_text("olivia@example.com")).to_have_count(0)
    buddy.screenshot(path=str(ARTIFACTS / "buddy-2-progress.png"), full_page=True)
    assert Buddyship.objects.get().status == Buddyship.Status.ACTIVE

    # 3. The completion date passes: the clock moves on to the morning after it, when the
    # sweep writes the check-up to the outbox and the sender emails it.
    after_date = Step.objects.get(pk=step.pk).checkup_due + datetime.timedelta(minutes=1)
    with time_machine.travel(after_date, tick=True):
        later_steps(buddy, page, step, screenshot)
    buddy_context.close()


def later_steps(buddy, page, step, screenshot):
    """Steps 3 to 5, with the clock on the morning after the completion date."""
    assert sweep.sweep_checkups() == 1
    checkup = Notification.objects.get(kind=Notification.Kind.CHECKUP)
    assert checkup.step_id == step.pk
    assert sender.send_pending() == {"sent": 1}
    email = mail.outbox[-1]
    assert email.subject.startswith("Check-up: how did Olivia Owner get on")

    # 4. Bea clicks "Send a cheer" in the email: a page to confirm, then the cheer.
    buddy.goto(link_after("Send a cheer:", email.body))
    expect(buddy.get_by_role("heading", level=1)).to_have_text("Send Olivia Owner a cheer")
    assert not Note.objects.exists()
    buddy.get_by_label("Add a few words (optional)").fill("You can do it, Olivia!")
    buddy.get_by_role("button", name="Send a cheer").click()
    expect(buddy.get_by_role("heading", level=1)).to_have_text("Your cheer is on its way")
    buddy.screenshot(path=str(ARTIFACTS / "buddy-3-cheer-from-email.png"), full_page=True)
    note = Note.objects.get()
    assert note.kind == Note.Kind.CHEER
    assert note.step_id == step.pk
    assert note.text == "You can do it, Olivia!"

    # ... and another from the progress page the email links to, without a reload.
    buddy.goto(link_after("See Olivia Owner's progress:", email.body))
    expect(buddy.locator("#sent-notes")).to_contain_text("You can do it, Olivia!")
    expect(buddy.locator(".wallchart")).to_contain_text("Overdue")
    buddy.get_by_label("Add a few words (optional)").fill("Proud of you.")
    buddy.get_by_role("button", name="Send a cheer").click()
    expect(buddy.locator("#messages")).to_contain_text("Cheer sent!")
    expect(buddy.locator("#sent-notes")).to_contain_text("Proud of you.")
    buddy.screenshot(path=str(ARTIFACTS / "buddy-4-cheer-from-progress.png"), full_page=True)
    assert Note.objects.count() == 2

    # 5. Olivia sees the cheer.
    page.goto("/buddies/")
    notes = page.locator("#buddy-notes")
    expect(notes).to_contain_text("Bea sent a cheer")
    expect(notes).to_contain_text("You can do it, Olivia!")
    expect(notes).to_contain_text("Proud of you.")
    screenshot("buddy-5-planner-sees-cheers")


def test_invited_person_signs_up_with_the_address_and_accepts(page, live_server, settings):
    settings.SITE_URL = live_server.url
    planner = UserFactory(display_name="Olivia Owner", email="olivia@example.com")
    plan = PlanFactory(owner=planner)
    invitation = Buddyship.objects.create(planner=planner, email="nadia@example.com", name="Nadia")
    invitation.plans.set([plan])
    token = invitation.issue_invitation()
    mail.outbox.clear()

    page.goto(f"/buddies/invitation/{token}/")
    page.get_by_role("link", name="Sign up to accept").click()
    page.locator("#id_display_name").fill("Nadia Newcomer")
    # The invited address is filled in already.
    expect(page.locator("#id_email")).to_have_value("nadia@example.com")
    page.locator("#id_password1").fill("a long and unusual passphrase")
    page.locator("#id_password2").fill("a long and unusual passphrase")
    page.get_by_role("button", name="Sign Up").click()

    # The link in the email proved the address: signed in at once, no second email, and
    # back on the invitation.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Be Olivia Owner's Career Change Buddy?"
    )
    assert mail.outbox == []
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Olivia Owner's progress")
    expect(page.get_by_text(plan.goal)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "buddy-6-signed-up-and-accepted.png"), full_page=True)
    invitation.refresh_from_db()
    assert invitation.status == Buddyship.Status.ACTIVE
    assert invitation.user.email == "nadia@example.com"

    # Her home leads to the person she supports; once removed, a clear page says so.
    page.goto("/dashboard/")
    page.get_by_role("link", name="Olivia Owner's progress").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Olivia Owner's progress")
    invitation.revoke()
    response = page.reload()
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Olivia Owner stopped sharing this plan"
    )
    page.screenshot(path=str(ARTIFACTS / "buddy-7-removed.png"), full_page=True)
