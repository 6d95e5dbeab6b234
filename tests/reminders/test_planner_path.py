"""The whole path: a planner signs up and does nothing else, and the weekly plan comes
on their Monday; they add one step, and the morning it falls due an email lets them
tick it off. Through the real sign-up, the pass, the outbox's sender and the links."""

import datetime as dt
import pathlib
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client

from accounts.models import User
from buddies.outbox import sender
from plans.models import Plan, Step
from reminders.sweep import run_pass
from tests.accounts.test_account_flows import SIGNUP
from tests.buddies.pipeline import html_of, urls_in
from tests.reminders.conftest import utc


def path_of(url):
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.mark.django_db
def test_a_new_planner_gets_the_weekly_plan_then_ticks_a_step_off_from_the_morning_email():
    client = Client()
    with time_machine.travel(utc(2026, 3, 4, 10), tick=False) as clock:  # a Wednesday
        client.post("/accounts/signup/", SIGNUP)
        [verify] = mail.outbox
        client.post(path_of(re.search(r"https?://\S+/confirm-email/\S+/", verify.body)[0]))
        mail.outbox.clear()

        # Nothing until Monday 08:00 where she lives, Berlin (07:00 UTC).
        clock.move_to(utc(2026, 3, 9, 6, 59))
        run_pass()
        assert sender.send_pending() == {}
        clock.move_to(utc(2026, 3, 9, 7, 0))
        run_pass()
        assert sender.send_pending() == {"sent": 1}
        [weekly] = mail.outbox
        assert weekly.to == [f"Nadia Newcomer <{SIGNUP['email']}>"]
        assert weekly.subject == "Your week ahead: time for a small step"
        assert "Start a plan" in html_of(weekly)

        # She starts anywhere: a plan with a first step due in three days, Thursday.
        client.post("/accounts/login/", {"login": SIGNUP["email"], "password": SIGNUP["password1"]})
        starter = "Ask one person who does a job you admire how they got into it"
        client.post("/dashboard/start/", {"starter": "1"})
        step = Step.objects.get(plan__in=Plan.objects.filter(owner__email=SIGNUP["email"]))
        assert step.due_date == dt.date(2026, 3, 12)

        # Thursday 07:30 in Berlin: the morning email, with its Done link.
        mail.outbox.clear()
        clock.move_to(utc(2026, 3, 12, 6, 30))
        run_pass()
        sender.send_pending()
        [morning] = mail.outbox
        assert morning.subject == f"Today: {starter[:59]}…"
        [done] = {url for url in urls_in(morning.body) if "/reminders/m/d/" in url}
        # Opened on a phone with no session: it asks, then ticks the step off.
        phone = Client()
        assert "Mark this step done?" in phone.get(path_of(done)).text
        assert phone.post(path_of(done)).status_code == 200
        step.refresh_from_db()
        assert step.status == Step.Status.DONE
        assert User.objects.get(email=SIGNUP["email"]).reminders.count() == 4


def test_nothing_below_reminders_imports_it():
    """reminders sits above buddies: it registers its kinds into the outbox, which never
    imports it (nor does any app below)."""
    for app in ("accounts", "plans", "journals", "buddies", "careerplan"):
        source = "\n".join(p.read_text() for p in pathlib.Path(app).rglob("*.py"))
        assert "from reminders" not in source, app
        assert "import reminders" not in source, app
