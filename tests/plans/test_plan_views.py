"""Plans: create, edit, archive and delete, with SMART feedback that advises and never blocks."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from plans.example import FIRST_STEP, load_example_plan
from plans.models import GrowSession, Plan, Step, StepEvent
from tests.factories import PlanFactory, StepFactory
from tests.refusals import message_beside

pytestmark = pytest.mark.django_db

# (url name, method, takes the plan code)
PLAN_VIEWS = [
    ("plans-detail", "get", True),
    ("plans-edit", "get", True),
    ("plans-edit", "post", True),
    ("plans-archive", "post", True),
    ("plans-delete", "get", True),
    ("plans-delete", "post", True),
    ("plans-step-add", "get", True),
    ("plans-step-add", "post", True),
]
OWN_VIEWS = [
    ("plans-dashboard", "get"),
    ("plans-list", "get"),
    ("plans-create", "get"),
    ("plans-create", "post"),
    ("plans-smart-check", "post"),
    ("plans-example-load", "post"),
    ("plans-start-anywhere", "post"),
    ("plans-step-quick-add", "get"),
    ("plans-step-quick-add", "post"),
]
WRONG_METHOD = [
    ("plans-detail", "post", True),
    ("plans-archive", "get", True),
    ("plans-edit", "delete", True),
    ("plans-smart-check", "get", False),
    ("plans-example-load", "get", False),
    ("plans-start-anywhere", "get", False),
    ("plans-dashboard", "post", False),
    ("plans-list", "put", False),
]


def url_for(name, plan, with_code):
    return reverse(name, args=[plan.code]) if with_code else reverse(name)


@pytest.mark.parametrize(("name", "method", "with_code"), PLAN_VIEWS)
def test_stranger_gets_404_on_another_persons_plan(stranger_client, plan, name, method, with_code):
    response = getattr(stranger_client, method)(url_for(name, plan, with_code), {"goal": "x"})
    assert response.status_code == 404
    plan.refresh_from_db()
    assert plan.goal != "x"
    assert plan.status == Plan.Status.ACTIVE


@pytest.mark.parametrize(("name", "method", "with_code"), PLAN_VIEWS)
def test_anonymous_visitor_is_sent_to_log_in(client, plan, name, method, with_code):
    response = getattr(client, method)(url_for(name, plan, with_code))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(("name", "method"), OWN_VIEWS)
def test_anonymous_visitor_is_sent_to_log_in_from_own_pages(client, name, method):
    response = getattr(client, method)(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(("name", "method", "with_code"), WRONG_METHOD)
def test_wrong_method_is_405(owner_client, plan, name, method, with_code):
    assert getattr(owner_client, method)(url_for(name, plan, with_code)).status_code == 405


@pytest.mark.parametrize("name", ["plans-detail", "plans-edit", "plans-delete", "plans-step-add"])
def test_owner_sees_plan_pages_full_and_through_htmx(owner_client, plan, htmx_headers, name):
    url = reverse(name, args=[plan.code])
    full = owner_client.get(url)
    assert full.status_code == 200
    assert plan.goal in full.text
    assert "<html" in full.text
    assert owner_client.get(url, headers=htmx_headers).status_code == 200


def test_create_plan_saves_and_shows_smart_feedback(owner_client, owner):
    response = owner_client.post(
        reverse("plans-create"),
        {
            "goal": "I will be working as a   garden designer by June 2028",
            "measure": "Three paying clients",
            "relevance": "I love being outside",
            "target_date": "2028-06-30",
        },
    )
    plan = Plan.objects.get(owner=owner)
    assert response.status_code == 302
    assert response.url == reverse("plans-detail", args=[plan.code])
    assert plan.goal == "I will be working as a garden designer by June 2028"
    page = owner_client.get(response.url)
    assert "Is it SMART?" in page.text
    assert "Time-bound" in page.text


def test_goal_phrased_as_leaving_is_saved_with_advice_not_refused(owner_client, owner):
    response = owner_client.post(reverse("plans-create"), {"goal": "I will quit my job"})
    assert response.status_code == 302
    page = owner_client.get(response.url)
    assert "“Quit” says what you are moving away from" in page.text
    assert Plan.objects.filter(owner=owner).count() == 1


def test_live_smart_check_returns_the_feedback_fragment(owner_client):
    response = owner_client.post(
        reverse("plans-smart-check"),
        {"goal": "I will leave my job", "target_date": "not a date"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'id="smart-feedback"' in response.text
    assert "<html" not in response.text
    assert "needs work" in response.text


def test_check_button_shows_feedback_without_saving(owner_client, owner):
    response = owner_client.post(
        reverse("plans-create"), {"goal": "I will stop being bored", "check": "1"}
    )
    assert response.status_code == 200
    assert not Plan.objects.filter(owner=owner).exists()
    assert "I will stop being bored" in response.text
    assert "needs work" in response.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"goal": ""}, "Write your goal"),
        ({"goal": "x" * 301}, "Keep your goal to 300 characters"),
        ({"goal": "I will be a baker", "target_date": "2027-02-31"}, "Enter a real date"),
    ],
)
def test_bad_plan_input_is_refused_with_message_and_kept(owner_client, owner, data, message):
    response = owner_client.post(reverse("plans-create"), {"measure": "kept text", **data})
    assert response.status_code == 422
    assert message in response.text
    assert "kept text" in response.text
    assert not Plan.objects.filter(owner=owner).exists()


@time_machine.travel(datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.UTC), tick=False)
def test_an_unreadable_target_date_is_refused_with_a_real_date_as_example(owner_client, owner):
    response = owner_client.post(
        reverse("plans-create"), {"goal": "I will be a baker", "target_date": "2027-02-31"}
    )

    assert response.status_code == 422
    assert message_beside(response.text, "target_date") == "Enter a real date, like 2026-11-24."
    assert not Plan.objects.filter(owner=owner).exists()


# POSTs whose body holds no form fields: JSON, and multipart with no parts in it.
NO_FIELDS = {
    "json": ('{"goal": "I will be a baker", "title": "Bake"}', "application/json"),
    "empty multipart": (b"--b--\r\n", "multipart/form-data; boundary=b"),
}
FORMS = [
    ("plans-edit", True, "Write your goal"),
    ("plans-create", False, "Write your goal"),
    ("plans-step-add", True, "Say what the step is."),
    ("plans-step-quick-add", False, "Say what the step is."),
]


@pytest.mark.parametrize("body", NO_FIELDS.values(), ids=NO_FIELDS.keys())
@pytest.mark.parametrize(("name", "takes_code", "message"), FORMS)
def test_a_post_with_no_form_fields_is_refused_like_an_empty_form(
    owner_client, owner, plan, name, takes_code, message, body
):
    """Not shown blank with a 200 as if it were a GET: a 422 with each field's error."""
    url = reverse(name, args=[plan.code] if takes_code else [])
    goal = plan.goal
    response = owner_client.generic("POST", url, body[0], content_type=body[1])
    assert response.status_code == 422
    assert message in response.text
    assert Plan.objects.filter(owner=owner).count() == 1
    assert not Step.objects.exists()
    plan.refresh_from_db()
    assert plan.goal == goal


