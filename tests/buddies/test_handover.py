"""Nothing unwanted is sent, and one answer per buddy per step, under real concurrency: a
sender paused in its own thread (its own database connection) between claim and hand-over,
or inside its hand-over transaction, while a change that cancels the email commits.

The decision "is this email still wanted?" is made on fresh rows, locked, in the
transaction that writes the hand-over mark (buddies.outbox.sender.decide_and_mark): a
cancel that committed first is seen; one that comes later waits for the mark (PostgreSQL
row locks; SQLite's single writer) and never un-sends it.
"""

import datetime as dt
import threading

import pytest
from django.core import mail
from django.db import connection

from buddies.models import Notification
from buddies.outbox import rows, sender, sweep
from tests.buddies.pipeline import AFTER, make_step
from tests.processes import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


class PausedSender:
    """`send_pending` in a thread of its own, held at a real pause point until released.

    "claimed": after its first claim committed and before it decides on any row.
    "deciding": inside its hand-over transaction, the rows it decided on locked and read,
    the email found still wanted, the hand-over not yet marked.
    """

    def __init__(self, monkeypatch, where):
        self.paused = threading.Event()
        self.go = threading.Event()
        self.counts = None
        self.error = None
        if where == "claimed":
            claim_batch = sender.claim_batch

            def pause_after_claim(*args, **kwargs):
                claimed = claim_batch(*args, **kwargs)
                self.pause()
                return claimed

            monkeypatch.setattr(sender, "claim_batch", pause_after_claim)
        else:
            why_not_wanted = sender.why_not_wanted

            def pause_while_deciding(notification):
                reason = why_not_wanted(notification)
                self.pause()
                return reason

            monkeypatch.setattr(sender, "why_not_wanted", pause_while_deciding)
        self.thread = threading.Thread(target=self.run)

    def pause(self):
        if not self.paused.is_set():
            self.paused.set()
            assert self.go.wait(20), "the test never let the sender go on"

    def run(self):
        try:
            self.counts = sender.send_pending()
        except Exception as error:  # reported by finish()
            self.error = error
        finally:
            connection.close()

    def start(self):
        self.thread.start()
        assert self.paused.wait(20), "the sender never reached its pause point"
        return self

    def finish(self):
        self.go.set()
        self.thread.join(20)
        assert not self.thread.is_alive()
        if self.error is not None:
            raise self.error
        return self.counts


def sent_ids():
    return {message.extra_headers["Message-ID"] for message in mail.outbox}


def id_of(notification):
    return f"<{notification.code}@127.0.0.1>"


def deactivate(user):
    user.is_active = False
    user.save(update_fields=["is_active"])


def unshare(buddyship):
    buddyship.save_settings(plans=[])


def turn_off(buddyship, setting):
    setattr(buddyship, setting, False)
    buddyship.save_settings(plans=buddyship.plans.all())


# Every change that cancels a check-up, and what the sender says when it sees it.
CHECKUP_CANCELS = {
    "step marked done": (lambda s, b, p: s.mark_done(), "The step is done."),
    "step dropped": (lambda s, b, p: s.mark_dropped("No longer needed"), "The step is dropped."),
    "step rescheduled": (
        lambda s, b, p: s.reschedule(dt.date(2026, 3, 20), "The shop was closed"),
        "The step has a new date.",
    ),
    "buddy revoked": (lambda s, b, p: b.revoke(), "The buddyship is revoked."),
    "buddy left": (lambda s, b, p: b.leave(), "The buddyship is left."),
    "buddy unsubscribed": (lambda s, b, p: b.unsubscribe(), "The buddy unsubscribed."),
    "plan unshared": (
        lambda s, b, p: unshare(b),
        "The step's plan is no longer shared with this buddy.",
    ),
    "plan archived": (
        lambda s, b, p: p.archive(),
        "The step's plan is no longer shared with this buddy.",
    ),
    "planner's account deactivated": (
        lambda s, b, p: deactivate(p.owner),
        "The planner's account is deactivated.",
    ),
    "buddy's account deactivated": (
        lambda s, b, p: deactivate(b.user),
        "The buddy's account is deactivated.",
    ),
}


def write_checkup(step, buddyship):
    assert sweep.sweep_checkups() == 1
    return Notification.objects.get(kind=Notification.Kind.CHECKUP)


def write_celebration(step, buddyship):
    step.mark_done()
    return Notification.objects.get(kind=Notification.Kind.CELEBRATION)


def write_digest(step, buddyship):
    buddyship.digest = True
    buddyship.save(update_fields=["digest"])
    return rows.enqueue(
        Notification.Kind.DIGEST,
        buddyship,
        rows.digest_key(AFTER.date()),
        payload={"since": "2026-03-04", "today": "2026-03-11"},
    )


