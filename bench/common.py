"""What every benchmark script shares: where its database lives, Django set up, timing.

A benchmark never touches the development database or the test databases: SQLite files
live under var/bench/<name>/ and PostgreSQL uses its own database (careerplan_bench by
default), dropped and created again by each seed.
"""

import json
import os
import socket
import statistics
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_VAR = BASE_DIR / "var" / "bench"
RESULTS = BENCH_VAR / "results"
PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/careerplan_bench"
# Databases a benchmark must never drop, whatever it is told.
PROTECTED_DATABASES = {"postgres", "test", "root", "template0", "template1", "careerplan"}


def database_env(db, name):
    """Return the environment that points Django at a benchmark database.

    `db` is "sqlite" (a file under var/bench/<name>/) or a postgres:// URL whose
    database is replaced by careerplan_bench_<name>, so that two benchmarks never share
    rows.
    """
    env = {"VAR_DIR": str(BENCH_VAR / name), "DATABASE_URL": ""}
    if db != "sqlite":
        parts = urlsplit(db)
        env["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/careerplan_bench_{name}"))
    return env


def setup_django(extra_env=None):
    """Configure the environment (before settings load) and set Django up."""
    for key, value in (extra_env or {}).items():
        os.environ[key] = value
    if not os.environ.get("DATABASE_URL"):
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("VAR_DIR", str(BENCH_VAR / "default"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careerplan.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def child_env(env):
    """The environment for a child process: ours plus `env`; an empty DATABASE_URL in
    `env` means SQLite, so the variable is dropped rather than passed empty."""
    full_env = {**os.environ, **env}
    if not env.get("DATABASE_URL"):
        full_env.pop("DATABASE_URL", None)
    return full_env


def percentile(values, fraction):
    """Return the value at `fraction` (0.5, 0.99) of the sorted values (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def median(values):
    return statistics.median(values) if values else float("nan")


def save_result(name, data):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(data, indent=2, default=str))


def load_result(name):
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def run_python(script, args, env):
    """Run a bench script in a fresh interpreter (each database needs its own settings)."""
    command = [sys.executable, str(BASE_DIR / "bench" / script), *args]
    subprocess.run(command, env=child_env(env), check=True, cwd=BASE_DIR)


def cpu_seconds(pid):
    """CPU time (user and system) a process on this machine has used, from /proc; None
    where that cannot be read (another system, a process gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine():
    """Where a figure was measured: architecture, cores, Python."""
    import platform

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def load_average():
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")