def test_edit_keeps_what_was_typed_when_refused(owner_client, plan):
    response = owner_client.post(
        reverse("plans-edit", args=[plan.code]), {"goal": "", "measure": "new measure"}
    )
    assert response.status_code == 422
    assert "new measure" in response.text
    plan.refresh_from_db()
    assert plan.goal


def test_a_refused_edit_shows_the_plan_as_saved_above_the_form(owner_client, plan):
    plan.target_date = datetime.date(2027, 6, 1)
    plan.save()
    saved_goal = plan.goal
    response = owner_client.post(
        reverse("plans-edit", args=[plan.code]),
        {"goal": "I will run a kite shop", "target_date": "9999-01-01"},
    )
    assert response.status_code == 422
    assert "Pick a date between 1900 and 2200." in response.text
    header = response.text.split('<header class="plan-header', 1)[1].split("</header>", 1)[0]
    assert f'<h1 class="h3 plan-goal">{saved_goal}</h1>' in header
    assert '<time datetime="2027-06-01">1 June 2027</time>' in header
    assert "9999" not in header
    # The form keeps what was typed.
    assert "I will run a kite shop</textarea>" in response.text


def test_archive_and_reactivate(owner_client, plan):
    url = reverse("plans-archive", args=[plan.code])
    owner_client.post(url)
    plan.refresh_from_db()
    assert plan.status == Plan.Status.ARCHIVED
    assert plan.goal not in owner_client.get(reverse("plans-dashboard")).text
    assert plan.goal in owner_client.get(reverse("plans-list")).text
    owner_client.post(url)
    plan.refresh_from_db()
    assert plan.status == Plan.Status.ACTIVE


