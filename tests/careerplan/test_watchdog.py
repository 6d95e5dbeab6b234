"""The worker's watchdog: a worker that consumes nothing for too long while idle exits
with status 1, to be restarted; a busy or consuming worker never does. (The fault leg
wedges a real worker and sees it restarted: tests/fault/.)"""

import pytest
from celery.worker import state

from careerplan.celery import app
from careerplan.tasks import probe
from careerplan.watchdog import PROBE_TASK, Watchdog
from tests.processes import Exited, exit_


@pytest.fixture
def watchdog(tmp_path):
    dog = Watchdog(app, "w1@host", limit=90, alive_file=tmp_path / "alive", exit=exit_)
    dog.last_consumed = 1000.0
    return dog


def test_an_idle_worker_that_consumes_is_left_alone_and_marked_alive(watchdog, tmp_path):
    watchdog.consumed()  # a probe arrived
    watchdog.check()
    assert (tmp_path / "alive").exists()


def test_an_idle_worker_that_consumed_nothing_past_the_limit_exits_with_status_1(watchdog):
    watchdog.check(now=1090)  # at the limit: still waiting
    with pytest.raises(Exited) as exited:
        watchdog.check(now=1091)
    assert exited.value.args == (1,)


def test_a_worker_running_a_task_is_consuming(watchdog, monkeypatch):
    monkeypatch.setattr(state, "active_requests", {"a request"})
    watchdog.check(now=5000)
    monkeypatch.setattr(state, "active_requests", set())
    # Idle again: the limit counts from the last moment it was busy.
    watchdog.check(now=5090)
    with pytest.raises(Exited):
        watchdog.check(now=5091)


def test_probes_go_to_the_workers_own_queue_and_expire(watchdog, monkeypatch):
    sent = []
    monkeypatch.setattr(app, "send_task", lambda name, **options: sent.append((name, options)))
    watchdog.probe()
    [(name, options)] = sent
    assert name == PROBE_TASK
    assert options["queue"].name == "w1@host.dq2"
    assert options["expires"] == 90
    assert watchdog.probe_every == 15


def test_a_probe_the_broker_refuses_is_not_an_error(watchdog, monkeypatch):
    def refuse(name, **options):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(app, "send_task", refuse)
    watchdog.probe()  # the limit decides, not the probe


def test_every_worker_consumes_a_queue_of_its_own():
    assert app.conf.worker_direct is True
    assert probe.name == PROBE_TASK
    assert PROBE_TASK in app.tasks
