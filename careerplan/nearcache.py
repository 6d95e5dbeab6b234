"""Copies of a few small Redis keys kept in this process, true because Redis says when
they change.

A signed-in request reads its session and its person's version and row before anything
else (accounts.sessions). Fetching them takes one round trip to Redis, and on a bare
request that round trip (the client library's work, the wait, Redis's own turn) is more
than half of what the request costs (bench/README.md). Redis can tell a client when a key
it has read changes (server-assisted client-side caching, `CLIENT TRACKING`, Redis 6 and
later), so a process may keep what it read and use it again until told otherwise.

How the copies stay true:

- They are read on a connection of their own with tracking on, speaking RESP3, so that
  Redis's invalidation messages arrive on it as pushes. Redis sends one when a key is
  written, deleted, expires or is evicted, by any client, in the same turn of its event
  loop as its reply to the change. Before a copy is used, the socket is read without
  waiting, and every key named in a message is dropped.
- A write through the cache (careerplan.cache) returns only once Redis has finished that
  turn (a PING answered after the write's reply), so every message about it is on its
  socket before the writer does anything else: by the time the person who signed out
  in another process is told so, this process will see it. The write also drops this
  process's own copies at once, in every thread.
- A copy is used only while the connection has answered within the last `QUIET` seconds.
  A connection that died without closing could miss messages; after a quiet second the
  next read goes to Redis, which proves the connection alive or drops everything. A
  closed or failed connection drops every copy.
- Each copy is kept as the bytes Redis holds and decoded for each use, so no caller can
  change what the next one reads; and for a minute at most (`MAX_AGE`).
- At most `MAX_ENTRIES` copies a thread, the least recently used dropped first.
"""

import os
import threading
import time
import weakref
from collections import OrderedDict

from redis.exceptions import RedisError, ResponseError

# How long the connection may be silent before copies are no longer trusted.
QUIET = 1.0
# How long a copy is used at most. Redis says when a key is written or deleted, and when
# it expires once it removes it; an expired key no one reads may wait a while to be
# removed, so a copy is read again after this long (a session outlives its last use by
# weeks; a minute late is nothing).
MAX_AGE = 60.0
# A thread's copies: three small keys for each person seen lately.
MAX_ENTRIES = 30_000


class Unavailable(Exception):
    """The server cannot track keys (before Redis 6): read from it every time."""


_all = weakref.WeakSet()  # every near cache of this process, to forget writes in each
_all_lock = threading.Lock()


class NearCache:
    def __init__(self, pool):
        """`pool` makes RESP3 connections to the Redis server the copies come from."""
        self._pool = pool
        self._connection = None
        self._pid = os.getpid()
        self._entries = OrderedDict()
        self._lock = threading.Lock()  # forget() may come from another thread
        self._heard = float("-inf")  # when the connection last answered
        with _all_lock:
            _all.add(self)

    def get_many(self, keys, also=()):
        """Return ({key: bytes}, fetched) for those of `keys` and `also` that Redis holds.

        `keys` come from the copies when every one of them is kept and still true; then
        `also` is not read and `fetched` is False. Otherwise all are read in one MGET,
        `keys` are kept, and `fetched` is True. A connection found broken is replaced
        once (its copies dropped) before the error is let through.
        """
        try:
            return self._get_many(keys, also)
        except (OSError, RedisError):  # redis-py's and the socket's own
            self.reset()
            try:
                return self._get_many(keys, also)
            except Exception:
                self.reset()
                raise

    def _get_many(self, keys, also):
        connection = self._connect()
        self._drain(connection)
        now = time.monotonic()
        if now - self._heard < QUIET:
            kept = self._kept(keys, now - MAX_AGE)
            if kept is not None:
                return kept, False
        wanted = [*keys, *also]
        connection.send_command("MGET", *wanted)
        values = connection.read_response()
        self._heard = now = time.monotonic()
        found = {key: value for key, value in zip(wanted, values, strict=True) if value is not None}
        with self._lock:
            for key in keys:
                if key in found:
                    self._entries[key] = (found[key], now)
                    self._entries.move_to_end(key)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)
        return found, True

    def forget(self, keys):
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)

    def forget_all(self):
        with self._lock:
            self._entries.clear()

    def reset(self):
        """Drop every copy and the connection (the next read connects again)."""
        self.forget_all()
        connection, self._connection = self._connection, None
        self._heard = float("-inf")
        if connection is not None:
            connection.disconnect()

    def _kept(self, keys, since):
        """The copies of `keys` if every one is kept and was read after `since`."""
        with self._lock:
            try:
                entries = [self._entries[key] for key in keys]
            except KeyError:
                return None
            if any(read < since for _value, read in entries):
                return None
            for key in keys:
                self._entries.move_to_end(key)
        return {key: value for key, (value, _read) in zip(keys, entries, strict=True)}

    def _connect(self):
        if self._pid != os.getpid():
            # A forked child: the socket is its parent's, and so were the messages.
            self._connection, self._pid = None, os.getpid()
        if self._connection is None:
            self.reset()
            connection = self._pool.make_connection()
            try:
                connection.connect()  # RESP3's HELLO: Redis 6 and later
                connection._parser.set_invalidation_push_handler(self._invalidated)
                connection.send_command("CLIENT", "TRACKING", "ON")
                answer = connection.read_response()
                if isinstance(answer, ResponseError):
                    raise answer
            except ResponseError as error:
                connection.disconnect()
                raise Unavailable(str(error)) from error
            self._connection = connection
        return self._connection

    def _drain(self, connection):
        """Read, without waiting, the messages Redis has sent since the last read."""
        while connection.can_read(timeout=0):
            connection.read_response(push_request=True)

    def _invalidated(self, message):
        # ["invalidate", [key, ...]], or ["invalidate", None] when Redis drops them all
        # (FLUSHDB, or its table of tracked keys full).
        keys = message[1]
        if keys is None:
            self.forget_all()
        else:
            self.forget(key.decode() if isinstance(key, bytes) else key for key in keys)


def forget_all():
    """Drop every copy in every thread of this process."""
    with _all_lock:
        caches = list(_all)
    for near in caches:
        near.forget_all()


def forget(keys):
    """Drop the copies of `keys` (as Redis names them) in every thread of this process."""
    with _all_lock:
        caches = list(_all)
    for near in caches:
        near.forget(keys)
