"""The fault leg's machinery: a real SMTP sink, real Celery workers and beats on the real
PostgreSQL and Redis, and due steps made in bulk.

Run with DATABASE_URL (PostgreSQL) and REDIS_URL set, e.g. by `.ci/run`. The worker and
beat processes use the test database pytest-django created, the Redis database given in
REDIS_URL (or a redis-server of the test's own), and the sink as their mail server.
"""

import asyncio
import contextlib
import datetime as dt
import importlib.util
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
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
# five-minute lease, a minute's back-off, a watchdog's 90 s) happens within the test.
SWEEP_SECONDS = 1
LEASE_SECONDS = 8
LOST_ENQUEUE_SECONDS = 2
RETRY_SECONDS = 1
CHANGE_OF_MIND_SECONDS = 2
WATCHDOG_SECONDS = 10
BEAT_WATCHDOG_SECONDS = 5

# The supervisor of `make run`, which the fault leg runs its workers and beats under.
_spec = importlib.util.spec_from_file_location("run_script", ROOT / "scripts" / "run.py")
run_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(run_script)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    """An SMTP relay on loopback that keeps every message it takes.

    Like a real relay it has the message once the DATA is in, before it answers 250;
    `delay` makes that answer slow (so a sender spends most of its time inside the
    hand-over window), `hold()` keeps every answer back until `release()` (a kill then
    lands during DATA), and `refuse_for(seconds)` answers 451 instead for a while.
    """

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        self.delay = 0.0
        self.holding = threading.Event()
        self.held = 0
        self.refusing_until = 0.0
        self.refused = 0
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        if time.monotonic() < self.refusing_until:
            with self.lock:
                self.refused += 1
            return "451 4.3.0 Try again later"
        message = message_from_bytes(envelope.original_content or envelope.content)
        with self.lock:
            self.messages.append(message)
        if self.holding.is_set():
            with self.lock:
                self.held += 1
            try:
                while self.holding.is_set():
                    await asyncio.sleep(0.01)
            finally:
                with self.lock:
                    self.held -= 1
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"

    def hold(self):
        self.holding.set()

    def release(self):
        self.holding.clear()

    def refuse_for(self, seconds):
        self.refusing_until = time.monotonic() + seconds

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


class FreezableProxy:
    """A TCP proxy in front of Redis. `freeze()` stops relaying on every connection open
    at that moment, without closing it: the half-open connection a NAT or firewall leaves
    when it forgets a flow, where a client waits for an answer that never comes and no
    error is raised. Connections made afterwards are relayed as usual."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.generation = 0
        self.frozen_below = 0
        self.sockets = []
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, db):
        return f"redis://127.0.0.1:{self.port}/{db}"

    def freeze(self):
        self.generation += 1
        self.frozen_below = self.generation

    def _accept(self):
        while not self.closed.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self.sockets += [client, upstream]
            threading.Thread(
                target=self._relay, args=(client, upstream, self.generation), daemon=True
            ).start()

    def _relay(self, client, upstream, generation):
        peers = {client: upstream, upstream: client}
        while not self.closed.is_set():
            if generation < self.frozen_below:
                time.sleep(0.2)  # frozen: read nothing, send nothing, close nothing
                continue
            readable, _, _ = select.select(list(peers), [], [], 0.2)
            for sock in readable:
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    return
                peers[sock].sendall(data)

    def close(self):
        self.closed.set()
        self.listener.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()


class Stack:
    """Start and stop Celery workers and beats against the test database.

    Processes started with `supervised` run under `make run`'s supervisor
    (scripts/run.py), which starts a worker or beat again when it exits.
    """

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
            "OUTBOX_RETRY_SECONDS": str(RETRY_SECONDS),
            "OUTBOX_CHANGE_OF_MIND_SECONDS": str(CHANGE_OF_MIND_SECONDS),
            "WORKER_WATCHDOG_SECONDS": str(WATCHDOG_SECONDS),
            "BEAT_WATCHDOG_SECONDS": str(BEAT_WATCHDOG_SECONDS),
            "LOG_LEVEL": "WARNING",
        }
        self.processes = []
        self.logs = []
        self.supervisors = []

    def _start(self, name, command):
        log = open(self.tmp_path / f"{name}.out", "a")  # noqa: SIM115
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

    def worker_command(self, name, concurrency=2):
        return [
            str(BIN / "celery"),
            "-A",
            "careerplan",
            "worker",
            f"--hostname={name}@%h",
            f"--concurrency={concurrency}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            f"--logfile={self.tmp_path / (name + '.log')}",
        ]

    def beat_command(self, name):
        return [
            str(BIN / "celery"),
            "-A",
            "careerplan",
            "beat",
            "--loglevel=WARNING",
            "--pidfile=",
            f"--schedule={self.tmp_path / (name + '-schedule')}",
            f"--logfile={self.tmp_path / (name + '.log')}",
        ]

    def beat(self, name):
        return self._start(name, self.beat_command(name))

    def supervised(self, children, env=None):
        """Run Children (scripts/run.py) under the supervisor of `make run`, in a thread;
        return the supervisor."""
        log = open(self.tmp_path / "supervisor.log", "a")  # noqa: SIM115
        self.logs.append(log)

        def say(text):
            log.write(f"{time.strftime('%H:%M:%S')} {text}\n")
            log.flush()

        supervisor = run_script.Supervisor(
            children, env={**self.env, **(env or {})}, cwd=ROOT, say=say, grace=20
        )
        stopping = threading.Event()
        thread = threading.Thread(target=supervisor.run, args=(stopping,), daemon=True)
        thread.start()
        self.supervisors.append((supervisor, stopping, thread))
        assert wait_for(lambda: all(child.running for child in children), timeout=10)
        return supervisor

    def kill(self, process, sig=signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        process.wait(timeout=30)

    def stop_all(self):
        for _, stopping, _ in self.supervisors:
            stopping.set()
        for _, _, thread in self.supervisors:
            thread.join(60)
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
        for path in sorted([*self.tmp_path.glob("*.log"), *self.tmp_path.glob("*.out")]):
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


@pytest.fixture(autouse=True)
def same_wait_as_the_stack(settings):
    """Rows this process writes (a step marked done mid-storm) wait as the stack's own
    would: every process of a deployment reads the same environment."""
    settings.OUTBOX_CHANGE_OF_MIND = dt.timedelta(seconds=CHANGE_OF_MIND_SECONDS)


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
