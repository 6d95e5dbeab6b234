"""Django's Redis cache, with one Redis client per connection pool and no memcached
key checks.

Django's RedisCacheClient builds a new `redis.Redis` for every call; redis-py fills a
case-insensitive table of some 170 response callbacks in each new client, which cost
about 60 µs a call here, three times the round trip itself (bench/README.md). The client
is safe to share: each command takes a connection from the pool and gives it back.

Every key is also checked, character by character in Python, against memcached's limits
(length, spaces, control characters), which Redis does not have: 5 µs a key, and a
signed-in request reads four.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    def validate_key(self, key):
        pass
