"""The dashboard: overdue, this week, the next small step and progress, across plans."""

import datetime

import pytest
from django.urls import reverse

from plans.models import Plan, Step
from tests.factories import PlanFactory, StepFactory

pytestmark = pytest.mark.django_db


def days(n):
    return datetime.timedelta(days=n)


def test_dashboard_sorts_steps_into_overdue_this_week_and_next(owner_client, owner, plan):
    today = owner.local_today()
    other = PlanFactory(owner=owner, goal="I will be teaching yoga part-time by 2028")
    late = StepFactory(plan=plan, title="Late step")
    Step.objects.filter(pk=late.pk).update(due_date=today - days(2))
    StepFactory(plan=other, title="Soon step", due_date=today + days(1))
    StepFactory(plan=plan, title="Later step", due_date=today + days(20))
    done = StepFactory(plan=plan, title="Done step", due_date=today)
    done.mark_done()

    page = owner_client.get(reverse("plans-dashboard")).text
    overdue = page[page.index('id="overdue-title"') : page.index('id="week-title"')]
    week = page[page.index('id="week-title"') : page.index('id="quick-title"')]
    next_box = page[page.index('id="next-title"') : page.index('id="overdue-title"')]
    assert "Late step" in overdue
    assert "Soon step" not in overdue
    assert "Later step" not in week
    assert "Done step" not in week
    assert "Soon step" in next_box
    assert "I will be teaching yoga" in next_box  # each row says which plan it belongs to
    # The next small step is due this week, and shown once, in its own box: the list says
    # so, and its count still holds it.
    assert "Soon step" not in week
    assert "Only your next small step, above." in week
    assert 'text-bg-primary">1<' in week
    assert page.count("Mark done: Soon step") == 1
    assert "1 of 3 steps done" in page


def test_the_next_step_is_not_listed_again_beside_the_others_due(owner_client, owner, plan):
    today = owner.local_today()
    StepFactory(plan=plan, title="First step", due_date=today)
    StepFactory(plan=plan, title="Second step", due_date=today + days(3))
    page = owner_client.get(reverse("plans-dashboard")).text
    week = page[page.index('id="week-title"') : page.index('id="quick-title"')]
    assert "Second step" in week
    assert "First step" not in week
    assert "Your next small step, above, is due in these 7 days too." in week
    assert 'text-bg-primary">2<' in week


def test_next_step_falls_back_to_the_next_dated_step_beyond_this_week(owner_client, owner, plan):
    StepFactory(plan=plan, title="Far step", due_date=owner.local_today() + days(30))
    page = owner_client.get(reverse("plans-dashboard")).text
    assert "Far step" in page[page.index('id="next-title"') : page.index('id="overdue-title"')]


def test_archived_plans_rest_off_the_dashboard(owner_client, plan):
    StepFactory(plan=plan, title="Resting step")
    Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.ARCHIVED)
    page = owner_client.get(reverse("plans-dashboard")).text
    assert "Resting step" not in page
    assert "Start anywhere" in page


def test_empty_dashboard_offers_a_concrete_first_step_and_the_example(owner_client):
    page = owner_client.get(reverse("plans-dashboard")).text
    assert "Start anywhere" in page
    assert "Ask one person who does a job you admire" in page
    assert "Load the worked example" in page
    assert "Write your goal" in page


def test_dashboard_shows_only_the_persons_own_steps(owner_client, stranger):
    StepFactory(plan=PlanFactory(owner=stranger), title="Someone else's step")
    assert "Someone else" not in owner_client.get(reverse("plans-dashboard")).text


def test_dashboard_htmx_and_full_page(owner_client, htmx_headers):
    full = owner_client.get(reverse("plans-dashboard"))
    htmx = owner_client.get(reverse("plans-dashboard"), headers=htmx_headers)
    assert (full.status_code, htmx.status_code) == (200, 200)
    assert "<html" in full.text


@pytest.mark.parametrize("size", [5, 500])
def test_dashboard_runs_a_fixed_number_of_queries(
    owner_client, owner, size, django_assert_max_num_queries
):
    today = owner.local_today()
    plans = PlanFactory.create_batch(3, owner=owner)
    Step.objects.bulk_create(
        Step(
            plan=plans[i % 3],
            title=f"Step {i}",
            due_date=today + days(i % 30 - 10),
            status=Step.Status.DONE if i % 4 == 0 else Step.Status.OPEN,
            position=i,
        )
        for i in range(size)
    )
    # Session and user, plans, due counts, overdue, this week, done today, the people this
    # person supports, buddy notes and invitations, the journal reminder: the same at 500.
    with django_assert_max_num_queries(13):
        response = owner_client.get(reverse("plans-dashboard"))
    assert response.status_code == 200


def test_dashboard_reminds_quietly_when_today_has_no_journal_entry(owner_client, plan):
    assert "Write today" in owner_client.get(reverse("plans-dashboard")).text


def test_dashboard_shows_a_buddys_cheer(owner_client, owner, plan):
    from buddies.models import Buddyship, Note

    buddyship = Buddyship.objects.create(
        planner=owner, email="bea@example.com", name="Bea", status=Buddyship.Status.ACTIVE
    )
    step = StepFactory(plan=plan, title="Call the bookshop")
    Note.objects.create(buddyship=buddyship, step=step, kind=Note.Kind.CHEER, text="Go, Olivia!")
    page = owner_client.get(reverse("plans-dashboard")).text
    assert "Bea" in page
    assert "Go, Olivia!" in page
