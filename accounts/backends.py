"""Sign-in backends that read the signed-in person from the shared cache.

Every request of a signed-in person needs their user row; reading it through the ORM was
half of what a signed-in request cost beyond Django itself (bench/README.md). The row is
kept under the person's version (careerplan.versions), read in the same round trip as
the version, so any change to the account (a new name, zone or password, deactivation)
makes the cached row unreachable at once in every process. Whether the person may sign
in (`is_active`) is still decided on each request, from the row.
"""

from allauth.account import auth_backends
from django.contrib.auth import backends, get_user_model
from django.core.cache import cache

from careerplan import prefetch, versions

# Long enough to matter, short enough that an unused row does not sit in memory.
USER_TTL = 60 * 60


def cached_user_keys(user_id):
    """The keys of a person's version and cached row, read together."""
    return [versions.version_key(user_id), f"user:{user_id}"]


def _read(keys):
    """The values of `keys`, as read with the session (careerplan.prefetch) or now."""
    taken = [prefetch.take(key) for key in keys]
    if all(found for found, _value in taken):
        return {key: value for key, (_found, value) in zip(keys, taken, strict=True)}
    return cache.get_many(keys)


class CachedUserMixin:
    def get_user(self, user_id):
        if not versions.enabled():
            return super().get_user(user_id)
        version_key, user_key = cached_user_keys(user_id)
        found = _read([version_key, user_key])
        version = found.get(version_key) or versions.versions_of(user_id)[0]
        entry = found.get(user_key)
        if entry is not None and entry[0] == version:
            user = entry[1]
        else:
            model = get_user_model()
            try:
                user = model._default_manager.get(pk=user_id)
            except model.DoesNotExist:
                return None
            # Filed under the version read before the row: a change committed meanwhile
            # has moved the version on, so this entry is never read.
            cache.set(user_key, (version, user), USER_TTL)
        user.version = version
        return user if self.user_can_authenticate(user) else None


class ModelBackend(CachedUserMixin, backends.ModelBackend):
    pass


class AuthenticationBackend(CachedUserMixin, auth_backends.AuthenticationBackend):
    pass
