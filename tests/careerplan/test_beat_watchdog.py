"""Beat's watchdog: a beat that completes no tick for too long after one was due exits with
status 1, to be restarted; an idle beat sleeping until its next entry never does. A real
`celery beat` whose publish hangs on a broker that never answers exits, and a real idle
one is left alone."""

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from celery import beat
from django.conf import settings

from careerplan import beat as beat_watchdog
from careerplan.beat import BeatWatchdog, Scheduler
from careerplan.celery import app
from tests.processes import Exited, exit_, wait_for

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent


@pytest.fixture
def watchdog(tmp_path):
    dog = BeatWatchdog(limit=90, alive_file=tmp_path / "alive", exit=exit_)
    dog.next_tick = 1000.0
    return dog


def test_a_beat_that_ticks_is_left_alone_and_marked_alive(watchdog, tmp_path):
    watchdog.ticked(5, now=1080)
    watchdog.check(now=1170)  # due at 1085: 85 s late, within the limit
    assert (tmp_path / "alive").exists()


def test_a_beat_that_completes_no_tick_past_the_limit_exits_with_status_1(watchdog):
    watchdog.check(now=1090)  # at the limit: still waiting
    with pytest.raises(Exited) as exited:
        watchdog.check(now=1091)
    assert exited.value.args == (1,)


def test_an_idle_beat_sleeping_until_its_next_entry_is_not_stalled(watchdog):
    watchdog.ticked(300, now=1000)  # nothing due for five minutes
    watchdog.check(now=1299)
    watchdog.check(now=1390)
    with pytest.raises(Exited):
        watchdog.check(now=1391)


def test_a_tick_that_sent_a_task_asks_for_the_next_at_once(watchdog):
    watchdog.ticked(0, now=1000)
    assert watchdog.stalled_for(now=1001) == 1
    watchdog.ticked(None, now=1000)
    assert watchdog.stalled_for(now=1001) == 1


def test_beat_runs_the_scheduler_that_tells_the_watchdog(tmp_path, monkeypatch):
    assert app.conf.beat_scheduler == "careerplan.beat:Scheduler"
    monkeypatch.setattr(beat.PersistentScheduler, "tick", lambda self: 42.0)
    scheduler = Scheduler(app, schedule_filename=str(tmp_path / "schedule"), lazy=True)
    assert scheduler.tick() == 42.0  # no watchdog: a tick as Celery's
    scheduler.watchdog = BeatWatchdog(limit=90, exit=exit_)
    before = time.monotonic()
    assert scheduler.tick() == 42.0
    assert before + 42 <= scheduler.watchdog.next_tick <= time.monotonic() + 42


def service(tmp_path, scheduler_cls):
    return beat.Service(
        app, schedule_filename=str(tmp_path / "schedule"), scheduler_cls=scheduler_cls
    )


@pytest.fixture
def no_watchdog_yet(monkeypatch):
    monkeypatch.setattr(beat_watchdog, "_watchdog", None)
    started = []
    monkeypatch.setattr(BeatWatchdog, "start", lambda self: started.append(self))
    return started


def test_beat_init_starts_one_watchdog_on_the_scheduler(tmp_path, settings, no_watchdog_yet):
    settings.BEAT_WATCHDOG_SECONDS = 30
    settings.BEAT_ALIVE_FILE = str(tmp_path / "alive")
    sender = service(tmp_path, "careerplan.beat:Scheduler")
    beat_watchdog.start_watchdog(sender)
    beat_watchdog.start_watchdog(sender)
    [dog] = no_watchdog_yet
    assert sender.scheduler.watchdog is dog
    assert dog.limit == 30
    assert dog.alive_file == tmp_path / "alive"
    sender.scheduler.close()


def test_0_turns_the_watchdog_off(tmp_path, settings, no_watchdog_yet):
    settings.BEAT_WATCHDOG_SECONDS = 0
    sender = service(tmp_path, "careerplan.beat:Scheduler")
    beat_watchdog.start_watchdog(sender)
    assert no_watchdog_yet == []
    assert sender.scheduler.watchdog is None
    sender.scheduler.close()


def test_another_scheduler_gets_no_watchdog_and_says_so(tmp_path, no_watchdog_yet, caplog):
    sender = service(tmp_path, "celery.beat:PersistentScheduler")
    beat_watchdog.start_watchdog(sender)
    assert no_watchdog_yet == []
    assert "no beat watchdog" in caplog.text
    sender.scheduler.close()


class SilentBroker:
    """A TCP server on loopback that accepts every connection and never answers: a broker
    wedged, or a connection gone half-open, where a client waits without an error."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = []
        self.first_at = None
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            if self.first_at is None:
                self.first_at = time.monotonic()
            self.connections.append(connection)  # held open, never read, never answered

    def close(self):
        self.listener.close()
        for connection in self.connections:
            with contextlib.suppress(OSError):
                connection.close()


def start_beat(tmp_path, name, env):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")},
        "VAR_DIR": str(tmp_path / name),
        "BEAT_ALIVE_FILE": str(tmp_path / f"{name}-alive"),
        **env,
    }
    log = tmp_path / f"{name}.log"
    command = [
        str(BIN / "celery"),
        "-A",
        "careerplan",
        "beat",
        "--loglevel=INFO",
        "--pidfile=",
        f"--schedule={tmp_path / (name + '-schedule')}",
    ]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    return process, log


def test_a_real_beat_whose_publish_hangs_exits_and_an_idle_one_does_not(tmp_path):
    """One beat has the sweep due every second and a broker that never answers (the tick
    that sends it waits in kombu for an answer); another, on the filesystem broker, sleeps
    a minute between entries with a limit of 2 s. The first exits with status 1 within its
    limit and says why; the second goes on, marked alive."""
    broker = SilentBroker()
    hung, hung_log = start_beat(
        tmp_path,
        "hung",
        {
            "REDIS_URL": f"redis://127.0.0.1:{broker.port}/0",
            "CHECKUP_SWEEP_SECONDS": "1",
            "BEAT_WATCHDOG_SECONDS": "4",
        },
    )
    idle, idle_log = start_beat(tmp_path, "idle", {"BEAT_WATCHDOG_SECONDS": "2"})
    try:
        assert wait_for(lambda: "beat: Starting" in idle_log.read_text(), timeout=60)
        idle_from = time.monotonic()
        # The tick that sends the first sweep connects to the broker, and waits there.
        assert wait_for(lambda: broker.connections, timeout=60), hung_log.read_text()
        assert hung.wait(timeout=60) == 1, hung_log.read_text()
        # The limit, and the watchdog's one-second round, generously.
        assert 3 <= time.monotonic() - broker.first_at < 4 + 10
        text = hung_log.read_text()
        assert "Beat completed no tick for" in text
        assert "exiting to be restarted" in text

        # Well past the idle beat's limit, with its next entry still a minute away.
        time.sleep(max(0, idle_from + 2 + 3 - time.monotonic()))
        assert wait_for(lambda: (tmp_path / "idle-alive").exists(), timeout=30)
        assert idle.poll() is None, idle_log.read_text()
        assert time.time() - (tmp_path / "idle-alive").stat().st_mtime < 3
        assert "exiting to be restarted" not in idle_log.read_text()
    finally:
        for process in (hung, idle):
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
        broker.close()
