"""The outbox sender: every branch of claiming, re-checking, sending and recording."""

import datetime as dt
import smtplib
from email.utils import parseaddr

import pytest
from django.core import mail
from django.db import OperationalError

from buddies.models import Buddyship, Notification
from buddies.outbox import rows, sender, sweep
from buddies.tasks import send_notifications
from careerplan.celery import app as celery_app
from tests.buddies.conftest import make_buddyship, make_link
from tests.buddies.pipeline import (
    AFTER,
    CountingBackend,
    FailingBackend,
    html_of,
    make_step,
    urls_in,
    use_backend,
)


@pytest.fixture
def checkup(step, buddyship, clock):
    assert sweep.sweep_checkups() == 1
    return Notification.objects.get(kind=Notification.Kind.CHECKUP)


def state_of(notification):
    notification.refresh_from_db()
    return notification.state


# The message ------------------------------------------------------------------------


def test_checkup_email_names_buddy_planner_step_and_date_in_both_bodies(checkup):
    assert sender.send_pending() == {"sent": 1}
    [message] = mail.outbox
    assert message.subject == "Check-up: how did Olivia Owner get on with “Visit three bookshops”?"
    assert message.to == ["Bea Buddy <bea@example.com>"]
    assert message.from_email == "Olivia Owner via careerplan <careerplan@localhost>"
    html = html_of(message)
    for body in (message.body, html):
        assert "Hello Bea Buddy," in body
        assert "Visit three bookshops" in body
        assert "Tuesday 10 March 2026" in body
        assert "I will be running my own bookshop café by June 2027" in body
        assert "Ask how it went" in body
        assert "Send a cheer" in body
        assert "Confirm it" in body


def test_a_buddy_with_an_account_is_greeted_by_their_own_name(checkup, buddyship):
    """The planner may know them as "Bea from work"; the email uses Bea's own name."""
    Buddyship.objects.filter(pk=buddyship.pk).update(name="Bea from work")
    sender.send_pending()
    [message] = mail.outbox
    assert message.to == ["Bea Buddy <bea@example.com>"]
    for body in (message.body, html_of(message)):
        assert "Hello Bea Buddy," in body
        assert "Bea from work" not in body


def test_checkup_email_never_shows_the_planners_address(checkup):
    sender.send_pending()
    raw = mail.outbox[0].message().as_string()
    assert "olivia@example.com" not in raw
    assert "olivia@example.com" not in html_of(mail.outbox[0])


def test_checkup_email_has_a_stable_message_id_and_one_click_unsubscribe(checkup):
    sender.send_pending()
    headers = mail.outbox[0].extra_headers
    assert headers["Message-ID"] == f"<{checkup.code}@127.0.0.1>"
    unsubscribe = urls_in(headers["List-Unsubscribe"])
    assert len(unsubscribe) == 1
    assert "/buddies/m/u/" in unsubscribe[0]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["Auto-Submitted"] == "auto-generated"
    checkup.refresh_from_db()
    assert checkup.message_id == headers["Message-ID"]
    # Both bodies carry the same unsubscribe link as the header.
    assert unsubscribe[0] in mail.outbox[0].body
    assert unsubscribe[0] in html_of(mail.outbox[0])


def test_checkup_email_links_are_three_signed_answers_progress_and_unsubscribe(checkup, buddyship):
    sender.send_pending()
    text_links = urls_in(mail.outbox[0].body)
    answers = [url for url in text_links if "/buddies/m/a/" in url]
    assert len(set(answers)) == 3
    assert f"http://127.0.0.1:8000/buddies/b/{buddyship.code}/" in text_links
    html_links = {url.replace("&amp;", "&") for url in urls_in(html_of(mail.outbox[0]))}
    assert set(answers) <= html_links


def test_sent_row_records_when_and_keeps_no_secret(checkup, clock):
    Notification.objects.filter(pk=checkup.pk).update(payload={"secret": "s3cret", "kept": 1})
    sender.send_pending()
    checkup.refresh_from_db()
    assert (checkup.state, checkup.sent_at, checkup.attempts) == ("sent", AFTER, 1)
    assert checkup.payload == {"kept": 1}
    assert checkup.lease_until is None


