"""Buddyship methods own their transactions: a token is never made without its email, and
a buddyship never half ends."""

import pytest

from buddies.models import Buddyship, Notification, ShareLink
from buddies.outbox import rows
from tests.buddies.conftest import make_buddyship, make_link


def fail(*args, **kwargs):
    raise RuntimeError("the outbox row could not be written")


@pytest.fixture
def email_fails(monkeypatch):
    """Writing any outbox row fails, as a database error would."""
    monkeypatch.setattr(rows, "enqueue", fail)


def test_invite_writes_the_buddyship_and_its_email_together(owner, plan):
    buddyship = Buddyship(planner=owner, email="ivy@example.com", name="Ivy")
    token = buddyship.invite([plan])

    notification = Notification.objects.get(buddyship=buddyship)
    assert (notification.kind, notification.payload) == (
        Notification.Kind.INVITATION,
        {"secret": token},
    )
    assert list(buddyship.plans.all()) == [plan]


def test_an_invitation_whose_email_cannot_be_written_is_not_made(owner, plan, email_fails):
    buddyship = Buddyship(planner=owner, email="ivy@example.com", name="Ivy")

    with pytest.raises(RuntimeError):
        buddyship.invite([plan])

    assert not Buddyship.objects.exists()


def test_a_resent_invitation_whose_email_cannot_be_written_keeps_the_old_token(
    owner, plan, monkeypatch
):
    invited = make_buddyship(owner, [plan], email="ivy@example.com", status="invited")
    invited.issue_invitation()
    before = Buddyship.objects.values_list("invite_token_hash", "invite_expires").get()
    monkeypatch.setattr(rows, "enqueue", fail)

    with pytest.raises(RuntimeError):
        invited.issue_invitation()

    assert Buddyship.objects.values_list("invite_token_hash", "invite_expires").get() == before


def test_a_new_link_whose_email_cannot_be_written_leaves_the_old_link_working(
    owner, plan, email_fails
):
    follower = make_buddyship(owner, [plan])
    make_link(follower)

    with pytest.raises(RuntimeError):
        follower.new_link()

    assert ShareLink.objects.filter(revoked__isnull=True).count() == 1
    assert ShareLink.objects.count() == 1


def test_following_whose_link_email_cannot_be_written_leaves_the_invitation_open(
    owner, plan, email_fails
):
    invited = make_buddyship(owner, [plan], email="ivy@example.com", status="invited")
    Buddyship.objects.filter(pk=invited.pk).update(invite_expires="2999-01-01T00:00Z")
    invited.refresh_from_db()

    with pytest.raises(RuntimeError):
        invited.follow_without_account()

    invited.refresh_from_db()
    assert invited.status == Buddyship.Status.INVITED
    assert not ShareLink.objects.exists()


def test_saving_settings_does_not_bring_back_a_buddy_who_left_meanwhile(buddyship, plan):
    stale = Buddyship.objects.get(pk=buddyship.pk)
    buddyship.leave()
    stale.celebrations = False

    stale.save_settings([plan])

    buddyship.refresh_from_db()
    assert (buddyship.status, buddyship.celebrations) == (Buddyship.Status.LEFT, False)
