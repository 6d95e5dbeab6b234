"""Step changes become buddy emails: commitments gathered into one, celebrations, the
planner's answer to a check-up, and the weekly digest."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import transaction

from buddies.models import Buddyship, Notification
from buddies.outbox import digests, kinds, sender, sweep
from tests.buddies.conftest import make_buddyship, make_link
from tests.buddies.pipeline import (
    AFTER,
    DUE,
    MADE,
    html_of,
    make_step,
)


@pytest.fixture
def clock():
    with time_machine.travel(MADE, tick=False) as traveller:
        yield traveller


def rows(kind):
    return Notification.objects.filter(kind=kind)


def bodies(message):
    return (message.body, html_of(message))


# Commitments ----------------------------------------------------------------------------


def test_a_burst_of_commitments_is_one_email(plan, buddyship, clock):
    plan.add_step("Visit three bookshops", DUE)
    clock.shift(dt.timedelta(minutes=2))
    plan.add_step("Ask Ana about her café", DUE + dt.timedelta(days=2))
    clock.shift(dt.timedelta(minutes=2))
    plan.add_step("Price a shop lease", DUE + dt.timedelta(days=5))
    plan.add_step("An idea to break down later")  # undated: not a commitment

    [row] = rows(Notification.Kind.COMMITMENT)
    assert len(row.payload["steps"]) == 3
    assert sender.send_pending() == {}  # still gathering

    clock.shift(dt.timedelta(minutes=1))
    assert sender.send_pending() == {"sent": 1}
    [message] = mail.outbox
    assert message.subject == "Olivia Owner has committed to 3 new steps"
    for body in bodies(message):
        assert body.index("Visit three bookshops") < body.index("Ask Ana about her café")
        assert body.index("Ask Ana about her café") < body.index("Price a shop lease")
        assert "Tuesday 10 March 2026" in body
        assert "An idea to break down later" not in body
        assert "Send a cheer" in body
        assert "Ask how it went" not in body


def test_the_planner_is_told_who_hears_of_a_commitment_and_only_then(plan, buddyship, clock):
    from plans.models import commitment_notice

    told = plan.add_step("Visit three bookshops", DUE)
    assert told.buddies_told == 1
    assert commitment_notice(told) == (
        "Your buddy hears about it in one email within about five minutes."
    )
    buddyship.revoke()
    alone = plan.add_step("Ask Ana about her café", DUE)
    assert alone.buddies_told == 0
    assert commitment_notice(alone) == ""


def test_the_grow_sheet_and_tree_promise_a_buddy_only_when_there_is_one(
    plan, buddyship, owner_client
):
    from plans.models import GrowSession

    session = GrowSession.objects.create(plan=plan, number=1)
    pages = [f"/grow/{session.code}/", f"/plans/{plan.code}/tree/"]
    promises = ["Your buddy gets one email", "your buddy hears about it"]
    for url, promise in zip(pages, promises, strict=True):
        assert promise in owner_client.get(url).text, url
    buddyship.revoke()
    for url, promise in zip(pages, promises, strict=True):
        assert promise not in owner_client.get(url).text, url


def test_a_commitment_after_the_email_went_starts_a_new_one(plan, buddyship, clock):
    plan.add_step("Visit three bookshops", DUE)
    clock.shift(dt.timedelta(minutes=5))
    sender.send_pending()
    plan.add_step("Price a shop lease", DUE)
    clock.shift(dt.timedelta(minutes=5))
    assert sender.send_pending() == {"sent": 1}
    assert [m.subject for m in mail.outbox] == ["Olivia Owner has committed to a new step"] * 2
    assert "Price a shop lease" in mail.outbox[1].body
    assert "Visit three bookshops" not in mail.outbox[1].body


def test_a_commitment_while_the_email_is_being_sent_starts_a_new_one(plan, buddyship, clock):
    plan.add_step("Visit three bookshops", DUE)
    clock.shift(dt.timedelta(minutes=5))
    claimed = sender.claim_next(dt.datetime.now(tz=dt.UTC))
    plan.add_step("Price a shop lease", DUE)
    claimed.refresh_from_db()
    assert len(claimed.payload["steps"]) == 1
    assert rows(Notification.Kind.COMMITMENT).count() == 2


def test_commitment_email_leaves_out_steps_closed_before_it_went(plan, buddyship, clock):
    plan.add_step("Visit three bookshops", DUE)
    plan.add_step("Price a shop lease", DUE).mark_dropped("Too early")
    clock.shift(dt.timedelta(minutes=5))
    sender.send_pending()
    assert mail.outbox[0].subject == "Olivia Owner has committed to a new step"
    assert "Price a shop lease" not in mail.outbox[0].body


def test_commitment_email_with_nothing_left_to_tell_is_skipped(plan, buddyship, clock):
    plan.add_step("Visit three bookshops", DUE).mark_dropped("Too early")
    clock.shift(dt.timedelta(minutes=5))
    assert sender.send_pending() == {"skipped": 1}
    assert mail.outbox == []


def test_every_buddy_of_the_plan_is_told_and_no_one_else(owner, plan, buddyship, clock):
    second = make_buddyship(owner, [plan], email="two@example.com", name="Two")
    make_buddyship(owner, [], email="none@example.com", name="Not sharing")
    make_buddyship(owner, [plan], email="u@example.com", name="Unsubscribed", unsubscribed=MADE)
    plan.add_step("Visit three bookshops", DUE)
    assert set(rows(Notification.Kind.COMMITMENT).values_list("buddyship", flat=True)) == {
        buddyship.pk,
        second.pk,
    }


def test_a_commitment_rolled_back_writes_no_email(plan, buddyship, clock):
    def commit_then_fail():
        with transaction.atomic():
            plan.add_step("Visit three bookshops", DUE)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        commit_then_fail()
    assert not Notification.objects.exists()


# Celebrations ---------------------------------------------------------------------------


def after_a_change_of_mind(clock):
    """Move on past the wait that lets an Undo take a celebration or answer back."""
    clock.shift(settings.OUTBOX_CHANGE_OF_MIND)


def test_a_done_step_is_celebrated(plan, buddyship, clock):
    step = make_step(plan, reward="a trip to the cinema")
    step.mark_done()
    after_a_change_of_mind(clock)
    assert sender.send_pending() == {"sent": 1}
    [message] = mail.outbox
    assert message.subject == "Olivia Owner did it: “Visit three bookshops”"
    for body in bodies(message):
        assert "Tuesday 10 March 2026" in body
        assert "a trip to the cinema" in body
        assert "Send a cheer" in body


def test_a_celebration_carries_the_planners_words(plan, buddyship, clock):
    make_step(plan).mark_done(note="Two shops offered me a shift")
    assert rows(Notification.Kind.CELEBRATION).get().payload == {
        "reason": "Two shops offered me a shift"
    }
    after_a_change_of_mind(clock)
    sender.send_pending()
    [message] = mail.outbox
    for body in bodies(message):
        assert "In their words: Two shops offered me a shift" in body


def test_a_celebration_without_words_says_nothing_of_them(plan, buddyship, clock):
    make_step(plan).mark_done()
    after_a_change_of_mind(clock)
    sender.send_pending()
    [message] = mail.outbox
    for body in bodies(message):
        assert "In their words" not in body


def test_a_buddy_with_an_account_gets_a_link_to_the_progress_page(plan, buddyship, clock):
    make_step(plan).mark_done()
    after_a_change_of_mind(clock)
    sender.send_pending()
    [message] = mail.outbox
    for body in bodies(message):
        assert f"/buddies/b/{buddyship.code}/" in body
        assert "the private link we sent you" not in body


def test_a_link_only_buddy_is_pointed_to_their_private_link(owner, plan, clock):
    follower = make_buddyship(owner, [plan])
    make_link(follower)
    make_step(plan).mark_done()
    after_a_change_of_mind(clock)
    sender.send_pending()
    [message] = mail.outbox
    said = "See Olivia Owner{q}s progress with the private link we sent you, in the email"
    assert message.body.count(said.format(q="'")) == 1
    assert said.format(q="\u2019") in html_of(message)
    # Where to find it, and what to do without it.
    assert "Your private link to Olivia Owner's progress" in message.body
    assert "Lost it? Ask Olivia Owner to send you a new one." in message.body


def test_a_buddy_can_turn_celebrations_off(plan, buddyship, clock):
    Buddyship.objects.filter(pk=buddyship.pk).update(celebrations=False)
    make_step(plan).mark_done()
    assert not Notification.objects.exists()


def test_celebrations_turned_off_before_the_send_are_skipped(plan, buddyship, clock):
    make_step(plan).mark_done()
    Buddyship.objects.filter(pk=buddyship.pk).update(celebrations=False)
    after_a_change_of_mind(clock)
    assert sender.send_pending() == {"skipped": 1}


def test_done_undone_and_done_again_is_one_celebration(plan, buddyship, clock):
    step = make_step(plan)
    step.mark_done()
    after_a_change_of_mind(clock)
    sender.send_pending()
    step.mark_open()
    step.mark_done()
    after_a_change_of_mind(clock)
    assert sender.send_pending() == {}
    assert len(mail.outbox) == 1


def test_a_celebration_waits_for_a_change_of_mind_then_goes(plan, buddyship, clock):
    make_step(plan).mark_done()
    assert sender.send_pending() == {}
    clock.shift(settings.OUTBOX_CHANGE_OF_MIND - dt.timedelta(seconds=1))
    assert sweep.due_after_waiting() == 0
    clock.shift(dt.timedelta(seconds=1))
    # Its wait over, the sweep's named step asks for a send.
    assert sweep.due_after_waiting() == 1
    assert sender.send_pending() == {"sent": 1}


def test_an_undo_within_the_wait_takes_the_celebration_back(plan, buddyship, clock):
    step = make_step(plan)
    step.mark_done()
    clock.shift(dt.timedelta(seconds=1))
    step.mark_open()
    assert not rows(Notification.Kind.CELEBRATION).exists()
    after_a_change_of_mind(clock)
    assert sender.send_pending() == {}
    # Checked off again for good: celebrated once, after its own wait.
    step.mark_done()
    after_a_change_of_mind(clock)
    assert sender.send_pending() == {"sent": 1}
    assert len(mail.outbox) == 1


def test_an_undo_after_a_sender_claimed_the_celebration_skips_it(plan, buddyship, clock):
    """A row claimed before the Undo is decided on the step as the Undo left it."""
    step = make_step(plan)
    step.mark_done()
    after_a_change_of_mind(clock)
    Notification.objects.filter(kind=Notification.Kind.CELEBRATION).update(
        state=Notification.State.SENDING
    )
    step.mark_open()
    row = rows(Notification.Kind.CELEBRATION).get()
    assert kinds.KINDS[row.kind].unwanted(row) == "The step is no longer done."


# The planner's answer to a check-up -------------------------------------------------------


@pytest.fixture
def checked_up(plan, buddyship):
    """A step whose check-up reached the buddy."""
    step = make_step(plan)
    with time_machine.travel(AFTER, tick=False):
        sweep.sweep_checkups()
        sender.send_pending()
    mail.outbox.clear()
    return step


def test_buddy_who_checked_up_hears_it_is_done_instead_of_a_celebration(checked_up):
    with time_machine.travel(AFTER + dt.timedelta(hours=1), tick=False) as clock:
        checked_up.mark_done()
        assert sender.send_pending() == {}
        after_a_change_of_mind(clock)
        assert sender.send_pending() == {"sent": 1}
    assert not rows(Notification.Kind.CELEBRATION).exists()
    [message] = mail.outbox
    assert message.subject == "Olivia Owner has done it: “Visit three bookshops”"
    assert "It's done." in message.body
    assert "It\u2019s done." in html_of(message)


def test_buddy_who_checked_up_reads_the_planners_words_on_done(checked_up):
    with time_machine.travel(AFTER + dt.timedelta(hours=1), tick=False) as clock:
        checked_up.mark_done(note="Sam loved the case study")
        assert rows(Notification.Kind.ANSWER).get().payload == {
            "outcome": "done",
            "reason": "Sam loved the case study",
        }
        after_a_change_of_mind(clock)
        assert sender.send_pending() == {"sent": 1}
    [message] = mail.outbox
    for body in bodies(message):
        assert "In their words: Sam loved the case study" in body


def test_buddy_who_checked_up_hears_the_new_date_and_the_reason(checked_up):
    with time_machine.travel(AFTER + dt.timedelta(hours=1), tick=False):
        checked_up.reschedule(dt.date(2026, 3, 20), "The shop was closed all week")
        assert sender.send_pending() == {"sent": 1}
    [message] = mail.outbox
    assert message.subject == "Olivia Owner needs more time for “Visit three bookshops”"
    for body in bodies(message):
        assert "Friday 20 March 2026" in body
        assert "Tuesday 10 March 2026" in body
        assert "The shop was closed all week" in body


def test_buddy_who_checked_up_hears_the_step_was_dropped_and_why(checked_up):
    with time_machine.travel(AFTER + dt.timedelta(hours=1), tick=False) as clock:
        checked_up.mark_dropped("I found a better first step")
        after_a_change_of_mind(clock)
        assert sender.send_pending() == {"sent": 1}
    [message] = mail.outbox
    assert message.subject == "Olivia Owner has dropped “Visit three bookshops”"
    for body in bodies(message):
        assert "I found a better first step" in body


@pytest.mark.parametrize("outcome", ["done", "dropped"])
def test_an_undo_within_the_wait_takes_the_answer_back(checked_up, outcome):
    with time_machine.travel(AFTER + dt.timedelta(hours=1), tick=False) as clock:
        if outcome == "done":
            checked_up.mark_done()
        else:
            checked_up.mark_dropped("Not now")
        checked_up.mark_open()
        assert not rows(Notification.Kind.ANSWER).exists()
        after_a_change_of_mind(clock)
        assert sender.send_pending() == {}
    assert mail.outbox == []


def test_an_answer_claimed_before_the_undo_is_skipped(checked_up):
    with time_machine.travel(AFTER + dt.timedelta(hours=1), tick=False):
        checked_up.mark_done()
        Notification.objects.filter(kind=Notification.Kind.ANSWER).update(
            state=Notification.State.SENDING
        )
        checked_up.mark_open()
    row = rows(Notification.Kind.ANSWER).get()
    assert kinds.KINDS[row.kind].unwanted(row) == "The step is open again."


def test_no_answer_email_to_a_buddy_whose_checkup_was_not_sent(plan, buddyship):
    step = make_step(plan)
    with time_machine.travel(AFTER, tick=False):
        sweep.sweep_checkups()
        step.reschedule(dt.date(2026, 3, 20), "Not yet")
        assert sender.send_pending() == {"skipped": 1}
    assert not rows(Notification.Kind.ANSWER).exists()
    assert mail.outbox == []


# Weekly digest --------------------------------------------------------------------------

MONDAY_0830 = dt.datetime(2026, 3, 16, 8, 30, tzinfo=dt.UTC)  # London is on GMT


@pytest.fixture
def digest_buddy(buddyship, plan):
    Buddyship.objects.filter(pk=buddyship.pk).update(digest=True)
    make_step(plan, title="Visit three bookshops", due_date=dt.date(2026, 3, 12))
    make_step(plan, title="Price a shop lease", due_date=dt.date(2026, 3, 18))
    with time_machine.travel(dt.datetime(2026, 3, 12, 18, tzinfo=dt.UTC), tick=False):
        plan.steps.get(title="Visit three bookshops").mark_done()
    Notification.objects.all().delete()  # the celebration is not under test
    return buddyship


def test_digest_goes_once_a_week_on_monday_morning_in_the_planners_zone(digest_buddy):
    assert digests.queue_digests(now=MONDAY_0830 - dt.timedelta(hours=1)) == 0
    assert digests.queue_digests(now=MONDAY_0830) == 1
    assert digests.queue_digests(now=MONDAY_0830 + dt.timedelta(hours=1)) == 0
    assert digests.queue_digests(now=MONDAY_0830 + dt.timedelta(days=6)) == 0
    assert digests.queue_digests(now=MONDAY_0830 + dt.timedelta(days=7)) == 1


def test_digests_are_queued_in_a_fixed_number_of_queries(
    digest_buddy, owner, plan, django_assert_num_queries
):
    for number in range(5):
        make_buddyship(owner, [plan], email=f"friend{number}@example.com", digest=True)
    # The buddyships, the week's digests already written, one insert: not one per buddy.
    with django_assert_num_queries(3):
        assert digests.queue_digests(now=MONDAY_0830) == 6
    with django_assert_num_queries(2):
        assert digests.queue_digests(now=MONDAY_0830 + dt.timedelta(hours=1)) == 0


def test_digest_lists_the_week_done_and_coming_up(digest_buddy):
    with time_machine.travel(MONDAY_0830, tick=False):
        digests.queue_digests()
        assert sender.send_pending() == {"sent": 1}
    [message] = mail.outbox
    assert message.subject == "Olivia Owner\u2019s week: 1 done, 1 coming up"
    for body in bodies(message):
        assert "Visit three bookshops" in body
        assert "Price a shop lease" in body
        assert "Wednesday 18 March" in body


def test_no_digest_for_a_buddy_who_did_not_ask_for_one(buddyship):
    assert digests.queue_digests(now=MONDAY_0830) == 0


def test_beat_queues_digests_hourly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["buddies-queue-digests"]
    assert (entry["task"], entry["schedule"]) == (
        "buddies.tasks.queue_digests",
        dt.timedelta(hours=1),
    )


def test_digest_week_starts_at_midnight_where_the_planner_lives(owner, plan, buddyship):
    owner.tz = "America/New_York"
    owner.save(update_fields=["tz"])
    Buddyship.objects.filter(pk=buddyship.pk).update(digest=True)
    before_week = make_step(plan, title="Sunday night step", due_date=dt.date(2026, 3, 8))
    in_week = make_step(plan, title="Monday small hours step", due_date=dt.date(2026, 3, 9))
    # 22:00 on Sunday 8 March in New York (EDT) is already Monday in UTC.
    with time_machine.travel(dt.datetime(2026, 3, 9, 2, tzinfo=dt.UTC), tick=False):
        before_week.mark_done()
    with time_machine.travel(dt.datetime(2026, 3, 9, 5, tzinfo=dt.UTC), tick=False):
        in_week.mark_done()
    Notification.objects.all().delete()
    # Monday 16 March, 08:30 in New York.
    with time_machine.travel(dt.datetime(2026, 3, 16, 12, 30, tzinfo=dt.UTC), tick=False):
        assert digests.queue_digests() == 1
        assert sender.send_pending() == {"sent": 1}
    body = mail.outbox[0].body
    assert "Monday small hours step" in body
    assert "Sunday night step" not in body