# The emails whose own settings cancel them, beside the check-up's cancels above.
OWN_CANCELS = {
    "celebrations turned off": (
        write_celebration,
        lambda s, b, p: turn_off(b, "celebrations"),
        "The buddy turned celebrations off.",
    ),
    "celebrated step reopened": (
        write_celebration,
        lambda s, b, p: s.mark_open(),
        "The step is no longer done.",
    ),
    "digest turned off": (
        write_digest,
        lambda s, b, p: turn_off(b, "digest"),
        "The buddy turned the digest off.",
    ),
}

CANCELS = {
    **{name: (write_checkup, cancel, reason) for name, (cancel, reason) in CHECKUP_CANCELS.items()},
    **OWN_CANCELS,
}


@pytest.mark.parametrize("change", list(CANCELS))
def test_a_cancel_committed_between_claim_and_hand_over_is_seen_and_nothing_is_sent(
    monkeypatch, clock, plan, step, buddyship, change
):
    write, cancel, reason = CANCELS[change]
    notification = write(step, buddyship)
    mail.outbox.clear()
    paused = PausedSender(monkeypatch, "claimed").start()
    # The sender holds the claimed row: its step, buddyship and plan as they were.
    assert Notification.objects.get(pk=notification.pk).state == Notification.State.SENDING

    cancel(step, buddyship, plan)  # commits while the sender waits
    paused.finish()

    notification.refresh_from_db()
    assert (notification.state, notification.last_error) == (Notification.State.SKIPPED, reason)
    assert notification.handed_over is None
    assert id_of(notification) not in sent_ids()


@pytest.mark.parametrize("deleted", ["step", "plan"])
def test_a_step_or_plan_deleted_between_claim_and_hand_over_sends_nothing(
    monkeypatch, clock, plan, step, buddyship, deleted
):
    """Deleting takes the outbox row with it: the paused sender finds nothing to hand over."""
    notification = write_checkup(step, buddyship)
    mail.outbox.clear()
    paused = PausedSender(monkeypatch, "claimed").start()

    {"step": step, "plan": plan}[deleted].delete()  # commits while the sender waits
    paused.finish()

    assert not Notification.objects.filter(pk=notification.pk).exists()
    assert id_of(notification) not in sent_ids()
    assert mail.outbox == []


# The converse order: a cancel that comes while the sender decides waits for the mark --


@pytest.fixture(autouse=True)
def no_wait_for_a_change_of_mind(settings):
    """Celebrations and answers go at once here: the races under test are the sender's;
    the wait for an Undo has its own tests (test_receivers)."""
    settings.OUTBOX_CHANGE_OF_MIND = dt.timedelta(0)


@pytest.fixture
def postgresql():
    assert connection.vendor == "postgresql", "row locks need DATABASE_URL (PostgreSQL)"


