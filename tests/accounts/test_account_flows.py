"""Account flows through allauth: sign-up, verification, login, reset, no enumeration,
throttling, and the profile page."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import User
from tests.factories import UserFactory
from tests.refusals import message_beside

PASSWORD = "correct horse battery"
SIGNUP = {
    "display_name": "Nadia Newcomer",
    "email": "nadia@example.com",
    "password1": "a long and unusual passphrase",
    "password2": "a long and unusual passphrase",
    "tz": "Europe/Berlin",
}


def _link(message):
    match = re.search(r"https?://\S+/accounts/\S+/", message.body)
    assert match, message.body
    return match.group(0)


def _path(url):
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.mark.django_db
def test_signup_saves_name_and_zone_and_sends_a_verification_email(client):
    response = client.post("/accounts/signup/", SIGNUP)
    assert response.status_code == 302
    user = User.objects.get(email="nadia@example.com")
    assert (user.display_name, user.tz) == ("Nadia Newcomer", "Europe/Berlin")
    assert not EmailAddress.objects.get(user=user).verified
    assert [m.to for m in mail.outbox] == [["nadia@example.com"]]
    assert "/accounts/confirm-email/" in mail.outbox[0].body


@pytest.mark.django_db
def test_verification_link_shows_a_page_then_confirms_on_post(client):
    client.post("/accounts/signup/", SIGNUP)
    path = _path(_link(mail.outbox[0]))
    address = EmailAddress.objects.get(email="nadia@example.com")

    page = client.get(path)
    assert page.status_code == 200
    address.refresh_from_db()
    assert not address.verified

    confirmed = client.post(path)
    assert confirmed.status_code == 302
    address.refresh_from_db()
    assert address.verified
    # One message, the confirmation: signing in on the way says nothing of its own.
    dashboard = client.get(confirmed["Location"], follow=True)
    assert [str(m) for m in dashboard.context["messages"]] == [
        "You have confirmed nadia@example.com."
    ]


@pytest.mark.django_db
def test_login_is_refused_until_verified_then_works(client):
    client.post("/accounts/signup/", SIGNUP)
    credentials = {"login": SIGNUP["email"], "password": SIGNUP["password1"]}
    client.logout()
    client.post("/accounts/login/", credentials)
    assert "_auth_user_id" not in client.session

    client.post(_path(_link(mail.outbox[-1])))
    response = client.post("/accounts/login/", credentials)
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert client.session["_auth_user_id"] == str(User.objects.get(email=SIGNUP["email"]).pk)


@pytest.mark.django_db
def test_password_reset_mails_a_known_address_and_answers_the_same_for_an_unknown_one(client):
    UserFactory(email="known@example.com")
    known = client.post("/accounts/password/reset/", {"email": "known@example.com"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})

    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert known.status_code == 302
    assert mail.outbox[0].to == ["known@example.com"]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    # Without enumeration protection nothing would go to an unknown address; allauth
    # tells its owner that no account exists, which reveals nothing to the requester.
    assert all("known@example.com" not in m.body for m in mail.outbox[1:])


@pytest.mark.django_db
@pytest.mark.parametrize(("closing", "words"), [(True, "you can sign up again"), (False, "ask")])
def test_a_closed_account_s_address_is_told_the_account_is_closed(client, closing, words):
    """Neither "there is no account" nor "you already have one, log in": it is closed
    (and, being deleted, can be signed up with again once erased)."""
    from personaldata.deletion import close_account

    person = UserFactory(email=SIGNUP["email"])
    if closing:
        close_account(person)
    else:
        User.objects.filter(pk=person.pk).update(is_active=False)
    client.post("/accounts/password/reset/", {"email": SIGNUP["email"]})
    client.post("/accounts/signup/", SIGNUP)
    about_closed = [m for m in mail.outbox if m.subject == "Your careerplan account is closed"]
    assert len(about_closed) == 2
    reset, signup = (m.body for m in about_closed)
    assert "reset the password of the careerplan account" in reset
    assert "sign up to careerplan" in signup
    for body in (reset, signup):
        assert "The account for that address is closed, so nothing was changed." in body
        assert words in body


@pytest.mark.django_db
def test_password_reset_link_sets_a_new_password(client):
    UserFactory(email="known@example.com")
    client.post("/accounts/password/reset/", {"email": "known@example.com"})
    path = _path(_link(mail.outbox[0]))
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    new = "another long unusual passphrase"
    response = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else path,
        {"password1": new, "password2": new},
    )
    assert response.status_code == 302
    assert User.objects.get(email="known@example.com").check_password(new)


@pytest.mark.django_db
def test_signup_with_an_existing_email_does_not_reveal_it(client):
    UserFactory(email="taken@example.com")
    fresh = client.post("/accounts/signup/", {**SIGNUP, "email": "fresh@example.com"})
    client.logout()
    taken = client.post("/accounts/signup/", {**SIGNUP, "email": "taken@example.com"})

    assert (taken.status_code, taken["Location"]) == (fresh.status_code, fresh["Location"])
    assert User.objects.filter(email="taken@example.com").count() == 1


@pytest.mark.django_db
def test_repeated_failed_logins_lock_the_account_even_for_the_right_password(client):
    UserFactory(email="target@example.com")
    wrong = {"login": "target@example.com", "password": "not the password"}
    for _ in range(5):
        assert client.post("/accounts/login/", wrong).status_code == 422

    response = client.post("/accounts/login/", {**wrong, "password": PASSWORD})
    assert response.status_code == 422
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_too_many_login_attempts_from_one_address_get_429(client):
    statuses = [
        client.post(
            "/accounts/login/", {"login": f"guess{n}@example.com", "password": "guess"}
        ).status_code
        for n in range(31)
    ]
    assert 429 not in statuses[:10]
    assert statuses[-1] == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_one_visitor_s_failures_do_not_lock_out_another(client, settings):
    """Every request comes from the proxy's address; the visitor's is in X-Forwarded-For."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    UserFactory(email="olivia@example.com", password=PASSWORD)

    def log_in(visitor, login, password):
        return client.post(
            "/accounts/login/",
            {"login": login, "password": password},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=visitor,
        ).status_code

    statuses = [log_in("203.0.113.7", f"guess{n}@example.com", "guess") for n in range(31)]
    assert statuses[-1] == 429
    assert log_in("198.51.100.4", "olivia@example.com", PASSWORD) == 302


