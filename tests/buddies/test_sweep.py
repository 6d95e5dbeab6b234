"""The check-up sweep: due steps claimed once, one check-up per active buddy, whatever
runs it twice or at once."""

import datetime as dt
import uuid

import pytest
import time_machine
from django.core import mail
from django.db import connection

from buddies.models import Buddyship, Notification
from buddies.outbox import rows, sender, sweep
from buddies.tasks import sweep_checkups
from careerplan.models import Tally
from plans.models import Plan, Step
from tests.buddies.conftest import make_buddyship
from tests.buddies.pipeline import (
    AFTER,
    CHECKUP,
    DUE,
    MADE,
    make_step,
    use_backend,
)
from tests.factories import PlanFactory, UserFactory


def checkups():
    return Notification.objects.filter(kind=Notification.Kind.CHECKUP)


def test_buddy_gets_one_checkup_per_due_step(step, buddyship):
    assert sweep.sweep_checkups(now=AFTER) == 1
    row = checkups().get()
    assert (row.buddyship, row.step, row.state) == (buddyship, step, Notification.State.PENDING)
    step.refresh_from_db()
    assert step.checkup_claimed == AFTER

    with time_machine.travel(AFTER, tick=False):
        assert sender.send_pending() == {"sent": 1}
    assert [m.to for m in mail.outbox] == [["Bea Buddy <bea@example.com>"]]


def test_nothing_is_due_before_nine_the_morning_after_the_date(step, buddyship):
    assert sweep.sweep_checkups(now=CHECKUP - dt.timedelta(seconds=1)) == 0
    assert sweep.sweep_checkups(now=CHECKUP) == 1


def test_checkup_instant_follows_the_planners_zone(owner, buddyship):
    owner.tz = "America/New_York"
    owner.save(update_fields=["tz"])
    plan = buddyship.plans.get()
    make_step(plan)
    # 09:00 in New York on 11 March 2026 (EDT since 8 March) is 13:00 UTC.
    assert sweep.sweep_checkups(now=dt.datetime(2026, 3, 11, 12, 59, tzinfo=dt.UTC)) == 0
    assert sweep.sweep_checkups(now=dt.datetime(2026, 3, 11, 13, 0, tzinfo=dt.UTC)) == 1


def test_sweeping_twice_writes_nothing_twice(step, buddyship):
    assert sweep.sweep_checkups(now=AFTER) == 1
    assert sweep.sweep_checkups(now=AFTER + dt.timedelta(minutes=1)) == 0
    assert checkups().count() == 1


def test_a_sweep_that_read_a_step_another_sweep_claimed_first_writes_nothing(step, buddyship):
    # This sweep reads the due step; another sweep claims it and writes its check-up
    # before this one claims.
    stale = sweep.due_batch(AFTER, 10)
    assert [row.pk for row in stale] == [step.pk]
    assert sweep.sweep_checkups(now=AFTER) == 1

    assert sweep.claim_and_write(stale, AFTER + dt.timedelta(seconds=1)) == 0
    assert checkups().count() == 1
    step.refresh_from_db()
    assert step.checkup_claimed == AFTER


def test_a_checkup_written_twice_for_the_same_date_is_one_row(step, buddyship):
    # Whatever claimed the step before (a claim lost, a step claimed again), the same
    # step and date is the same check-up.
    step.refresh_from_db()
    sweep.write_checkups([step], AFTER)
    sweep.write_checkups([step], AFTER + dt.timedelta(minutes=1))
    assert checkups().count() == 1


def test_every_active_buddy_sharing_the_plan_gets_one_and_no_one_else(owner, plan, step, buddy):
    other_plan = PlanFactory(owner=owner, goal="I will be teaching pottery by 2028")
    sharing = [
        make_buddyship(owner, [plan], user=buddy),
        make_buddyship(owner, [plan, other_plan], email="two@example.com", name="Two"),
    ]
    make_buddyship(owner, [other_plan], email="other@example.com", name="Other plan")
    make_buddyship(
        owner, [plan], email="invited@example.com", name="Invited", status=Buddyship.Status.INVITED
    )
    make_buddyship(
        owner, [plan], email="revoked@example.com", name="Revoked", status=Buddyship.Status.REVOKED
    )
    make_buddyship(
        owner, [plan], email="left@example.com", name="Left", status=Buddyship.Status.LEFT
    )
    make_buddyship(
        owner, [plan], email="unsub@example.com", name="Unsubscribed", unsubscribed=AFTER
    )
    someone_else = UserFactory()
    make_buddyship(someone_else, [], email="bea@example.com", name="Bea elsewhere")

    assert sweep.sweep_checkups(now=AFTER) == 2
    assert set(checkups().values_list("buddyship", flat=True)) == {b.pk for b in sharing}


