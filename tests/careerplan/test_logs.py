"""A request the client got wrong is one line in the log; a server error keeps its stack."""

import logging
import sys

from careerplan.logs import ClientErrorsInOneLine


def record(status):
    try:
        raise ValueError("year 0 is out of range")
    except ValueError:
        exc_info = sys.exc_info()
    entry = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Bad Request: /steps/x/", (), exc_info
    )
    entry.status_code = status
    return entry


def test_a_client_error_is_logged_without_its_traceback():
    entry = record(400)
    assert ClientErrorsInOneLine().filter(entry)
    assert entry.exc_info is None
    assert "Traceback" not in logging.Formatter().format(entry)


def test_a_server_error_keeps_its_traceback():
    entry = record(500)
    assert ClientErrorsInOneLine().filter(entry)
    assert "Traceback" in logging.Formatter().format(entry)


def test_the_console_log_uses_the_filter(settings):
    assert "client_errors" in settings.LOGGING["handlers"]["console"]["filters"]
