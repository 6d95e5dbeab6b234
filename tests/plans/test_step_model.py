"""What the Plan and Step methods guarantee on their own, whoever calls them: a step's
place among its siblings, and changes that are all written or not at all."""

import datetime

import pytest
from django.urls import reverse

from plans import signals
from plans.models import PLACEHOLDER_GOAL, Plan, Step, StepEvent
from tests.factories import GrowSessionFactory, OptionFactory, StepFactory

pytestmark = pytest.mark.django_db


def titles(steps):
    return [step.title for step in steps]


def siblings(plan, parent=None):
    return titles(plan.steps.filter(parent=parent).order_by("position", "pk"))


# --- Position among siblings ------------------------------------------------------------


@pytest.fixture
def row(plan):
    """Three steps under the goal, added in order."""
    return [plan.add_step(title) for title in ("First", "Second", "Third")]


def test_a_new_step_goes_to_the_end_of_its_siblings(plan, row):
    under = plan.add_step("Under second", parent=row[1])
    plan.add_step("Fourth")

    assert siblings(plan) == ["First", "Second", "Third", "Fourth"]
    assert under.position == 0


def test_moving_up_and_down_swaps_with_the_neighbour_and_stops_at_the_ends(plan, row):
    first, second, third = row

    assert second.move("up")
    assert siblings(plan) == ["Second", "First", "Third"]
    assert second.move("down")
    assert siblings(plan) == ["First", "Second", "Third"]
    assert not first.move("up")
    assert not third.move("down")
    assert siblings(plan) == ["First", "Second", "Third"]


def test_moving_keeps_to_the_steps_own_siblings(plan, row):
    a = plan.add_step("A", parent=row[0])
    plan.add_step("B", parent=row[0])

    a.move("down")

    assert siblings(plan, row[0]) == ["B", "A"]
    assert siblings(plan) == ["First", "Second", "Third"]


def test_a_step_moved_under_another_goes_last_there_with_its_branch(plan, row):
    first, _, third = row
    plan.add_step("Already under third", parent=third)
    plan.add_step("Under first", parent=first)

    first.move_under(third)

    assert siblings(plan, third) == ["Already under third", "First"]
    assert siblings(plan, first) == ["Under first"]
    first.move_under(None)
    assert siblings(plan) == ["Second", "Third", "First"]


def test_deleting_a_step_lifts_its_own_into_its_place_in_order(plan, row):
    second = row[1]
    four = plan.add_step("Four", parent=second)
    plan.add_step("Five", parent=second)
    plan.add_step("Under four", parent=four)

    second.delete_lifting_children()

    assert siblings(plan) == ["First", "Four", "Five", "Third"]
    assert siblings(plan, four) == ["Under four"]
    assert not Step.objects.filter(pk=second.pk).exists()


# --- Each change is written whole, or not at all -----------------------------------------


class Refused(Exception):
    pass


@pytest.fixture
def refuse():
    """Connect a receiver that raises to a signal, as a failing receiver in another app
    would: the change that sent it must come back out whole."""
    connected = []

    def connect(signal):
        def receiver(**kwargs):
            raise Refused

        signal.connect(receiver)
        connected.append((signal, receiver))

    yield connect
    for signal, receiver in connected:
        signal.disconnect(receiver)


def stored(step):
    """What the database holds of a step and its history."""
    row = Step.objects.values("status", "completed", "due_date", "checkup_due").get(pk=step.pk)
    return row, list(step.events.values_list("kind", flat=True))


ACTIONS = [
    (signals.step_done, lambda step: step.mark_done()),
    (signals.step_dropped, lambda step: step.mark_dropped("Plans changed")),
    (
        signals.step_rescheduled,
        lambda step: step.reschedule(step.due_date + datetime.timedelta(days=5), "Busy"),
    ),
]


@pytest.mark.parametrize(("signal", "act"), ACTIONS, ids=["done", "dropped", "rescheduled"])
def test_a_receiver_that_raises_leaves_the_step_as_it_was(plan, refuse, signal, act):
    step = StepFactory(plan=plan)
    before = stored(step)
    refuse(signal)

    with pytest.raises(Refused):
        act(step)

    assert stored(step) == before


def test_a_receiver_that_raises_leaves_a_done_step_done(plan, refuse):
    step = StepFactory(plan=plan)
    step.mark_done()
    before = stored(step)
    refuse(signals.step_reopened)

    with pytest.raises(Refused):
        step.mark_open()

    assert stored(step) == before


def test_a_check_off_refused_by_a_receiver_writes_nothing_through_the_page(
    owner_client, plan, refuse
):
    # The view has no transaction of its own: mark_done is atomic by itself.
    step = StepFactory(plan=plan)
    before = stored(step)
    refuse(signals.step_done)

    with pytest.raises(Refused):
        owner_client.post(reverse("plans-step-done", args=[step.code]))

    assert stored(step) == before
    assert before[0]["status"] == Step.Status.OPEN