# Re-checks between the sweep and the send ---------------------------------------------


def test_step_done_between_sweep_and_send_sends_no_checkup(checkup, step):
    step.mark_done()
    sender.send_pending()
    assert state_of(checkup) == Notification.State.SKIPPED
    assert checkup.last_error == "The step is done."
    assert not any(
        m.extra_headers["Message-ID"] == f"<{checkup.code}@127.0.0.1>" for m in mail.outbox
    )


def test_step_dropped_between_sweep_and_send_sends_no_checkup(checkup, step):
    step.mark_dropped("No longer needed")
    sender.send_pending()
    assert state_of(checkup) == Notification.State.SKIPPED
    assert mail.outbox == []


def test_step_rescheduled_between_sweep_and_send_sends_no_checkup_for_the_old_date(checkup, step):
    step.reschedule(dt.date(2026, 3, 20), "The shop was closed")
    sender.send_pending()
    assert state_of(checkup) == Notification.State.SKIPPED
    assert checkup.last_error == "The step has a new date."
    assert mail.outbox == []


def test_buddy_revoked_between_sweep_and_send_gets_no_checkup(checkup, buddyship):
    buddyship.revoke()
    sender.send_pending()
    assert state_of(checkup) == Notification.State.SKIPPED
    assert checkup.last_error == "The buddyship is revoked."
    assert mail.outbox == []


def test_buddy_who_left_between_sweep_and_send_gets_no_checkup(checkup, buddyship):
    buddyship.leave()
    sender.send_pending()
    assert state_of(checkup) == Notification.State.SKIPPED
    # The only email is the planner's: their buddy has stopped.
    assert [m.subject for m in mail.outbox] == ["Bea Buddy is no longer your buddy"]
    assert mail.outbox[0].to == ["Olivia Owner <olivia@example.com>"]


def test_buddy_unsubscribed_between_sweep_and_send_gets_no_checkup(checkup, buddyship, clock):
    Buddyship.objects.filter(pk=buddyship.pk).update(unsubscribed=AFTER)
    sender.send_pending()
    assert state_of(checkup) == Notification.State.SKIPPED
    assert checkup.last_error == "The buddy unsubscribed."


def test_plan_unshared_between_sweep_and_send_sends_no_checkup(checkup, buddyship):
    buddyship.plans.clear()
    sender.send_pending()
    assert state_of(checkup) == Notification.State.SKIPPED
    assert mail.outbox == []


# Failures -----------------------------------------------------------------------------


def test_unreachable_server_puts_the_row_back_with_backoff(checkup, settings, clock):
    use_backend(settings, "UnreachableBackend")
    assert sender.send_pending() == {"retry": 1}
    checkup.refresh_from_db()
    assert checkup.state == Notification.State.PENDING
    assert checkup.attempts == 1
    assert checkup.next_attempt == AFTER + dt.timedelta(minutes=1)
    assert "Connection refused" in checkup.last_error
    assert checkup.message_id == ""

    # Not before its time; then 2, 4 ... minutes apart.
    assert sender.send_pending() == {}
    clock.shift(dt.timedelta(minutes=1))
    assert sender.send_pending() == {"retry": 1}
    checkup.refresh_from_db()
    assert checkup.attempts == 2
    assert checkup.next_attempt == AFTER + dt.timedelta(minutes=3)

    # The server comes back: the row is sent once.
    use_backend(settings, "CountingBackend")
    clock.shift(dt.timedelta(minutes=2))
    assert sender.send_pending() == {"sent": 1}
    assert state_of(checkup) == Notification.State.SENT
    assert len(mail.outbox) == 1


def test_unreachable_server_stops_the_batch_instead_of_trying_every_row(
    step, buddyship, plan, owner, settings, clock
):
    make_buddyship(owner, [plan], email="second@example.com", name="Second Buddy")
    sweep.sweep_checkups()
    use_backend(settings, "UnreachableBackend")
    assert sender.send_pending() == {"retry": 1}
    assert Notification.objects.filter(state=Notification.State.PENDING, attempts=0).count() == 1


def test_row_fails_after_the_last_attempt(checkup, settings, clock):
    use_backend(settings, "UnreachableBackend")
    for _ in range(sender.MAX_ATTEMPTS - 1):
        assert sender.send_pending() == {"retry": 1}
        clock.shift(sender.MAX_BACKOFF)
    assert sender.send_pending() == {"retry": 1}
    checkup.refresh_from_db()
    assert (checkup.state, checkup.attempts) == (Notification.State.FAILED, sender.MAX_ATTEMPTS)
    clock.shift(sender.MAX_BACKOFF)
    assert sender.send_pending() == {}


def test_temporary_refusal_retries_later(checkup, settings, clock):
    use_backend(settings, "FailingBackend")
    FailingBackend.error = smtplib.SMTPDataError(451, b"Try again later")
    assert sender.send_pending() == {"retry-refused": 1}
    checkup.refresh_from_db()
    # Refused: nothing was taken, so the row is not counted as maybe delivered.
    assert (checkup.state, checkup.handed_over) == (Notification.State.PENDING, None)
    assert checkup.next_attempt == AFTER + dt.timedelta(minutes=1)
    assert not Notification.objects.maybe_delivered().exists()


def test_permanent_refusal_fails_the_row(checkup, settings):
    use_backend(settings, "FailingBackend")
    FailingBackend.error = smtplib.SMTPRecipientsRefused(
        {"bea@example.com": (550, b"No such user")}
    )
    assert sender.send_pending() == {"failed": 1}
    checkup.refresh_from_db()
    assert checkup.state == Notification.State.FAILED
    assert "No such user" in checkup.last_error


# An unknown outcome: sent again with the same Message-ID, a bounded number of times ----


def message_ids():
    return [message.extra_headers["Message-ID"] for message in mail.outbox]


def test_connection_broken_mid_message_is_sent_again_with_the_same_message_id(
    checkup, settings, clock
):
    use_backend(settings, "TakenThenBrokenBackend")
    assert sender.send_pending() == {"resend": 1}
    checkup.refresh_from_db()
    assert (checkup.state, checkup.resends, checkup.handed_over) == ("pending", 1, None)
    assert checkup.next_attempt == AFTER + dt.timedelta(minutes=1)
    assert "The connection broke during hand-over" in checkup.last_error
    # It may have reached the buddy: the step's answer will go to them.
    assert list(Notification.objects.maybe_delivered()) == [checkup]

    use_backend(settings, "CountingBackend")
    assert sender.send_pending() == {}  # not before its back-off
    clock.shift(dt.timedelta(minutes=1))
    assert sender.send_pending() == {"sent": 1}
    assert message_ids() == [f"<{checkup.code}@127.0.0.1>"] * 2
    assert state_of(checkup) == Notification.State.SENT


def test_an_outcome_unknown_every_time_is_sent_at_most_max_resends_more_times(
    checkup, settings, clock
):
    use_backend(settings, "TakenThenBrokenBackend")
    for _ in range(sender.MAX_RESENDS):
        assert sender.send_pending() == {"resend": 1}
        clock.shift(sender.MAX_BACKOFF)
    assert sender.send_pending() == {"ambiguous": 1}
    checkup.refresh_from_db()
    assert (checkup.state, checkup.resends) == (Notification.State.AMBIGUOUS, sender.MAX_RESENDS)
    assert "No resends left" in checkup.last_error
    assert message_ids() == [f"<{checkup.code}@127.0.0.1>"] * (1 + sender.MAX_RESENDS)

    clock.shift(dt.timedelta(hours=2))
    assert sweep.recover_stale() == {"back": 0, "resent": 0, "ambiguous": 0, "failed": 0}
    assert sender.send_pending() == {}


def test_sender_dead_after_hand_over_sends_again_with_the_same_message_id(checkup, clock):
    # A worker killed during SMTP DATA leaves the hand-over mark under its lease.
    claimed = sender.claim_next(AFTER)
    message, outcome = sender.decide_and_mark(claimed)
    assert outcome == "ready"
    clock.shift(dt.timedelta(minutes=4))
    assert sweep.recover_stale()["resent"] == 0
    assert state_of(checkup) == Notification.State.SENDING  # the lease still holds

    clock.shift(dt.timedelta(minutes=2))
    assert sweep.recover_stale() == {"back": 0, "resent": 1, "ambiguous": 0, "failed": 0}
    checkup.refresh_from_db()
    assert (checkup.state, checkup.resends) == (Notification.State.PENDING, 1)
    assert sender.send_pending() == {"sent": 1}
    assert message_ids() == [message.extra_headers["Message-ID"]]
    assert state_of(checkup) == Notification.State.SENT


