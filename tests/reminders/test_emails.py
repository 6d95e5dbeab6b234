"""The planner's reminders through the outbox: the email each kind sends (subject, both
bodies, headers), and every reason a claimed row is no longer sent."""

import datetime as dt
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import IntegrityError, transaction

from buddies.models import Notification
from buddies.outbox import sender
from buddies.outbox.kinds import KINDS, Audience
from journals.models import JournalEntry
from reminders.models import Kind
from reminders.sweep import run_pass
from tests.buddies.pipeline import html_of, urls_in
from tests.factories import PlanFactory
from tests.reminders.conftest import MONDAY, due_step, rows, set_reminder, utc

MORNING = utc(2026, 3, 9, 7, 30)


def state_of(notification):
    notification.refresh_from_db()
    return notification.state


@pytest.fixture
def morning(planner, active_plan, clock):
    """The morning email of Monday 9 March: one step due that day, one overdue, and one
    later in the week."""
    due_step(active_plan, MONDAY, title="Visit three bookshops", reward="a trip to the cinema")
    due_step(active_plan, MONDAY - dt.timedelta(days=2), title="Ring Sam about shelving")
    due_step(active_plan, MONDAY + dt.timedelta(days=3), title="Draft the opening budget")
    clock.move_to(MORNING)
    run_pass()
    [row] = rows(Kind.MORNING)
    return row


def test_the_reminders_are_planner_kinds_in_the_outbox_table():
    for kind in Kind:
        assert KINDS[kind].audience == Audience.PLANNER
        assert KINDS[kind].unsubscribe_url is not None


def test_morning_email_lists_the_days_steps_with_done_and_more_time(morning):
    assert sender.send_pending() == {"sent": 1}
    [message] = mail.outbox
    assert message.to == ["Olivia Owner <olivia@example.com>"]
    assert message.from_email == "careerplan <careerplan@localhost>"
    assert message.subject == "Today: Visit three bookshops, and 1 overdue"
    html = html_of(message)
    for body in (message.body, html):
        assert "Hello Olivia Owner," in body
        # The next small step is due today: marked in its row, not named twice.
        assert "Your next small step: " not in body
        assert body.count("Visit three bookshops") == 1
        assert "your next small step" in body.split("Visit three bookshops")[1][:120]
        assert "Ring Sam about shelving" in body
        assert "Draft the opening budget" not in body
        assert "a trip to the cinema" in body
        assert "Monday 9 March" in body
    done = [url for url in urls_in(message.body) if "/reminders/m/d/" in url]
    more = [url for url in urls_in(message.body) if "new_date=" in url]
    assert len(set(done)) == len(set(more)) == 2
    html_links = {url.replace("&amp;", "&") for url in urls_in(html)}
    assert set(done) | set(more) <= html_links


def test_a_next_step_later_in_the_week_is_named_on_its_own(planner, active_plan, clock):
    due_step(active_plan, MONDAY - dt.timedelta(days=2), title="Ring Sam about shelving")
    due_step(active_plan, MONDAY + dt.timedelta(days=3), title="Draft the opening budget")
    clock.move_to(MORNING)
    run_pass()
    sender.send_pending()
    [message] = mail.outbox
    for body in (message.body, html_of(message)):
        assert body.count("Draft the opening budget") == 1
        assert "Your next small step: " in body
        assert "your next small step" not in body.split("Ring Sam about shelving")[1][:120]


def test_more_time_opens_the_steps_reschedule_form_with_a_later_date(morning, client, planner):
    client.force_login(planner)
    sender.send_pending()
    body = mail.outbox[0].body
    # The overdue step (due Saturday 7 March): three days after today.
    url = next(u for u in urls_in(body) if "new_date=" in u and "2026-03-12" in u).removeprefix(
        "http://127.0.0.1:8000"
    )
    assert url.endswith("#reschedule-title")
    page = client.get(url.split("#")[0])
    assert page.status_code == 200
    assert 'value="2026-03-12"' in page.text
    assert "Why is it moving?" in page.text
    # The cursor waits in the reason box, even when a sign-in on the way lost the
    # link's #fragment.
    assert page.context["reschedule_form"].fields["reason"].widget.attrs["autofocus"]


