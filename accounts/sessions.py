"""Django's cached_db sessions, read in one round trip with what the request reads next.

Sessions live in Redis and are written through to the database, as cached_db keeps them.
Reading one also reads, in the same call, the person's version and cached row
(accounts.backends) and the page asked for (careerplan.pagecache), once this process
knows whose the session is (careerplan.prefetch). The session, version and row are small
and read on every request, so the process keeps copies that Redis tells it to drop when
they change (careerplan.nearcache): a bare signed-in request then needs no round trip.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import cached_db

from accounts.backends import cached_user_keys
from careerplan import prefetch
from careerplan.pagecache import prefetch_key


def _read(cache, near, also):
    """Return the values of `near`, from the process's copies where the cache keeps them
    (careerplan.nearcache), and whether `also` were read with them."""
    if hasattr(cache, "get_many_near"):
        return cache.get_many_near(near, also)
    return cache.get_many([*near, *also]), True


class SessionStore(cached_db.SessionStore):
    def load(self):
        person = prefetch.hint(self.session_key)
        person_keys, page = [], []
        if person is not None:
            person_keys = cached_user_keys(person)
            page = list(filter(None, [prefetch_key(person)]))
        try:
            found, page_read = _read(self._cache, [self.cache_key, *person_keys], page)
        except Exception:  # as cached_db does: an unreadable cache is an empty session
            found, page_read = {}, False
        # The page is read here only when the session is: with the session kept in the
        # process, the page is read when it is served, and other views read none.
        wanted = [*person_keys, *(page if page_read else [])]
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
