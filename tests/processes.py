"""Helpers for tests that start real processes (gunicorn, Celery workers and beats)."""

import time


def wait_for(predicate, timeout=60, interval=0.25):
    """Return the first truthy result of predicate(), or None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return None


class Exited(Exception):
    """What `exit_` raises: a watchdog's exit, seen by a test without the process ending."""


def exit_(status):
    raise Exited(status)
