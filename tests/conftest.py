"""Shared fixtures: an owner, a stranger and clients for each (a buddy comes with the
buddies app). Test modules add what only they need."""

import pytest
from django.test import Client

from tests.factories import PlanFactory, UserFactory


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
