"""Copies of the session, version and row kept in the process (careerplan.nearcache): used
only while Redis has not said they changed, so a change made by any other process (a
sign-out, a new password, a deactivation) is seen by the next request here.

Against the real Redis (REDIS_URL): what is tested is Redis's own invalidation messages.
A second Redis client stands for another process: its writes never pass through this
process's copies, so only Redis's message can tell them. It writes as careerplan.cache
does: a write, then a PING, after which every message about the write is on its socket.
"""

import os
import uuid

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from careerplan import nearcache

pytestmark = pytest.mark.services

REDIS_URL = os.environ.get("REDIS_URL", "")
CACHED_DB = "django.contrib.sessions.cached_db"


@pytest.fixture
def other_process():
    assert REDIS_URL, "this test needs REDIS_URL"
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def near():
    assert REDIS_URL, "this test needs REDIS_URL"
    made = nearcache.NearCache(redis.ConnectionPool.from_url(REDIS_URL, protocol=3))
    yield made
    made.reset()


@pytest.fixture
def key():
    return f"careerplan-test-near:{uuid.uuid4().hex}"


def test_a_value_read_again_is_served_from_the_copy(near, key, other_process):
    other_process.set(key, b"one")
    assert near.get_many([key]) == ({key: b"one"}, True)
    assert near.get_many([key]) == ({key: b"one"}, False)


def test_a_change_made_elsewhere_is_seen_by_the_next_read(near, key, other_process):
    for round_ in range(300):
        value = f"value {round_}".encode()
        other_process.set(key, value)
        other_process.ping()
        found, _fetched = near.get_many([key])
        assert found == {key: value}, f"round {round_}: a copy outlived its change"


def test_a_key_deleted_elsewhere_is_gone_at_once(near, key, other_process):
    for _round in range(100):
        other_process.set(key, b"session")
        assert near.get_many([key])[0] == {key: b"session"}
        assert near.get_many([key])[1] is False
        other_process.delete(key)
        other_process.ping()
        assert near.get_many([key])[0] == {}


def test_a_write_in_this_process_drops_the_copy_without_waiting_for_redis(
    near, key, other_process, monkeypatch
):
    other_process.set(key, b"old")
    near.get_many([key])
    monkeypatch.setattr(near, "_drain", lambda connection: None)  # no message heard
    other_process.set(key, b"new")
    nearcache.forget([key])  # what every write through careerplan.cache does
    assert near.get_many([key]) == ({key: b"new"}, True)


def test_a_write_through_the_cache_returns_once_every_process_can_see_it(near, key, monkeypatch):
    # As in another process: this one's copies are not dropped by the write itself.
    monkeypatch.setattr(nearcache, "forget", lambda keys: None)
    name = key.split(":", 1)[1]
    made = cache.make_and_validate_key(name)
    for round_ in range(300):
        cache.set(name, round_)
        assert near.get_many([made])[0] == {made: str(round_).encode()}, round_


def test_every_write_through_the_cache_drops_the_copies(monkeypatch):
    dropped = []
    monkeypatch.setattr(nearcache, "forget", lambda keys: dropped.append(list(keys)))
    monkeypatch.setattr(nearcache, "forget_all", lambda: dropped.append("all"))
    cache.set("a", 1)
    cache.add("b", 1)
    cache.incr("a")
    cache.touch("a", 30)
    cache.set_many({"c": 1, "d": 2})
    cache.delete("a")
    cache.delete_many(["c", "d"])
    made = [cache.make_and_validate_key(name) for name in "abcd"]
    assert dropped == [[made[0]], [made[1]], [made[0]], [made[0]], made[2:], [made[0]], made[2:]]


def test_a_lost_connection_drops_every_copy_and_reads_again(near, key, other_process):
    other_process.set(key, b"before")
    near.get_many([key])
    other_process.client_kill_filter(_id=_client_id(near))
    other_process.set(key, b"after")  # Redis can no longer tell the killed connection
    assert near.get_many([key]) == ({key: b"after"}, True)


def _client_id(near):
    near._connection.send_command("CLIENT", "ID")
    return near._connection.read_response()


