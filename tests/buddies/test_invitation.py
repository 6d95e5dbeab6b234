"""Answering an invitation: accept with an account, follow without one, decline; and every
way a token can be wrong (tampered, expired, reused, replaced, withdrawn)."""

import datetime

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from buddies.models import Buddyship, Notification, ShareLink
from buddies.outbox import sender
from tests.buddies.conftest import client_for, make_buddyship
from tests.factories import UserFactory


@pytest.fixture
def invited(owner, plan):
    """An invitation to bea@example.com and its raw token."""
    buddyship = make_buddyship(
        owner,
        [plan],
        email="bea@example.com",
        name="Bea",
        message="Be my buddy?",
        status=Buddyship.Status.INVITED,
    )
    return buddyship, buddyship.issue_invitation()


def url(name, token):
    return reverse(name, args=[token])


def test_invitation_page_shows_the_planner_by_name_never_by_address(client, invited, plan):
    _buddyship, token = invited

    response = client.get(url("buddies-invitation", token))

    assert response.status_code == 200
    assert "Be Olivia Owner's Career Change Buddy?" in response.text
    assert "Be my buddy?" in response.text
    assert plan.goal in response.text
    assert "olivia@example.com" not in response.text
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_accept_by_the_invited_account_makes_an_active_buddy(invited, buddy, buddy_client):
    buddyship, token = invited

    response = buddy_client.post(url("buddies-invitation", token))

    assert response.status_code == 302
    assert response.url == reverse("buddies-progress", args=[buddyship.code])
    buddyship.refresh_from_db()
    assert buddyship.status == Buddyship.Status.ACTIVE
    assert buddyship.user == buddy
    assert buddyship.accepted is not None


def test_accepting_lifts_an_earlier_unsubscribe(invited, buddy_client):
    buddyship, token = invited
    Buddyship.objects.filter(pk=buddyship.pk).update(
        unsubscribed=datetime.datetime.now(datetime.UTC)
    )

    buddy_client.post(url("buddies-invitation", token))

    buddyship.refresh_from_db()
    assert buddyship.status == Buddyship.Status.ACTIVE
    assert buddyship.unsubscribed is None


def test_accept_matches_the_address_whatever_its_case(invited):
    buddyship, token = invited
    person = UserFactory(email="BEA@Example.COM")

    client_for(person).post(url("buddies-invitation", token))

    buddyship.refresh_from_db()
    assert buddyship.user == person


def test_accept_by_a_verified_second_address_works(invited):
    buddyship, token = invited
    person = UserFactory(email="beatrice@work.example")
    EmailAddress.objects.create(user=person, email="bea@example.com", verified=True)

    client_for(person).post(url("buddies-invitation", token))

    buddyship.refresh_from_db()
    assert buddyship.user == person


def test_accept_from_another_address_is_refused_with_a_clear_page(invited, stranger_client):
    buddyship, token = invited

    for method in ("get", "post"):
        response = getattr(stranger_client, method)(url("buddies-invitation", token))
        assert response.status_code == 403
        assert "This invitation is for another address" in response.text
        assert "bea@example.com" in response.text
    buddyship.refresh_from_db()
    assert buddyship.status == Buddyship.Status.INVITED
    assert buddyship.user is None


def test_an_unverified_second_address_does_not_count(invited):
    buddyship, token = invited
    person = UserFactory(email="mallory@example.com")
    EmailAddress.objects.create(user=person, email="bea@example.com", verified=False)

    response = client_for(person).post(url("buddies-invitation", token))

    assert response.status_code == 403
    buddyship.refresh_from_db()
    assert buddyship.status == Buddyship.Status.INVITED


def test_the_planner_cannot_accept_their_own_invitation(invited, owner_client):
    _buddyship, token = invited

    response = owner_client.post(url("buddies-invitation", token))

    assert response.status_code == 403
    assert "This is your own invitation" in response.text


def test_anonymous_accept_goes_to_login_and_comes_back(client, invited):
    _buddyship, token = invited

    response = client.post(url("buddies-invitation", token))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert "next=" in response.url
    page = client.get(url("buddies-invitation", token))
    assert f"?next={url('buddies-invitation', token)}" in page.text.replace("%2F", "/")


def test_login_from_the_invitation_returns_to_it(client, invited, buddy):
    buddyship, token = invited
    accept = url("buddies-invitation", token)

    response = client.post(
        reverse("account_login") + f"?next={accept}",
        {"login": "bea@example.com", "password": "correct horse battery"},
    )

    assert response.status_code == 302
    assert response.url == accept
    assert client.post(accept).url == reverse("buddies-progress", args=[buddyship.code])


def test_a_reused_token_shows_that_the_invitation_was_answered(invited, buddy_client, client):
    buddyship, token = invited
    buddy_client.post(url("buddies-invitation", token))

    response = client.get(url("buddies-invitation", token))

    assert response.status_code == 410
    assert "already answered" in response.text
    # The buddy who accepted is simply taken to the progress page.
    again = buddy_client.get(url("buddies-invitation", token))
    assert again.url == reverse("buddies-progress", args=[buddyship.code])


def test_an_expired_token_is_refused(invited, buddy_client):
    buddyship, token = invited

    with time_machine.travel(datetime.timedelta(days=15)):
        response = buddy_client.post(url("buddies-invitation", token))

    assert response.status_code == 410
    assert "This invitation has expired" in response.text
    buddyship.refresh_from_db()
    assert buddyship.status == Buddyship.Status.INVITED


