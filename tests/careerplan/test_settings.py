"""Settings under production variables: check --deploy is clean, and DEBUG off refuses the
default secret key. Each runs manage.py in a fresh process, as a deployment would."""

import os
import secrets
import subprocess
import sys

from django.conf import settings

PRODUCTION = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "careerplan.example.com",
    "SITE_URL": "https://careerplan.example.com",
}
DROPPED = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")


def _manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if k not in DROPPED and not k.endswith("_FILE")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_under_production_variables():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50)[:50],
        **PRODUCTION,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNING" not in output


def test_debug_off_refuses_to_start_without_a_secret_key():
    result = _manage("check", **PRODUCTION)
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off" in result.stderr