def test_a_silent_connection_is_not_trusted(near, key, other_process, monkeypatch):
    other_process.set(key, b"value")
    near.get_many([key])
    assert near.get_many([key])[1] is False
    near._heard -= nearcache.QUIET
    assert near.get_many([key])[1] is True


def test_a_copy_is_used_for_a_minute_at_most(near, key, other_process, monkeypatch):
    other_process.set(key, b"value")
    near.get_many([key])
    read = near._entries[key][1]
    near._entries[key] = (b"value", read - nearcache.MAX_AGE - 1)
    assert near.get_many([key])[1] is True


def test_redis_dropping_all_tracking_drops_every_copy(near, key, other_process):
    other_process.set(key, b"value")
    near.get_many([key])
    near._invalidated([b"invalidate", None])  # as after FLUSHDB, or a full tracking table
    assert near.get_many([key])[1] is True


def test_the_copies_are_bounded(near, other_process, monkeypatch):
    monkeypatch.setattr(nearcache, "MAX_ENTRIES", 3)
    keys = [f"careerplan-test-near:{uuid.uuid4().hex}" for _ in range(5)]
    other_process.mset(dict.fromkeys(keys, b"x"))
    for one in keys:
        near.get_many([one])
    assert list(near._entries) == keys[2:]


def test_a_forked_child_opens_its_own_connection(near, key, other_process, monkeypatch):
    other_process.set(key, b"value")
    near.get_many([key])
    parents = near._connection
    monkeypatch.setattr(nearcache.os, "getpid", lambda: -1)
    assert near.get_many([key]) == ({key: b"value"}, True)
    assert near._connection is not parents


def test_what_is_read_with_the_copies_is_left_out_when_they_serve(near, key, other_process):
    page = f"{key}:page"
    other_process.mset({key: b"session", page: b"page"})
    assert near.get_many([key], [page]) == ({key: b"session", page: b"page"}, True)
    assert near.get_many([key], [page]) == ({key: b"session"}, False)
    assert page not in near._entries  # only the small keys are kept


# --- Through Django: the requests a person makes -------------------------------------------


@pytest.fixture
def redis_cache(settings):
    assert settings.CACHES["default"]["BACKEND"] == "careerplan.cache.RedisCache"
    settings.SESSION_ENGINE = "accounts.sessions"


def _session_key(client):
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_a_signed_in_request_seen_before_makes_no_round_trip(redis_cache, owner, monkeypatch):
    client = Client()
    client.force_login(owner)
    client.get(reverse("accounts-profile"))
    client.get(reverse("accounts-profile"))
    sent = []
    original = redis.connection.AbstractConnection.send_command
    monkeypatch.setattr(
        redis.connection.AbstractConnection,
        "send_command",
        lambda self, *args, **kwargs: sent.append(args) or original(self, *args, **kwargs),
    )
    response = client.get(reverse("accounts-profile"), HTTP_HX_REQUEST="true")  # not a kept page
    assert response.status_code == 200
    assert response.wsgi_request.user == owner
    assert not [command for command in sent if command[0] in ("GET", "MGET")], sent


def test_a_sign_out_in_another_process_ends_the_session_here(redis_cache, owner, other_process):
    for _round in range(20):
        client = Client()
        client.force_login(owner)
        assert client.get(reverse("plans-dashboard")).status_code == 200
        assert client.get(reverse("plans-dashboard")).status_code == 200  # from the copies
        session_key = _session_key(client)
        # The other process's sign-out, as Redis sees it.
        other_process.delete(cache.make_and_validate_key(f"{CACHED_DB}{session_key}"))
        other_process.ping()
        client.session.model.objects.filter(session_key=session_key).delete()
        response = client.get(reverse("plans-dashboard"))
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_a_server_that_cannot_track_is_read_every_time(redis_cache, monkeypatch):
    def refused(self):
        raise nearcache.Unavailable("unknown command 'HELLO'")  # as Redis 5 answers

    monkeypatch.setattr(nearcache.NearCache, "_connect", refused)
    cache.set("seen", "yes")
    client = cache._cache
    client._near = nearcache.NearCache(None)
    assert cache.get_many_near(["seen"], ["other"]) == ({"seen": "yes"}, True)
    assert client._near is None
    assert cache.get_many_near(["seen"]) == ({"seen": "yes"}, True)