def waiting_on_a_lock():
    """How many other sessions of this database wait for a row lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


class Background:
    """A change run in a thread of its own (its own connection and transaction)."""

    def __init__(self, change):
        self.done = threading.Event()
        self.error = None

        def run():
            try:
                change()
            except Exception as error:  # reported by join()
                self.error = error
            finally:
                connection.close()
                self.done.set()

        self.thread = threading.Thread(target=run)
        self.thread.start()

    def join(self):
        self.thread.join(20)
        assert self.done.is_set()
        if self.error is not None:
            raise self.error


@pytest.mark.services
@pytest.mark.parametrize("change", list(CHECKUP_CANCELS))
def test_a_cancel_that_comes_while_the_sender_decides_waits_for_the_hand_over(
    postgresql, monkeypatch, clock, plan, step, buddyship, change
):
    cancel, _ = CHECKUP_CANCELS[change]
    checkup = write_checkup(step, buddyship)
    paused = PausedSender(monkeypatch, "deciding").start()

    background = Background(lambda: cancel(step, buddyship, plan))
    # The change waits on a row the sender's decision read and holds.
    assert wait_for(waiting_on_a_lock, timeout=10), "the change did not wait for the sender"
    assert not background.done.is_set()

    paused.finish()  # marks the hand-over, commits, sends
    background.join()

    checkup.refresh_from_db()
    assert checkup.state == Notification.State.SENT
    assert checkup.handed_over is not None
    assert id_of(checkup) in sent_ids()
    # The cancel took effect after the hand-over, and nothing took the email back.
    assert Notification.objects.filter(kind=Notification.Kind.CHECKUP).count() == 1


# A group of rows decided together: the same, for each row of it ---------------------------


@pytest.fixture
def three_checkups(monkeypatch, plan, buddyship):
    """Three check-ups that one sender decides and marks in one transaction."""
    monkeypatch.setattr(sender, "group_size", lambda pace, claimed: claimed)
    steps = [make_step(plan, title=f"Step {n}") for n in range(3)]
    assert sweep.sweep_checkups() == 3
    return steps


def checkup_of(step):
    return Notification.objects.get(kind=Notification.Kind.CHECKUP, step=step)


def test_a_cancel_between_claim_and_hand_over_skips_its_row_and_the_group_goes_on(
    monkeypatch, clock, three_checkups
):
    paused = PausedSender(monkeypatch, "claimed").start()
    three_checkups[2].mark_done()
    assert paused.finish() == {"sent": 3, "skipped": 1}  # the celebration went too
    cancelled = checkup_of(three_checkups[2])
    assert (cancelled.state, cancelled.handed_over) == (Notification.State.SKIPPED, None)
    assert id_of(cancelled) not in sent_ids()
    assert all(id_of(checkup_of(step)) in sent_ids() for step in three_checkups[:2])


@pytest.mark.services
def test_a_cancel_of_any_row_while_its_group_is_decided_waits_for_the_hand_over(
    postgresql, monkeypatch, clock, three_checkups
):
    paused = PausedSender(monkeypatch, "deciding").start()
    # The sender holds the first row's decision; the last row's step is locked already.
    background = Background(three_checkups[2].mark_done)
    assert wait_for(waiting_on_a_lock, timeout=10), "the change did not wait for the sender"
    paused.finish()
    background.join()
    last = checkup_of(three_checkups[2])
    assert (last.state, id_of(last) in sent_ids()) == (Notification.State.SENT, True)
    answer = Notification.objects.get(kind=Notification.Kind.ANSWER)
    assert answer.payload["outcome"] == "done"


# One answer per buddy per step -------------------------------------------------------------


def emails_about_the_step():
    """The subjects of the emails the buddy got, in order."""
    return [message.subject for message in mail.outbox]


CHECKUP_SUBJECT = "Check-up: how did Olivia Owner get on with “Visit three bookshops”?"
DONE_ANSWER = "Olivia Owner has done it: “Visit three bookshops”"
CELEBRATION = "Olivia Owner did it: “Visit three bookshops”"


def assert_one_answer(step):
    """The buddy heard about the step once: the check-up then "done", or a celebration."""
    kinds = set(
        Notification.objects.filter(step=step)
        .exclude(state=Notification.State.SKIPPED)
        .values_list("kind", flat=True)
    )
    assert kinds in (
        {Notification.Kind.CHECKUP, Notification.Kind.ANSWER},
        {Notification.Kind.CELEBRATION},
    )


def test_a_check_up_claimed_but_not_yet_decided_is_skipped_and_the_buddy_celebrates(
    monkeypatch, clock, step, buddyship
):
    write_checkup(step, buddyship)
    paused = PausedSender(monkeypatch, "claimed").start()
    step.mark_done()
    paused.finish()
    assert emails_about_the_step() == [CELEBRATION]
    assert_one_answer(step)


@pytest.mark.services
def test_a_check_up_being_decided_when_the_step_is_done_gets_the_done_answer(
    postgresql, monkeypatch, clock, step, buddyship
):
    write_checkup(step, buddyship)
    paused = PausedSender(monkeypatch, "deciding").start()
    background = Background(step.mark_done)
    assert wait_for(waiting_on_a_lock, timeout=10)
    paused.finish()
    background.join()
    sender.send_pending()  # the answer, unless the paused sender's next claim took it
    assert emails_about_the_step() == [CHECKUP_SUBJECT, DONE_ANSWER]
    assert_one_answer(step)


def test_a_check_up_handed_over_but_not_yet_recorded_gets_the_done_answer(clock, step, buddyship):
    write_checkup(step, buddyship)
    claimed = sender.claim_next(AFTER)
    _, outcome = sender.decide_and_mark(claimed)  # the message is on the wire now
    assert outcome == "ready"
    step.mark_done()
    answer = Notification.objects.get(kind=Notification.Kind.ANSWER)
    assert answer.payload["outcome"] == "done"
    assert not Notification.objects.filter(kind=Notification.Kind.CELEBRATION).exists()


@pytest.mark.parametrize(
    "state",
    [Notification.State.SENT, Notification.State.AMBIGUOUS, "pending to be sent again"],
)
def test_a_check_up_sent_ambiguous_or_to_be_sent_again_gets_the_done_answer(
    clock, step, buddyship, state
):
    checkup = write_checkup(step, buddyship)
    claimed = sender.claim_next(AFTER)
    sender.decide_and_mark(claimed)
    mine = Notification.objects.filter(pk=checkup.pk)
    if state == Notification.State.SENT:
        sender.record_sent(mine, claimed)
    elif state == Notification.State.AMBIGUOUS:
        mine.update(state=state, resends=sender.MAX_RESENDS)
    else:
        sender.after_unknown_outcome(mine, "The connection broke.", retry_at=AFTER)
        assert mine.get().state == Notification.State.PENDING
    step.mark_done()
    assert sender.send_pending() == (
        {"sent": 1} if state != "pending to be sent again" else {"skipped": 1, "sent": 1}
    )
    assert emails_about_the_step() == [DONE_ANSWER]
    assert not Notification.objects.filter(kind=Notification.Kind.CELEBRATION).exists()


def test_a_check_up_never_handed_over_is_skipped_and_the_buddy_celebrates(clock, step, buddyship):
    write_checkup(step, buddyship)
    step.mark_done()
    assert sender.send_pending() == {"skipped": 1, "sent": 1}
    assert emails_about_the_step() == [CELEBRATION]
    assert_one_answer(step)
