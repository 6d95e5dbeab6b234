"""The buddy's read-only progress page, for a signed-in buddy and a link holder: what it
shows, what it never shows, cheers, leaving, and its query ceiling."""

import datetime
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from buddies.models import Buddyship, Note, ShareLink
from journals.models import JournalEntry
from plans.models import Step
from tests.buddies.conftest import client_for, make_buddyship, make_link
from tests.factories import PlanFactory, StepFactory, UserFactory


@pytest.fixture
def steps(owner, plan):
    today = owner.local_today()
    overdue = StepFactory(
        plan=plan, title="Ring the landlord", due_date=today - datetime.timedelta(days=2)
    )
    upcoming = StepFactory(
        plan=plan, title="Visit three bookshops", due_date=today + datetime.timedelta(days=3)
    )
    done = StepFactory(plan=plan, title="Read the trade magazine", due_date=today, reward="Cinema")
    done.mark_done()
    return {"overdue": overdue, "upcoming": upcoming, "done": done}


def progress_url(buddyship):
    return reverse("buddies-progress", args=[buddyship.code])


def test_buddy_sees_the_shared_plans_progress(buddy_client, buddyship, plan, steps):
    response = buddy_client.get(progress_url(buddyship))

    assert response.status_code == 200
    text = response.text
    assert "Olivia Owner's progress" in text
    assert plan.goal in text
    for step in steps.values():
        assert step.title in text
    assert [step.code for step in response.context["overdue"]] == [steps["overdue"].code]
    assert [step.code for step in response.context["recent_done"]] == [steps["done"].code]
    assert "Cinema" in text


def test_the_cheer_form_comes_before_the_charts_in_reading_order(buddy_client, buddyship, steps):
    """Shown first on a phone and reached first with Tab: the same order in the HTML."""
    html = buddy_client.get(progress_url(buddyship)).text
    assert html.index('id="cheer-title"') < html.index('id="overdue-title"')
    assert html.index('id="overdue-title"') < html.index('class="card mb-4 progress-plan"')
    assert "order-last" not in html


def test_the_buddy_is_addressed_by_their_own_name_on_their_page(
    buddy_client, owner_client, buddyship, buddy
):
    """The planner's name for them ("Bea from work") stays on the planner's pages; what
    the buddy reads uses the name they gave their own account."""
    Buddyship.objects.filter(pk=buddyship.pk).update(name="Bea from work")
    buddyship.refresh_from_db()
    assert buddyship.addressed_as == "Bea Buddy"
    assert "Career Change Buddy, Bea Buddy." in buddy_client.get(progress_url(buddyship)).text
    assert "Bea from work" in owner_client.get(reverse("buddies-list")).text
    follower = Buddyship(name="Fern", email="fern@example.com")
    assert follower.addressed_as == "Fern"


def test_an_archived_plan_is_put_aside_not_overdue(buddy_client, buddyship, plan, steps):
    plan.target_date = None  # nothing before the word: no stray separator
    plan.save(update_fields=["target_date"])
    plan.archive()
    response = buddy_client.get(progress_url(buddyship))
    assert response.context["overdue"] == []
    assert response.context["overdue_count"] == 0
    assert "Archived: Olivia Owner has put this plan aside" in response.text
    assert "> · Archived" not in response.text


def test_buddy_never_sees_the_planners_email_or_unshared_plans(
    buddy_client, buddyship, other_plan, owner
):
    StepFactory(plan=other_plan, title="A step of an unshared plan")

    text = buddy_client.get(progress_url(buddyship)).text

    assert owner.email not in text
    assert other_plan.goal not in text
    assert "A step of an unshared plan" not in text


def test_journal_is_hidden_unless_shared_with_this_buddy(buddy_client, buddyship, owner):
    JournalEntry.objects.write(owner, owner.local_today(), "Spoke to the bank today.")

    hidden = buddy_client.get(progress_url(buddyship))
    buddyship.share_journal = True
    buddyship.save(update_fields=["share_journal"])
    shown = buddy_client.get(progress_url(buddyship))

    assert "Spoke to the bank today." not in hidden.text
    assert "Success Journal" not in hidden.text
    assert "Spoke to the bank today." in shown.text


def test_shared_journal_lists_only_done_steps_of_shared_plans(
    buddy_client, buddyship, owner, other_plan
):
    buddyship.share_journal = True
    buddyship.save(update_fields=["share_journal"])
    secret = StepFactory(plan=other_plan, title="Secret step", due_date=owner.local_today())
    secret.mark_done()

    response = buddy_client.get(progress_url(buddyship))

    assert "Secret step" not in response.text


