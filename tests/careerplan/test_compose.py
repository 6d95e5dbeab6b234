"""docker-compose.yml restarts what stops: every app service has a restart policy, and the
worker's and beat's watchdogs exit in time for a wedged worker to be consuming again, or a
hung beat publishing again, within two minutes. (There is no Docker here: this reads the
file; the watchdogs' exits are tested in test_watchdog.py and test_beat_watchdog.py and,
with a real worker and beat, in the fault leg.)"""

import re
from pathlib import Path

import pytest
from django.conf import settings

COMPOSE = Path(settings.BASE_DIR) / "docker-compose.yml"
# What a worker or beat needs, after its watchdog exits, to be at work again: the restart
# and Celery's start, generously.
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


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_a_wedged_worker_or_beat_exits_in_time_to_be_back_within_two_minutes(service):
    services = blocks(COMPOSE.read_text().split("\nservices:\n", 1)[1], 2)
    lines = services[service]
    prefix = service.upper()
    assert setting(lines, "command").startswith(f"celery -A careerplan {service}")
    # Its own settings come on top of every app service's, not instead of them.
    assert "<<: *env" in "\n".join(lines)
    limit = int(setting(lines, f"{prefix}_WATCHDOG_SECONDS"))
    assert limit > 0
    assert limit + RESTART_SECONDS <= 120
    alive_file = setting(lines, f"{prefix}_ALIVE_FILE")
    # The health check reads the file the watchdog touches.
    assert alive_file in setting(lines, "test")
