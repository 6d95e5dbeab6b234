"""A person who signed up (or logs in) finds invitations sent to their verified addresses
waiting for them, and answers without the emailed link."""

import datetime

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from buddies.models import Buddyship
from tests.buddies.conftest import client_for, make_buddyship
from tests.factories import UserFactory


@pytest.fixture
def invitation(owner, plan):
    buddyship = make_buddyship(owner, [plan], email="bea@example.com", status="invited")
    buddyship.issue_invitation()
    return buddyship


def accept_url(buddyship):
    return reverse("buddies-invitation-accept", args=[buddyship.code])


def test_buddies_page_lists_invitations_for_the_signed_in_person(buddy_client, invitation):
    response = buddy_client.get(reverse("buddies-list"))

    assert "Invitations for you" in response.text
    assert accept_url(invitation) in response.text


def test_accept_signed_in_makes_an_active_buddy(buddy, buddy_client, invitation):
    response = buddy_client.post(accept_url(invitation))

    assert response.url == reverse("buddies-progress", args=[invitation.code])
    invitation.refresh_from_db()
    assert invitation.status == Buddyship.Status.ACTIVE
    assert invitation.user == buddy


def test_decline_signed_in(buddy_client, invitation):
    buddy_client.post(reverse("buddies-invitation-decline-signed-in", args=[invitation.code]))

    invitation.refresh_from_db()
    assert invitation.status == Buddyship.Status.DECLINED


def test_someone_else_cannot_answer_it(stranger_client, owner_client, invitation):
    for client in (stranger_client, owner_client):
        assert client.post(accept_url(invitation)).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Buddyship.Status.INVITED


def test_an_unverified_address_does_not_find_it(invitation):
    person = UserFactory(email="mallory@example.com")
    EmailAddress.objects.create(user=person, email="bea@example.com", verified=False)

    response = client_for(person).post(accept_url(invitation))

    assert response.status_code == 404


def test_an_expired_invitation_is_not_offered(buddy_client, invitation):
    invitation.invite_expires = timezone.now() - datetime.timedelta(minutes=1)
    invitation.save(update_fields=["invite_expires"])

    page = buddy_client.get(reverse("buddies-list"))
    response = buddy_client.post(accept_url(invitation))

    assert "Invitations for you" not in page.text
    assert response.status_code == 404


def test_answering_needs_post_and_login(buddy_client, client, invitation):
    assert buddy_client.get(accept_url(invitation)).status_code == 405
    assert client.post(accept_url(invitation)).status_code == 302