def test_a_withdrawn_invitation_is_refused(invited, buddy_client):
    buddyship, token = invited
    buddyship.revoke()

    response = buddy_client.post(url("buddies-invitation", token))

    assert response.status_code == 410
    assert "This invitation was withdrawn" in response.text
    buddyship.refresh_from_db()
    assert buddyship.status == Buddyship.Status.REVOKED


@pytest.mark.parametrize(
    "name", ["buddies-invitation", "buddies-invitation-decline", "buddies-invitation-follow"]
)
def test_a_tampered_token_is_refused_on_every_invitation_page(invited, buddy_client, name):
    buddyship, token = invited
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    for method in ("get", "post"):
        response = getattr(buddy_client, method)(url(name, tampered))
        assert response.status_code == 404
        assert "This invitation link doesn't work" in response.text
    buddyship.refresh_from_db()
    assert buddyship.status == Buddyship.Status.INVITED


def test_an_overlong_token_is_refused(client):
    response = client.get(url("buddies-invitation", "x" * 500))

    assert response.status_code == 404


def test_decline_asks_first_then_declines(client, invited):
    buddyship, token = invited

    confirm = client.get(url("buddies-invitation-decline", token))
    assert confirm.status_code == 200
    buddyship.refresh_from_db()
    assert buddyship.status == Buddyship.Status.INVITED

    response = client.post(url("buddies-invitation-decline", token))

    assert response.status_code == 200
    assert "You declined the invitation" in response.text
    buddyship.refresh_from_db()
    assert buddyship.status == Buddyship.Status.DECLINED
    assert client.post(url("buddies-invitation", token)).status_code == 410
    # Opened again later, the link says what became of it.
    again = client.get(url("buddies-invitation", token))
    assert "It was declined on" in again.text
    assert "ask Olivia Owner to invite you again" in again.text


def test_follow_without_an_account_gives_a_private_link_by_email(client, invited, plan):
    buddyship, token = invited

    confirm = client.get(url("buddies-invitation-follow", token))
    assert confirm.status_code == 200
    assert not ShareLink.objects.exists()

    response = client.post(url("buddies-invitation-follow", token))

    buddyship.refresh_from_db()
    assert buddyship.status == Buddyship.Status.ACTIVE
    assert buddyship.user is None
    link = ShareLink.objects.get(buddyship=buddyship)
    notification = Notification.objects.get(kind=Notification.Kind.LINK)
    secret = notification.payload["secret"]
    assert link.token_hash != secret
    assert response.status_code == 302
    assert response.url == url("buddies-link-progress", secret)
    page = client.get(response.url)
    assert page.status_code == 200
    assert plan.goal in page.text
    # The invitation is used up.
    assert client.post(url("buddies-invitation-follow", token)).status_code == 410
    assert ShareLink.objects.count() == 1


def test_two_answers_at_once_only_one_wins(invited, buddy):
    buddyship, _token = invited
    stale = Buddyship.objects.get(pk=buddyship.pk)

    assert buddyship.accept(buddy) is True
    assert stale.decline() is False
    buddyship.refresh_from_db()
    assert buddyship.status == Buddyship.Status.ACTIVE


def test_wrong_methods_are_refused(client, invited):
    _buddyship, token = invited

    assert client.put(url("buddies-invitation", token)).status_code == 405
    assert client.delete(url("buddies-invitation-decline", token)).status_code == 405


def test_invitation_email_carries_names_commitments_and_the_three_answers(
    owner, owner_client, plan
):
    step = plan.add_step("Visit three bookshops", owner.local_today() + datetime.timedelta(days=5))
    owner_client.post(
        reverse("buddies-invite"),
        {
            "name": "Bea",
            "email": "bea@example.com",
            "message": "Be my buddy?",
            "plans": [str(plan.code)],
            "celebrations": "on",
        },
    )
    token = Notification.objects.get().payload["secret"]

    assert sender.send_pending() == {"sent": 1}

    message = mail.outbox[-1]
    assert message.to == ["Bea <bea@example.com>"]
    assert message.subject == "Olivia Owner asks you to be their Career Change Buddy"
    assert "olivia@example.com" not in message.from_email
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = message.alternatives[0][0]
    for body in (message.body, html):
        assert "Hello Bea" in body
        assert "Be my buddy?" in body
        assert step.title in body
        assert plan.goal in body.replace("&#x27;", "'")
        assert url("buddies-invitation", token) in body
        assert url("buddies-invitation-follow", token) in body
        assert url("buddies-invitation-decline", token) in body
        assert "olivia@example.com" not in body
    # The raw token is not kept once the message is handed over.
    assert "secret" not in Notification.objects.get().payload


def test_invitation_email_escapes_the_message_in_html(owner, owner_client, plan):
    owner_client.post(
        reverse("buddies-invite"),
        {
            "name": "Bea",
            "email": "bea@example.com",
            "message": "<script>x</script>",
            "plans": [str(plan.code)],
        },
    )

    sender.send_pending()

    message = mail.outbox[-1]
    assert "<script>" not in message.alternatives[0][0]
    assert "<script>x</script>" in message.body


def test_private_link_email_reaches_a_follower(client, invited):
    _buddyship, token = invited
    mail.outbox.clear()
    response = client.post(url("buddies-invitation-follow", token))

    sender.send_pending()

    message = mail.outbox[-1]
    assert message.subject == "Your private link to Olivia Owner's progress"
    assert response.url in message.body
    assert response.url in message.alternatives[0][0]
