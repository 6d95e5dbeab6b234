"""A buddy's question about a step is answered once the planner says how it went: done,
a new date or dropped, whichever page they say it on."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from buddies.models import Note
from tests.buddies.conftest import make_link
from tests.factories import StepFactory

ANSWERS = {
    "done": lambda step, today: step.mark_done(),
    "more time": lambda step, today: step.reschedule(today + datetime.timedelta(days=7), "Away"),
    "dropped": lambda step, today: step.mark_dropped("Not needed"),
}


@pytest.fixture
def question(buddyship, due_step):
    return Note.objects.create(buddyship=buddyship, step=due_step, kind=Note.Kind.ASK)


def state_of(note):
    return Note.objects.with_state().get(pk=note.pk)


def test_a_question_waits_for_an_answer_and_is_new(question):
    note = state_of(question)

    assert (note.answered, note.is_new, note.awaits_answer) == (False, True, True)


@pytest.mark.parametrize("answer", ANSWERS)
def test_each_answer_answers_the_question(owner, due_step, question, answer):
    ANSWERS[answer](due_step, owner.local_today())

    note = state_of(question)

    assert (note.answered, note.is_new, note.awaits_answer) == (True, False, False)


@pytest.mark.parametrize("answer", ANSWERS)
def test_an_answer_given_before_the_question_does_not_answer_it(owner, buddyship, due_step, answer):
    with time_machine.travel(timezone.now() - datetime.timedelta(hours=1), tick=False):
        ANSWERS[answer](due_step, owner.local_today())
    due_step.mark_open()
    asked = Note.objects.create(buddyship=buddyship, step=due_step, kind=Note.Kind.ASK)

    note = state_of(asked)

    assert (note.answered, note.is_new) == (False, True)


def test_a_question_asked_after_the_new_date_awaits_an_answer_again(
    owner, buddyship, due_step, question
):
    ANSWERS["more time"](due_step, owner.local_today())
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8), tick=False):
        again = Note.objects.create(buddyship=buddyship, step=due_step, kind=Note.Kind.ASK)

    assert state_of(question).awaits_answer is False
    assert state_of(again).awaits_answer is True


def test_a_cheer_is_no_question(owner, buddyship, due_step):
    cheer = Note.objects.create(buddyship=buddyship, step=due_step, kind=Note.Kind.CHEER)
    ANSWERS["more time"](due_step, owner.local_today())

    note = state_of(cheer)

    assert (note.answered, note.is_new, note.awaits_answer) == (False, True, False)


def test_a_question_seen_but_not_answered_still_awaits_an_answer(question):
    Note.objects.filter(pk=question.pk).mark_seen()

    note = state_of(question)

    assert (note.answered, note.is_new, note.awaits_answer) == (False, False, True)


def test_dashboard_stops_asking_once_more_time_is_given_on_the_answer_page(
    owner, owner_client, due_step, question
):
    before = owner_client.get(reverse("plans-dashboard")).text
    assert "1 new" in before
    assert "Answer: how did it go?" in before

    owner_client.post(
        reverse("buddies-checkup-answer", args=[due_step.code]),
        {
            "answer": "more_time",
            "new_date": (owner.local_today() + datetime.timedelta(days=7)).isoformat(),
            "reason": "The landlord is away.",
        },
    )

    after = owner_client.get(reverse("plans-dashboard")).text
    assert "Ring the landlord" in after
    assert "Answer: how did it go?" not in after
    assert "1 new" not in after
    assert "Mark as read" not in after


def test_dashboard_stops_asking_once_the_step_is_rescheduled_from_its_page(
    owner, owner_client, due_step, question
):
    owner_client.post(
        reverse("plans-step-reschedule", args=[due_step.code]),
        {
            "due_date": (owner.local_today() + datetime.timedelta(days=7)).isoformat(),
            "reason": "The landlord is away.",
        },
    )

    for page in (reverse("plans-dashboard"), reverse("buddies-list")):
        html = owner_client.get(page).text
        assert "asked how “Ring the landlord” went" in html
        assert "Answer: how did it go?" not in html
        assert "1 new" not in html


def test_checking_off_from_the_dashboard_with_htmx_updates_the_notes(
    owner_client, due_step, question, htmx_headers
):
    response = owner_client.post(
        reverse("plans-step-done", args=[due_step.code]),
        {"from": "dashboard"},
        headers=htmx_headers,
    )

    assert response.status_code == 200
    notes = response.text[response.text.index('id="buddy-notes"') :]
    assert 'hx-swap-oob="true"' in notes[:200]
    assert "asked how “Ring the landlord” went" in notes
    assert "Answer: how did it go?" not in notes
    assert "new</span>" not in notes


def test_dashboard_htmx_update_keeps_an_empty_place_for_the_notes(owner_client, plan, htmx_headers):
    step = StepFactory(plan=plan)

    response = owner_client.post(
        reverse("plans-step-done", args=[step.code]), {"from": "dashboard"}, headers=htmx_headers
    )

    assert '<div id="buddy-notes" hidden hx-swap-oob="true"></div>' in response.text
    assert "From your buddies" not in response.text


def test_the_buddy_sees_their_question_answered(owner, buddy_client, buddyship, due_step, question):
    progress = reverse("buddies-progress", args=[buddyship.code])
    assert "· answered" not in buddy_client.get(progress).text

    ANSWERS["more time"](due_step, owner.local_today())

    html = buddy_client.get(progress).text
    assert "You asked how “Ring the landlord” went " in html
    assert "· answered" in html


def test_a_link_holder_sees_their_question_answered(owner, client, buddyship, due_step, question):
    token = make_link(buddyship)
    ANSWERS["dropped"](due_step, owner.local_today())

    assert "· answered" in client.get(reverse("buddies-link-progress", args=[token])).text


def test_a_buddy_who_says_it_is_done_is_answered_about_that(owner_client, buddyship, due_step):
    Note.objects.create(buddyship=buddyship, step=due_step, kind=Note.Kind.CONFIRM)

    html = owner_client.get(reverse("plans-dashboard")).text

    assert "confirmed “Ring the landlord” is done" in html
    assert "Answer: is it done?" in html
    assert "Answer: how did it go?" not in html
