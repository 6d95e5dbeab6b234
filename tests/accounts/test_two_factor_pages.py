"""The two-factor pages speak the app's words, and offer only what the person has."""

import pytest
from allauth.mfa.models import Authenticator


@pytest.fixture
def with_app(owner):
    Authenticator.objects.create(
        user=owner, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    return owner


def test_the_two_factor_page_names_what_the_profile_names(owner_client):
    html = owner_client.get("/accounts/2fa/").content.decode()
    assert "<h1" in html
    assert "Two-factor sign-in" in html
    assert "Set up an authenticator app" in html
    assert "Add a passkey" in html
    assert "Security Keys" not in html


def test_the_sign_in_step_offers_no_passkey_to_someone_without_one(client, with_app):
    response = client.post(
        "/accounts/login/", {"login": with_app.email, "password": "correct horse battery"}
    )
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Type the 6-digit code your authenticator app shows" in page
    assert "recovery codes" in page
    assert "Use my passkey" not in page
    assert "security key" not in page.lower()
