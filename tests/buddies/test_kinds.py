"""The table of email kinds: every kind is declared once, and what it declares is what its
email and the one-click answer page do."""

import datetime as dt

import pytest
from django.urls import reverse

from buddies import links
from buddies.models import Buddyship, Note, Notification
from buddies.outbox import messages, rows
from buddies.outbox.kinds import KINDS, Audience
from tests.buddies.conftest import make_buddyship
from tests.buddies.pipeline import DUE, make_step, urls_in

Kind = Notification.Kind
# The planner's own reminders are declared by the reminders app (tests/reminders/).
BUDDY_KINDS = [kind for kind in Kind if KINDS[kind].audience == Audience.BUDDY]


def test_every_kind_of_notification_is_declared_and_nothing_else():
    assert set(KINDS) == set(Kind)
    assert set(BUDDY_KINDS) == {
        Kind.INVITATION,
        Kind.COMMITMENT,
        Kind.CHECKUP,
        Kind.CELEBRATION,
        Kind.ANSWER,
        Kind.DIGEST,
        Kind.LINK,
        Kind.FAREWELL,
        Kind.BUDDY_LEFT,
        Kind.DECLINED,
    }


def test_every_declared_answer_is_a_link_answer_that_leaves_a_note():
    for kind in KINDS.values():
        assert set(kind.actions) <= links.ACTION_NAMES
        assert set(kind.actions) <= set(Notification.ANSWER_NOTES)
    # The emails that reach a buddy who cannot act yet offer nothing to click.
    assert KINDS[Kind.INVITATION].actions == KINDS[Kind.LINK].actions == ()


def test_only_the_buddys_own_link_is_sent_after_unsubscribing():
    assert {name for name, kind in KINDS.items() if kind.transactional} == {Kind.LINK}


@pytest.fixture
def row_of_kind(owner, plan, buddyship):
    """Return a function making a row of a kind, as the pipeline writes it."""
    step = make_step(plan)

    def make(kind):
        if kind == Kind.INVITATION:
            invited = make_buddyship(
                owner, [plan], email="ivy@example.com", name="Ivy", status="invited"
            )
            invited.issue_invitation()
        elif kind == Kind.LINK:
            buddyship.new_link()
        else:
            payload = {
                Kind.COMMITMENT: {"steps": [str(step.code)]},
                Kind.ANSWER: {"outcome": "done"},
                Kind.DIGEST: {"since": "2026-03-09", "today": "2026-03-16"},
            }.get(kind, {})
            about = None if kind in (Kind.COMMITMENT, Kind.DIGEST) else step
            rows.enqueue(kind, buddyship, "key", step=about, payload=payload)
        return Notification.objects.select_related("buddyship__planner", "step__plan").get(
            kind=kind
        )

    return make


@pytest.mark.parametrize("kind", BUDDY_KINDS)
def test_each_email_links_to_exactly_the_answers_its_kind_declares(row_of_kind, kind):
    notification = row_of_kind(kind)
    message = messages.build_message(notification)
    answers = set()
    for url in urls_in(message.body):
        if "/buddies/m/a/" in url:
            token = url.rstrip("/").rsplit("/", 1)[-1]
            linked, action = links.read_action_token(token)
            assert linked == notification
            answers.add(action)
    assert answers == set(KINDS[kind].actions)


@pytest.mark.parametrize("kind", BUDDY_KINDS)
def test_the_answer_page_offers_the_declared_answers_and_nothing_else(client, row_of_kind, kind):
    notification = row_of_kind(kind)
    # The page answers for the email; an active buddyship, so only the kind decides.
    Buddyship.objects.filter(pk=notification.buddyship_id).update(status="active")
    for action in sorted(links.ACTION_NAMES):
        url = reverse("buddies-mail-action", args=[links.action_token(notification, action)])
        if action in KINDS[kind].actions:
            assert client.get(url).status_code == 200
            assert client.post(url).status_code == 200
        else:
            assert client.get(url).status_code == 400
            assert client.post(url).status_code == 400
    assert Note.objects.count() == len(KINDS[kind].actions)


def test_a_checkup_is_wanted_until_its_step_is_closed_or_moved(plan, buddyship):
    step = make_step(plan)
    checkup = rows.enqueue(Kind.CHECKUP, buddyship, rows.checkup_key(step), step=step)
    unwanted = KINDS[Kind.CHECKUP].unwanted
    assert unwanted(checkup) == ""
    step.reschedule(DUE + dt.timedelta(days=3), "Later")
    assert unwanted(checkup) == "The step has a new date."
    step.mark_done()
    assert unwanted(checkup) == "The step is done."