def test_step_without_buddies_is_claimed_so_the_sweep_never_reads_it_again(step):
    assert sweep.sweep_checkups(now=AFTER) == 0
    step.refresh_from_db()
    assert step.checkup_claimed == AFTER
    assert not Step.objects.checkup_due(AFTER + dt.timedelta(days=1)).exists()


def test_archived_plan_is_claimed_without_a_checkup(step, buddyship, plan):
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.ARCHIVED)
    assert sweep.sweep_checkups(now=AFTER) == 0
    assert Step.objects.filter(pk=step.pk, checkup_claimed=AFTER).exists()


@pytest.mark.parametrize("closed", ["planner", "buddy"])
def test_closed_account_is_claimed_without_a_checkup(step, buddyship, owner, buddy, closed):
    """A deactivated account counts as gone: no row is written that the sender would
    only have to skip."""
    account = {"planner": owner, "buddy": buddy}[closed]
    type(account).objects.filter(pk=account.pk).update(is_active=False)
    assert sweep.sweep_checkups(now=AFTER) == 0
    assert Step.objects.filter(pk=step.pk, checkup_claimed=AFTER).exists()


def test_buddy_following_by_link_still_gets_a_checkup(step, owner, plan):
    """A buddy without an account has no account to be closed."""
    following = make_buddyship(owner, [plan], email="follows@example.com")
    assert sweep.sweep_checkups(now=AFTER) == 1
    assert checkups().get().buddyship == following


def test_done_and_dropped_and_undated_steps_get_no_checkup(plan, buddyship):
    make_step(plan, title="Done").mark_done()
    make_step(plan, title="Dropped").mark_dropped("Not for me")
    make_step(plan, title="Undated", due_date=None)
    assert sweep.sweep_checkups(now=AFTER) == 0
    assert checkups().count() == 0


def test_rescheduled_step_gets_a_new_checkup_for_its_new_date(step, buddyship):
    sweep.sweep_checkups(now=AFTER)
    with time_machine.travel(AFTER, tick=False):
        step.reschedule(dt.date(2026, 3, 20), "The shop was closed")
    assert sweep.sweep_checkups(now=AFTER + dt.timedelta(days=1)) == 0
    new_checkup = dt.datetime(2026, 3, 21, 9, tzinfo=dt.UTC)
    assert sweep.sweep_checkups(now=new_checkup) == 1
    with time_machine.travel(new_checkup, tick=False):
        # The first date's check-up is no longer wanted; the new date's goes.
        assert sender.send_pending() == {"skipped": 1, "sent": 1}
    assert checkups().filter(step=step).count() == 2
    [message] = mail.outbox
    assert message.subject.startswith("Check-up:")
    assert "Friday 20 March 2026" in message.body


def test_reopened_step_is_not_checked_up_on_twice_for_the_same_date(step, buddyship):
    sweep.sweep_checkups(now=AFTER)
    step.mark_done()
    step.mark_open()
    assert sweep.sweep_checkups(now=AFTER + dt.timedelta(hours=1)) == 0
    assert checkups().count() == 1


def test_sweep_walks_the_due_steps_in_batches(plan, buddyship):
    steps = [make_step(plan, title=f"Step {n}") for n in range(7)]
    assert sweep.sweep_checkups(now=AFTER, batch_size=3) == 7
    assert set(checkups().values_list("step", flat=True)) == {s.pk for s in steps}


def test_the_rows_the_database_writes_are_those_python_would(plan, buddyship):
    # Steps due on days that test the date's text: the first of a month, a far year.
    steps = [
        make_step(plan, title=f"Step {n}", due_date=due)
        for n, due in enumerate([dt.date(2026, 3, 1), dt.date(2026, 3, 10), dt.date(1999, 12, 31)])
    ]
    assert sweep.sweep_checkups(now=AFTER) == 3
    written = {row.step_id: row for row in checkups()}
    for step in steps:
        row = written[step.pk]
        assert row.key == rows.checkup_key(step)
        assert (row.code.version, row.code.variant) == (4, uuid.RFC_4122)
        assert (row.state, row.channel, row.payload, row.attempts, row.resends) == (
            Notification.State.PENDING,
            Notification.Channel.EMAIL,
            {},
            0,
            0,
        )
        assert (row.created, row.next_attempt, row.message_id, row.user_id) == (
            AFTER,
            AFTER,
            "",
            None,
        )
    assert len({row.code for row in written.values()}) == 3


@pytest.mark.parametrize("count", [7, 30])
def test_the_sweep_costs_a_fixed_number_of_queries_per_batch(
    plan, buddyship, owner, count, django_assert_max_num_queries
):
    make_buddyship(owner, [plan], email="two@example.com", name="Two")
    for n in range(count):
        make_step(plan, title=f"Step {n}")
    # Per batch, in a savepoint: read the due steps, claim them, write their rows.
    batches = count // 10 + 1
    with django_assert_max_num_queries(batches * 5):
        assert sweep.sweep_checkups(now=AFTER, batch_size=10) == 2 * count


