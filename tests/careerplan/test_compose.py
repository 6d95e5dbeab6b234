"""docker-compose.yml restarts what stops: every app service has a restart policy, and the
worker's watchdog exits in time for a wedged worker to be consuming again within two
minutes. (There is no Docker here: this reads the file; the watchdog's exit is tested in
test_watchdog.py and, with a real worker, in the fault leg.)"""

import re
from pathlib import Path

from django.conf import settings

COMPOSE = Path(settings.BASE_DIR) / "docker-compose.yml"
# What a worker needs, after the watchdog exits, to be consuming again: the restart and
# Celery's start, generously.
RESTART_SECONDS = 20


def blocks(text, indent):
    """Map each key at `indent` spaces to the lines under it."""
    found, name = {}, None
    for line in text.splitlines():
        key = re.match(rf"^ {{{indent}}}([\w.-]+):", line)
        if key:
            name = key.group(1)
            found[name] = []
        elif name and (line.startswith(" " * (indent + 1)) or not line.strip()):
            found[name].append(line)
        elif line.strip() and not line.startswith(" " * indent):
            name = None
    return found


def setting(lines, key):
    for line in lines:
        match = re.match(rf"^\s+{key}:\s*(.+)$", line)
        if match:
            return match.group(1).strip().strip('"')
    return None


def test_every_app_service_restarts_when_it_exits():
    text = COMPOSE.read_text()
    anchor = blocks(text, 0)["x-app"]
    assert setting(anchor, "restart") == "unless-stopped"
    services = blocks(text.split("\nservices:\n", 1)[1], 2)
    for name in ("web", "worker", "beat"):
        assert "<<: *app" in "\n".join(services[name]), name
        assert setting(services[name], "restart") in (None, "unless-stopped", "always"), name


def test_a_wedged_worker_exits_in_time_to_be_back_within_two_minutes():
    services = blocks(COMPOSE.read_text().split("\nservices:\n", 1)[1], 2)
    worker = services["worker"]
    assert setting(worker, "command").startswith("celery -A careerplan worker")
    limit = int(setting(worker, "WORKER_WATCHDOG_SECONDS"))
    assert limit > 0
    assert limit + RESTART_SECONDS <= 120
    alive_file = setting(worker, "WORKER_ALIVE_FILE")
    # The health check reads the file the watchdog touches.
    assert alive_file in setting(worker, "test")
