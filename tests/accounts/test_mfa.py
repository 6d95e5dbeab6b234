"""Two-factor sign-in (allauth.mfa) and the admin's door, which is the site's own."""

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.test import Client

from tests.factories import UserFactory

PASSWORD = "correct horse battery"


def current_code(secret):
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


@pytest.fixture
def totp_user(db):
    user = UserFactory(email="tara@example.com")
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return user, secret


def test_sign_in_with_a_totp_code_after_the_password(totp_user):
    user, secret = totp_user
    client = Client()

    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    # The password alone does not sign in.
    assert client.get("/dashboard/").status_code == 302

    response = client.post("/accounts/2fa/authenticate/", {"code": current_code(secret)})

    assert response.status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_a_wrong_totp_code_is_refused_next_to_the_field(totp_user):
    user, secret = totp_user
    client = Client()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    wrong = "000000" if current_code(secret) != "000000" else "111111"

    response = client.post("/accounts/2fa/authenticate/", {"code": wrong})

    assert response.status_code == 422
    assert "Incorrect code" in response.text
    assert client.get("/dashboard/").status_code == 302


def test_the_profile_offers_two_factor_sign_in(owner_client):
    response = owner_client.get("/accounts/profile/")

    assert 'href="/accounts/2fa/"' in response.text
    assert owner_client.get("/accounts/2fa/").status_code == 200


@pytest.fixture
def staff(db):
    return UserFactory(email="ada@example.com", is_staff=True, is_superuser=True)


def test_the_admin_login_sends_people_to_the_site_login(client, staff):
    response = client.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_the_admin_login_cannot_be_used_to_guess_passwords(client, staff):
    """Posting passwords to /admin/login/ signs no one in, not even with the right one:
    the only door is the site's login, with its throttling and lockout."""
    for _ in range(12):
        client.post("/admin/login/", {"username": staff.email, "password": "wrong guess"})
    response = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302


def test_an_address_locked_at_the_site_login_cannot_reach_the_admin(client, staff):
    for _ in range(6):
        client.post("/accounts/login/", {"login": staff.email, "password": "wrong guess"})

    client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})
    response = client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})

    assert response.status_code in (422, 429)
    assert client.get("/admin/").status_code == 302


def test_a_signed_in_staff_member_reaches_the_admin(client, staff):
    client.force_login(staff)

    assert client.get("/admin/").status_code == 200


def test_a_signed_in_person_who_is_not_staff_is_refused_the_admin_login(owner_client):
    assert owner_client.get("/admin/login/").status_code == 403


def test_the_authenticator_secret_is_shown_whole_as_text_that_wraps(db):
    user = UserFactory(email="sam@example.com")
    client = Client()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    # Turning two-factor on asks for the password again.
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})

    response = client.get("/accounts/2fa/totp/activate/", follow=True)

    assert response.status_code == 200
    secret = response.context["form"].secret
    # Not a field (a read-only input cuts a long secret off on a phone): text in a box
    # that wraps anywhere (static/css/app.css, .totp-secret).
    assert f'<code class="totp-secret" id="authenticator_secret">{secret}</code>' in response.text
    assert 'id="authenticator_secret" type="text"' not in response.text


def test_a_pending_change_of_address_says_how_to_turn_two_factor_on(db):
    user = UserFactory(email="tara@example.com")
    client = Client()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    client.post("/accounts/email/", {"action_add": "", "email": "tara.new@example.com"})

    response = client.get("/accounts/2fa/totp/activate/", follow=True)

    assert "confirm the new address from the email we sent, or keep your current one" in (
        response.text
    )


def test_with_two_factor_on_a_change_of_address_says_how(totp_user):
    user, secret = totp_user
    client = Client()
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": current_code(secret)})

    page = client.get("/accounts/email/").text
    # Said before anything is typed; the form to change it is not offered.
    assert "Two-factor sign-in is on, so your address cannot be changed here" in page
    assert "Change my address" not in page

    response = client.post("/accounts/email/", {"action_add": "", "email": "tara.new@example.com"})

    assert response.status_code == 422
    assert "Two-factor sign-in is on, so your address cannot be changed here" in response.text
    assert list(user.emailaddress_set.values_list("email", flat=True)) == [user.email]
