import uuid

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
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
