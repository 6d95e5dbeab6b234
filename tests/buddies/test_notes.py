"""Buddy notes on the planner's dashboard: the inclusion tag and marking them read."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from buddies.models import Note
from tests.buddies.conftest import make_buddyship
from tests.factories import PlanFactory, StepFactory, UserFactory

TAG = Template("{% load buddy_tags %}{% buddy_notes %}")


def render_tag(user):
    request = RequestFactory().get("/dashboard/")
    request.user = user
    return TAG.render(Context({"request": request, "user": user, "csrf_token": "t"}))


def test_tag_shows_the_latest_notes_newest_first(owner, plan, buddyship):
    step = StepFactory(plan=plan, title="Ring the landlord")
    Note.objects.create(buddyship=buddyship, kind=Note.Kind.CHEER, text="First!")
    Note.objects.create(buddyship=buddyship, kind=Note.Kind.ASK, step=step)

    html = render_tag(owner)

    assert html.index("asked how “Ring the landlord” went") < html.index("First!")
    assert "Bea Buddy" in html
    assert "2 new" in html
    assert reverse("buddies-checkup-answer", args=[step.code]) in html
    assert 'name="csrfmiddlewaretoken" value="t"' in html


def test_tag_shows_only_this_planners_notes(owner, stranger, buddy):
    theirs = make_buddyship(stranger, [PlanFactory(owner=stranger)], user=buddy)
    Note.objects.create(buddyship=theirs, kind=Note.Kind.CHEER, text="For Sam only")

    html = render_tag(owner)

    assert "For Sam only" not in html
    assert "From your buddies" not in html


def test_tag_escapes_what_a_buddy_wrote(owner, buddyship):
    Note.objects.create(buddyship=buddyship, kind=Note.Kind.CHEER, text="<b>hi</b>")

    assert "&lt;b&gt;hi&lt;/b&gt;" in render_tag(owner)


@pytest.mark.parametrize("count", [5, 500])
def test_tag_runs_three_queries_whatever_the_number_of_notes(
    owner, plan, buddyship, django_assert_num_queries, count
):
    step = StepFactory(plan=plan)
    Note.objects.bulk_create(
        Note(buddyship=buddyship, kind=Note.Kind.CHEER, step=step) for _ in range(count)
    )
    request = RequestFactory().get("/dashboard/")
    request.user = owner

    with django_assert_num_queries(3):
        TAG.render(Context({"request": request, "user": owner}))


def test_mark_as_read_marks_only_this_planners_notes(owner_client, buddyship, stranger, buddy):
    mine = Note.objects.create(buddyship=buddyship, kind=Note.Kind.CHEER)
    theirs = Note.objects.create(
        buddyship=make_buddyship(stranger, [], user=UserFactory()), kind=Note.Kind.CHEER
    )

    response = owner_client.post(reverse("buddies-notes-seen"))

    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.seen is not None
    assert theirs.seen is None


def test_mark_as_read_with_htmx_returns_the_notes(owner_client, buddyship, htmx_headers):
    Note.objects.create(buddyship=buddyship, kind=Note.Kind.CHEER, text="Go on!")

    response = owner_client.post(reverse("buddies-notes-seen"), headers=htmx_headers)

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="mb-4 buddy-notes"')
    assert "Go on!" in response.text
    assert "new</span>" not in response.text


def test_mark_as_read_rejects_get_and_anonymous(owner_client, client):
    assert owner_client.get(reverse("buddies-notes-seen")).status_code == 405
    assert client.post(reverse("buddies-notes-seen")).status_code == 302


def test_tag_offers_invitations_waiting_for_this_person(owner, stranger):
    invitation = make_buddyship(
        stranger, [PlanFactory(owner=stranger)], email="OLIVIA@example.com", status="invited"
    )
    invitation.issue_invitation()

    html = render_tag(owner)

    assert "Sam Stranger</strong> asks you to be their Career Change Buddy" in html
    assert reverse("buddies-invitation-accept", args=[invitation.code]) in html


def test_a_confirmation_on_an_open_step_offers_the_answer_page(owner, plan, buddyship):
    step = StepFactory(plan=plan)
    Note.objects.create(buddyship=buddyship, kind=Note.Kind.CONFIRM, step=step)

    assert reverse("buddies-checkup-answer", args=[step.code]) in render_tag(owner)


def test_a_cheer_or_a_closed_step_offers_no_answer_page(owner, plan, buddyship):
    step = StepFactory(plan=plan)
    Note.objects.create(buddyship=buddyship, kind=Note.Kind.CHEER, step=step)
    done = StepFactory(plan=plan)
    done.mark_done()
    Note.objects.create(buddyship=buddyship, kind=Note.Kind.ASK, step=done)

    html = render_tag(owner)

    assert reverse("buddies-checkup-answer", args=[step.code]) not in html
    assert reverse("buddies-checkup-answer", args=[done.code]) not in html


def test_a_new_planners_dashboard_starts_with_the_welcome_not_the_buddies(owner_client):
    html = owner_client.get(reverse("plans-dashboard")).text

    assert "From your buddies" not in html
    assert "When a buddy cheers you on" not in html
    hello = html.index("Hello, Olivia Owner")
    assert "<section" not in html[hello : html.index('class="lead"')]


def test_a_planner_with_plans_and_no_notes_sees_no_buddies_heading(owner_client, plan):
    html = owner_client.get(reverse("plans-dashboard")).text

    assert "Your plans" in html
    assert "From your buddies" not in html
    assert '<div id="buddy-notes" hidden></div>' in html


@pytest.mark.parametrize("with_plan", [False, True])
def test_dashboard_shows_the_buddies_section_once_a_note_arrives(
    owner, owner_client, buddy, with_plan
):
    plans = [PlanFactory(owner=owner)] if with_plan else []
    buddyship = make_buddyship(owner, plans, user=buddy)
    Note.objects.create(buddyship=buddyship, kind=Note.Kind.CHEER, text="Go on!")

    html = owner_client.get(reverse("plans-dashboard")).text

    assert "From your buddies" in html
    assert "Go on!" in html
