import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache():
    """allauth counts attempts in the cache: every test starts with no attempts made."""
    cache.clear()
    yield
    cache.clear()
