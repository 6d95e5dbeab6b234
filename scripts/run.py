"""Run the web server, a Celery worker and Celery beat together; Ctrl-C stops all three.

Used by `make run`. Each child gets its own process group, so one Ctrl-C is delivered
once (by us, as SIGTERM) and a child that hangs is killed after a grace period: a second
`make run` then starts from a clean slate.
"""

import argparse
import os
import signal
import subprocess
import sys
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
    commands = {
        "web": [sys.executable, "manage.py", "runserver", f"{args.host}:{args.port}"],
        "worker": [
            str(VENV_BIN / "celery"),
            "-A",
            "careerplan",
            "worker",
            "--loglevel=INFO",
            "--concurrency=4",
            "--pool=threads",
        ],
        "beat": [
            str(VENV_BIN / "celery"),
            "-A",
            "careerplan",
            "beat",
            "--loglevel=INFO",
            "--pidfile=",
            f"--schedule={var / 'celerybeat-schedule'}",
        ],
    }
    children = {}
    for name, command in commands.items():
        children[name] = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)

    stopping = False

    def stop(signum=None, frame=None):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    print(
        f"\ncareerplan is running at http://{args.host}:{args.port}/\n"
        f"  links in emails point at {env['SITE_URL']}/\n"
        f"  web, Celery worker and Celery beat started; emails are written to {var / 'mail'}/\n"
        "  press Ctrl-C to stop all three.\n",
        flush=True,
    )
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"{name} exited with {child.returncode}; stopping the others.", flush=True)
                exit_code = 1
                stopping = True
        time.sleep(0.3)

    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for name, child in children.items():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in {GRACE_SECONDS}s; killing it.", flush=True)
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    print("careerplan stopped.", flush=True)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