def test_a_commitment_refused_by_a_receiver_adds_no_step(plan, refuse):
    refuse(signals.step_committed)

    with pytest.raises(Refused):
        plan.add_step("Call Anna", plan.owner.local_today())

    assert not plan.steps.exists()
    assert not StepEvent.objects.exists()


def test_dating_a_tree_step_refused_by_a_receiver_leaves_it_undated(plan, refuse):
    step = plan.add_step("Find a location", source=Step.Source.TREE)
    before = stored(step)
    refuse(signals.step_committed)

    with pytest.raises(Refused):
        step.commit(plan.owner.local_today())

    assert stored(step) == before
    assert before[0]["due_date"] is None


def test_committing_an_option_refused_by_a_receiver_leaves_it_uncommitted(plan, refuse):
    option = OptionFactory(session=GrowSessionFactory(plan=plan))
    refuse(signals.step_committed)

    with pytest.raises(Refused):
        option.commit(plan.owner.local_today())

    option.refresh_from_db()
    assert option.step is None
    assert not plan.steps.exists()


def test_starting_anywhere_refused_by_a_receiver_makes_no_plan(owner, refuse):
    refuse(signals.step_committed)

    with pytest.raises(Refused):
        Plan.objects.start_anywhere(owner, "Ask one person how they got their job")

    assert not Plan.objects.filter(owner=owner).exists()


# --- Plans ----------------------------------------------------------------------------


def test_start_anywhere_makes_a_placeholder_plan_with_a_step_due_in_three_days(owner):
    plan = Plan.objects.start_anywhere(owner, "Ask one person how they got their job")

    step = plan.steps.get()
    assert plan.goal == PLACEHOLDER_GOAL
    assert step.due_date == owner.local_today() + datetime.timedelta(days=3)
    assert step.events.get().kind == StepEvent.Kind.COMMITTED


def test_archiving_and_reactivating_change_a_plan_once(plan):
    stale = Plan.objects.get(pk=plan.pk)

    assert plan.archive()
    assert not stale.archive()  # a second tab: already archived, nothing changes
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.ARCHIVED
    assert plan.reactivate()
    assert not plan.reactivate()
    assert Plan.objects.get(pk=plan.pk).status == Plan.Status.ACTIVE


# --- Two requests at once --------------------------------------------------------------
# Each request loads the step, then acts: the second acts on what it loaded before the
# first committed. The state changes once, and the history says what happened.


def test_two_undos_at_once_reopen_once(plan):
    step = plan.add_step("Ring the bank", datetime.date(2026, 12, 10))
    step.mark_done()
    first, second = Step.objects.get(pk=step.pk), Step.objects.get(pk=step.pk)

    assert first.mark_open() is True
    assert second.mark_open() is False
    assert second.status == Step.Status.OPEN  # it reads the step as it now is
    kinds = step.events.exclude(kind=StepEvent.Kind.COMMITTED).order_by("pk")
    assert list(kinds.values_list("kind", flat=True)) == [
        StepEvent.Kind.DONE,
        StepEvent.Kind.REOPENED,
    ]


def test_two_drops_at_once_drop_once(plan):
    step = plan.add_step("Ring the bank", datetime.date(2026, 12, 10))
    first, second = Step.objects.get(pk=step.pk), Step.objects.get(pk=step.pk)

    assert first.mark_dropped("no time") is True
    assert second.mark_dropped("changed my mind") is False
    drops = step.events.filter(kind=StepEvent.Kind.DROPPED)
    assert list(drops.values_list("reason", flat=True)) == ["no time"]
    step.refresh_from_db()
    assert (step.status, step.checkup_due) == (Step.Status.DROPPED, None)


def test_reopening_makes_the_check_up_due_again(plan):
    step = plan.add_step("Ring the bank", datetime.date(2026, 12, 10))
    due = step.checkup_due
    step.mark_dropped()
    Step.objects.get(pk=step.pk).mark_open()
    step.refresh_from_db()
    assert step.checkup_due == due is not None


def test_two_moves_at_once_record_the_date_each_moved_from(plan):
    step = plan.add_step("Ring the bank", datetime.date(2026, 12, 10))
    first, second = Step.objects.get(pk=step.pk), Step.objects.get(pk=step.pk)

    first.reschedule(datetime.date(2026, 12, 14), "busy")
    second.reschedule(datetime.date(2026, 12, 20), "busier")

    moves = (
        step.events.filter(kind=StepEvent.Kind.RESCHEDULED)
        .order_by("pk")
        .values_list("old_date", "new_date")
    )
    assert list(moves) == [
        (datetime.date(2026, 12, 10), datetime.date(2026, 12, 14)),
        (datetime.date(2026, 12, 14), datetime.date(2026, 12, 20)),
    ]
