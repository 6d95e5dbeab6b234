"""Steps: check off and undo in one click, rewards, reschedule with a reason, drop, quick add."""

import datetime

import pytest
from django.urls import reverse

from plans import signals
from plans.models import Step, StepEvent
from tests.factories import StepFactory
from tests.refusals import message_beside

pytestmark = pytest.mark.django_db

STEP_POSTS = [
    "plans-step-done",
    "plans-step-reopen",
    "plans-step-reward-enjoyed",
    "plans-step-reschedule",
    "plans-step-drop",
    "plans-step-edit",
]


@pytest.fixture
def step(plan):
    return StepFactory(
        plan=plan, title="Call Maya about the bookshop", reward="a trip to the cinema"
    )


@pytest.mark.parametrize("name", [*STEP_POSTS, "plans-step-detail"])
def test_stranger_gets_404_and_changes_nothing(stranger_client, step, name):
    method = stranger_client.get if name == "plans-step-detail" else stranger_client.post
    response = method(
        reverse(name, args=[step.code]), {"title": "x", "due_date": "2099-01-01", "reason": "x"}
    )
    assert response.status_code == 404
    step.refresh_from_db()
    assert (step.status, step.title) == (Step.Status.OPEN, "Call Maya about the bookshop")
    assert not step.events.exists()


