"""Turning on an authenticator app on a phone: the secret to type in is shown whole."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.pages import PASSWORD, log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_authenticator_secret_fits_a_phone_whole(browser, live_server):
    user = UserFactory(email="sam@example.com")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        log_in(page, user.email)
        page.goto("/accounts/2fa/totp/activate/")
        # Turning two-factor on asks for the password again.
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
        page.wait_for_url("**/accounts/2fa/totp/activate/")

        secret = page.locator("#authenticator_secret")
        expect(secret).to_be_visible()
        text = secret.inner_text()
        assert len(text) >= 32, text
        # Every character is inside the box: it wraps rather than being cut off.
        assert secret.evaluate("e => e.scrollWidth <= e.clientWidth")
        box = secret.bounding_box()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        ARTIFACTS.mkdir(exist_ok=True)
        secret.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "two-factor-secret-390.png"))
    finally:
        context.close()
