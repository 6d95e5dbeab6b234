"""The reminder pass: what it writes, for whom, once per local day, at a cost that
follows the due reminders."""

import datetime as dt

from allauth.account.models import EmailAddress
from django.db import connection

from buddies.models import Notification
from reminders.models import Kind, PushSubscription, Reminder
from reminders.sweep import due_query, run_pass
from reminders.tasks import reminder_pass
from tests.factories import PlanFactory
from tests.reminders.conftest import (
    MONDAY,
    due_step,
    make_planner,
    reminder,
    rows,
    set_reminder,
    utc,
)

MORNING = utc(2026, 3, 9, 7, 30)  # 07:30 in London (GMT) on Monday 9 March
WEEKLY = utc(2026, 3, 9, 8, 0)


def test_a_new_planner_has_the_weekly_plan_and_morning_email_on_and_the_nudges_off(planner):
    by_kind = {r.kind: r for r in Reminder.objects.filter(user=planner)}
    assert {kind: r.enabled for kind, r in by_kind.items()} == {
        Kind.WEEKLY: True,
        Kind.MORNING: True,
        Kind.NEXT_STEP: False,
        Kind.JOURNAL: False,
    }
    assert (by_kind[Kind.WEEKLY].weekday, by_kind[Kind.WEEKLY].at) == (0, dt.time(8, 0))
    assert by_kind[Kind.WEEKLY].next_due == WEEKLY
    assert by_kind[Kind.MORNING].next_due == MORNING
    assert by_kind[Kind.NEXT_STEP].next_due is None
    assert by_kind[Kind.JOURNAL].next_due is None


def test_morning_email_is_written_at_its_time_on_a_day_a_step_is_due(planner, active_plan, clock):
    due_step(active_plan, MONDAY)
    clock.move_to(MORNING - dt.timedelta(minutes=1))
    run_pass()
    assert rows(Kind.MORNING) == []
    clock.move_to(MORNING)
    assert run_pass() == {"email": 1, "push": 0}
    [row] = rows(Kind.MORNING)
    assert (row.key, row.payload, row.channel) == ("2026-03-09", {"date": "2026-03-09"}, "email")
    assert row.state == Notification.State.PENDING
    assert reminder(planner, Kind.MORNING).next_due == MORNING + dt.timedelta(days=1)


def test_morning_email_counts_overdue_steps_and_skips_days_with_nothing_due(
    planner, active_plan, clock
):
    step = due_step(active_plan, MONDAY + dt.timedelta(days=2))
    clock.move_to(MORNING)
    run_pass()
    assert rows(Kind.MORNING) == []
    # Nothing Tuesday; Wednesday it is due; Thursday it is overdue; ticked off, nothing
    # on Friday.
    for days in (1, 2, 3):
        clock.move_to(MORNING + dt.timedelta(days=days))
        run_pass()
    assert [row.key for row in rows(Kind.MORNING)] == ["2026-03-11", "2026-03-12"]
    step.mark_done()
    clock.move_to(MORNING + dt.timedelta(days=4))
    run_pass()
    assert len(rows(Kind.MORNING)) == 2


def test_nothing_is_written_about_an_archived_plan(planner, active_plan, clock):
    due_step(active_plan, MONDAY)
    set_reminder(planner, Kind.NEXT_STEP)
    active_plan.archive()
    clock.move_to(utc(2026, 3, 9, 12))
    run_pass()
    # No morning email, no nudge; and no weekly plan while every plan rests.
    assert rows() == []


def test_a_planner_with_no_plan_yet_still_gets_the_weekly_plan(planner, clock):
    clock.move_to(WEEKLY)
    run_pass()
    [row] = rows(Kind.WEEKLY)
    assert (row.key, row.payload) == ("2026-W11", {"date": "2026-03-09"})


def test_no_reminder_at_all_to_an_address_that_is_not_verified(planner, active_plan, clock):
    due_step(active_plan, MONDAY)
    EmailAddress.objects.filter(user=planner).update(verified=False)
    clock.move_to(utc(2026, 3, 9, 12))
    run_pass()
    assert rows() == []
    # The reminders move on all the same, so the pass does not read them again.
    assert reminder(planner, Kind.MORNING).next_due == MORNING + dt.timedelta(days=1)


def test_no_reminder_to_a_deactivated_account(planner, active_plan, clock):
    due_step(active_plan, MONDAY)
    planner.is_active = False
    planner.save(update_fields=["is_active"])
    clock.move_to(utc(2026, 3, 9, 12))
    run_pass()
    assert rows() == []


def test_running_the_pass_twice_or_firing_twice_in_a_day_writes_one_row(
    planner, active_plan, clock
):
    due_step(active_plan, MONDAY)
    clock.move_to(MORNING)
    run_pass()
    run_pass()
    # The planner moves the time later the same morning: it is due again today, and
    # fires, but the day has its email.
    set_reminder(planner, Kind.MORNING, at=dt.time(9, 0))
    clock.move_to(utc(2026, 3, 9, 9))
    run_pass()
    assert len(rows(Kind.MORNING)) == 1
    assert reminder(planner, Kind.MORNING).next_due == utc(2026, 3, 10, 9)


def test_a_pass_that_missed_a_day_sends_that_day_nothing_and_today_its_email(
    planner, active_plan, clock
):
    due_step(active_plan, MONDAY)
    # Beat was down from Sunday until Tuesday noon: Monday's morning email is not sent
    # on Tuesday, but Tuesday's is, late.
    clock.move_to(utc(2026, 3, 10, 12))
    run_pass()
    assert [row.key for row in rows(Kind.MORNING)] == ["2026-03-10"]
    assert reminder(planner, Kind.MORNING).next_due == utc(2026, 3, 11, 7, 30)