@pytest.mark.django_db
def test_an_address_gets_at_most_three_reset_emails_an_hour(client):
    UserFactory(email="known@example.com")
    statuses = [
        client.post("/accounts/password/reset/", {"email": "known@example.com"}).status_code
        for _ in range(5)
    ]
    assert statuses == [302, 302, 302, 429, 429]
    assert len(mail.outbox) == 3


@pytest.mark.django_db
def test_profile_refuses_an_unknown_time_zone(owner_client, owner):
    response = owner_client.post(
        "/accounts/profile/", {"display_name": "Olivia Owner", "tz": "Mars/Olympus_Mons"}
    )
    assert response.status_code == 422
    assert response.context["form"].errors["tz"]
    assert 'value="Olivia Owner"' in response.content.decode()
    owner.refresh_from_db()
    assert owner.tz == "Europe/London"


@pytest.mark.django_db
def test_a_refused_profile_keeps_the_saved_name_in_the_menu(owner_client, owner):
    response = owner_client.post(
        "/accounts/profile/", {"display_name": "Olivia Renamed", "tz": "Mars/Olympus_Mons"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'aria-current="page">Olivia Owner</a>' in html
    assert 'value="Olivia Renamed"' in html


@pytest.mark.django_db
def test_profile_refuses_a_name_longer_than_sixty_characters(owner_client, owner):
    long_name = "N" * 61
    response = owner_client.post("/accounts/profile/", {"display_name": long_name, "tz": "UTC"})
    assert response.status_code == 422
    assert "at most 60 characters" in response.context["form"].errors["display_name"][0]
    assert long_name in response.content.decode()
    owner.refresh_from_db()
    assert owner.display_name == "Olivia Owner"


@pytest.mark.parametrize(
    "name", ["Alice\r\nBcc: evil@example.com", "Alice\x1b[31m", "Ali\u2028ce", "Alice \u202eecila"]
)
def test_profile_refuses_a_name_that_is_not_one_plain_line(owner_client, owner, name):
    """A name goes into email headers and other people's pages (careerplan.validators)."""
    response = owner_client.post("/accounts/profile/", {"display_name": name, "tz": "UTC"})
    assert response.status_code == 422
    assert "A name is one line" in response.context["form"].errors["display_name"][0]
    owner.refresh_from_db()
    assert owner.display_name == "Olivia Owner"


@pytest.mark.django_db
def test_profile_saves_a_valid_change(owner_client, owner):
    response = owner_client.post(
        "/accounts/profile/", {"display_name": "Olivia Q. Owner", "tz": "America/New_York"}
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert (owner.display_name, owner.tz) == ("Olivia Q. Owner", "America/New_York")


def test_profile_sends_anonymous_visitors_to_log_in(client, db):
    response = client.get("/accounts/profile/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.django_db
def test_sign_up_with_a_malformed_email_is_refused_with_422_and_keeps_what_was_typed(client):
    response = client.post(
        "/accounts/signup/",
        {
            "display_name": "Nadia Newcomer",
            "email": "nadia-at-example",
            "password1": "a long and unusual passphrase",
            "password2": "a long and unusual passphrase",
            "tz": "Europe/Paris",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Enter a valid email address." in body
    assert 'value="nadia-at-example"' in body
    assert 'value="Nadia Newcomer"' in body
    assert not User.objects.filter(display_name="Nadia Newcomer").exists()


@pytest.mark.django_db
def test_sign_up_asks_for_each_missing_field_in_words(client):
    response = client.post("/accounts/signup/", dict.fromkeys(SIGNUP, ""))

    assert response.status_code == 422
    body = response.content.decode()
    assert {name: message_beside(body, name) for name in SIGNUP} == {
        "display_name": "Enter your name, so the app and your buddies can greet you.",
        "email": "Enter your email address: you will sign in with it.",
        "password1": "Choose a password for your account.",
        "password2": "Type the same password again, to be sure of it.",
        "tz": "Choose your time zone: your days, deadlines and reminders follow it.",
    }
    assert "This field is required." not in body
    assert not User.objects.exists()


@pytest.mark.django_db
def test_profile_asks_for_a_missing_name_in_words(owner_client, owner):
    response = owner_client.post("/accounts/profile/", {"display_name": "", "tz": "UTC"})

    assert response.status_code == 422
    body = response.content.decode()
    assert message_beside(body, "display_name") == (
        "Enter your name, so the app and your buddies can greet you."
    )
    assert "This field is required." not in body
    owner.refresh_from_db()
    assert owner.display_name == "Olivia Owner"


def test_profile_zone_change_moves_each_open_step_checkup_to_the_new_zone(owner_client, owner):
    """accounts announces the change (zone_changed) and plans recomputes its instants."""
    import datetime

    from tests.factories import PlanFactory, StepFactory

    step = StepFactory(plan=PlanFactory(owner=owner), due_date=datetime.date(2030, 6, 10))
    assert step.checkup_due == datetime.datetime(2030, 6, 11, 8, 0, tzinfo=datetime.UTC)

    response = owner_client.post(
        "/accounts/profile/", {"display_name": owner.display_name, "tz": "America/Santiago"}
    )

    assert response.status_code == 302
    step.refresh_from_db()
    owner.refresh_from_db()
    assert owner.tz == "America/Santiago"
    # 09:00 in Santiago (UTC-4 in June) the morning after the date.
    assert step.checkup_due == datetime.datetime(2030, 6, 11, 13, 0, tzinfo=datetime.UTC)


def test_accounts_imports_no_app_above_it():
    """accounts sits at the bottom: plans, buddies and journals depend on it, never back."""
    import pathlib

    source = "\n".join(p.read_text() for p in pathlib.Path("accounts").rglob("*.py"))
    for app in ("plans", "buddies", "journals"):
        assert f"from {app}" not in source, app
        assert f"import {app}" not in source, app