def test_another_planners_buddyship_code_is_404(buddy_client, buddy, stranger):
    theirs = make_buddyship(stranger, [PlanFactory(owner=stranger)], user=UserFactory())

    assert buddy_client.get(progress_url(theirs)).status_code == 404


def test_progress_page_says_the_buddyship_ended_with_410(buddy_client, buddyship, owner):
    buddyship.revoke()

    response = buddy_client.get(progress_url(buddyship))
    assert response.status_code == 410
    assert f"{owner.display_name} stopped sharing this plan" in response.text
    assert owner.email not in response.text
    assert response["Cache-Control"] == "private, no-store"


NOWHERE = "It may have been turned off, or the person's account closed."


def test_an_unknown_progress_page_is_a_plain_404_even_in_debug(buddy_client, settings):
    settings.DEBUG = True
    response = buddy_client.get(reverse("buddies-progress", args=[uuid.uuid4()]))
    assert response.status_code == 404
    assert "This link doesn't lead anywhere now" in response.text
    assert NOWHERE in response.text
    assert "URLconf" not in response.text


def test_progress_page_after_the_planners_account_was_deleted_says_it_may_be_closed(
    buddy_client, buddyship, owner
):
    url = progress_url(buddyship)
    owner.delete()
    response = buddy_client.get(url)
    assert response.status_code == 404
    assert NOWHERE in response.text
    assert "the link may be wrong" not in response.text
    assert response["Cache-Control"] == "private, no-store"


def test_progress_page_redirects_anonymous_to_login(client, buddyship):
    response = client.get(progress_url(buddyship))

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_progress_page_rejects_post(buddy_client, buddyship):
    assert buddy_client.post(progress_url(buddyship)).status_code == 405


def test_link_holder_sees_the_same_page_and_nothing_private(owner, plan, steps):
    follower = make_buddyship(owner, [plan])
    token = make_link(follower)

    response = Client().get(reverse("buddies-link-progress", args=[token]))

    assert response.status_code == 200
    assert plan.goal in response.text
    assert owner.email not in response.text
    assert response["Referrer-Policy"] == "same-origin"
    assert ShareLink.objects.get().last_used is not None


@pytest.mark.parametrize(
    ("end", "page_says"),
    [
        (lambda follower: follower.revoke(), "stopped sharing this plan"),
        (lambda follower: follower.new_link(), "This link no longer works"),
        (lambda follower: follower.leave(), "You stopped being"),
    ],
    ids=["revoked", "replaced", "left"],
)
def test_a_dead_link_says_why_with_410(owner, plan, end, page_says):
    follower = make_buddyship(owner, [plan])
    token = make_link(follower)
    end(follower)

    response = Client().get(reverse("buddies-link-progress", args=[token]))
    assert response.status_code == 410
    assert page_says in response.text


def test_an_unknown_link_is_404(db):
    response = Client().get(reverse("buddies-link-progress", args=["nope"]))
    assert response.status_code == 404
    assert NOWHERE in response.text


def test_a_private_link_after_the_planners_account_was_deleted_says_it_may_be_closed(owner, plan):
    token = make_link(make_buddyship(owner, [plan]))
    owner.delete()
    response = Client().get(reverse("buddies-link-progress", args=[token]))
    assert response.status_code == 404
    assert NOWHERE in response.text


def test_cheer_from_the_progress_page_reaches_the_planner(buddy_client, buddyship, steps):
    response = buddy_client.post(
        reverse("buddies-cheer", args=[buddyship.code]),
        {"text": "You've got this!", "step": str(steps["done"].code)},
    )

    assert response.status_code == 302
    note = Note.objects.get()
    assert note.buddyship == buddyship
    assert note.kind == Note.Kind.CHEER
    assert note.step == steps["done"]
    assert note.text == "You've got this!"


def test_cheer_with_htmx_returns_the_cheer_panel(buddy_client, buddyship, htmx_headers):
    response = buddy_client.post(
        reverse("buddies-cheer", args=[buddyship.code]), {"text": ""}, headers=htmx_headers
    )

    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section class="card mb-4 cheer-panel"')
    assert "Cheer sent!" in response.text
    assert Note.objects.count() == 1
    # The list of what the buddy sent is updated out of band.
    assert (
        '<section class="mb-4" id="sent-notes" aria-labelledby="notes-title" hx-swap-oob="true">'
        in response.text
    )
    assert "You sent a cheer" in response.text


