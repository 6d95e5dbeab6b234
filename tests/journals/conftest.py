"""Journal fixtures: entries, and steps checked off at chosen instants."""

import datetime as dt

import pytest
import time_machine

from journals.models import JournalEntry
from tests.factories import StepFactory


@pytest.fixture
def make_entry(owner):
    def make(day, text="Sent my CV to two bookshops.", mood="", who=None):
        return JournalEntry.objects.create(owner=who or owner, date=day, text=text, mood=mood)

    return make


@pytest.fixture
def done_step(plan):
    """Check a step off through the model at an exact instant (UTC unless aware)."""

    def make(at, title="Phoned the library about a reading group", reward="", on_plan=None):
        step = StepFactory(plan=on_plan or plan, title=title, reward=reward, due_date=at.date())
        step.mark_done(now=at)
        return step

    return make


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


# The moment the journal tests are set at, unless a test travels elsewhere.
NOW = utc(2026, 11, 24, 12)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield
