"""Signing up the easy way: confirming the address signs the person in, an invitation's
link proves the address it was sent to and survives sign-up and login, account emails in
the site's style, and a time-zone list of canonical zones by region."""

import datetime as dt
import re

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from accounts.forms import ProfileForm, SignupForm
from accounts.zones import canonical_zones, zone_aliases
from buddies.models import Buddyship
from tests.accounts.test_account_flows import SIGNUP
from tests.factories import PlanFactory, UserFactory

pytestmark = pytest.mark.django_db


def _path(url):
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def invitation(db):
    planner = UserFactory(display_name="Olivia Owner", email="olivia@example.com")
    buddyship = Buddyship.objects.create(planner=planner, email="nadia@example.com", name="Nadia")
    buddyship.plans.set([PlanFactory(owner=planner)])
    return buddyship, buddyship.issue_invitation()


def test_confirming_the_address_signs_the_person_in(client):
    client.post("/accounts/signup/", SIGNUP)
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body)[0]

    response = client.post(_path(link))

    assert response.status_code == 302
    assert client.get(reverse("plans-dashboard")).status_code == 200
    assert "_auth_user_id" in client.session


def test_an_invitation_proves_its_address_and_leads_back_after_sign_up(client, invitation):
    buddyship, token = invitation
    invitation_url = reverse("buddies-invitation", args=[token])
    client.get(invitation_url)
    mail.outbox.clear()

    response = client.post("/accounts/signup/", SIGNUP)

    # Signed in at once, no verification email, and back on the invitation.
    assert response.status_code == 302
    assert response["Location"] == invitation_url
    assert mail.outbox == []
    assert EmailAddress.objects.get(email="nadia@example.com").verified
    accepted = client.post(invitation_url)
    assert accepted["Location"] == reverse("buddies-progress", args=[buddyship.code])
    buddyship.refresh_from_db()
    assert buddyship.status == Buddyship.Status.ACTIVE
    # The buddy's home now leads to the person they support.
    assert "Olivia Owner's progress" in client.get(reverse("plans-dashboard")).text


def test_another_address_still_needs_verifying(client, invitation):
    client.get(reverse("buddies-invitation", args=[invitation[1]]))
    mail.outbox.clear()

    client.post("/accounts/signup/", {**SIGNUP, "email": "someone@example.com"})

    assert not EmailAddress.objects.get(email="someone@example.com").verified
    assert len(mail.outbox) == 1


def test_an_invitation_leads_back_after_logging_in(client, invitation):
    UserFactory(email="nadia@example.com")
    client.get(reverse("buddies-invitation", args=[invitation[1]]))

    response = client.post(
        "/accounts/login/", {"login": "nadia@example.com", "password": "correct horse battery"}
    )

    assert response["Location"] == reverse("buddies-invitation", args=[invitation[1]])


def test_an_answered_invitation_is_forgotten(client, invitation):
    buddyship, token = invitation
    client.get(reverse("buddies-invitation", args=[token]))
    buddyship.decline()
    client.get(reverse("buddies-invitation", args=[token]))  # says it was answered

    UserFactory(email="nadia@example.com")
    response = client.post(
        "/accounts/login/", {"login": "nadia@example.com", "password": "correct horse battery"}
    )

    assert response["Location"] == reverse("plans-dashboard")


def test_the_verification_email_is_the_sites_own_in_text_and_html(client, settings):
    settings.SITE_URL = "http://testserver"
    client.post("/accounts/signup/", SIGNUP)

    message = mail.outbox[-1]
    html = message.alternatives[0][0]
    assert message.subject == "Confirm your email address to start your plan"
    assert message.body.startswith("Hello Nadia Newcomer,")
    assert "Hello from" not in message.body
    assert "careerplan at http://testserver/" in message.body
    assert "Confirm my address</a>" in html
    assert re.search(r'href="http://testserver/accounts/confirm-email/[^"]+/"', html)


@pytest.mark.parametrize(
    ("url", "data", "subject"),
    [
        ("/accounts/password/reset/", {"email": "known@example.com"}, "Choose a new password"),
        ("/accounts/password/reset/", {"email": "nobody@example.com"}, "About your careerplan"),
    ],
)
def test_reset_emails_are_the_sites_own(client, url, data, subject):
    UserFactory(email="known@example.com")
    client.post(url, data)

    message = mail.outbox[-1]
    assert message.subject.startswith(subject)
    assert message.alternatives[0][1] == "text/html"
    assert "careerplan" in message.alternatives[0][0]


def test_a_changed_address_is_confirmed_in_the_sites_style(client):
    user = UserFactory(email="known@example.com")
    client.force_login(user)
    client.post("/accounts/email/", {"action_add": "", "email": "new@example.com"})

    message = mail.outbox[-1]
    assert message.subject == "Confirm your new email address"
    assert "new@example.com" in message.body
    # The address may be someone else's: no name of the account that asked.
    for body in (message.body, message.alternatives[0][0]):
        assert user.display_name not in body
        assert "Hello," in body