def test_cheer_about_a_step_not_shared_is_refused(buddy_client, buddyship, other_plan):
    hidden = StepFactory(plan=other_plan)

    response = buddy_client.post(
        reverse("buddies-cheer", args=[buddyship.code]), {"text": "Hi", "step": str(hidden.code)}
    )

    assert response.status_code == 422
    assert (
        "Choose a step from the list: that one was dropped, or it is not shared with you."
        in response.text
    )
    assert "Hi</textarea>" in response.text
    assert not Note.objects.exists()


def test_cheers_are_capped_per_hour(buddy_client, buddyship):
    Note.objects.bulk_create(
        Note(buddyship=buddyship, kind=Note.Kind.CHEER, created=timezone.now()) for _ in range(30)
    )

    response = buddy_client.post(reverse("buddies-cheer", args=[buddyship.code]), {"text": ""})

    assert response.status_code == 429
    assert Note.objects.count() == 30


def test_a_cheer_over_the_cap_with_htmx_answers_the_panel_with_the_reason(
    buddy_client, buddyship, htmx_headers
):
    """htmx swaps a 429 in (base.html's htmx-config), so the buddy reads why, in place."""
    Note.objects.bulk_create(
        Note(buddyship=buddyship, kind=Note.Kind.CHEER, created=timezone.now()) for _ in range(30)
    )

    response = buddy_client.post(
        reverse("buddies-cheer", args=[buddyship.code]),
        {"text": "Keep going"},
        headers=htmx_headers,
    )

    assert response.status_code == 429
    assert response.text.lstrip().startswith('<section class="card mb-4 cheer-panel"')
    assert "a lot of cheering for one hour: try again a little later." in response.text
    assert "Keep going</textarea>" in response.text
    page = buddy_client.get(reverse("buddies-progress", args=[buddyship.code])).text
    assert '{"code": "429", "swap": true}' in page
    assert Note.objects.count() == 30


def test_link_holder_can_cheer(owner, plan):
    follower = make_buddyship(owner, [plan])
    token = make_link(follower)

    response = Client().post(reverse("buddies-link-cheer", args=[token]), {"text": "Go!"})

    assert response.status_code == 302
    assert response.url == reverse("buddies-link-progress", args=[token])
    assert Note.objects.get().buddyship == follower


def test_buddy_can_leave_and_loses_access_at_once(buddy_client, buddyship):
    url = reverse("buddies-leave", args=[buddyship.code])
    assert buddy_client.get(url).status_code == 200

    response = buddy_client.post(url)

    assert response.status_code == 200
    buddyship.refresh_from_db()
    assert buddyship.status == Buddyship.Status.LEFT
    gone = buddy_client.get(progress_url(buddyship))
    assert gone.status_code == 410
    assert "You stopped being" in gone.text


def test_link_holder_can_leave_and_the_link_dies(owner, plan):
    follower = make_buddyship(owner, [plan])
    token = make_link(follower)
    client = Client()

    client.post(reverse("buddies-link-leave", args=[token]))

    follower.refresh_from_db()
    assert follower.status == Buddyship.Status.LEFT
    assert ShareLink.objects.get().revoked is not None
    assert client.get(reverse("buddies-link-progress", args=[token])).status_code == 410


def test_one_person_can_be_buddy_to_several_planners(buddy, buddyship, stranger):
    second = make_buddyship(
        stranger, [PlanFactory(owner=stranger, goal="Open a surf school")], user=buddy
    )
    client = client_for(buddy)

    listing = client.get(reverse("buddies-list"))

    assert "Olivia Owner's progress" in listing.text
    assert "Sam Stranger's progress" in listing.text
    assert "Open a surf school" in client.get(progress_url(second)).text


def test_a_plan_can_have_several_buddies(owner, plan, buddyship):
    other = make_buddyship(owner, [plan], user=UserFactory(email="carl@example.com"))

    for each in (buddyship, other):
        assert client_for(each.user).get(progress_url(each)).status_code == 200


def add_steps(plan, count):
    today = plan.owner.local_today()
    Step.objects.bulk_create(
        Step(
            plan=plan,
            title=f"Step {n}",
            position=n,
            due_date=today + datetime.timedelta(days=n % 60 - 30),
            status=[Step.Status.OPEN, Step.Status.DONE, Step.Status.DROPPED][n % 3],
            completed=timezone.now() if n % 3 == 1 else None,
        )
        for n in range(count)
    )


QUERY_CEILING = 10


