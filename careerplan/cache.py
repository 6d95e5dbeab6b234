"""Django's Redis cache, with one Redis client per connection pool, no memcached key
checks, and copies of the keys every signed-in request reads first kept in the process
(careerplan.nearcache).

Django's RedisCacheClient builds a new `redis.Redis` for every call; redis-py fills a
case-insensitive table of some 170 response callbacks in each new client, which cost
about 60 µs a call here, three times the round trip itself (bench/README.md). The client
is safe to share: each command takes a connection from the pool and gives it back.

Every key is also checked, character by character in Python, against memcached's limits
(length, spaces, control characters), which Redis does not have: 5 µs a key, and a
signed-in request reads four.
"""

import contextlib
import logging
import pickle

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient, RedisSerializer
from redis.exceptions import RedisError

from careerplan import nearcache

logger = logging.getLogger(__name__)


class Serializer(RedisSerializer):
    """Django's, reading a pickle as one rather than first trying it as a number (a raised
    ValueError for every value that is not one). Pickles start with the PROTO opcode."""

    def loads(self, data):
        if data[:1] == b"\x80":
            return pickle.loads(data)  # noqa: S301 (as Django's: only this app writes the cache)
        return int(data)


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, near=True, serializer=Serializer, **kwargs):
        super().__init__(*args, serializer=serializer, **kwargs)
        self._clients = {}
        self._near = None
        if near and len(self._servers) == 1:
            pool = self._pool_class.from_url(
                self._servers[0], **{**self._pool_options, "protocol": 3}
            )
            self._near = nearcache.NearCache(pool)

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def get_many_near(self, keys, also=()):
        """Return the values of `keys`, from this process's copies while Redis has not said
        they changed, and whether `also` were read with them: they are when the copies
        cannot serve and a round trip is made anyway, and left out when none is."""
        if self._near is None:
            return self.get_many([*keys, *also]), True
        try:
            found, fetched = self._near.get_many(keys, also)
        except nearcache.Unavailable:
            logger.warning("Redis cannot track keys; reading every request's from it")
            self._near = None
            return self.get_many([*keys, *also]), True
        loads = self._serializer.loads
        return {key: loads(value) for key, value in found.items()}, fetched

    # Every write drops this process's copies of what it wrote, in every thread, and
    # returns once Redis has sent its messages about it to every other process
    # (careerplan.nearcache): Redis writes its reply to the writer and its messages to
    # the others in one turn of its loop, in no set order, and finishes that turn before
    # it reads the writer's next command. So a PING answered after the write's reply
    # means every message is on its socket, and whatever the writer does next (answer
    # "you have signed out", say) is seen by the next request in any process.

    def _wrote(self, keys):
        nearcache.forget(keys)
        if self._near is not None:
            # If Redis is gone, so is every copy, with the connections.
            with contextlib.suppress(RedisError, OSError):
                self.get_client(write=True).ping()

    def add(self, key, value, timeout):
        added = super().add(key, value, timeout)
        self._wrote([key])
        return added

    def set(self, key, value, timeout):
        super().set(key, value, timeout)
        self._wrote([key])

    def touch(self, key, timeout):
        touched = super().touch(key, timeout)
        self._wrote([key])
        return touched

    def delete(self, key):
        deleted = super().delete(key)
        self._wrote([key])
        return deleted

    def incr(self, key, delta):
        value = super().incr(key, delta)
        self._wrote([key])
        return value

    def set_many(self, data, timeout):
        super().set_many(data, timeout)
        self._wrote(list(data))

    def delete_many(self, keys):
        super().delete_many(keys)
        self._wrote(keys)

    def clear(self):
        cleared = super().clear()
        nearcache.forget_all()
        self._wrote([])
        return cleared


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    def validate_key(self, key):
        pass

    def get_many_near(self, keys, also=()):
        """Return get_many(keys), with `keys` answered from this process's copies while
        they are true (careerplan.nearcache), and whether `also` were read with them (only
        when a round trip was made anyway: then they are in the values if Redis has them)."""
        asked = [*keys, *also]
        raw = [self.make_and_validate_key(key) for key in asked]
        names = dict(zip(raw, asked, strict=True))
        found, fetched = self._cache.get_many_near(raw[: len(keys)], raw[len(keys) :])
        return {names[key]: value for key, value in found.items()}, fetched
