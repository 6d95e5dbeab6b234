"""The benchmarks' data set: seeded the way `make bench` seeds it, at a small scale, so a
change to the models that the seed does not follow fails here rather than in a bench run."""

import pytest
from django.utils import timezone

from bench.seed import seed
from buddies.outbox import sweep
from plans.models import Step


@pytest.mark.django_db(transaction=True)
def test_seed_writes_every_table_and_exactly_the_due_checkups():
    now = timezone.now()
    result = seed(steps=2_000, due=25, now=now)

    assert Step.objects.count() == result["steps"] >= 2_000
    assert all(count > 0 for count in result["rows"].values()), result["rows"]
    # Exactly `due` open steps have a check-up due, each with one active buddy to tell.
    assert Step.objects.checkup_due(now).count() == 25
    assert sweep.sweep_checkups(now=now) == 25