@pytest.mark.parametrize("count", [5, 500])
@pytest.mark.parametrize("share_journal", [False, True])
def test_progress_page_query_count_is_fixed(
    buddy_client, buddyship, plan, other_plan, django_assert_max_num_queries, count, share_journal
):
    buddyship.plans.add(other_plan)
    buddyship.share_journal = share_journal
    buddyship.save(update_fields=["share_journal"])
    add_steps(plan, count)
    add_steps(other_plan, count)
    step = plan.steps.first()
    Note.objects.bulk_create(
        Note(buddyship=buddyship, kind=Note.Kind.CHEER, step=step) for _ in range(3)
    )

    with django_assert_max_num_queries(QUERY_CEILING):
        response = buddy_client.get(progress_url(buddyship))

    assert response.status_code == 200
    assert len(response.context["plans"][0].steps) == count


@pytest.mark.parametrize("count", [5, 500])
def test_link_progress_page_query_count_is_fixed(owner, plan, django_assert_max_num_queries, count):
    follower = make_buddyship(owner, [plan])
    token = make_link(follower)
    add_steps(plan, count)

    with django_assert_max_num_queries(QUERY_CEILING):
        response = Client().get(reverse("buddies-link-progress", args=[token]))

    assert response.status_code == 200


def test_planner_previews_the_page_as_a_buddy_sees_it(owner_client, buddyship, plan, other_plan):
    response = owner_client.get(reverse("buddies-preview", args=[buddyship.code]))

    assert response.status_code == 200
    assert "as <strong>Bea Buddy</strong> sees it" in response.text
    assert plan.goal in response.text
    assert other_plan.goal not in response.text
    assert "Send a cheer" not in response.text
    assert "Stop being" not in response.text


def test_preview_is_404_for_the_buddy_and_a_stranger(buddy_client, stranger_client, buddyship):
    url = reverse("buddies-preview", args=[buddyship.code])

    assert buddy_client.get(url).status_code == 404
    assert stranger_client.get(url).status_code == 404


def test_refused_cheer_with_htmx_returns_the_panel_with_the_error(
    buddy_client, buddyship, other_plan, htmx_headers
):
    hidden = StepFactory(plan=other_plan)

    response = buddy_client.post(
        reverse("buddies-cheer", args=[buddyship.code]),
        {"text": "Keep going", "step": str(hidden.code)},
        headers=htmx_headers,
    )

    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section class="card mb-4 cheer-panel"')
    assert (
        "Choose a step from the list: that one was dropped, or it is not shared with you."
        in response.text
    )
    assert "Keep going</textarea>" in response.text
    assert not Note.objects.exists()


def test_a_cheer_without_the_csrf_token_is_refused(owner, plan):
    follower = make_buddyship(owner, [plan])
    token = make_link(follower)
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("buddies-link-cheer", args=[token]), {"text": "Forged"})

    assert response.status_code == 403
    assert not Note.objects.exists()


def test_cheer_form_on_the_page_offers_no_dropped_step(buddy_client, buddyship, plan, steps):
    dropped = StepFactory(
        plan=plan, title="Update LinkedIn headline", due_date=timezone.localdate()
    )
    dropped.mark_dropped("Not needed")

    html = buddy_client.get(progress_url(buddyship)).text

    select = html[html.index('name="step"') : html.index("</select>")]
    assert '<optgroup label="Done">' in select
    assert '<optgroup label="Still to do">' in select
    assert "Read the trade magazine" in select
    assert "Visit three bookshops" in select
    assert "Update LinkedIn headline" not in select


@pytest.mark.parametrize("htmx", [False, True])
def test_cheer_about_a_dropped_step_is_refused(buddy_client, buddyship, plan, htmx, htmx_headers):
    dropped = StepFactory(plan=plan, title="Update LinkedIn headline")
    dropped.mark_dropped("Not needed")

    response = buddy_client.post(
        reverse("buddies-cheer", args=[buddyship.code]),
        {"text": "Well done", "step": str(dropped.code)},
        headers=htmx_headers if htmx else {},
    )

    assert response.status_code == 422
    assert "Choose a step from the list: that one was dropped" in response.text
    assert "Well done</textarea>" in response.text
    assert not Note.objects.exists()


def test_link_cheer_about_a_dropped_step_is_refused(client, buddyship, plan):
    token = make_link(buddyship)
    dropped = StepFactory(plan=plan)
    dropped.mark_dropped()

    response = client.post(
        reverse("buddies-link-cheer", args=[token]), {"text": "Hi", "step": str(dropped.code)}
    )

    assert response.status_code == 422
    assert not Note.objects.exists()
