"""The pages a reminder's links open with no login: "Done" for one step (GET shows, POST
acts, once) and the one-click unsubscribe from one kind of reminder."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from buddies.outbox import sender
from plans.models import Step, StepEvent
from reminders import links
from reminders.models import Kind
from reminders.sweep import run_pass
from tests.buddies.pipeline import urls_in
from tests.reminders.conftest import MONDAY, due_step, reminder, rows, utc


@pytest.fixture
def email(planner, active_plan, clock):
    """The morning email of Monday 9 March about one step, sent."""
    due_step(active_plan, MONDAY, title="Visit three bookshops", reward="a trip to the cinema")
    clock.move_to(utc(2026, 3, 9, 7, 30))
    run_pass()
    sender.send_pending()
    return mail.outbox[-1]


@pytest.fixture
def step(email):
    return Step.objects.get(title="Visit three bookshops")


def done_url(email):
    [url] = {url for url in urls_in(email.body) if "/reminders/m/d/" in url}
    return url.removeprefix("http://127.0.0.1:8000")


def unsubscribe_url(email):
    [url] = urls_in(email.extra_headers["List-Unsubscribe"])
    return url.removeprefix("http://127.0.0.1:8000")


def assert_private(response):
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_done_get_shows_the_step_and_changes_nothing(client, email, step):
    response = client.get(done_url(email))
    assert response.status_code == 200
    assert "Mark this step done?" in response.text
    assert "Visit three bookshops" in response.text
    assert "Give me more time" in response.text
    step.refresh_from_db()
    assert step.status == Step.Status.OPEN
    assert_private(response)


def test_a_link_checker_s_head_request_changes_nothing(client, email, step, planner):
    """Mail scanners and link previews send HEAD: it answers like GET and acts on nothing."""
    assert client.head(done_url(email)).status_code == 200
    assert client.head(unsubscribe_url(email)).status_code == 200
    step.refresh_from_db()
    assert step.status == Step.Status.OPEN
    assert reminder(planner, Kind.MORNING).enabled


def test_done_post_ticks_the_step_off_and_celebrates_its_reward(client, email, step):
    response = client.post(done_url(email))
    assert response.status_code == 200
    assert "Done: Visit three bookshops" in response.text
    assert "You earned: <strong>a trip to the cinema</strong>" in response.text
    step.refresh_from_db()
    assert step.status == Step.Status.DONE
    assert step.events.filter(kind=StepEvent.Kind.DONE).count() == 1


def test_a_step_whose_date_was_cleared_can_still_be_ticked_off(client, email, step):
    # Its date cleared in reverse engineering after the email went.
    Step.objects.filter(pk=step.pk).update(due_date=None)
    url = done_url(email)
    response = client.get(url)
    assert response.status_code == 200
    assert "Mark this step done?" in response.text
    # No date to move: the page offers the step instead of more time.
    assert "Give me more time" not in response.text
    assert f'href="/steps/{step.code}/"' in response.text
    response = client.post(url)
    assert response.status_code == 200
    assert "Done: Visit three bookshops" in response.text
    step.refresh_from_db()
    assert step.status == Step.Status.DONE


def test_more_time_counts_from_a_date_moved_later_since_the_email(client, email, step):
    step.reschedule(dt.date(2026, 3, 19), "Shops open later")
    response = client.get(done_url(email))
    assert response.status_code == 200
    assert "new_date=2026-03-22" in response.text


def test_a_replayed_done_is_a_clear_409_and_changes_nothing(client, email, step):
    url = done_url(email)
    client.post(url)
    step.refresh_from_db()
    completed = step.completed
    step.mark_open()
    # Reopened on the site since: the used link still ticks nothing off.
    for response in (client.post(url), client.get(url)):
        assert response.status_code == 409
        assert "Already done" in response.text
    step.refresh_from_db()
    assert step.status == Step.Status.OPEN
    assert step.events.filter(kind=StepEvent.Kind.DONE).count() == 1
    assert completed is not None


def test_a_step_ticked_off_on_the_site_first_is_already_done(client, email, step):
    step.mark_done()
    response = client.get(done_url(email))
    assert response.status_code == 409
    assert "is already ticked off" in response.text
    assert client.post(done_url(email)).status_code == 409
    assert step.events.filter(kind=StepEvent.Kind.DONE).count() == 1


def test_a_dropped_step_is_not_ticked_off(client, email, step):
    step.mark_dropped("Shops closed for refit")
    response = client.post(done_url(email))
    assert response.status_code == 409
    assert "was dropped" in response.text
    step.refresh_from_db()
    assert step.status == Step.Status.DROPPED


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (lambda step, planner: step.mark_done(), "done"),
        (lambda step, planner: step.mark_dropped(), "dropped"),
        (
            lambda step, planner: (
                type(planner).objects.filter(pk=planner.pk).update(is_active=False)
            ),
            "closed",
        ),
    ],
    ids=["done-on-the-site", "dropped", "account-deactivated"],
)
def test_a_change_between_the_page_and_the_press_is_seen_under_the_lock(
    email, planner, change, refusal
):
    """done_from_email asks done_refusal again on the rows as they are, not as the page
    loaded them."""
    token = done_url(email).rstrip("/").rsplit("/", 1)[-1]
    notification, step = links.read_done_token(token)
    assert links.done_refusal(notification, step) is None
    events = step.events.count()
    change(Step.objects.get(pk=step.pk), planner)
    assert links.done_from_email(notification, step) == refusal
    assert step.events.count() == events + (refusal != "closed")
    notification.refresh_from_db()
    assert "done" not in notification.payload


def test_an_altered_done_link_is_a_clear_400(client, email, step):
    url = done_url(email)
    for response in (client.get(url[:-3] + "xx/"), client.post(url[:-3] + "xx/")):
        assert response.status_code == 400
        assert "This link doesn\u2019t work" in response.text
    step.refresh_from_db()
    assert step.status == Step.Status.OPEN


def test_an_expired_done_link_is_a_clear_410(client, email, step):
    with time_machine.travel(utc(2026, 3, 9, 7, 30) + dt.timedelta(days=15)):
        response = client.post(done_url(email))
    assert response.status_code == 410
    assert "This link has expired" in response.text
    step.refresh_from_db()
    assert step.status == Step.Status.OPEN


def test_a_done_link_for_another_planners_step_is_refused(client, email, step, stranger):
    from tests.factories import PlanFactory, StepFactory

    theirs = StepFactory(plan=PlanFactory(owner=stranger), due_date=MONDAY)
    [row] = rows(Kind.MORNING)
    url = reverse("reminders-mail-done", args=[links.done_token(row, theirs)])
    assert client.post(url).status_code == 400
    theirs.refresh_from_db()
    assert theirs.status == Step.Status.OPEN


@pytest.mark.parametrize("gone", ["step", "email"])
def test_an_intact_done_link_to_what_is_gone_says_so(client, email, step, gone):
    """A deleted step, or an email purged with its account: the link is not broken."""
    url = done_url(email)
    if gone == "step":
        step.delete()
    else:
        for row in rows(Kind.MORNING):
            row.delete()
    response = client.get(url)
    assert response.status_code == 410
    assert "This link no longer works" in response.text
    assert "cut short" not in response.text


def test_a_deactivated_accounts_done_link_no_longer_works(client, email, step, planner):
    planner.is_active = False
    planner.save(update_fields=["is_active"])
    assert client.post(done_url(email)).status_code == 410
    step.refresh_from_db()
    assert step.status == Step.Status.OPEN


def test_done_needs_a_csrf_token_like_every_form(email, step):
    client = Client(enforce_csrf_checks=True)
    url = done_url(email)
    assert client.post(url).status_code == 403
    client.get(url)
    token = client.cookies["csrftoken"].value
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 200
    step.refresh_from_db()
    assert step.status == Step.Status.DONE


def test_done_refuses_other_methods(client, email):
    assert client.put(done_url(email)).status_code == 405


# Unsubscribe ----------------------------------------------------------------------------


def test_unsubscribe_get_asks_and_changes_nothing(client, email, planner):
    response = client.get(unsubscribe_url(email))
    assert response.status_code == 200
    assert "Turn this reminder off?" in response.text
    assert "Morning email" in response.text
    assert reminder(planner, Kind.MORNING).enabled
    assert_private(response)


def test_one_click_unsubscribe_turns_off_that_kind_only(email, planner):
    # What a mail client sends (RFC 8058): a bare POST, no cookie, no CSRF token.
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        unsubscribe_url(email),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "Reminder turned off" in response.text
    morning = reminder(planner, Kind.MORNING)
    assert (morning.enabled, morning.next_due) == (False, None)
    assert reminder(planner, Kind.WEEKLY).enabled
    # A replay is harmless.
    assert client.post(unsubscribe_url(email)).status_code == 200


def test_a_closed_account_s_unsubscribe_link_says_so_and_a_late_one_click_is_harmless(
    client, email, planner
):
    planner.is_active = False
    planner.save(update_fields=["is_active"])

    response = client.get(unsubscribe_url(email))
    assert response.status_code == 410
    assert "nothing to unsubscribe from" in response.text
    assert "Morning email" not in response.text
    # RFC 8058: a mail client that posts after the account closed gets a 2xx, not a retry.
    assert client.post(unsubscribe_url(email)).status_code == 200
    assert reminder(planner, Kind.MORNING).enabled


def test_an_altered_unsubscribe_link_is_a_clear_400(client, email, planner):
    assert client.post(unsubscribe_url(email)[:-3] + "xx/").status_code == 400
    assert reminder(planner, Kind.MORNING).enabled


def test_an_unsubscribe_link_for_an_unknown_kind_is_refused(client, planner):
    from django.core import signing

    token = signing.dumps({"u": str(planner.code), "k": "digest"}, salt=links.UNSUBSCRIBE_SALT)
    assert client.post(reverse("reminders-mail-unsubscribe", args=[token])).status_code == 400
