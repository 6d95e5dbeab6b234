"""Shared fixtures: an owner, a stranger and clients for each (a buddy comes with the
buddies app). Test modules add what only they need."""

import os
import uuid

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import settings as hypothesis_settings

from tests.factories import PlanFactory, UserFactory

# Property tests draw the same examples on every run, so a run of the suite is repeatable
# (CI on a clean clone has no example database). HYPOTHESIS_PROFILE=explore draws new
# ones, to look for cases no run has tried.
hypothesis_settings.register_profile("repeatable", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """allauth counts attempts in the cache: every test starts with no attempts made.

    On Redis a fresh key prefix isolates the test without FLUSHDB, which would also empty
    the Celery broker that shares the database; elsewhere the cache is simply cleared.
    """
    default = settings.CACHES["default"]
    if default["BACKEND"].endswith("RedisCache"):
        prefix = f"{default.get('KEY_PREFIX', '')}-test-{uuid.uuid4().hex}"
        settings.CACHES = {**settings.CACHES, "default": {**default, "KEY_PREFIX": prefix}}
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def cached_pages(settings):
    """Signed-in users and pages come from the cache as in production, even on the
    process-local cache (a test is one process), and every page served from the cache is
    rendered again and compared: a change that forgets to move a version fails the test
    that made it (careerplan.pagecache)."""
    settings.SHARED_CACHE = True
    settings.PAGE_CACHE = True
    settings.PAGE_CACHE_VERIFY = True


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Hash test passwords cheaply: the real hasher's cost is the point in production only."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def owner(db):
    return UserFactory(display_name="Olivia Owner", email="olivia@example.com")


@pytest.fixture
def stranger(db):
    return UserFactory(display_name="Sam Stranger", email="sam@example.com")


@pytest.fixture
def owner_client(owner):
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def stranger_client(stranger):
    client = Client()
    client.force_login(stranger)
    return client


@pytest.fixture
def htmx_headers():
    """Headers that make django-htmx treat a test request as an htmx one."""
    return {"HX-Request": "true"}


@pytest.fixture
def plan(owner):
    return PlanFactory(owner=owner)