def test_a_pending_change_can_be_sent_again_or_called_off(client):
    user = UserFactory(email="known@example.com")
    client.force_login(user)
    response = client.post(
        "/accounts/email/", {"action_add": "", "email": "new@example.com"}, follow=True
    )
    page = response.content.decode()
    assert "Changing to (not confirmed yet)" in page
    assert 'value="new@example.com"' in page
    # The form the two buttons submit is hidden by HTML, not by a style the page's
    # Content Security Policy would refuse.
    assert "style=" not in page
    assert '<form hidden id="pending-email"' in page

    assert "A new link can be sent three minutes after the last one." in page

    mail.outbox.clear()
    response = client.post(
        "/accounts/email/", {"action_send": "", "email": "new@example.com"}, follow=True
    )
    assert mail.outbox == []
    assert "less than three minutes ago, so no new one was sent" in response.text
    with time_machine.travel(dt.timedelta(minutes=3, seconds=1)):
        client.post("/accounts/email/", {"action_send": "", "email": "new@example.com"})
    assert [m.to for m in mail.outbox] == [["new@example.com"]]

    response = client.post(
        "/accounts/email/", {"action_remove": "", "email": "new@example.com"}, follow=True
    )
    assert "not confirmed yet" not in response.content.decode()
    assert "The change to new@example.com is called off" in response.content.decode()
    assert list(user.emailaddress_set.values_list("email", flat=True)) == ["known@example.com"]


def test_changing_back_within_three_minutes_says_no_new_link_was_sent(client):
    user = UserFactory(email="known@example.com")
    client.force_login(user)
    for address in ("a@example.com", "b@example.com"):
        client.post("/accounts/email/", {"action_add": "", "email": address}, follow=True)
    assert [m.to for m in mail.outbox] == [["a@example.com"], ["b@example.com"]]

    response = client.post(
        "/accounts/email/", {"action_add": "", "email": "a@example.com"}, follow=True
    )
    assert len(mail.outbox) == 2
    assert [str(m) for m in response.context["messages"]] == [
        "A link went to a@example.com less than three minutes ago, so no new one was sent. "
        "Give it a moment, and look in the spam folder."
    ]
    assert "Changing to (not confirmed yet)" in response.text


def test_the_zone_list_is_canonical_zones_by_region_with_utc_first():
    choices = SignupForm().fields["tz"].choices
    values = [v for _group, zones in choices[1:] for v, _label in zones]

    assert choices[0] == ("UTC", "UTC")
    assert [group for group, _ in choices[1:]][:3] == ["Africa", "America", "Antarctica"]
    assert "Europe/London" in values
    assert "Asia/Kolkata" in values
    for alias in ["US/Eastern", "GB", "Asia/Calcutta", "Europe/Kiev", "Etc/GMT+5", "Factory"]:
        assert alias not in values, alias
    assert len(values) == len(canonical_zones()) - 1 < 450
    assert dict(choices)["Europe"][0][1] == "Amsterdam"


def test_a_browser_alias_maps_to_the_zone_offered():
    aliases = zone_aliases()
    assert aliases["Asia/Calcutta"] == "Asia/Kolkata"
    assert set(aliases.values()) <= set(canonical_zones())


def test_a_saved_alias_is_still_offered_and_accepted():
    user = UserFactory(tz="US/Eastern")
    form = ProfileForm(instance=user)
    assert form.fields["tz"].choices[0] == ("US/Eastern", "US/Eastern")
    bound = ProfileForm({"display_name": "Pat", "tz": "US/Eastern"}, instance=user)
    assert bound.is_valid(), bound.errors


def test_an_address_too_long_to_store_is_refused_next_to_the_field(client):
    user = UserFactory(email="known@example.com")
    client.force_login(user)
    long_address = "a" * 300 + "@example.com"

    response = client.post("/accounts/email/", {"action_add": "", "email": long_address})

    assert response.status_code == 422
    assert "An email address has at most 254 characters." in response.text
    assert long_address in response.text  # what was typed stays
    assert user.emailaddress_set.count() == 1

    client.logout()
    mail.outbox.clear()
    response = client.post("/accounts/password/reset/", {"email": long_address})
    assert response.status_code == 422
    assert "An email address has at most 254 characters." in response.text
    assert mail.outbox == []


def test_a_zone_is_named_as_the_profile_lists_it():
    from accounts.zones import zone_name

    assert zone_name("Europe/Berlin") == "Berlin (Europe)"
    assert zone_name("America/Argentina/Buenos_Aires") == "Argentina / Buenos Aires (America)"
    assert zone_name("UTC") == "UTC"
