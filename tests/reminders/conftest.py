"""Reminders fixtures: a planner made at a fixed moment, a clock to move, and helpers to
run the pass and read what it wrote."""

import datetime as dt

import pytest
import time_machine

from buddies.models import Notification
from reminders.models import Reminder
from reminders.sweep import run_pass
from tests.buddies.conftest import refusing_broker, send_requests  # noqa: F401
from tests.factories import PlanFactory, StepFactory, UserFactory

# Sunday 8 March 2026, noon UTC: London is on GMT until 29 March.
START = dt.datetime(2026, 3, 8, 12, tzinfo=dt.UTC)
MONDAY = dt.date(2026, 3, 9)


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def make_planner(tz="Europe/London", **fields):
    """A planner signed up now (the clock's now), with the default reminders."""
    fields.setdefault("display_name", "Olivia Owner")
    fields.setdefault("email", "olivia@example.com")
    return UserFactory(tz=tz, **fields)


@pytest.fixture
def planner(db, clock):
    return make_planner()


@pytest.fixture
def active_plan(planner):
    return PlanFactory(owner=planner, goal="I will be running my own bookshop café by June 2027")


def due_step(plan, due_date, title="Visit three bookshops", **fields):
    return StepFactory(plan=plan, title=title, due_date=due_date, **fields)


def reminder(user, kind):
    return Reminder.objects.get(user=user, kind=kind)


def set_reminder(user, kind, enabled=True, at=None, weekday=None):
    """Change a reminder as the Reminders page does."""
    found = reminder(user, kind)
    found.change(enabled, at or found.at, weekday if weekday is not None else found.weekday)
    return found


def rows(kind=None, **filters):
    found = Notification.objects.filter(user__isnull=False, **filters)
    if kind is not None:
        found = found.filter(kind=kind)
    return list(found.order_by("created", "pk"))


def run_every(clock, start, end, minutes=15):
    """Run the pass at every quarter hour from `start` to `end` (UTC), as beat would
    (beat runs it every minute; the times under test fall on the quarter hours)."""
    moment = start
    while moment <= end:
        clock.move_to(moment)
        run_pass()
        moment += dt.timedelta(minutes=minutes)


def new_vapid_key():
    """A fresh VAPID private key, as VAPID_PRIVATE_KEY takes it (base64url, raw)."""
    import base64

    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.fixture
def vapid(settings):
    """A VAPID key for this test: the server can send push."""
    settings.VAPID_PRIVATE_KEY = new_vapid_key()
    settings.VAPID_SUBJECT = "mailto:ops@example.com"
    return settings.VAPID_PRIVATE_KEY
