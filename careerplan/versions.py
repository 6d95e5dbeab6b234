"""A version for each person: a token in the shared cache that changes whenever anything
their pages show changes, their account included.

What is cached under a person's version (their signed-in user, their pages: see
careerplan.pagecache) is read only while the version is the same, so a change makes it
unreachable at once, in every process; nothing is ever deleted or overwritten. A version
is read before the rows it covers, and changed after the change commits, so an entry
written from rows read just before a commit is filed under the old version and never read
again. It is also changed at once, inside the transaction, so that code still inside it
(tests wrap each in one) reads nothing from before the change.

A token is random rather than a counter: a version lost from the cache (an eviction, a
restart) is replaced by a new token, never by an old one under which stale pages are
still stored.

Which changes move whose version is declared once, in careerplan.receivers; model
methods that change rows without a signal (a conditional UPDATE) call `changed()`.
"""

import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction


def enabled():
    """Only a cache that every process shares (Redis) may hold versions: with a cache per
    process, a change made in one would leave the others reading the old version."""
    return settings.SHARED_CACHE


def version_key(user_id):
    return f"v:{user_id}"


def versions_of(*user_ids):
    """Return the current version of each person, making one for anyone without."""
    keys = [version_key(user_id) for user_id in user_ids]
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    for key in missing:
        token = secrets.token_hex(8)
        # Another process may make one at the same moment: the first one made wins.
        if cache.add(key, token, timeout=None):
            found[key] = token
        else:
            found[key] = cache.get(key) or token
    return [found[key] for key in keys]


def bump(*user_ids):
    """Change the versions of these people, now and again once the transaction commits."""
    user_ids = {user_id for user_id in user_ids if user_id is not None}
    if not user_ids or not enabled():
        return
    _change(user_ids)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return
    # One change at commit per person, however many of their rows the transaction wrote
    # (deleting a plan deletes its steps one signal at a time): the people join the
    # change this transaction has queued, if it still has one.
    pending = _queued(connection)
    if pending is None:
        pending = _AtCommit()
        transaction.on_commit(pending)
    pending.user_ids |= user_ids


class _AtCommit:
    """The versions to change once the transaction commits."""

    def __init__(self):
        self.user_ids = set()

    def __call__(self):
        _change(self.user_ids)


def _queued(connection):
    """The change queued for this transaction's commit, or None.

    Looked for among the connection's commit callbacks, which Django empties when the
    transaction ends and prunes when a savepoint rolls back, so a change is never joined
    that will not run. (Keyed by the atomic block instead, it would be joined again by the
    next transaction of the same `@transaction.atomic` function, whose block object Django
    reuses, and never run.)
    """
    for _savepoints, callback, _robust in connection.run_on_commit:
        if isinstance(callback, _AtCommit):
            return callback
    return None


def _change(user_ids):
    cache.set_many({version_key(user_id): secrets.token_hex(8) for user_id in user_ids}, None)


# The people whose versions each table's rows move (careerplan.receivers declares them).
_people = {}


def watch(model, people):
    """Declare `people(row)`: the ids of the people whose pages show a row of `model`."""
    _people[model] = people


def changed(*rows):
    """Change the versions of everyone whose pages show these rows."""
    if not enabled():
        return
    user_ids = set()
    for row in rows:
        user_ids |= _people[row._meta.concrete_model](row)
    bump(*user_ids)