def test_delete_asks_first_and_says_what_goes(owner_client, plan):
    StepFactory.create_batch(3, plan=plan)
    page = owner_client.get(reverse("plans-delete", args=[plan.code]))
    assert "3 steps" in page.text
    assert Plan.objects.filter(pk=plan.pk).exists()
    response = owner_client.post(reverse("plans-delete", args=[plan.code]))
    assert response.url == reverse("plans-list")
    assert not Plan.objects.filter(pk=plan.pk).exists()
    assert not Step.objects.filter(plan_id=plan.pk).exists()


def test_example_plan_is_the_bookshop_reverse_engineered_to_a_first_step(owner_client, owner):
    response = owner_client.post(reverse("plans-example-load"))
    plan = Plan.objects.get(owner=owner)
    assert response.url == plan.get_absolute_url()
    assert plan.is_example
    titles = set(plan.steps.values_list("title", flat=True))
    for branch in [
        "Find a location",
        "Learn about running a business",
        "Decide the market",
        "Choose a name",
        "Design a logo",
        "Fit out the shop",
        "Source book wholesalers",
        "Decide staffing",
    ]:
        assert branch in titles
    first = plan.steps.get(title=FIRST_STEP)
    assert first.parent.title == "Learn about running a business"
    assert first.due_date == owner.local_today() + datetime.timedelta(days=3)
    assert GrowSession.objects.filter(plan=plan, number=1).exists()
    page = owner_client.get(plan.get_absolute_url())
    assert FIRST_STEP in page.text
    assert "Worked example" in page.text
    owner_client.post(reverse("plans-delete", args=[plan.code]))
    assert not Plan.objects.filter(owner=owner).exists()


def test_example_can_be_loaded_by_two_people_independently(owner, stranger):
    (mine, _), (theirs, _) = load_example_plan(owner), load_example_plan(stranger)
    assert mine.steps.count() == theirs.steps.count() > 8
    assert not mine.steps.filter(pk__in=theirs.steps.values("pk")).exists()


def test_a_second_press_opens_the_example_already_loaded(owner_client, owner):
    url = reverse("plans-example-load")
    first = owner_client.post(url)
    plan = Plan.objects.get(owner=owner)
    second = owner_client.post(url, follow=True)
    assert Plan.objects.filter(owner=owner).count() == 1
    assert second.redirect_chain[-1][0] == first.url == plan.get_absolute_url()
    assert "You have the worked example already: here it is." in second.text
    listing = owner_client.get(reverse("plans-list")).text
    assert "Open the worked example" in listing
    assert "Load the worked example" not in listing


def test_start_anywhere_makes_a_plan_with_a_step_due_in_three_days(owner_client, owner):
    page = owner_client.get(reverse("plans-dashboard"))
    assert "Start anywhere" in page.text
    response = owner_client.post(reverse("plans-start-anywhere"), {"starter": "1"})
    plan = Plan.objects.get(owner=owner)
    assert response.url == plan.get_absolute_url()
    step = plan.steps.get()
    assert step.due_date == owner.local_today() + datetime.timedelta(days=3)
    assert StepEvent.objects.filter(step=step, kind=StepEvent.Kind.COMMITTED).exists()


