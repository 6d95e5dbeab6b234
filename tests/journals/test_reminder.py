import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.template import engines
from django.test import RequestFactory

from journals import days as journal
from tests.journals.conftest import utc

TEMPLATE = "{% load journal_tags %}{% journal_reminder %}"


def render_for(user):
    request = RequestFactory().get("/dashboard/")
    request.user = user
    return engines["django"].from_string(TEMPLATE).render({}, request)


@pytest.mark.usefixtures("frozen")
def test_the_reminder_shows_when_today_has_no_entry(owner, make_entry, django_assert_num_queries):
    make_entry(dt.date(2026, 11, 23))
    with django_assert_num_queries(1):
        html = render_for(owner)
    assert "Nothing written for today yet." in html
    assert "What did you achieve today, however small?" in html
    assert 'href="/journal/"' in html


@pytest.mark.usefixtures("frozen")
def test_the_reminder_is_quiet_once_today_is_written(owner, make_entry):
    make_entry(dt.date(2026, 11, 24))
    assert render_for(owner).strip() == ""


def test_the_reminder_follows_the_planners_day(owner, make_entry):
    owner.tz = "Pacific/Auckland"
    owner.save()
    make_entry(dt.date(2026, 11, 24))
    # 12:00 UTC on the 24th is already 01:00 on the 25th in Auckland.
    with time_machine.travel(utc(2026, 11, 24, 12), tick=False):
        assert "Nothing written for today yet." in render_for(owner)


def test_the_reminder_says_nothing_to_anonymous_people(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert render_for(AnonymousUser()).strip() == ""


def test_local_midnight_is_a_utc_instant(owner):
    assert journal.local_midnight(dt.date(2026, 7, 1), owner.zone) == utc(2026, 6, 30, 23)
