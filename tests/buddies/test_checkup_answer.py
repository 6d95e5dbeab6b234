"""The planner answers a check-up: done, more time (a new date and why), or dropped."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from buddies.models import Note, Notification
from buddies.outbox import rows
from plans.models import Step, StepEvent
from tests.buddies.conftest import make_buddyship
from tests.factories import StepFactory
from tests.refusals import message_beside


def answer_url(step):
    return reverse("buddies-checkup-answer", args=[step.code])


def test_answer_page_shows_the_step_and_what_buddies_asked(owner_client, due_step, buddyship):
    Note.objects.create(buddyship=buddyship, step=due_step, kind=Note.Kind.ASK)

    response = owner_client.get(answer_url(due_step))

    assert response.status_code == 200
    assert "How did it go: Ring the landlord?" in response.text
    assert "Bea Buddy" in response.text
    assert "asked how it went" in response.text


def test_answer_done_marks_the_step_done_and_the_notes_seen(owner_client, due_step, buddyship):
    note = Note.objects.create(buddyship=buddyship, step=due_step, kind=Note.Kind.ASK)

    response = owner_client.post(answer_url(due_step), {"answer": "done"})

    assert response.status_code == 302
    assert response.url == reverse("plans-dashboard")
    due_step.refresh_from_db()
    assert due_step.status == Step.Status.DONE
    note.refresh_from_db()
    assert note.seen is not None


def test_answer_more_time_reschedules_with_the_reason(owner, owner_client, due_step):
    new_date = owner.local_today() + datetime.timedelta(days=7)

    response = owner_client.post(
        answer_url(due_step),
        {
            "answer": "more_time",
            "new_date": new_date.isoformat(),
            "reason": "The landlord is away.",
        },
    )

    assert response.status_code == 302
    due_step.refresh_from_db()
    assert due_step.due_date == new_date
    assert due_step.status == Step.Status.OPEN
    event = due_step.events.get(kind=StepEvent.Kind.RESCHEDULED)
    assert event.reason == "The landlord is away."


def test_answer_dropped_drops_the_step(owner_client, due_step):
    owner_client.post(answer_url(due_step), {"answer": "dropped", "reason": "Found a better shop."})

    due_step.refresh_from_db()
    assert due_step.status == Step.Status.DROPPED
    assert due_step.events.get(kind=StepEvent.Kind.DROPPED).reason == "Found a better shop."


def test_more_time_needs_a_date_and_a_reason(owner_client, due_step):
    response = owner_client.post(answer_url(due_step), {"answer": "more_time", "reason": ""})

    assert response.status_code == 422
    errors = response.context["form"].errors
    assert errors["new_date"] == ["Pick the new completion date."]
    assert errors["reason"] == ["Say in a few words why you need more time."]
    due_step.refresh_from_db()
    assert due_step.status == Step.Status.OPEN
    assert not due_step.events.filter(kind=StepEvent.Kind.RESCHEDULED).exists()


def assert_more_time_refused(response, step, due_date, message):
    """Refused next to the date field (422), the reason kept, and nothing written."""
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors["new_date"])
    assert message in response.text
    assert "Busy week" in response.text
    step.refresh_from_db()
    assert (step.status, step.due_date) == (Step.Status.OPEN, due_date)
    assert not step.events.filter(kind=StepEvent.Kind.RESCHEDULED).exists()
    assert not Notification.objects.filter(kind=Notification.Kind.ANSWER).exists()


def test_more_time_refuses_a_past_date_and_keeps_the_reason(
    owner, owner_client, due_step, buddyship
):
    due = due_step.due_date
    past = owner.local_today() - datetime.timedelta(days=2)

    response = owner_client.post(
        answer_url(due_step),
        {"answer": "more_time", "new_date": past.isoformat(), "reason": "Busy week"},
    )

    assert_more_time_refused(response, due_step, due, "cannot be in the past")


def test_more_time_refuses_the_date_the_step_already_has(owner, owner_client, plan, buddyship):
    # As the planner's own reschedule form does (Step.validate_new_date).
    step = StepFactory(plan=plan, title="Ring the landlord", due_date=owner.local_today())

    response = owner_client.post(
        answer_url(step),
        {"answer": "more_time", "new_date": step.due_date.isoformat(), "reason": "Busy week"},
    )

    assert_more_time_refused(response, step, step.due_date, "That is the date it already has")


def test_past_is_judged_in_the_planners_zone(owner, owner_client, due_step):
    owner.tz = "Pacific/Kiritimati"  # UTC+14: already tomorrow there for most of the day
    owner.save(update_fields=["tz"])
    utc_today = datetime.datetime.now(datetime.UTC).date()
    with time_machine.travel(datetime.datetime.combine(utc_today, datetime.time(12), datetime.UTC)):
        response = owner_client.post(
            answer_url(due_step),
            {"answer": "more_time", "new_date": utc_today.isoformat(), "reason": "Busy week"},
        )

    assert response.status_code == 422
    assert "cannot be in the past" in response.text


def test_a_date_given_with_another_answer_is_not_checked(owner_client, due_step):
    response = owner_client.post(
        answer_url(due_step), {"answer": "done", "new_date": due_step.due_date.isoformat()}
    )

    assert response.status_code == 302
    due_step.refresh_from_db()
    assert due_step.status == Step.Status.DONE


@pytest.mark.parametrize(("days", "passed"), [(-1, True), (0, False)])
def test_the_date_is_marked_passed_from_the_day_after_it(owner, owner_client, plan, days, passed):
    step = StepFactory(plan=plan, due_date=owner.local_today() + datetime.timedelta(days=days))

    response = owner_client.get(answer_url(step))

    assert response.context["state"] == ("overdue" if passed else "due")
    assert ('badge text-bg-danger">passed' in response.text) is passed


def test_an_answer_is_required(owner_client, due_step):
    response = owner_client.post(answer_url(due_step), {})

    assert response.status_code == 422
    assert "Choose one answer." in response.text


def test_an_unreadable_new_date_is_refused_with_an_example_the_form_takes(
    owner, owner_client, due_step
):
    # The step was due yesterday: the example is a few days after today.
    example = owner.local_today() + datetime.timedelta(days=3)
    answer = {"answer": "more_time", "reason": "The landlord is away."}

    response = owner_client.post(answer_url(due_step), {**answer, "new_date": "2026-02-31"})

    assert response.status_code == 422
    assert message_beside(response.text, "new_date") == f"Enter a real date, like {example}."
    assert "Enter a valid date." not in response.text
    assert not due_step.events.exists()
    accepted = owner_client.post(answer_url(due_step), {**answer, "new_date": example})
    assert accepted.status_code == 302
    due_step.refresh_from_db()
    assert due_step.due_date == example


def test_a_closed_step_cannot_be_answered_again(owner_client, due_step):
    due_step.mark_done()

    response = owner_client.post(answer_url(due_step), {"answer": "dropped"})

    assert response.status_code == 409
    due_step.refresh_from_db()
    assert due_step.status == Step.Status.DONE


def test_answer_page_is_404_for_a_stranger_and_a_buddy(
    stranger_client, buddy_client, buddyship, due_step
):
    for client in (stranger_client, buddy_client):
        assert client.get(answer_url(due_step)).status_code == 404
        assert client.post(answer_url(due_step), {"answer": "done"}).status_code == 404
    due_step.refresh_from_db()
    assert due_step.status == Step.Status.OPEN


def test_answer_page_redirects_anonymous_to_login(client, due_step):
    response = client.get(answer_url(due_step))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_answer_page_rejects_put(owner_client, due_step):
    assert owner_client.put(answer_url(due_step)).status_code == 405


def test_answer_done_keeps_the_planners_words(owner_client, due_step, buddyship):
    owner_client.post(answer_url(due_step), {"answer": "done", "reason": "Sam loved it"})

    assert due_step.events.get(kind=StepEvent.Kind.DONE).reason == "Sam loved it"
    [row] = Notification.objects.filter(kind=Notification.Kind.CELEBRATION)
    assert row.payload["reason"] == "Sam loved it"


def thanks(response):
    return [str(message) for message in response.context["messages"]]


def test_answer_done_says_when_each_buddy_hears_of_it(owner, owner_client, due_step, buddyship):
    make_buddyship(owner, [due_step.plan], email="second@example.com", name="Sid")
    make_buddyship(
        owner, [due_step.plan], email="gone@example.com", name="Una", unsubscribed=timezone.now()
    )

    response = owner_client.post(answer_url(due_step), {"answer": "done"}, follow=True)

    assert thanks(response) == [
        "Thank you for answering. Your buddies hear about it in two minutes; reopen the "
        "step before then and they hear nothing."
    ]


def test_answer_done_to_one_buddy_says_buddy(owner_client, due_step, buddyship):
    response = owner_client.post(answer_url(due_step), {"answer": "done"}, follow=True)

    assert thanks(response) == [
        "Thank you for answering. Your buddy hears about it in two minutes; reopen the "
        "step before then and they hear nothing."
    ]


def test_answer_promises_nothing_when_no_buddy_is_told(owner, owner_client, due_step):
    make_buddyship(owner, [due_step.plan], unsubscribed=timezone.now())

    response = owner_client.post(answer_url(due_step), {"answer": "done"}, follow=True)

    assert thanks(response) == ["Thank you for answering."]


def test_more_time_says_the_buddy_who_checked_up_hears_now(owner, owner_client, plan, buddyship):
    step = StepFactory(plan=plan, due_date=owner.local_today() - datetime.timedelta(days=1))
    Notification.objects.create(
        kind=Notification.Kind.CHECKUP,
        buddyship=buddyship,
        step=step,
        key=rows.checkup_key(step),
        state=Notification.State.SENT,
        handed_over=timezone.now(),
    )
    new_date = owner.local_today() + datetime.timedelta(days=7)

    response = owner_client.post(
        answer_url(step),
        {"answer": "more_time", "new_date": new_date.isoformat(), "reason": "Away"},
        follow=True,
    )

    assert thanks(response) == ["Thank you for answering. Your buddy hears about it now."]


def test_the_htmx_answer_says_saved_not_sent(owner_client, due_step, buddyship):
    response = owner_client.post(
        answer_url(due_step), {"answer": "done"}, headers={"HX-Request": "true"}
    )

    assert "Saved: the step is done." in response.text
    assert "is sent" not in response.text


def test_a_step_checked_off_in_another_tab_while_asking_for_more_time_is_a_clear_409(
    owner_client, due_step, buddyship, monkeypatch
):
    """The page read the step open; another tab checks it off before the new date is set."""
    original = Step.reschedule

    def checked_off_first(step, *args, **kwargs):
        Step.objects.get(pk=step.pk).mark_done()
        return original(step, *args, **kwargs)

    monkeypatch.setattr(Step, "reschedule", checked_off_first)
    promised = due_step.due_date
    later = promised + datetime.timedelta(days=7)
    response = owner_client.post(
        answer_url(due_step),
        {"answer": "more_time", "new_date": later.isoformat(), "reason": "Busy"},
    )

    assert response.status_code == 409
    assert "This step is already closed." in response.text
    assert "Thank you for answering" not in response.text
    due_step.refresh_from_db()
    assert (due_step.status, due_step.due_date) == (Step.Status.DONE, promised)
    assert not due_step.events.filter(kind=StepEvent.Kind.RESCHEDULED).exists()