@pytest.mark.parametrize("name", [*STEP_POSTS, "plans-step-detail"])
def test_anonymous_visitor_is_sent_to_log_in(client, step, name):
    method = client.get if name == "plans-step-detail" else client.post
    response = method(reverse(name, args=[step.code]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("name", STEP_POSTS)
def test_actions_refuse_get_with_405(owner_client, step, name):
    assert owner_client.get(reverse(name, args=[step.code])).status_code == 405


def test_step_page_refuses_post_with_405(owner_client, step):
    assert owner_client.post(reverse("plans-step-detail", args=[step.code])).status_code == 405


def test_check_off_with_htmx_returns_the_row_and_celebrates_the_reward(
    owner_client, step, htmx_headers
):
    received = []

    def receive(step, **kwargs):
        received.append(step)

    signals.step_done.connect(receive)
    try:
        response = owner_client.post(
            reverse("plans-step-done", args=[step.code]), {"from": "plan"}, headers=htmx_headers
        )
    finally:
        signals.step_done.disconnect(receive)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert f'id="step-{step.code}"' in response.text
    assert "You earned: <strong>a trip to the cinema</strong>" in response.text
    assert "Undo" in response.text
    step.refresh_from_db()
    assert step.status == Step.Status.DONE
    assert step.checkup_due is None
    assert received == [step]


def test_check_off_without_javascript_redirects_back_with_the_celebration(owner_client, step):
    response = owner_client.post(
        reverse("plans-step-done", args=[step.code]), {"from": "dashboard"}
    )
    assert response.url == reverse("plans-dashboard")
    page = owner_client.get(response.url)
    assert "You earned: a trip to the cinema" in page.text


def test_check_off_twice_records_one_event(owner_client, step):
    url = reverse("plans-step-done", args=[step.code])
    owner_client.post(url)
    owner_client.post(url)
    assert step.events.filter(kind=StepEvent.Kind.DONE).count() == 1


def test_undo_reopens_and_the_checkup_is_due_again(owner_client, step, htmx_headers):
    owner_client.post(reverse("plans-step-done", args=[step.code]))
    response = owner_client.post(
        reverse("plans-step-reopen", args=[step.code]), headers=htmx_headers
    )
    assert "Mark done" in response.text
    step.refresh_from_db()
    assert step.status == Step.Status.OPEN
    assert step.checkup_due is not None


def test_reward_can_be_marked_enjoyed_once_done(owner_client, step, htmx_headers):
    url = reverse("plans-step-reward-enjoyed", args=[step.code])
    owner_client.post(url)
    step.refresh_from_db()
    assert step.reward_enjoyed is None  # not done yet
    owner_client.post(reverse("plans-step-done", args=[step.code]))
    response = owner_client.post(url, headers=htmx_headers)
    assert "enjoyed" in response.text
    step.refresh_from_db()
    assert step.reward_enjoyed is not None


def test_reschedule_needs_a_reason_and_keeps_the_history(owner_client, owner, step):
    url = reverse("plans-step-reschedule", args=[step.code])
    new_date = owner.local_today() + datetime.timedelta(days=10)
    refused = owner_client.post(url, {"due_date": new_date.isoformat(), "reason": ""})
    assert refused.status_code == 422
    assert "Say briefly why" in refused.text
    assert new_date.isoformat() in refused.text
    old_date = step.due_date
    owner_client.post(url, {"due_date": new_date.isoformat(), "reason": "Maya is away"})
    step.refresh_from_db()
    assert step.due_date == new_date
    event = step.events.get(kind=StepEvent.Kind.RESCHEDULED)
    assert (event.old_date, event.new_date, event.reason) == (old_date, new_date, "Maya is away")
    page = owner_client.get(reverse("plans-step-detail", args=[step.code]))
    assert "Maya is away" in page.text


@pytest.mark.parametrize(
    ("due_date", "message"),
    [("2020-01-01", "cannot be in the past"), ("2027-13-01", "Enter a real date"), ("", "Choose")],
)
def test_reschedule_refuses_bad_dates(owner_client, step, due_date, message):
    response = owner_client.post(
        reverse("plans-step-reschedule", args=[step.code]),
        {"due_date": due_date, "reason": "typed reason"},
    )
    assert response.status_code == 422
    assert message in response.text
    assert "typed reason" in response.text
    assert not step.events.exists()


def test_an_unreadable_new_date_is_refused_with_an_example_the_form_takes(owner_client, step):
    """The example comes a few days after the step's own date, which it could not move to."""
    url = reverse("plans-step-reschedule", args=[step.code])
    example = step.due_date + datetime.timedelta(days=3)

    response = owner_client.post(url, {"due_date": "2027-02-31", "reason": "Maya is away"})

    assert response.status_code == 422
    assert message_beside(response.text, "due_date") == f"Enter a real date, like {example}."
    assert not step.events.exists()
    accepted = owner_client.post(url, {"due_date": example, "reason": "Maya is away"})
    assert accepted.status_code == 302
    step.refresh_from_db()
    assert step.due_date == example


def test_drop_keeps_the_step_in_history_and_can_be_undone(owner_client, step):
    owner_client.post(reverse("plans-step-drop", args=[step.code]), {"reason": "Not needed"})
    step.refresh_from_db()
    assert step.status == Step.Status.DROPPED
    assert step.checkup_due is None
    assert step.events.get(kind=StepEvent.Kind.DROPPED).reason == "Not needed"
    owner_client.post(reverse("plans-step-reopen", args=[step.code]))
    step.refresh_from_db()
    assert step.status == Step.Status.OPEN


def test_edit_refuses_an_empty_title_and_keeps_the_notes(owner_client, step):
    response = owner_client.post(
        reverse("plans-step-edit", args=[step.code]), {"title": "", "notes": "typed notes"}
    )
    assert response.status_code == 422
    assert "Say what the step is" in response.text
    assert "typed notes" in response.text
    step.refresh_from_db()
    assert step.title == "Call Maya about the bookshop"


def test_a_refused_edit_keeps_the_saved_title_and_reward_outside_the_form(owner_client, step):
    response = owner_client.post(
        reverse("plans-step-edit", args=[step.code]),
        {"title": "Ring Maya", "reward": "a cake", "notes": "n" * 2001},
    )
    assert response.status_code == 422
    assert "<title>Call Maya about the bookshop" in response.text
    assert '<h1 class="h3">Call Maya about the bookshop</h1>' in response.text
    assert "Reward: <strong>a trip to the cinema</strong>" in response.text
    assert 'value="Ring Maya"' in response.text


def test_a_step_added_to_an_archived_plan_says_where_it_will_not_show(owner_client, owner, plan):
    plan.archive()
    url = reverse("plans-detail", args=[plan.code])
    assert "This plan is archived: steps added here stay off your dashboard" in (
        owner_client.get(url).text
    )
    response = owner_client.post(
        reverse("plans-step-add", args=[plan.code]),
        {"title": "Tidy the notes", "due_date": owner.local_today().isoformat()},
        follow=True,
    )
    assert "Added: Tidy the notes. This plan is archived, so it stays off" in response.text
    assert "Tidy the notes" not in owner_client.get(reverse("plans-dashboard")).text


def test_quick_add_on_the_plan_page_commits_a_dated_step(owner_client, owner, plan):
    received = []

    def receive(step, **kwargs):
        received.append(step)

    signals.step_committed.connect(receive)
    try:
        response = owner_client.post(
            reverse("plans-step-add", args=[plan.code]),
            {
                "title": "Read one business book",
                "due_date": owner.local_today().isoformat(),
                "reward": "chocolate",
            },
        )
    finally:
        signals.step_committed.disconnect(receive)
    step = plan.steps.get(title="Read one business book")
    assert response.url == f"{plan.get_absolute_url()}#step-{step.code}"
    assert step.reward == "chocolate"
    assert step.events.get().kind == StepEvent.Kind.COMMITTED
    assert received == [step]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "due_date": "2099-01-01"}, "Say what the step is"),
        ({"title": "x" * 201, "due_date": "2099-01-01"}, "Keep a step to 200 characters"),
        ({"title": "Ring Sam", "due_date": ""}, "Give the step a completion date"),
        ({"title": "Ring Sam", "due_date": "31/02/2027"}, "Enter a real date"),
        ({"title": "Ring Sam", "due_date": "2000-01-01"}, "cannot be in the past"),
    ],
)
def test_quick_add_refuses_bad_input_and_keeps_it(owner_client, plan, data, message):
    response = owner_client.post(
        reverse("plans-step-add", args=[plan.code]), {**data, "reward": "typed reward"}
    )
    assert response.status_code == 422
    assert message in response.text
    assert "typed reward" in response.text
    assert not plan.steps.exists()


