"""The fault leg's machinery: a real SMTP sink, real Celery workers and beats on the real
PostgreSQL and Redis, and due steps made in bulk.

Run with DATABASE_URL (PostgreSQL) and REDIS_URL set, e.g. by `.ci/run`. The worker and
beat processes use the test database pytest-django created, the Redis database given in
REDIS_URL (or a redis-server of the test's own), and the sink as their mail server.
"""

import contextlib
import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from email import message_from_bytes
from pathlib import Path

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import User
from buddies.models import Buddyship, Notification
from plans.models import Plan, Step
from tests.processes import wait_for

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
# Short intervals, so that what takes minutes in production (a sweep a minute, a
# five-minute lease) happens within the test.
SWEEP_SECONDS = 1
LEASE_SECONDS = 8
LOST_ENQUEUE_SECONDS = 2


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """An SMTP server on loopback that keeps every message it accepts."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def message_ids(self):
        with self.lock:
            return [m["Message-ID"] for m in self.messages]

    def __len__(self):
        with self.lock:
            return len(self.messages)


@pytest.fixture
def sink():
    sink = Sink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


class RedisServer:
    """A redis-server of the test's own, which it may kill and restart (the machine's
    Redis is shared, so it is never stopped)."""

    def __init__(self, directory):
        self.port = free_port()
        self.directory = directory
        self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        assert wait_for(lambda: _ping(client), timeout=10), "redis-server did not start"

    def kill(self):
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = None

    def stop(self):
        if self.process is not None:
            self.kill()


def _ping(client):
    try:
        return client.ping()
    except redis.RedisError:
        return False


@pytest.fixture
def own_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.fail("the fault leg needs redis-server on PATH")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class Stack:
    """Start and stop Celery workers and beats against the test database."""

    def __init__(self, tmp_path, sink, redis_url):
        db = connection.settings_dict
        self.tmp_path = tmp_path
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "REDIS_URL": redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
            "DEBUG": "0",
            "SECRET_KEY": "fault-leg-test-key-" + "x" * 40,
            "SITE_URL": "https://careerplan.test",
            "ALLOWED_HOSTS": "careerplan.test",
            "VAR_DIR": str(tmp_path),
            "CHECKUP_SWEEP_SECONDS": str(SWEEP_SECONDS),
            "OUTBOX_SEND_LEASE_SECONDS": str(LEASE_SECONDS),
            "OUTBOX_LOST_ENQUEUE_SECONDS": str(LOST_ENQUEUE_SECONDS),
            "LOG_LEVEL": "WARNING",
        }
        self.processes = []
        self.logs = []

    def _start(self, name, command):
        log = open(self.tmp_path / f"{name}.log", "a")  # noqa: SIM115
        self.logs.append(log)
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group, so a kill reaches the prefork children too.
            start_new_session=True,
        )
        self.processes.append(process)
        return process

    def worker(self, name, concurrency=2):
        return self._start(
            name,
            [
                str(BIN / "celery"),
                "-A",
                "careerplan",
                "worker",
                f"--hostname={name}@%h",
                f"--concurrency={concurrency}",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
        )

    def beat(self, name):
        return self._start(
            name,
            [
                str(BIN / "celery"),
                "-A",
                "careerplan",
                "beat",
                "--loglevel=WARNING",
                "--pidfile=",
                f"--schedule={self.tmp_path / (name + '-schedule')}",
            ],
        )

    def kill(self, process, sig=signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def stop_all(self):
        for process in self.processes:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill(process)
        for log in self.logs:
            log.close()

    def log_tail(self, lines=40):
        out = []
        for path in sorted(self.tmp_path.glob("*.log")):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {path.name}\n" + "\n".join(text))
        return "\n".join(out)


def _clear_queue(redis_url):
    """Drop queued tasks a previous test left on this Redis database (never FLUSHALL:
    the database may hold other keys; only Celery's queue keys go)."""
    client = redis.Redis.from_url(redis_url)
    client.delete("celery", "unacked", "unacked_index", "unacked_mutex")


@pytest.fixture
def stack(transactional_db, tmp_path, sink):
    """Workers and beats on the shared REDIS_URL database; stopped after the test."""
    assert connection.vendor == "postgresql", "the fault leg needs DATABASE_URL (PostgreSQL)"
    redis_url = os.environ.get("REDIS_URL")
    assert redis_url, "the fault leg needs REDIS_URL"
    _clear_queue(redis_url)
    stack = Stack(tmp_path, sink, redis_url)
    yield stack
    stack.stop_all()
    _clear_queue(redis_url)


@pytest.fixture
def own_stack(transactional_db, tmp_path, sink, own_redis):
    """Workers and beats on the test's own redis-server."""
    assert connection.vendor == "postgresql", "the fault leg needs DATABASE_URL (PostgreSQL)"
    stack = Stack(tmp_path, sink, own_redis.url)
    yield stack
    stack.stop_all()


def make_due_steps(planners, steps_each, buddies_each=1, due_in=None):
    """Create planners, each with one plan shared with `buddies_each` active buddies and
    `steps_each` open steps whose check-up is due (or due in `due_in`); return the steps.

    Rows are bulk-created: the sweep, not Step.save(), is under test here.
    """
    now = timezone.now()
    checkup_due = now - dt.timedelta(hours=1) if due_in is None else now + due_in
    steps = []
    start = User.objects.count()
    for p in range(planners):
        n = start + p
        planner = User.objects.create(email=f"planner{n}@example.com", display_name=f"Planner {n}")
        plan = Plan.objects.create(owner=planner, goal=f"I will be running shop {n} by 2028")
        for b in range(buddies_each):
            buddyship = Buddyship.objects.create(
                planner=planner,
                email=f"buddy{n}-{b}@example.com",
                name=f"Buddy {n}-{b}",
                status=Buddyship.Status.ACTIVE,
                accepted=now,
            )
            buddyship.plans.add(plan)
        steps += Step.objects.bulk_create(
            Step(
                plan=plan,
                title=f"Step {i} of plan {n}",
                position=i,
                due_date=now.date() - dt.timedelta(days=2),
                checkup_due=checkup_due,
            )
            for i in range(steps_each)
        )
    return steps


def settled():
    """True when no row is pending or being sent."""
    return not Notification.objects.filter(
        state__in=[Notification.State.PENDING, Notification.State.SENDING]
    ).exists()


def message_rows(sink):
    """Map each Message-ID the sink received to its count."""
    counts = {}
    for message_id in sink.message_ids():
        counts[message_id] = counts.get(message_id, 0) + 1
    return counts