def test_sweep_reads_due_steps_through_the_partial_index(step):
    if connection.vendor == "postgresql":
        # A tiny table is cheaper to scan; forbid that to see the index serves the query.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Step.objects.checkup_due(AFTER).order_by("checkup_due", "pk").explain()
    assert "step_checkup_sweep_idx" in plan


# The sweep's steps -----------------------------------------------------------------------

NOTHING_RECOVERED = {"back": 0, "resent": 0, "ambiguous": 0, "failed": 0}


def test_sweep_task_runs_each_step_and_asks_for_a_send_when_something_waits(
    step, buddyship, send_requests
):
    with time_machine.travel(AFTER, tick=False):
        assert sweep_checkups() == {
            "claimed": 1,
            "checkups": 1,
            "recovered": NOTHING_RECOVERED,
            "due": 0,
            "lost": 0,
        }
        assert send_requests == [rows.SEND_TASK]
        # Nothing new: no send asked for.
        assert sweep_checkups()["checkups"] == 0
        assert send_requests == [rows.SEND_TASK]
    with time_machine.travel(AFTER + dt.timedelta(minutes=2), tick=False):
        # The send task never ran (its enqueue was lost): the next sweep asks again.
        assert sweep_checkups()["lost"] == 1
        assert send_requests == [rows.SEND_TASK] * 2


def test_a_gathered_commitment_is_sent_by_the_sweep_when_its_wait_is_over(
    plan, buddyship, send_requests
):
    with time_machine.travel(MADE, tick=False):
        plan.add_step("Visit three bookshops", DUE)
    [row] = Notification.objects.filter(kind=Notification.Kind.COMMITMENT)
    assert send_requests == []  # written to wait: no send asked for then
    with time_machine.travel(MADE + dt.timedelta(minutes=4, seconds=59), tick=False):
        assert sweep.run_sweep()["due"] == 0
        assert send_requests == []
    with time_machine.travel(MADE + dt.timedelta(minutes=5), tick=False):
        counts = sweep.run_sweep()
        assert (counts["due"], counts["lost"]) == (1, 0)
        assert send_requests == [rows.SEND_TASK]
        assert sender.send_pending() == {"sent": 1}
    row.refresh_from_db()
    assert row.sent_at == MADE + dt.timedelta(minutes=5)


def test_a_row_backing_off_is_sent_by_the_sweep_when_its_time_comes(
    step, buddyship, settings, send_requests
):
    sweep.sweep_checkups(now=AFTER)
    use_backend(settings, "UnreachableBackend")
    with time_machine.travel(AFTER, tick=False):
        assert sender.send_pending() == {"retry": 1}
    with time_machine.travel(AFTER + dt.timedelta(seconds=59), tick=False):
        assert sweep.run_sweep()["due"] == 0
    use_backend(settings, "CountingBackend")
    with time_machine.travel(AFTER + dt.timedelta(minutes=1), tick=False):
        counts = sweep.run_sweep()
        assert (counts["due"], counts["lost"]) == (1, 0)
        assert send_requests == [rows.SEND_TASK]
        assert sender.send_pending() == {"sent": 1}


def test_a_row_whose_send_task_was_lost_is_found_after_a_minute(step, buddyship, send_requests):
    sweep.sweep_checkups(now=AFTER)
    # Just written: its send task may still be on its way.
    assert sweep.lost_enqueues(AFTER) == 0
    assert sweep.due_after_waiting(AFTER) == 0
    assert sweep.lost_enqueues(AFTER + dt.timedelta(seconds=61)) == 1
    assert sweep.due_after_waiting(AFTER + dt.timedelta(seconds=61)) == 0
    with time_machine.travel(AFTER + dt.timedelta(seconds=61), tick=False):
        assert sender.send_pending() == {"sent": 1}


def test_the_sweep_writes_its_checkups_even_when_the_broker_is_down(
    step, buddyship, refusing_broker
):
    with time_machine.travel(AFTER, tick=False):
        assert sweep_checkups()["checkups"] == 1
    assert refusing_broker == [rows.SEND_TASK]
    assert checkups().get().state == Notification.State.PENDING


def test_the_sweep_counts_what_it_did_for_the_metrics(step, buddyship, send_requests):
    sweep.run_sweep(now=AFTER)
    sweep.run_sweep(now=AFTER + dt.timedelta(minutes=1))
    tallies = {(t.name, t.label): t.value for t in Tally.objects.all()}
    assert tallies[("outbox_sweeps", "")] == 2
    assert tallies[("outbox_steps_claimed", "")] == 1
    assert tallies[("outbox_checkups_written", "")] == 1
    assert tallies[("outbox_sweep_seconds", "")] >= tallies[("outbox_sweep_last_seconds", "")]


def test_beat_runs_the_sweep_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["buddies-sweep-checkups"]
    assert entry["task"] == "buddies.tasks.sweep_checkups"
    assert entry["schedule"] == dt.timedelta(minutes=1)