def test_quick_add_gives_a_day_it_takes_as_the_example_of_a_real_date(owner_client, owner, plan):
    url = reverse("plans-step-add", args=[plan.code])
    example = owner.local_today() + datetime.timedelta(days=3)

    response = owner_client.post(url, {"title": "Ring Sam", "due_date": "2027-02-31"})

    assert response.status_code == 422
    assert message_beside(response.text, "due_date") == f"Enter a real date, like {example}."
    assert "Enter a valid date." not in response.text
    assert owner_client.post(url, {"title": "Ring Sam", "due_date": example}).status_code == 302
    assert plan.steps.get().due_date == example


def test_yesterday_in_the_planners_zone_is_the_past(owner_client, owner, plan):
    owner.tz = "Pacific/Kiritimati"  # UTC+14: often already tomorrow there
    owner.save(update_fields=["tz"])
    yesterday = owner.local_today() - datetime.timedelta(days=1)
    response = owner_client.post(
        reverse("plans-step-add", args=[plan.code]),
        {"title": "Ring Sam", "due_date": yesterday.isoformat()},
    )
    assert response.status_code == 422
    response = owner_client.post(
        reverse("plans-step-add", args=[plan.code]),
        {"title": "Ring Sam", "due_date": owner.local_today().isoformat()},
    )
    assert response.status_code == 302


def test_dashboard_quick_add_puts_the_step_in_the_chosen_plan(owner_client, owner, plan):
    response = owner_client.post(
        reverse("plans-step-quick-add"),
        {
            "plan": str(plan.code),
            "title": "Email the course tutor",
            "due_date": owner.local_today(),
        },
    )
    assert response.url == reverse("plans-dashboard")
    assert plan.steps.filter(title="Email the course tutor").exists()


