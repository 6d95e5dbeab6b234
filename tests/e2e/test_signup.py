import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import User

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_newcomer_signs_up_verifies_logs_in_and_sets_time_zone(page, live_server, screenshot):
    page.goto("/")
    page.get_by_role("link", name="Start your plan, free").click()

    page.locator("#id_display_name").fill("Nadia Newcomer")
    page.locator("#id_email").fill("nadia@example.com")
    page.locator("#id_password1").fill("a long and unusual passphrase")
    page.locator("#id_password2").fill("a long and unusual passphrase")
    # The browser's zone was pre-selected by static/js/app.js.
    expect(page.locator("#id_tz")).to_have_value("Europe/Paris")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Check your email")

    assert len(mail.outbox) == 1
    verification = mail.outbox[0]
    assert verification.subject == "Confirm your email address to start your plan"
    assert "Hello from" not in verification.body
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", verification.body).group(0)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    # Confirming signs the person in: no second typing of the password.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello, Nadia Newcomer")

    page.get_by_role("link", name="Nadia Newcomer").click()
    page.locator("#id_tz").select_option("America/Santiago")
    page.get_by_role("button", name="Save profile").click()
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()
    screenshot("signup-profile")

    user = User.objects.get(email="nadia@example.com")
    assert user.tz == "America/Santiago"
    assert user.display_name == "Nadia Newcomer"
