"""The production-like topology on this machine: gunicorn, a Celery worker and Celery beat
against the real PostgreSQL and Redis (the docker-compose services, without Docker)."""

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from careerplan.models import Heartbeat
from tests.processes import wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
PORT = 8179


@pytest.fixture
def stack(tmp_path):
    """Start gunicorn, a worker and beat on the test database; stop them afterwards."""
    assert connection.vendor == "postgresql", "this leg needs DATABASE_URL (PostgreSQL)"
    assert os.environ.get("REDIS_URL"), "this leg needs REDIS_URL"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DEBUG": "0",
        "SECRET_KEY": "prodlike-stack-test-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{PORT}",
        "INSECURE_HTTP": "1",
        "VAR_DIR": str(tmp_path),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    commands = [
        [str(BIN / "gunicorn"), "careerplan.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", "2"],
        [
            str(BIN / "celery"),
            "-A",
            "careerplan",
            "worker",
            "--concurrency=1",
            "--loglevel=WARNING",
        ],
        [
            str(BIN / "celery"),
            "-A",
            "careerplan",
            "beat",
            "--loglevel=WARNING",
            "--pidfile=",
            f"--schedule={tmp_path / 'beat-schedule'}",
        ],
    ]
    logs = [open(tmp_path / f"proc{n}.log", "w") for n in range(len(commands))]  # noqa: SIM115
    procs = [
        subprocess.Popen(c, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        for c, log in zip(commands, logs, strict=True)
    ]
    yield procs
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    for log in logs:
        log.close()


def fetch(path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}{path}", timeout=5) as response:
            return response.status, response.read().decode()
    except OSError:
        return None


def test_gunicorn_serves_pages_and_beat_and_worker_record_a_heartbeat(stack):
    served = wait_for(lambda: fetch("/healthz"))
    assert served == (200, "ok")
    status, home = fetch("/")
    assert status == 200
    assert "Change career one small, dated step at a time" in home

    beat = wait_for(lambda: Heartbeat.objects.filter(name="heartbeat").first(), timeout=90)
    assert beat is not None, "no heartbeat: beat did not schedule it or no worker ran it"
    assert beat.runs >= 1