def test_check_off_on_the_plan_page_updates_progress_out_of_band(owner_client, step, htmx_headers):
    response = owner_client.post(
        reverse("plans-step-done", args=[step.code]), {"from": "plan"}, headers=htmx_headers
    )
    assert 'id="plan-progress"' in response.text
    assert 'hx-swap-oob="true"' in response.text
    assert "1 of 1 step done (100%)" in response.text


def test_saving_the_step_form_keeps_a_check_off_made_meanwhile(step):
    from plans.steps.forms import StepEditForm

    form = StepEditForm(
        {"title": "Call  Maya", "reward": "", "notes": "Ask about rent"}, instance=step
    )
    assert form.is_valid()
    Step.objects.filter(pk=step.pk).update(status=Step.Status.DONE)  # another tab
    form.save()
    step.refresh_from_db()
    assert (step.title, step.notes, step.status) == ("Call Maya", "Ask about rent", "done")


@pytest.mark.parametrize("close", ["mark_done", "mark_dropped"])
def test_a_closed_step_keeps_its_date(owner_client, owner, step, close):
    """Only an open step is given a new date: the form says so, and the model refuses
    even when the step closed after the form's check (another tab)."""
    getattr(step, close)()
    old_date = step.due_date
    told = []
    signals.step_rescheduled.connect(receiver := lambda **kw: told.append(kw), weak=False)
    try:
        new_date = owner.local_today() + datetime.timedelta(days=10)
        url = reverse("plans-step-reschedule", args=[step.code])
        data = {"due_date": new_date.isoformat(), "reason": "typed reason"}
        page = owner_client.post(url, data, follow=True).text
        assert "so its date stays as it is. Reopen it" in page
        with_htmx = owner_client.post(url, data, headers={"HX-Request": "true"})
        assert with_htmx.status_code == 409
        assert "so its date stays as it is. Reopen it" in with_htmx.text
        assert step.reschedule(new_date, "from a stale page") is False
    finally:
        signals.step_rescheduled.disconnect(receiver)
    step.refresh_from_db()
    assert step.due_date == old_date
    assert not step.events.filter(kind=StepEvent.Kind.RESCHEDULED).exists()
    assert told == []


def test_each_button_says_what_really_happened(owner_client, step):
    def message_after(name, data=None):
        url = reverse(name, args=[step.code])
        return owner_client.post(url, data or {}, follow=True).text

    assert "The reward is for when the step is done" in message_after("plans-step-reward-enjoyed")
    assert "is open already" in message_after("plans-step-reopen")
    owner_client.post(reverse("plans-step-done", args=[step.code]))
    assert "Enjoy it: you earned it." in message_after("plans-step-reward-enjoyed")
    assert "You have enjoyed this reward already." in message_after("plans-step-reward-enjoyed")
    assert "The step is dropped." in message_after("plans-step-drop", {"reason": ""})
    assert "The step was dropped already." in message_after("plans-step-drop", {"reason": ""})
    assert step.events.filter(kind=StepEvent.Kind.DROPPED).count() == 1


def test_a_refused_step_keeps_the_plan_page_with_the_message_at_the_field(owner_client, plan):
    """Not a page of the form alone: the plan's page, the refused field marked, described
    by its message and focused when the page opens (no script needed)."""
    response = owner_client.post(
        reverse("plans-step-add", args=[plan.code]),
        {"title": "Ring Sam", "due_date": "2000-01-01", "reward": "typed reward"},
    )
    assert response.status_code == 422
    html = response.text
    assert 'id="add-title"' in html
    assert plan.goal in html
    assert 'aria-describedby="id_due_date_error"' in html
    assert 'id="id_due_date_error"' in html
    assert (
        "autofocus"
        in html[html.index('name="due_date"') - 300 : html.index('name="due_date"') + 300]
    )
