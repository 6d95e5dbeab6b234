"""What an operator and an orchestrator read: /healthz (alive), /readyz (database and
broker) and /metrics (Prometheus, never anonymous)."""

import datetime as dt
import re

import pytest
import time_machine
from django.db import OperationalError
from django.test import Client

from buddies.models import Notification
from buddies.outbox import sender, sweep
from careerplan import views
from careerplan.celery import app as celery_app
from careerplan.tasks import heartbeat
from tests.buddies.conftest import make_buddyship
from tests.buddies.pipeline import AFTER, make_step
from tests.factories import UserFactory

TOKEN = "a-long-random-scrape-token-for-the-tests"


def test_healthz_is_alive_without_touching_the_database(client):
    # No database fixture: any query would raise.
    response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok")


def test_health_checks_answer_head_and_refuse_writes(client, db):
    """Load balancers often probe with HEAD; nothing may POST to a probe."""
    assert client.head("/healthz").status_code == 200
    assert client.head("/readyz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_readyz_answers_ok_when_the_database_and_broker_answer(client, db):
    response = client.get("/readyz")
    assert (response.status_code, response.content) == (200, b"ok")


def test_readyz_is_503_when_the_broker_cannot_be_reached(client, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.content.decode().startswith("broker: ")


def test_readyz_is_503_when_the_database_cannot_be_reached(client, db, monkeypatch):
    class Unreachable:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(views, "connection", Unreachable())
    response = client.get("/readyz")
    assert (response.status_code, response.content) == (503, b"database: OperationalError")


# Metrics --------------------------------------------------------------------------------


def scrape(client, **headers):
    return client.get("/metrics", headers=headers)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "headers", [{}, bearer("wrong"), bearer(""), {"Authorization": f"Basic {TOKEN}"}]
)
def test_metrics_are_refused_without_the_token(client, db, settings, headers):
    settings.METRICS_TOKEN = TOKEN
    response = scrape(client, **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"careerplan_" not in response.content


def test_metrics_with_no_token_set_are_for_staff_only(client, db, settings):
    settings.METRICS_TOKEN = ""
    assert scrape(client, **bearer("")).status_code == 401
    someone = Client()
    someone.force_login(UserFactory())
    assert scrape(someone).status_code == 401
    staff = Client()
    staff.force_login(UserFactory(is_staff=True))
    assert scrape(staff).status_code == 200


def sample(body, name, **labels):
    """The value of one sample in a Prometheus text exposition."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = rf"^{name}{{{wanted}}} (\S+)$" if labels else rf"^{name} (\S+)$"
    found = re.search(pattern, body, re.MULTILINE)
    assert found, f"no {name} {labels} in:\n{body}"
    return float(found.group(1))


@pytest.fixture
def outbox(owner, plan, monkeypatch):
    """Two due check-ups swept and one sent; a commitment gathering; a heartbeat."""
    monkeypatch.setattr(celery_app, "send_task", lambda *args, **kwargs: None)
    buddyship = make_buddyship(owner, [plan], email="bea@example.com", name="Bea")
    make_step(plan, title="One")
    make_step(plan, title="Two")
    with time_machine.travel(AFTER, tick=False):
        sweep.run_sweep()
        assert sender.send_pending(limit=1) == {"sent": 1}
        plan.add_step("Three", dt.date(2026, 3, 20))
        heartbeat()
    return buddyship


def test_metrics_show_the_outbox_sweeps_sends_and_heartbeat(client, settings, outbox):
    settings.METRICS_TOKEN = TOKEN
    with time_machine.travel(AFTER + dt.timedelta(seconds=90), tick=False):
        response = scrape(client, **bearer(TOKEN))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    body = response.content.decode()
    assert sample(body, "careerplan_outbox_rows", state="pending", kind="checkup") == 1
    assert sample(body, "careerplan_outbox_rows", state="sent", kind="checkup") == 1
    assert sample(body, "careerplan_outbox_rows", state="pending", kind="commitment") == 1
    # The check-up left pending has been due for 90 s; the commitment is not due yet.
    assert sample(body, "careerplan_outbox_oldest_due_seconds") == 90
    assert sample(body, "careerplan_outbox_sends_total", outcome="sent") == 1
    assert sample(body, "careerplan_outbox_sweeps_total") == 1
    assert sample(body, "careerplan_outbox_steps_claimed_total") == 2
    assert sample(body, "careerplan_outbox_checkups_written_total") == 2
    assert sample(body, "careerplan_outbox_sweep_seconds_total") >= 0
    assert sample(body, "careerplan_outbox_last_sweep_timestamp_seconds") == AFTER.timestamp()
    assert sample(body, "careerplan_last_heartbeat_timestamp_seconds") == AFTER.timestamp()


def test_metrics_count_what_crashes_left_behind(client, settings, outbox):
    settings.METRICS_TOKEN = TOKEN
    with time_machine.travel(AFTER, tick=False):
        claimed = sender.claim_next(AFTER)
        sender.decide_and_mark(claimed)  # and the worker dies
    with time_machine.travel(AFTER + dt.timedelta(minutes=6), tick=False):
        sweep.run_sweep()
        body = scrape(client, **bearer(TOKEN)).content.decode()
    assert sample(body, "careerplan_outbox_recovered_total", how="resent") == 1
    # Due after waiting: the row to send again, and the commitment done gathering.
    assert sample(body, "careerplan_outbox_due_after_wait_total") == 2


def test_a_scrape_costs_a_fixed_number_of_queries(
    client, settings, outbox, django_assert_max_num_queries
):
    settings.METRICS_TOKEN = TOKEN
    for n in range(20):
        make_step(outbox.plans.get(), title=f"Step {n}")
    with time_machine.travel(AFTER, tick=False):
        sweep.run_sweep()
    assert Notification.objects.count() > 20
    with django_assert_max_num_queries(4):
        assert scrape(client, **bearer(TOKEN)).status_code == 200
