"""The Reminders page: switches, times and a weekday in the planner's zone, bad input
refused next to its field, and the browsers that take push notifications."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from journals.models import JournalEntry
from reminders.kinds import next_send
from reminders.models import Kind, PushSubscription
from tests.reminders.conftest import make_planner, reminder, set_reminder, utc

URL = reverse("reminders-settings")

# What the page posts when nothing is changed.
DEFAULTS = {
    "weekly-enabled": "on",
    "weekly-weekday": "0",
    "weekly-at": "08:00",
    "morning-enabled": "on",
    "morning-at": "07:30",
    "next_step-at": "09:00",
    "journal-at": "20:00",
}
# A browser's subscription as pushManager gives it (a real P-256 point and 16 bytes).
KEYS = {
    "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAk"
    "j7I99e8QcYP7DkM",
    "auth": "tBHItJI5svbpez7KI4CCXg",
}


def input_tag(html, name):
    """The <input> or <select> tag of the field `name`."""
    return re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', html).group(0)


def is_checked(html, name):
    return " checked" in input_tag(html, name)


@pytest.fixture
def signed_in(planner):
    client = Client(enforce_csrf_checks=False)
    client.force_login(planner)
    return client


def test_the_page_shows_each_reminder_with_its_defaults_in_the_planners_zone(signed_in):
    response = signed_in.get(URL)
    assert response.status_code == 200
    html = response.text
    for label in ("Weekly plan", "Morning email", "next small step", "Journal nudge"):
        assert label in html
    assert is_checked(html, "weekly-enabled")
    assert is_checked(html, "morning-enabled")
    assert not is_checked(html, "next_step-enabled")
    assert not is_checked(html, "journal-enabled")
    assert 'value="07:30"' in input_tag(html, "morning-at")
    assert "London (Europe)" in html
    assert "Next: Monday 9 March, 08:00" in html  # shown in the planner's zone
    assert reverse("plans-calendar") in html


def test_saving_turns_a_nudge_on_and_moves_the_weekly_plan(signed_in, planner, clock):
    data = {**DEFAULTS, "weekly-weekday": "4", "weekly-at": "18:15", "journal-enabled": "on"}
    response = signed_in.post(URL, data)
    assert response.status_code == 302
    weekly = reminder(planner, Kind.WEEKLY)
    assert (weekly.weekday, weekly.at, weekly.next_due) == (
        4,
        dt.time(18, 15),
        utc(2026, 3, 13, 18, 15),
    )
    journal = reminder(planner, Kind.JOURNAL)
    assert (journal.enabled, journal.next_due) == (True, utc(2026, 3, 8, 20))
    assert not reminder(planner, Kind.NEXT_STEP).enabled


def test_turning_a_reminder_off_clears_when_it_is_due(signed_in, planner):
    data = {key: value for key, value in DEFAULTS.items() if key != "morning-enabled"}
    assert signed_in.post(URL, data).status_code == 302
    morning = reminder(planner, Kind.MORNING)
    assert (morning.enabled, morning.next_due) == (False, None)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("morning-at", "24:00", "Enter a time from 00:00 to 23:59, like 07:30."),
        ("morning-at", "07:60", "Enter a time from 00:00 to 23:59, like 07:30."),
        ("morning-at", "-1:00", "Enter a time from 00:00 to 23:59, like 07:30."),
        ("journal-at", "", "Give a time, like 07:30."),
        ("weekly-weekday", "7", "Choose a day of the week, Monday to Sunday."),
        ("weekly-weekday", "Funday", "Choose a day of the week, Monday to Sunday."),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_kept(signed_in, planner, field, value, message):
    data = {**DEFAULTS, "journal-enabled": "on", field: value}
    response = signed_in.post(URL, data)
    assert response.status_code == 422
    html = response.text
    assert message in html
    # The message is tied to its field, and what was typed is still there.
    tag = input_tag(html, field)
    assert 'aria-invalid="true"' in tag
    assert f'aria-describedby="id_{field}_error"' in tag
    assert f'id="id_{field}_error"' in html
    assert is_checked(html, "journal-enabled")
    if field.endswith("-at"):
        assert f'value="{value}"' in tag
    # Nothing was saved, not even the valid parts; the top of the page says so, and
    # the cursor waits in the refused field.
    assert not reminder(planner, Kind.JOURNAL).enabled
    kind = field.split("-")[0]
    assert "Nothing was saved: check " in html
    assert f'<a href="#reminder-{kind}">' in html
    assert "autofocus" in tag


def test_a_change_of_zone_moves_every_reminder(planner, clock):
    planner.change_zone("America/Los_Angeles")
    # Sunday 8 March 12:00 UTC is 05:00 PDT: the morning email is at 07:30 PDT today.
    assert reminder(planner, Kind.MORNING).next_due == utc(2026, 3, 8, 14, 30)
    assert reminder(planner, Kind.WEEKLY).next_due == utc(2026, 3, 9, 15)


def test_sign_up_zone_sets_the_new_planners_reminders(db, client, clock):
    response = client.post(
        reverse("account_signup"),
        {
            "display_name": "Nia",
            "email": "nia@example.com",
            "password1": "a long enough passphrase",
            "password2": "a long enough passphrase",
            "tz": "Asia/Tokyo",
        },
    )
    assert response.status_code == 302
    from accounts.models import User

    nia = User.objects.get(email="nia@example.com")
    # Monday 9 March 08:00 in Tokyo.
    assert reminder(nia, Kind.WEEKLY).next_due == utc(2026, 3, 8, 23)


def test_the_page_needs_a_login_and_shows_only_ones_own(client, planner, clock):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    other = make_planner(email="sam@example.com", display_name="Sam")
    client.force_login(other)
    client.post(URL, {**DEFAULTS, "weekly-weekday": "3"})
    assert reminder(planner, Kind.WEEKLY).weekday == 0
    assert reminder(other, Kind.WEEKLY).weekday == 3


def test_the_page_refuses_other_methods(signed_in):
    assert signed_in.put(URL).status_code == 405


def test_saving_needs_a_csrf_token(planner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(planner)
    assert client.post(URL, DEFAULTS).status_code == 403


# Push subscriptions -----------------------------------------------------------------


def test_without_a_vapid_key_the_page_says_push_is_not_set_up(signed_in, settings):
    settings.VAPID_PRIVATE_KEY = ""
    html = signed_in.get(URL).text
    assert "Notifications are not set up on this server." in html
    assert "data-vapid-key" not in html


def test_the_page_offers_push_with_the_servers_public_key(signed_in, vapid):
    html = signed_in.get(URL).text
    assert 'data-vapid-key="B' in html
    assert "/static/js/push.js" in html
    assert "<script>" not in html  # no inline script under the CSP


def test_a_browser_subscribes_and_is_listed(signed_in, planner, vapid):
    endpoint = "https://fcm.googleapis.com/fcm/send/abc123"
    response = signed_in.post(
        reverse("reminders-push-subscribe"),
        {"endpoint": endpoint, **KEYS},
        headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/130.0 Mobile Safari/537.36"},
    )
    assert response.status_code == 302
    subscription = PushSubscription.objects.get()
    assert (subscription.user, subscription.endpoint) == (planner, endpoint)
    assert subscription.label == "Chrome on Android"
    assert "Chrome on Android" in signed_in.get(URL).text
    # The same browser again (or after another person used it) is one subscription.
    signed_in.post(reverse("reminders-push-subscribe"), {"endpoint": endpoint, **KEYS})
    assert PushSubscription.objects.count() == 1


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/abc",
        "https://127.0.0.1:6379/",
        "https://[::1]/push",
        "https://localhost/push",
        "https://intranet/push",
        "not a url",
    ],
)
def test_an_endpoint_that_is_not_a_push_service_is_refused(signed_in, vapid, endpoint):
    response = signed_in.post(reverse("reminders-push-subscribe"), {"endpoint": endpoint, **KEYS})
    assert response.status_code == 422
    assert not PushSubscription.objects.exists()


def test_keys_that_cannot_be_used_are_refused(signed_in, vapid):
    endpoint = "https://fcm.googleapis.com/fcm/send/abc123"
    for keys in ({**KEYS, "p256dh": "AAAA"}, {**KEYS, "auth": "c2hvcnQ"}):
        response = signed_in.post(
            reverse("reminders-push-subscribe"), {"endpoint": endpoint, **keys}
        )
        assert response.status_code == 422
        assert "This browser gave keys that cannot be used." in response.text
    assert not PushSubscription.objects.exists()


def test_subscribing_without_a_vapid_key_is_refused(signed_in, settings):
    settings.VAPID_PRIVATE_KEY = ""
    response = signed_in.post(
        reverse("reminders-push-subscribe"),
        {"endpoint": "https://fcm.googleapis.com/fcm/send/abc123", **KEYS},
    )
    assert response.status_code == 422
    assert not PushSubscription.objects.exists()


def test_a_planner_stops_push_to_a_browser_and_a_stranger_cannot(signed_in, planner, stranger):
    subscription = PushSubscription.objects.create(
        user=planner, endpoint="https://push.example.com/1", p256dh="k", auth="a"
    )
    url = reverse("reminders-push-delete", args=[subscription.code])
    stranger_client = Client()
    stranger_client.force_login(stranger)
    assert stranger_client.post(url).status_code == 404
    assert signed_in.get(url).status_code == 405
    assert signed_in.post(url).status_code == 302
    assert not PushSubscription.objects.exists()


def test_the_page_runs_a_fixed_number_of_queries(signed_in, planner, django_assert_max_num_queries):
    for n in range(5):
        PushSubscription.objects.create(
            user=planner, endpoint=f"https://push.example.com/{n}", p256dh="k", auth="a"
        )
    with django_assert_max_num_queries(6):
        assert signed_in.get(URL).status_code == 200
    with django_assert_max_num_queries(16):
        assert signed_in.post(URL, DEFAULTS).status_code == 302


def journal_next_line(html):
    card = html[html.index("Journal nudge") :]
    return card[card.index("Next:") : card.index("</p>")]


def test_journal_nudge_next_is_tonight_while_today_has_no_entry(signed_in, planner):
    set_reminder(planner, Kind.JOURNAL)
    JournalEntry.objects.write(planner, dt.date(2026, 3, 7), "Yesterday's entry.")

    line = journal_next_line(signed_in.get(URL).text)

    assert line == "Next: Sunday 8 March, 20:00, if you have not written yet."


def test_journal_nudge_next_is_tomorrow_once_today_has_an_entry(signed_in, planner):
    set_reminder(planner, Kind.JOURNAL)
    JournalEntry.objects.write(planner, dt.date(2026, 3, 8), "Found a shop to let.")

    line = journal_next_line(signed_in.get(URL).text)

    assert line == "Next: Monday 9 March, 20:00, if you have not written yet."
    # What is stored is the pass's schedule: it still fires tonight and writes nothing.
    assert reminder(planner, Kind.JOURNAL).next_due == utc(2026, 3, 8, 20)


def test_journal_next_send_follows_the_pass_rule_in_the_planners_zone(db, clock):
    # 8 March 12:00 UTC is already 9 March in Auckland (UTC+13): tonight is the 9th.
    planner = make_planner(tz="Pacific/Auckland")
    journal = set_reminder(planner, Kind.JOURNAL)
    assert journal.next_due == utc(2026, 3, 9, 7)
    assert next_send(journal, timezone.now()) == journal.next_due

    JournalEntry.objects.write(planner, dt.date(2026, 3, 8), "The day before.")
    assert next_send(journal, timezone.now()) == journal.next_due
    JournalEntry.objects.write(planner, dt.date(2026, 3, 9), "Today, in Auckland.")
    assert next_send(journal, timezone.now()) == utc(2026, 3, 10, 7)


def test_other_reminders_show_their_next_instant(planner):
    morning = reminder(planner, Kind.MORNING)

    assert next_send(morning, timezone.now()) == morning.next_due
    assert next_send(reminder(planner, Kind.JOURNAL), timezone.now()) is None


def test_two_refused_boxes_are_named_as_a_sentence(signed_in):
    data = {**DEFAULTS, "journal-enabled": "on", "morning-at": "24:00", "journal-at": ""}
    html = signed_in.post(URL, data).text
    assert 'the morning email</a> and <a href="#reminder-journal">the journal nudge</a> below.' in (
        html
    )