def test_sender_dead_after_hand_over_every_time_leaves_an_ambiguous_row(checkup, clock):
    for _ in range(sender.MAX_RESENDS + 1):
        claimed = sender.claim_next(dt.datetime.now(tz=dt.UTC))
        assert sender.decide_and_mark(claimed)[1] == "ready"
        clock.shift(dt.timedelta(minutes=6))
        sweep.recover_stale()
    checkup.refresh_from_db()
    assert (checkup.state, checkup.resends) == (Notification.State.AMBIGUOUS, sender.MAX_RESENDS)
    assert "The sender stopped after handing the message over" in checkup.last_error
    assert sender.send_pending() == {}


def test_a_resend_no_longer_wanted_is_skipped(checkup, step, settings, clock):
    use_backend(settings, "TakenThenBrokenBackend")
    assert sender.send_pending() == {"resend": 1}
    step.mark_done()
    # Past the retry's back-off and the answer's wait for an Undo.
    clock.shift(max(dt.timedelta(minutes=1), settings.OUTBOX_CHANGE_OF_MIND))
    use_backend(settings, "CountingBackend")
    # The answer ("done") goes, since the check-up may have arrived; the check-up does not.
    assert sender.send_pending() == {"skipped": 1, "sent": 1}
    assert state_of(checkup) == Notification.State.SKIPPED
    assert mail.outbox[-1].subject.startswith("Olivia Owner has done it")


def test_sender_dead_before_hand_over_leaves_a_row_sent_later(checkup, clock):
    sender.claim_next(AFTER)
    clock.shift(dt.timedelta(minutes=6))
    assert sweep.recover_stale() == {"back": 1, "resent": 0, "ambiguous": 0, "failed": 0}
    assert state_of(checkup) == Notification.State.PENDING
    assert sender.send_pending() == {"sent": 1}
    checkup.refresh_from_db()
    assert (checkup.state, checkup.attempts, checkup.resends) == (Notification.State.SENT, 2, 0)
    assert len(mail.outbox) == 1


def test_a_sender_whose_lease_was_taken_over_sends_nothing(checkup, clock):
    claimed = sender.claim_next(AFTER)
    # The lease ran out and another sender claimed the row again.
    clock.shift(dt.timedelta(minutes=6))
    sweep.recover_stale()
    again = sender.claim_next(AFTER + dt.timedelta(minutes=6))
    assert again.attempts == claimed.attempts + 1
    assert sender.send_one(claimed, None)[1] == "lost-lease"
    assert mail.outbox == []
    assert sender.send_one(again, None)[1] == "sent"
    assert len(mail.outbox) == 1


def test_a_decision_the_database_ends_puts_the_row_back_untouched(checkup, monkeypatch):
    def deadlock(notification):
        raise OperationalError("deadlock detected")

    monkeypatch.setattr(sender, "read_for_decision", deadlock)
    assert sender.send_pending(limit=1) == {"released": 1}
    checkup.refresh_from_db()
    assert (checkup.state, checkup.attempts, checkup.handed_over) == ("pending", 0, None)
    monkeypatch.undo()
    assert sender.send_pending() == {"sent": 1}


def test_two_senders_never_claim_the_same_row(checkup):
    assert sender.claim_next(AFTER).pk == checkup.pk
    assert sender.claim_next(AFTER) is None


def test_one_connection_serves_a_batch(step, buddyship, plan, settings, clock):
    for n in range(3):
        make_step(plan, title=f"Step {n}")
    sweep.sweep_checkups()
    use_backend(settings, "CountingBackend")
    CountingBackend.opened = 0
    assert sender.send_pending() == {"sent": 4}
    assert CountingBackend.opened == 1
    assert len(mail.outbox) == 4


