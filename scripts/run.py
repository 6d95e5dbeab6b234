"""Run the web server, a Celery worker and Celery beat together; Ctrl-C stops all three.

Used by `make run`. Each child gets its own process group, so one Ctrl-C is delivered
once (by us, as SIGTERM) and a child that hangs is killed after a grace period: a second
`make run` then starts from a clean slate. A worker or beat that exits (a worker's
watchdog exits when it has stopped consuming, beat's when it has stopped ticking) is
started again after a back-off of 1, 2, 4 ... seconds (at most 30; back to 1 once it has
run a minute); if the web server exits, everything stops, since that needs a person (a
port in use, say).
"""

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
GRACE_SECONDS = 10


def site_url(host, port, environ):
    """The address links in emails use: SITE_URL if set, else the one this run serves."""
    if environ.get("SITE_URL"):
        return environ["SITE_URL"]
    # A server bound to every interface is still reached as localhost from this machine.
    if host in ("0.0.0.0", "::", ""):  # noqa: S104
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


class Child:
    """One supervised process: its command, whether it is restarted, and its back-off."""

    def __init__(self, name, command, restart):
        self.name = name
        self.command = command
        self.restart = restart
        self.process = None
        self.started = 0.0
        self.restart_at = None
        self.backoff = None
        self.exits = []

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None


class Supervisor:
    """Start children, restart those that may be restarted with back-off, stop them all."""

    def __init__(
        self,
        children,
        *,
        env=None,
        cwd=ROOT,
        first_backoff=1.0,
        max_backoff=30.0,
        steady_after=60.0,
        grace=GRACE_SECONDS,
        say=print,
    ):
        self.children = children
        self.env = env
        self.cwd = cwd
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self.steady_after = steady_after
        self.grace = grace
        self.say = say

    def start(self, child):
        child.process = subprocess.Popen(
            child.command, cwd=self.cwd, env=self.env, start_new_session=True
        )
        child.started = time.monotonic()
        child.restart_at = None

    def start_all(self):
        for child in self.children:
            self.start(child)

    def tick(self, now=None):
        """Look after the children once; return False when everything must stop."""
        now = time.monotonic() if now is None else now
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self.say(f"Starting {child.name} again.")
                    self.start(child)
                continue
            if child.process is None or child.process.poll() is None:
                continue
            code = child.process.returncode
            child.exits.append(code)
            # Take the rest of its process group with it (prefork's pool processes).
            _kill_group(child.process)
            if not child.restart:
                self.say(f"{child.name} exited with {code}; stopping the others.")
                return False
            ran = now - child.started
            if child.backoff is None or ran >= self.steady_after:
                child.backoff = self.first_backoff
            else:
                child.backoff = min(child.backoff * 2, self.max_backoff)
            child.restart_at = now + child.backoff
            self.say(f"{child.name} exited with {code}; starting it again in {child.backoff:g}s.")
        return True

    def stop_all(self):
        """SIGTERM every child, then SIGKILL whatever has not stopped after the grace."""
        for child in self.children:
            child.restart_at = None
            if child.running:
                with contextlib.suppress(ProcessLookupError):
                    child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{child.name} did not stop in {self.grace}s; killing it.")
            _kill_group(child.process)
            child.process.wait()

    def run(self, stopping, interval=0.3):
        """Start everything and look after it until `stopping` (an Event) is set or a
        child that is not restarted exits; then stop everything. Return the exit status."""
        self.start_all()
        status = 0
        try:
            while not stopping.is_set():
                if not self.tick():
                    status = 1
                    break
                stopping.wait(interval)
        finally:
            self.stop_all()
        return status


def _kill_group(process):
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def commands(host, port, var):
    """The three children of `make run`: (name, command, restarted if it exits)."""
    return [
        Child("web", [sys.executable, "manage.py", "runserver", f"{host}:{port}"], False),
        Child(
            "worker",
            [
                str(VENV_BIN / "celery"),
                "-A",
                "careerplan",
                "worker",
                "--loglevel=INFO",
                "--concurrency=4",
                "--pool=threads",
            ],
            True,
        ),
        Child(
            "beat",
            [
                str(VENV_BIN / "celery"),
                "-A",
                "careerplan",
                "beat",
                "--loglevel=INFO",
                "--pidfile=",
                f"--schedule={var / 'celerybeat-schedule'}",
            ],
            True,
        ),
    ]


def serve(supervisor):
    """Run `supervisor` until Ctrl-C (SIGINT) or SIGTERM; return its exit status."""
    stopping = threading.Event()

    def stop(signum=None, frame=None):
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    return supervisor.run(stopping)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    args = parser.parse_args()

    var = ROOT / "var"
    var.mkdir(exist_ok=True)
    # Links in emails point at the address this run serves, unless SITE_URL says where
    # the public address is; CSRF_TRUSTED_ORIGINS follows SITE_URL in the settings.
    env = {**os.environ, "SITE_URL": site_url(args.host, args.port, os.environ)}
    supervisor = Supervisor(
        commands(args.host, args.port, var), env=env, say=lambda text: print(text, flush=True)
    )
    print(
        f"\ncareerplan is running at http://{args.host}:{args.port}/\n"
        f"  links in emails point at {env['SITE_URL']}/\n"
        f"  web, Celery worker and Celery beat started; emails are written to {var / 'mail'}/\n"
        "  a worker or beat that exits is started again; press Ctrl-C to stop all three.\n",
        flush=True,
    )
    status = serve(supervisor)
    print("careerplan stopped.", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