def test_a_pass_just_after_midnight_still_sends_a_reminder_set_for_23_59(
    planner, active_plan, clock
):
    due_step(active_plan, MONDAY - dt.timedelta(days=1))
    set_reminder(planner, Kind.MORNING, at=dt.time(23, 59))
    clock.move_to(utc(2026, 3, 9, 0, 0, 40))
    run_pass()
    assert [row.key for row in rows(Kind.MORNING)] == ["2026-03-08"]


def test_the_weekly_plan_comes_on_the_chosen_day(planner, clock):
    set_reminder(planner, Kind.WEEKLY, weekday=3, at=dt.time(18, 0))
    clock.move_to(utc(2026, 3, 12, 17, 59))
    run_pass()
    assert rows(Kind.WEEKLY) == []
    clock.move_to(utc(2026, 3, 12, 18, 0))
    run_pass()
    [row] = rows(Kind.WEEKLY)
    assert row.payload == {"date": "2026-03-12"}
    # Moving the day later in the same week sends no second one.
    set_reminder(planner, Kind.WEEKLY, weekday=4)
    clock.move_to(utc(2026, 3, 13, 18, 0))
    run_pass()
    assert len(rows(Kind.WEEKLY)) == 1


def test_next_step_nudge_comes_for_each_plan_without_a_near_step_at_most_weekly(
    planner, active_plan, clock
):
    set_reminder(planner, Kind.NEXT_STEP)
    busy = PlanFactory(owner=planner, goal="I will be teaching pottery by 2028")
    # Dated seven days on: "within the next week" of Monday, so no nudge until it passes.
    due_step(busy, MONDAY + dt.timedelta(days=7))
    for day in range(9):
        clock.move_to(utc(2026, 3, 9 + day, 9))
        run_pass()
    assert [row.key for row in rows(Kind.NEXT_STEP)] == [
        f"{active_plan.code}:2026-03-09",
        f"{active_plan.code}:2026-03-16",
        f"{busy.code}:2026-03-17",
    ]
    assert rows(Kind.NEXT_STEP)[0].payload == {"date": "2026-03-09", "plan": str(active_plan.code)}


def test_journal_nudge_comes_in_the_evening_only_without_an_entry(planner, clock):
    from journals.models import JournalEntry

    set_reminder(planner, Kind.JOURNAL)
    clock.move_to(utc(2026, 3, 8, 20))
    run_pass()
    JournalEntry.objects.write(planner, dt.date(2026, 3, 9), "Rang the library.")
    clock.move_to(utc(2026, 3, 9, 20))
    run_pass()
    assert [row.key for row in rows(Kind.JOURNAL)] == ["2026-03-08"]


def test_a_push_row_is_written_per_subscribed_browser_beside_the_email(
    planner, active_plan, clock, vapid
):
    due_step(active_plan, MONDAY)
    phone = PushSubscription.objects.create(
        user=planner, endpoint="https://push.example.com/1", p256dh="k", auth="a"
    )
    laptop = PushSubscription.objects.create(
        user=planner, endpoint="https://push.example.com/2", p256dh="k", auth="a"
    )
    clock.move_to(MORNING)
    assert run_pass() == {"email": 1, "push": 2}
    assert {(row.channel, row.key) for row in rows(Kind.MORNING)} == {
        ("email", "2026-03-09"),
        ("push", f"2026-03-09:push:{phone.code}"),
        ("push", f"2026-03-09:push:{laptop.code}"),
    }


def test_no_push_row_when_the_server_has_no_vapid_key(planner, active_plan, clock, settings):
    settings.VAPID_PRIVATE_KEY = ""
    due_step(active_plan, MONDAY)
    PushSubscription.objects.create(
        user=planner, endpoint="https://push.example.com/1", p256dh="k", auth="a"
    )
    clock.move_to(MORNING)
    assert run_pass() == {"email": 1, "push": 0}


# Cost -------------------------------------------------------------------------------


def test_the_pass_reads_due_reminders_through_the_partial_index(planner):
    if connection.vendor == "postgresql":
        # A tiny table is cheaper to scan; forbid that to see the index serves the query.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    plan = due_query(MORNING).explain()
    assert "reminder_due_idx" in plan


def test_the_pass_runs_the_same_queries_for_two_planners_as_for_twenty(
    db, clock, django_assert_max_num_queries
):
    def planners(count, offset):
        for n in range(count):
            user = make_planner(email=f"p{offset + n}@example.com")
            due_step(PlanFactory(owner=user), MONDAY)

    planners(2, 0)
    clock.move_to(WEEKLY)
    with django_assert_max_num_queries(12) as few:
        run_pass()
    assert len(rows(Kind.MORNING)) == len(rows(Kind.WEEKLY)) == 2
    Notification.objects.all().delete()
    planners(20, 100)
    Reminder.objects.filter(kind__in=[Kind.MORNING, Kind.WEEKLY]).update(next_due=MORNING)
    with django_assert_max_num_queries(len(few.captured_queries)):
        run_pass()
    assert len(rows(Kind.MORNING)) == len(rows(Kind.WEEKLY)) == 22


def test_beat_runs_the_pass_every_minute_and_it_asks_for_the_sends(
    settings, planner, active_plan, clock, send_requests, django_capture_on_commit_callbacks
):
    entry = settings.CELERY_BEAT_SCHEDULE["reminders-pass"]
    assert (entry["task"], entry["schedule"]) == (
        "reminders.tasks.reminder_pass",
        dt.timedelta(minutes=1),
    )
    due_step(active_plan, MONDAY)
    clock.move_to(MORNING)
    with django_capture_on_commit_callbacks(execute=True):
        assert reminder_pass() == {"email": 1, "push": 0}
    assert send_requests == ["buddies.tasks.send_notifications"]