def test_more_time_after_signing_in_still_opens_the_form_ready(morning, client, planner):
    sender.send_pending()
    url = next(u for u in urls_in(mail.outbox[0].body) if "new_date=2026-03-12" in u)
    path = url.removeprefix("http://127.0.0.1:8000").split("#")[0]
    login = client.get(path)
    assert login.status_code == 302
    response = client.post(
        login.url, {"login": planner.email, "password": "correct horse battery"}, follow=True
    )
    assert response.redirect_chain[-1][0] == path
    assert 'value="2026-03-12"' in response.text
    reason = re.search(r"<textarea[^>]*>", response.text.split('id="reschedule-title"')[1])
    assert 'id="id_reason"' in reason.group()
    assert "autofocus" in reason.group()


def test_a_bad_date_in_the_more_time_link_is_a_400(morning, client, planner):
    client.force_login(planner)
    step = planner.plans.get().steps.first()
    assert client.get(f"/steps/{step.code}/?new_date=99999-01-01").status_code == 400


def test_every_reminder_has_a_stable_message_id_and_its_own_one_click_unsubscribe(morning):
    sender.send_pending()
    headers = mail.outbox[0].extra_headers
    assert headers["Message-ID"] == f"<{morning.code}@127.0.0.1>"
    [unsubscribe] = urls_in(headers["List-Unsubscribe"])
    assert "/reminders/m/u/" in unsubscribe
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["Auto-Submitted"] == "auto-generated"
    assert unsubscribe in mail.outbox[0].body
    assert unsubscribe in html_of(mail.outbox[0])
    morning.refresh_from_db()
    assert (morning.state, morning.message_id) == ("sent", headers["Message-ID"])


def test_weekly_plan_shows_last_week_rewards_this_week_overdue_and_the_streak(
    planner, active_plan, clock
):
    set_reminder(planner, Kind.MORNING, enabled=False)
    clock.move_to(utc(2026, 3, 4, 10))
    done = due_step(active_plan, dt.date(2026, 3, 5), title="Read two shop leases", reward="cake")
    done.mark_done()
    for day in (4, 5, 6):
        JournalEntry.objects.write(planner, dt.date(2026, 3, day), "Wrote to a landlord.")
    due_step(active_plan, dt.date(2026, 3, 6), title="Call the bank")  # overdue by Monday
    due_step(active_plan, dt.date(2026, 3, 12), title="Visit the trade fair")
    clock.move_to(utc(2026, 3, 9, 8))
    run_pass()
    assert sender.send_pending() == {"sent": 1}
    [message] = mail.outbox
    assert message.subject == "Your week ahead: 1 step, 1 overdue · 1 done in the last 7 days"
    for body in (message.body, html_of(message)):
        assert "Read two shop leases" in body
        assert "cake" in body
        assert "Visit the trade fair, by Thursday 12 March" in body
        assert "Call the bank, was due Friday 6 March" in body
        assert "no streak running" in body  # the last entry was Friday: the run is over
        assert "your longest: 3 days" in body
        assert "/calendar/" in body


def test_weekly_plan_to_a_planner_with_no_plan_helps_them_start(planner, clock):
    clock.move_to(utc(2026, 3, 9, 8))
    run_pass()
    sender.send_pending()
    [message] = mail.outbox
    assert message.subject == "Your week ahead: time for a small step"
    assert "http://127.0.0.1:8000/plans/new/" in message.body
    assert "Start a plan" in html_of(message)


def nudge_on_tuesday(planner, clock):
    clock.move_to(utc(2026, 3, 10, 8))
    set_reminder(planner, Kind.NEXT_STEP)
    clock.move_to(utc(2026, 3, 10, 9))
    run_pass()


def test_next_step_nudge_links_straight_to_the_plans_next_question(planner, active_plan, clock):
    nudge_on_tuesday(planner, clock)
    sender.send_pending()
    [message] = mail.outbox
    assert message.subject == (
        "What's your next small step towards “I will be running my own bookshop café by June 2027”?"
    )
    tree_url = f"http://127.0.0.1:8000/plans/{active_plan.code}/tree/"
    for body in (message.body, html_of(message)):
        assert tree_url in body
        assert "Ask of your goal" in body
        assert "within the next week" in body


def test_journal_nudge_asks_what_was_achieved_today(planner, clock):
    set_reminder(planner, Kind.JOURNAL)
    clock.move_to(utc(2026, 3, 8, 20))
    run_pass()
    sender.send_pending()
    [message] = mail.outbox
    assert message.subject == "What did you achieve today, however small?"
    for body in (message.body, html_of(message)):
        assert "http://127.0.0.1:8000/journal/write/" in body


