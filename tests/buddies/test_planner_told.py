"""The planner hears, by email, when their buddy stops or says no: leaving from the
progress page or the private link, declining with or without an account, closing the
buddy's account. Once, through the outbox, from the buddy's name, in the same
transaction as the change; never to a closed or unverified account."""

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from buddies import signals
from buddies.models import Buddyship, Notification
from buddies.outbox import sender
from personaldata.deletion import close_account
from tests.buddies.conftest import make_buddyship, make_link

STOPPED = "has stopped being your Career Change Buddy"
DECLINED = "has declined your invitation to be your Career Change Buddy"


def sent():
    sender.send_pending()
    return list(mail.outbox)


def the_one_email_to(planner):
    (message,) = sent()
    assert message.to == [f"{planner.display_name} <{planner.email}>"]
    # From the buddy's name, never their address; no unsubscribe: it is the planner's.
    assert message.from_email.startswith('"Bea Buddy via careerplan" <') or (
        message.from_email.startswith("Bea Buddy via careerplan <")
    ), message.from_email
    assert "List-Unsubscribe" not in message.extra_headers
    html = message.alternatives[0][0]
    assert reverse("buddies-list") in message.body
    assert reverse("buddies-list") in html
    assert "Invite someone else" in html
    return message


def test_a_buddy_who_leaves_from_the_progress_page_is_reported_once(owner, buddyship, buddy_client):
    url = reverse("buddies-leave", args=[buddyship.code])
    page = buddy_client.get(url)
    assert "We let Olivia Owner know by email" in page.text

    buddy_client.post(url)
    buddy_client.post(url)  # a second press: they have already gone

    message = the_one_email_to(owner)
    assert message.subject == "Bea Buddy is no longer your buddy"
    assert STOPPED in message.body
    assert "deleted" not in message.body
    assert Notification.objects.filter(kind=Notification.Kind.BUDDY_LEFT).count() == 1


def test_a_follower_who_leaves_by_the_private_link_is_reported(owner, plan):
    follower = make_buddyship(owner, [plan], email="bea@example.com", name="Bea Buddy")
    token = make_link(follower)

    Client().post(reverse("buddies-link-leave", args=[token]))

    assert STOPPED in the_one_email_to(owner).body


@pytest.fixture
def invitation(owner, plan):
    buddyship = make_buddyship(
        owner, [plan], email="bea@example.com", name="Bea Buddy", status=Buddyship.Status.INVITED
    )
    token = buddyship.issue_invitation()
    sent()  # the invitation itself
    mail.outbox.clear()
    return buddyship, token


def test_declining_from_the_invitation_email_is_reported(owner, invitation):
    buddyship, token = invitation
    client = Client()
    confirm = client.get(reverse("buddies-invitation-decline", args=[token]))
    assert "We let Olivia Owner know by email that you said no" in confirm.text

    client.post(reverse("buddies-invitation-decline", args=[token]))

    message = the_one_email_to(owner)
    assert message.subject == "Bea Buddy said no to being your buddy"
    assert DECLINED in message.body
    assert "bea@example.com" in message.body  # the address the planner typed
    assert Notification.objects.get(kind=Notification.Kind.DECLINED).buddyship == buddyship


def test_declining_signed_in_is_reported(owner, invitation, buddy_client):
    buddyship, _token = invitation

    buddy_client.post(reverse("buddies-invitation-decline-signed-in", args=[buddyship.code]))

    assert DECLINED in the_one_email_to(owner).body


def test_a_buddy_who_closes_their_account_is_reported_as_such(owner, buddyship, buddy):
    close_account(buddy)

    message = the_one_email_to(owner)
    assert "has deleted their careerplan account" in message.body
    assert STOPPED not in message.body


def test_a_deactivated_planner_is_told_nothing(owner, buddyship):
    owner.is_active = False  # deactivated by the site's staff, say
    owner.save(update_fields=["is_active"])
    assert buddyship.leave() is True
    assert not Notification.objects.exists()
    assert sent() == []


def test_a_planner_who_closes_between_the_leaving_and_the_send_is_told_nothing(owner, buddyship):
    buddyship.leave()
    close_account(owner)
    mail.outbox.clear()
    assert sent() == []
    row = Notification.objects.get(kind=Notification.Kind.BUDDY_LEFT)
    assert row.state == Notification.State.SKIPPED


def test_an_unverified_planner_address_gets_nothing(owner, buddyship):
    EmailAddress.objects.filter(user=owner).update(verified=False)
    buddyship.leave()
    assert sent() == []
    assert Notification.objects.get().state == Notification.State.SKIPPED


@pytest.mark.parametrize("act", ["leave", "decline"])
def test_a_failure_while_telling_the_planner_leaves_the_buddyship_as_it_was(
    owner, plan, buddy, act
):
    status = Buddyship.Status.ACTIVE if act == "leave" else Buddyship.Status.INVITED
    buddyship = make_buddyship(owner, [plan], user=buddy, status=status)
    if act == "decline":
        buddyship.issue_invitation()

    def refuse(**kwargs):
        raise RuntimeError("the outbox is unavailable")

    signals.ended_by_buddy.connect(refuse, sender=Buddyship, dispatch_uid="refuse")
    try:
        with pytest.raises(RuntimeError):
            getattr(buddyship, act)()
    finally:
        signals.ended_by_buddy.disconnect(dispatch_uid="refuse", sender=Buddyship)
    buddyship.refresh_from_db()
    assert buddyship.status == status
    assert buddyship.ended is None
    assert not Notification.objects.filter(
        kind__in=[Notification.Kind.BUDDY_LEFT, Notification.Kind.DECLINED]
    ).exists()