def test_start_anywhere_refuses_an_unknown_choice(owner_client, owner):
    response = owner_client.post(reverse("plans-start-anywhere"), {"starter": "99"})
    assert response.status_code == 302
    assert not Plan.objects.filter(owner=owner).exists()


@pytest.mark.parametrize("size", [5, 500])
def test_plan_page_runs_a_fixed_number_of_queries(
    owner_client, plan, size, django_assert_max_num_queries
):
    today = plan.owner.local_today()
    Step.objects.bulk_create(
        Step(
            plan=plan,
            title=f"Step {i}",
            due_date=today + datetime.timedelta(days=i % 60 - 20),
            status=Step.Status.DONE if i % 3 == 0 else Step.Status.OPEN,
            reward="cake" if i % 5 == 0 else "",
            position=i,
        )
        for i in range(size)
    )
    with django_assert_max_num_queries(7):
        response = owner_client.get(reverse("plans-detail", args=[plan.code]))
    assert response.status_code == 200


def test_another_persons_plan_is_not_a_choice_in_quick_add(owner_client, owner, stranger):
    theirs = PlanFactory(owner=stranger)
    response = owner_client.post(
        reverse("plans-step-quick-add"),
        {"plan": str(theirs.code), "title": "Sneaky", "due_date": owner.local_today().isoformat()},
    )
    assert response.status_code == 422
    assert "Choose one of your plans" in response.text
    assert not Step.objects.filter(title="Sneaky").exists()


def test_progress_counts_a_tree_step_checked_off_before_it_had_a_date(owner, plan):
    # The same count as the wall chart: never "2 of 1 done".
    today = owner.local_today()
    StepFactory(plan=plan, due_date=today, status=Step.Status.DONE)
    StepFactory(plan=plan, due_date=None, status=Step.Status.DONE)
    StepFactory(plan=plan, due_date=None)  # still to break down: not counted
    StepFactory(plan=plan, due_date=today, status=Step.Status.DROPPED)
    counts = plan.steps.progress(today)
    assert (counts["done"], counts["total"], counts["percent"]) == (2, 2, 100)
    annotated = Plan.objects.with_progress().get(pk=plan.pk)
    assert (annotated.steps_done, annotated.steps_total) == (2, 2)


def test_an_archived_plan_still_takes_a_step_from_its_page(owner_client, plan):
    # An archived plan rests rather than freezes (docs/decisions.md): the page offers the
    # same quick add the server accepts.
    plan.status = Plan.Status.ARCHIVED
    plan.save()
    page = owner_client.get(plan.get_absolute_url()).content.decode()
    assert reverse("plans-step-add", args=[plan.code]) in page
    due = (plan.owner.local_today() + datetime.timedelta(days=2)).isoformat()
    response = owner_client.post(
        reverse("plans-step-add", args=[plan.code]), {"title": "Tidy my notes", "due_date": due}
    )
    assert response.status_code == 302
    assert plan.steps.filter(title="Tidy my notes").exists()


def test_a_plan_without_dated_steps_says_so_alike_on_every_page(owner_client, owner):
    """One wording (plans/_done_of.html), never "0 of 0 steps done (0%)"."""
    plan = PlanFactory(owner=owner)
    pages = [
        reverse("plans-dashboard"),
        reverse("plans-list"),
        plan.get_absolute_url(),
        reverse("plans-wallchart", args=[plan.code]),
    ]
    for url in pages:
        html = owner_client.get(url).text
        assert "No dated steps yet" in html, url
        assert "0 of 0" not in html, url
    StepFactory(plan=plan, due_date=owner.local_today())
    for url in pages:
        assert "0 of 1 step done" in owner_client.get(url).text, url