# Re-checks between the pass and the send --------------------------------------------


def test_reminder_turned_off_between_pass_and_send_is_not_sent(morning, planner):
    set_reminder(planner, Kind.MORNING, enabled=False)
    assert sender.send_pending() == {"skipped": 1}
    assert state_of(morning) == "skipped"
    assert morning.last_error == "The planner turned the Morning email off."
    assert mail.outbox == []


def test_address_no_longer_verified_gets_nothing(morning, planner):
    EmailAddress.objects.filter(user=planner).update(verified=False)
    assert sender.send_pending() == {"skipped": 1}
    state_of(morning)
    assert morning.last_error == "The planner's address is not verified."


def test_changed_address_not_yet_verified_gets_nothing(morning, planner):
    planner.email = "new@example.com"
    planner.save(update_fields=["email"])
    assert sender.send_pending() == {"skipped": 1}


def test_deactivated_account_gets_nothing(morning, planner):
    planner.is_active = False
    planner.save(update_fields=["is_active"])
    assert sender.send_pending() == {"skipped": 1}
    state_of(morning)
    assert morning.last_error == "The planner's account is deactivated."


def test_morning_email_with_every_step_done_meanwhile_is_not_sent(morning, active_plan):
    for step in active_plan.steps.open().filter(due_date__lte=MONDAY):
        step.mark_done()
    assert sender.send_pending() == {"skipped": 1}
    state_of(morning)
    assert morning.last_error == "Nothing is due or overdue any more."


def test_morning_email_held_up_until_the_next_day_is_not_sent(morning, clock):
    clock.move_to(utc(2026, 3, 10, 1, 0))
    assert sender.send_pending() == {"skipped": 1}
    state_of(morning)
    assert morning.last_error == "The day it was for is over."


def test_nudge_about_a_plan_archived_meanwhile_is_not_sent(planner, active_plan, clock):
    nudge_on_tuesday(planner, clock)
    active_plan.archive()
    assert sender.send_pending() == {"skipped": 1}


def test_nudge_about_a_plan_that_got_a_step_meanwhile_is_not_sent(planner, active_plan, clock):
    nudge_on_tuesday(planner, clock)
    active_plan.add_step("Ask the bank about a loan", MONDAY + dt.timedelta(days=2))
    assert sender.send_pending() == {"skipped": 1}
    [nudge] = rows(Kind.NEXT_STEP)
    assert nudge.last_error == "The plan has a step dated in the next seven days now."


def test_journal_nudge_after_writing_is_not_sent(planner, clock):
    set_reminder(planner, Kind.JOURNAL)
    clock.move_to(utc(2026, 3, 8, 20))
    run_pass()
    JournalEntry.objects.write(planner, dt.date(2026, 3, 8), "Found a shop to let.")
    assert sender.send_pending() == {"skipped": 1}


def test_weekly_plan_after_archiving_every_plan_is_not_sent(planner, active_plan, clock):
    clock.move_to(utc(2026, 3, 9, 8))
    run_pass()
    active_plan.archive()
    assert sender.send_pending() == {"skipped": 1}


def test_the_email_sender_leaves_push_rows_to_the_push_sender(morning, planner):
    Notification.objects.create(
        kind=Kind.MORNING, user=planner, key="push-row", channel="push", payload=morning.payload
    )
    assert sender.send_pending() == {"sent": 1}
    assert Notification.objects.get(key="push-row").state == "pending"


# The row itself ---------------------------------------------------------------------


def test_a_row_goes_to_exactly_one_of_a_buddy_and_the_planner(planner):
    from tests.buddies.conftest import make_buddyship

    buddyship = make_buddyship(planner, [PlanFactory(owner=planner)])
    for recipients in ({}, {"user": planner, "buddyship": buddyship}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Notification.objects.create(kind="morning", key="k", **recipients)


def test_one_reminder_per_kind_planner_and_key(planner):
    Notification.objects.create(kind="morning", user=planner, key="2026-03-09")
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(kind="morning", user=planner, key="2026-03-09")
    Notification.objects.create(kind="journal", user=planner, key="2026-03-09")


def test_a_planner_row_reads_as_its_recipient(morning):
    assert str(morning) == "Morning reminder to olivia@example.com (pending)"
