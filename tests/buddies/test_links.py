"""Signed links in emails: they name what they act on, cannot be altered, and expire."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.core import signing

from buddies import links
from buddies.models import Notification
from buddies.outbox import sweep
from tests.buddies.pipeline import (
    AFTER,
    make_step,
)


@pytest.fixture
def checkup(plan, buddyship):
    make_step(plan)
    sweep.sweep_checkups(now=AFTER)
    return Notification.objects.get()


def test_an_answer_link_names_its_email_and_answer(checkup):
    token = links.action_token(checkup, "cheer")
    assert links.read_action_token(token) == (checkup, "cheer")


def test_an_unsubscribe_link_names_its_buddyship(buddyship):
    assert links.read_unsubscribe_token(links.unsubscribe_token(buddyship)) == buddyship


def test_an_altered_answer_link_is_refused(checkup):
    token = links.action_token(checkup, "cheer")
    _, rest = token.split(":", 1)
    other = signing.dumps({"n": str(checkup.code), "a": "confirm"}, salt=links.ACTION_SALT)
    forged = other.split(":", 1)[0] + ":" + rest
    with pytest.raises(links.BadLink) as error:
        links.read_action_token(forged)
    assert not error.value.expired
    with pytest.raises(links.BadLink):
        links.read_action_token(token[:-2])


def test_an_unsubscribe_link_is_no_answer_link_and_the_reverse(checkup, buddyship):
    with pytest.raises(links.BadLink):
        links.read_action_token(links.unsubscribe_token(buddyship))
    with pytest.raises(links.BadLink):
        links.read_unsubscribe_token(links.action_token(checkup, "cheer"))


def test_an_answer_link_signed_with_another_key_is_refused(checkup, settings):
    token = links.action_token(checkup, "cheer")
    settings.SECRET_KEY = "another-key-" + "x" * 40
    with pytest.raises(links.BadLink):
        links.read_action_token(token)


def test_an_answer_link_expires_after_thirty_days(checkup):
    with time_machine.travel(AFTER, tick=False) as clock:
        token = links.action_token(checkup, "ask")
        clock.shift(links.ACTION_MAX_AGE - dt.timedelta(minutes=1))
        assert links.read_action_token(token) == (checkup, "ask")
        clock.shift(dt.timedelta(minutes=2))
        with pytest.raises(links.BadLink) as error:
            links.read_action_token(token)
    assert error.value.expired


def test_an_unsubscribe_link_outlives_a_year(buddyship):
    with time_machine.travel(AFTER, tick=False) as clock:
        token = links.unsubscribe_token(buddyship)
        clock.shift(dt.timedelta(days=366))
        assert links.read_unsubscribe_token(token) == buddyship


def test_an_unknown_answer_is_refused(checkup):
    token = signing.dumps({"n": str(checkup.code), "a": "delete"}, salt=links.ACTION_SALT)
    with pytest.raises(links.BadLink):
        links.read_action_token(token)


def test_a_link_to_a_deleted_email_names_nothing(checkup):
    token = links.action_token(checkup, "cheer")
    checkup.delete()
    assert links.read_action_token(token) == (None, "cheer")


def test_a_link_carries_no_database_id(checkup, buddyship):
    # Only random codes and the answer's name: no id, whether alone or inside a string.
    for value in (
        signing.loads(links.action_token(checkup, "cheer"), salt=links.ACTION_SALT),
        signing.loads(links.unsubscribe_token(buddyship), salt=links.UNSUBSCRIBE_SALT),
    ):
        for item in value.values():
            assert item in links.ACTION_NAMES or uuid.UUID(item).version == 4, item
