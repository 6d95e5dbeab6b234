"""Django's cached_db sessions, read in one round trip with what the request reads next.

Sessions live in Redis and are written through to the database, as cached_db keeps them.
Reading one also reads, in the same call, the person's version and cached row
(accounts.backends) and the page asked for (careerplan.pagecache), once this process
knows whose the session is (careerplan.prefetch).
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import cached_db

from accounts.backends import cached_user_keys
from careerplan import prefetch
from careerplan.pagecache import prefetch_key


class SessionStore(cached_db.SessionStore):
    def load(self):
        person = prefetch.hint(self.session_key)
        wanted = []
        if person is not None:
            wanted = [*cached_user_keys(person), *filter(None, [prefetch_key(person)])]
        try:
            found = self._cache.get_many([self.cache_key, *wanted])
        except Exception:  # as cached_db does: an unreadable cache is an empty session
            found = {}
        data = found.get(self.cache_key)
        if data is None:
            # Not in the cache (evicted, or a cache outage): cached_db's own way, from the
            # database and back into the cache.
            data = super().load()
        signed_in = data.get(SESSION_KEY)
        if signed_in is not None:
            prefetch.remember(self.session_key, signed_in)
            if signed_in == person:
                prefetch.keep({key: found.get(key) for key in wanted})
        return data
