"""Helpers for the reminder pipeline's tests: a clock around one check-up, steps made
before it, and mail backends that fail in the ways a real server does."""

import datetime as dt
import re
import smtplib

import time_machine
from django.core.mail.backends.locmem import EmailBackend

from tests.factories import StepFactory

# A step due on DUE is checked up on at 09:00 London time the morning after: 09:00 UTC,
# since London is on GMT until the clocks change at the end of March.
DUE = dt.date(2026, 3, 10)
MADE = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
CHECKUP = dt.datetime(2026, 3, 11, 9, 0, tzinfo=dt.UTC)
AFTER = CHECKUP + dt.timedelta(seconds=30)


def make_step(plan, title="Visit three bookshops", due_date=DUE, **fields):
    """An open step made a week before its date (no commitment email: it is not under test)."""
    with time_machine.travel(MADE, tick=False):
        return StepFactory(plan=plan, title=title, due_date=due_date, **fields)


def use_backend(settings, name):
    settings.MAILERS = {"default": {"BACKEND": f"tests.buddies.pipeline.{name}"}}


def urls_in(text):
    return re.findall(r"https?://[^\s\"<>]+", text)


def html_of(message):
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return html


class CountingBackend(EmailBackend):
    """locmem, counting how many connections were opened."""

    opened = 0

    def open(self):
        CountingBackend.opened += 1
        return True


class UnreachableBackend(EmailBackend):
    """A mail server that cannot be reached."""

    def open(self):
        raise ConnectionRefusedError(111, "Connection refused")


class FailingBackend(EmailBackend):
    """Connects, then fails each message with `error` (set by the test)."""

    error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def send_messages(self, messages):
        raise FailingBackend.error


class TakenThenBrokenBackend(EmailBackend):
    """A server that takes each message, then the connection breaks before its answer:
    the sender cannot know the message arrived."""

    def send_messages(self, messages):
        super().send_messages(messages)
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