def test_batch_stops_at_its_limit_and_the_task_continues_in_a_new_one(
    step, plan, buddyship, monkeypatch, send_requests, clock
):
    make_step(plan, title="Another step")
    sweep.sweep_checkups()
    assert sender.send_pending(limit=1) == {"sent": 1}
    monkeypatch.setattr("buddies.tasks.SEND_BATCH", 1)
    assert send_notifications() == {"sent": 1}
    assert send_requests == [rows.SEND_TASK]


def test_a_full_batch_ends_its_task_even_when_the_broker_is_down(
    step, plan, buddyship, monkeypatch, refusing_broker, clock
):
    sweep.sweep_checkups()
    monkeypatch.setattr("buddies.tasks.SEND_BATCH", 1)
    assert send_notifications() == {"sent": 1}
    assert refusing_broker == [rows.SEND_TASK]


# Enqueue ------------------------------------------------------------------------------


def test_enqueue_twice_writes_one_row_and_asks_for_one_send(
    buddyship, step, send_requests, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = rows.enqueue(Notification.Kind.CELEBRATION, buddyship, "k1", step=step)
        second = rows.enqueue(Notification.Kind.CELEBRATION, buddyship, "k1", step=step)
    assert first.pk == second.pk
    assert Notification.objects.count() == 1
    assert send_requests == ["buddies.tasks.send_notifications"]


def test_the_send_asked_for_by_name_is_the_send_task():
    assert send_notifications.name == rows.SEND_TASK
    assert rows.SEND_TASK in celery_app.tasks


def test_enqueue_asks_for_no_send_before_the_transaction_commits(
    buddyship, step, send_requests, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rows.enqueue(Notification.Kind.CELEBRATION, buddyship, "k1", step=step)
    assert send_requests == []
    assert len(callbacks) == 1


def test_enqueue_survives_a_broker_that_cannot_be_reached(
    buddyship, step, refusing_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        row = rows.enqueue(Notification.Kind.CELEBRATION, buddyship, "k1", step=step)
    assert state_of(row) == Notification.State.PENDING


def test_enqueue_for_later_asks_for_no_send_now(
    buddyship, step, send_requests, django_capture_on_commit_callbacks, clock
):
    with django_capture_on_commit_callbacks(execute=True):
        rows.enqueue(
            Notification.Kind.CELEBRATION,
            buddyship,
            "k1",
            step=step,
            not_before=AFTER + dt.timedelta(minutes=5),
        )
    assert send_requests == []
    assert sender.send_pending() == {}


# Emails a person asked for ----------------------------------------------------------------


def test_an_invitation_sent_again_before_the_first_went_sends_only_the_new_link(owner, plan):
    invited = make_buddyship(
        owner, [plan], email="ivy@example.com", name="Ivy", status=Buddyship.Status.INVITED
    )
    invited.issue_invitation()
    first = Notification.objects.get()
    invited.issue_invitation()
    assert sender.send_pending() == {"skipped": 1, "sent": 1}
    assert state_of(first) == Notification.State.SKIPPED
    [message] = mail.outbox
    assert message.to == ["Ivy <ivy@example.com>"]
    # Neither row keeps the raw token once it is done with.
    assert all("secret" not in row.payload for row in Notification.objects.filter(state="sent"))


def test_an_invitation_sent_again_to_an_address_that_unsubscribed_is_not_sent(owner, plan, clock):
    invited = make_buddyship(
        owner,
        [plan],
        email="ivy@example.com",
        name="Ivy",
        status=Buddyship.Status.INVITED,
        unsubscribed=AFTER,
    )
    invited.issue_invitation()
    assert sender.send_pending() == {"skipped": 1}
    assert mail.outbox == []


def test_a_private_link_the_buddy_asked_for_goes_even_after_unsubscribing(buddyship, clock):
    Buddyship.objects.filter(pk=buddyship.pk).update(unsubscribed=AFTER)
    buddyship.refresh_from_db()
    buddyship.new_link()
    assert sender.send_pending() == {"sent": 1}


def test_a_private_link_rotated_before_its_email_went_is_not_sent(buddyship):
    buddyship.new_link()
    buddyship.new_link()
    assert sender.send_pending() == {"skipped": 1, "sent": 1}
    assert Notification.objects.get(state="skipped").last_error == (
        "The private link was rotated or revoked."
    )


def test_a_name_cannot_inject_a_header(owner, plan, step, clock):
    make_buddyship(owner, [plan], email="bea@example.com", name="Bea\r\nBcc: eve@example.com")
    owner.display_name = "Olivia\nBcc: eve@example.com"
    owner.save(update_fields=["display_name"])
    sweep.sweep_checkups()
    assert sender.send_pending() == {"sent": 1}
    raw = mail.outbox[0].message()
    assert raw["Bcc"] is None
    assert [parseaddr(r)[1] for r in mail.outbox[0].recipients()] == ["bea@example.com"]
    assert "\n" not in raw["To"]
    assert "\n" not in raw["From"]
    assert "\n" not in mail.outbox[0].subject


def test_a_malformed_row_fails_alone_and_the_batch_goes_on(buddyship, step, clock):
    rows.enqueue(
        Notification.Kind.ANSWER,
        buddyship,
        "k",
        step=step,
        payload={"outcome": "rescheduled", "old_date": "10/03/2026"},
    )
    sweep.sweep_checkups()
    assert sender.send_pending() == {"failed": 1, "sent": 1}
    assert "Invalid isoformat string" in Notification.objects.get(state="failed").last_error


@pytest.mark.parametrize("follower", [False, True])
@pytest.mark.parametrize("steps", [3, 30])
def test_sending_costs_a_fixed_number_of_queries_per_group_of_emails(
    owner, plan, buddy, clock, steps, follower, monkeypatch, django_assert_max_num_queries
):
    # A buddy with an account, or one following by a private link (whose emails say
    # whether that link is still live: read with the group, not once per email).
    buddyship = make_buddyship(owner, [plan], user=None if follower else buddy)
    if follower:
        make_link(buddyship)
    for n in range(steps):
        make_step(plan, title=f"Step {n}")
    sweep.sweep_checkups()
    # A fast mail server: after the first email (its pace unknown), each claim is one group.
    monkeypatch.setattr(sender, "DECIDE_AHEAD", 3600)
    # Per claim: lock and claim (in a savepoint) and one read. Per group decided
    # together, in a savepoint: the rows, their plans, steps, accounts, buddyships and
    # shares, locked, and the hand-over marks; then the records (in a savepoint, with SET
    # LOCAL on PostgreSQL). Once per task: the outcomes counted.
    claims = -(-steps // sender.EMAIL_CLAIM_BATCH) + 1
    groups = claims  # the first email alone, then one per full claim
    with django_assert_max_num_queries(claims * 5 + groups * 13 + 3):
        assert sender.send_pending() == {"sent": steps}


# Groups: rows decided and marked together ----------------------------------------------


@pytest.mark.parametrize(("pace", "size"), [(None, 1), (0.001, 10), (0.05, 5), (0.2, 1), (3.0, 1)])
def test_a_group_is_what_the_server_takes_in_a_quarter_second_at_its_last_pace(pace, size):
    assert sender.group_size(pace, 10) == size


@pytest.fixture
def fast_server(monkeypatch):
    """A mail server so fast that every claim after the first email is one group."""
    monkeypatch.setattr(sender, "DECIDE_AHEAD", 3600)


def five_checkups(plan):
    steps = [make_step(plan, title=f"Step {n}") for n in range(5)]
    assert sweep.sweep_checkups() == 5
    return steps


def test_a_group_skips_fails_and_sends_each_row_on_its_own_merits(
    plan, buddyship, clock, fast_server, settings
):
    settings.OUTBOX_CHANGE_OF_MIND = dt.timedelta(0)  # the celebration goes at once
    steps = five_checkups(plan)
    steps[2].mark_done()
    rows.enqueue(
        Notification.Kind.ANSWER,
        buddyship,
        "k",
        step=steps[3],
        payload={"outcome": "rescheduled", "old_date": "10/03/2026"},
    )
    Notification.objects.filter(kind=Notification.Kind.CHECKUP, step=steps[4]).update(
        payload={"secret": "s3cret", "kept": 1}
    )
    # The celebration of step 2 too: seven rows, the first alone, then a group of six.
    assert sender.send_pending() == {"sent": 5, "skipped": 1, "failed": 1}
    skipped = Notification.objects.get(state=Notification.State.SKIPPED)
    assert (skipped.step, skipped.last_error, skipped.handed_over) == (
        steps[2],
        "The step is done.",
        None,
    )
    assert "Invalid isoformat string" in Notification.objects.get(state="failed").last_error
    sent = Notification.objects.filter(state=Notification.State.SENT)
    assert {row.message_id for row in sent} == {f"<{row.code}@127.0.0.1>" for row in sent}
    assert sorted(message_ids()) == sorted(row.message_id for row in sent)
    assert all(row.sent_at == AFTER and row.lease_until is None for row in sent)
    assert sent.get(step=steps[4], kind=Notification.Kind.CHECKUP).payload == {"kept": 1}


def test_a_group_the_database_cannot_decide_together_is_decided_row_by_row(
    plan, buddyship, clock, fast_server, monkeypatch
):
    five_checkups(plan)
    read_for_decision = sender.read_for_decision

    def deadlock_on_groups(claimed):
        if len(claimed) > 1:
            raise OperationalError("deadlock detected")
        return read_for_decision(claimed)

    monkeypatch.setattr(sender, "read_for_decision", deadlock_on_groups)
    assert sender.send_pending() == {"sent": 5}


class BrokenOnceBackend(CountingBackend):
    """Takes the second message, then the connection breaks before its answer; a new
    connection works."""

    messages = 0

    def send_messages(self, messages):
        BrokenOnceBackend.messages += 1
        super().send_messages(messages)
        if BrokenOnceBackend.messages == 2:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return 1


def test_a_connection_broken_in_a_group_is_opened_again_for_the_rest(
    plan, buddyship, clock, fast_server, settings
):
    five_checkups(plan)
    BrokenOnceBackend.messages = 0
    settings.MAILERS = {"default": {"BACKEND": "tests.buddies.test_outbox.BrokenOnceBackend"}}
    CountingBackend.opened = 0
    assert sender.send_pending() == {"sent": 4, "resend": 1}
    assert CountingBackend.opened == 2
    resent = Notification.objects.get(state=Notification.State.PENDING)
    assert (resent.resends, resent.handed_over) == (1, None)


class GoneAfterOneBackend(CountingBackend):
    """Takes one message and breaks; then cannot be reached."""

    def open(self):
        if CountingBackend.opened:
            raise ConnectionRefusedError(111, "Connection refused")
        return super().open()

    def send_messages(self, messages):
        super().send_messages(messages)
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_rows_marked_in_a_group_whose_server_went_away_wait_and_are_not_maybe_delivered(
    plan, buddyship, clock, fast_server, monkeypatch, settings
):
    five_checkups(plan)
    monkeypatch.setattr(sender, "group_size", lambda pace, claimed: claimed)
    settings.MAILERS = {"default": {"BACKEND": "tests.buddies.test_outbox.GoneAfterOneBackend"}}
    CountingBackend.opened = 0
    assert sender.send_pending() == {"resend": 1, "retry": 4}
    waiting = Notification.objects.filter(state=Notification.State.PENDING, resends=0)
    assert waiting.count() == 4
    assert not waiting.filter(handed_over__isnull=False).exists()
    assert all(row.next_attempt == AFTER + dt.timedelta(minutes=1) for row in waiting)
    assert Notification.objects.maybe_delivered().filter(state="pending").count() == 1


def test_a_row_whose_sender_dies_every_time_fails_after_the_last_attempt(checkup, clock):
    for _ in range(sender.MAX_ATTEMPTS):
        assert sender.claim_next(dt.datetime.now(tz=dt.UTC)) is not None
        clock.shift(dt.timedelta(minutes=6))
        sweep.recover_stale()
    checkup.refresh_from_db()
    assert (checkup.state, checkup.attempts) == (Notification.State.FAILED, sender.MAX_ATTEMPTS)
    assert sender.send_pending() == {}
