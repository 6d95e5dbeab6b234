"""Buddies fixtures: a planner's buddy with an account, one without, and helpers."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from buddies.models import Buddyship, ShareLink
from careerplan.celery import app as celery_app
from careerplan.tokens import new_token
from tests.buddies.pipeline import AFTER, make_step
from tests.factories import PlanFactory, StepFactory, UserFactory


def make_buddyship(planner, plans=(), *, user=None, status=Buddyship.Status.ACTIVE, **fields):
    """Return a buddyship of `planner` sharing `plans`; active unless told otherwise."""
    email = fields.pop("email", None) or (user.email if user else "follower@example.com")
    buddyship = Buddyship.objects.create(
        planner=planner,
        user=user,
        email=email,
        name=fields.pop("name", user.display_name if user else "Fern Follower"),
        status=status,
        accepted=timezone.now() if status == Buddyship.Status.ACTIVE else None,
        **fields,
    )
    buddyship.plans.set(plans)
    return buddyship


def make_link(buddyship):
    """Give a buddyship a private progress link; return its raw token."""
    token, digest = new_token()
    ShareLink.objects.create(buddyship=buddyship, token_hash=digest)
    return token


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def buddy(db):
    return UserFactory(display_name="Bea Buddy", email="bea@example.com")


@pytest.fixture
def buddy_client(buddy):
    return client_for(buddy)


@pytest.fixture
def buddyship(owner, plan, buddy):
    return make_buddyship(owner, [plan], user=buddy)


@pytest.fixture
def step(plan):
    return make_step(plan)


@pytest.fixture
def due_step(owner, plan):
    """An open step of the shared plan, due yesterday: its check-up can be answered."""
    return StepFactory(
        plan=plan,
        title="Ring the landlord",
        due_date=owner.local_today() - datetime.timedelta(days=1),
    )


@pytest.fixture
def clock():
    """Time stopped just after the step's check-up fell due."""
    with time_machine.travel(AFTER, tick=False) as traveller:
        yield traveller


@pytest.fixture
def other_plan(owner):
    return PlanFactory(owner=owner, goal="I will be teaching pottery evening classes by 2028")


@pytest.fixture
def send_requests(monkeypatch):
    """The names of the tasks the outbox puts on the broker, kept here instead."""
    asked = []
    monkeypatch.setattr(celery_app, "send_task", lambda name, *args, **kwargs: asked.append(name))
    return asked


@pytest.fixture
def refusing_broker(monkeypatch):
    """A broker that cannot be reached: every task put on it raises, as kombu does; the
    names asked for are kept here."""
    asked = []

    def refuse(name, *args, **kwargs):
        asked.append(name)
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(celery_app, "send_task", refuse)
    return asked
