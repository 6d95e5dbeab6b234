"""Pages from the cache (careerplan.pagecache) and the signed-in person from the cache
(accounts.backends, accounts.sessions): never stale after a change, never another
person's, and never shown to someone the view would now refuse.

Here pages are served as in production: a page from the cache is not rendered again
(the rest of the suite renders it again and compares, PAGE_CACHE_VERIFY).
"""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from buddies.models import Buddyship, Note
from careerplan import pagecache, prefetch, versions
from careerplan.pagecache import StalePage, page_key
from journals.models import JournalEntry
from plans.models import Step
from tests.buddies.conftest import make_buddyship
from tests.factories import PlanFactory, StepFactory, UserFactory


@pytest.fixture(autouse=True)
def served_as_in_production(settings):
    settings.PAGE_CACHE_VERIFY = False
    settings.SESSION_ENGINE = "accounts.sessions"


@pytest.fixture
def buddy(db):
    return UserFactory(display_name="Bea Buddy", email="bea@example.com")


@pytest.fixture
def buddyship(owner, plan, buddy):
    return make_buddyship(owner, [plan], user=buddy)


def signed_in(user, **options):
    client = Client(**options)
    client.force_login(user)
    return client


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.text


def cached(client, url, django_assert_num_queries):
    """The page, twice: the second time from the cache, with no query at all."""
    page(client, url)
    with django_assert_num_queries(0):
        return page(client, url)


def dashboard():
    return reverse("plans-dashboard")


def progress_of(buddyship):
    return reverse("buddies-progress", args=[buddyship.code])


# --- Served from the cache, to its viewer only ------------------------------------------


def test_a_page_seen_again_needs_no_query(owner, plan, django_assert_num_queries):
    StepFactory(plan=plan, title="Ring the bakery")
    client = signed_in(owner)
    assert "Ring the bakery" in cached(client, plan.get_absolute_url(), django_assert_num_queries)


def test_two_people_at_one_address_each_get_their_own_page(owner, stranger):
    PlanFactory(owner=owner)
    PlanFactory(owner=stranger)
    owners, strangers = signed_in(owner), signed_in(stranger)
    for _ in range(2):
        assert "Hello, Olivia Owner" in page(owners, dashboard())
        assert "Hello, Sam Stranger" in page(strangers, dashboard())


def test_a_stranger_asking_for_a_cached_plan_page_gets_404(owner, stranger, plan):
    page(signed_in(owner), plan.get_absolute_url())
    assert signed_in(stranger).get(plan.get_absolute_url()).status_code == 404


def test_each_browser_gets_its_own_csrf_token_and_it_works(owner, plan):
    first, second = (signed_in(owner, enforce_csrf_checks=True) for _ in range(2))
    page(first, dashboard())
    html = page(second, dashboard())  # from the cache
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert "<!--cp:" not in html
    data = {"csrfmiddlewaretoken": token, "title": "Call Jo", "plan": plan.code}
    data["due_date"] = timezone.localdate().isoformat()
    response = second.post(reverse("plans-step-quick-add"), data)
    assert response.status_code == 302
    assert "Call Jo" in page(second, dashboard())


def test_the_nonce_on_a_cached_page_is_the_one_its_policy_allows(owner, plan):
    client = signed_in(owner)
    page(client, dashboard())
    response = client.get(dashboard())
    nonce = re.search(r'nonce="([^"]+)"', response.text).group(1)
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]


def test_messages_show_once_on_a_cached_page(owner, plan):
    client = signed_in(owner)
    page(client, plan.get_absolute_url())
    client.post(reverse("plans-archive", args=[plan.code]))
    assert "The plan is archived" in page(client, plan.get_absolute_url())
    assert "The plan is archived" not in page(client, plan.get_absolute_url())


def test_htmx_and_posts_are_never_answered_from_the_cache(owner, plan, htmx_headers):
    client = signed_in(owner)
    url = reverse("plans-wallchart", args=[plan.code])
    page(client, url)
    response = client.get(url, headers=htmx_headers)
    assert "<html" not in response.text


def test_without_a_shared_cache_every_page_is_rendered(settings, owner, plan):
    settings.SHARED_CACHE = False
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    client = signed_in(owner)
    page(client, dashboard())
    with CaptureQueriesContext(connection) as queries:
        page(client, dashboard())
    assert len(queries) > 5


# --- Never stale after a change ---------------------------------------------------------


def test_a_step_checked_off_leaves_the_cached_lists(owner, plan, django_assert_num_queries):
    step = StepFactory(plan=plan, title="Ring the bakery", due_date=timezone.localdate())
    client = signed_in(owner)
    assert "Mark done: Ring the bakery" in cached(client, dashboard(), django_assert_num_queries)
    client.post(reverse("plans-step-done", args=[step.code]), {"from": "dashboard"})
    html = page(client, dashboard())
    assert "Mark done: Ring the bakery" not in html
    assert "Undo: Ring the bakery" in html


def test_archiving_and_renumbering_show_at_once(owner, plan, django_assert_num_queries):
    # Both change rows with a conditional UPDATE or in bulk, which send no signal.
    titles = ["Ask Jo about evening classes", "Book the open day"]
    _first, second = (StepFactory(plan=plan, title=t, position=n) for n, t in enumerate(titles))
    client = signed_in(owner)
    assert "Archived" not in cached(client, plan.get_absolute_url(), django_assert_num_queries)
    plan.archive()
    assert "Archived" in page(client, plan.get_absolute_url())
    tree = reverse("plans-tree", args=[plan.code])
    # The tree lists the steps last, below the question it asks.
    html = cached(client, tree, django_assert_num_queries)
    assert html.rindex(titles[0]) < html.rindex(titles[1])
    assert second.move("up")
    html = page(client, tree)
    assert html.rindex(titles[1]) < html.rindex(titles[0])


def test_a_journal_entry_shows_at_once(owner, django_assert_num_queries):
    client = signed_in(owner)
    url = reverse("journals-today")
    assert "Sent the email" not in cached(client, url, django_assert_num_queries)
    JournalEntry.objects.write(owner, date=owner.local_today(), text="Sent the email")
    assert "Sent the email" in page(client, url)


def test_a_deleted_plan_is_404_though_its_page_was_cached(owner, plan):
    client = signed_in(owner)
    page(client, plan.get_absolute_url())
    plan.delete()
    assert client.get(plan.get_absolute_url()).status_code == 404


def test_a_buddys_cheer_reaches_the_planners_cached_dashboard(
    owner, plan, buddy, buddyship, django_assert_num_queries
):
    planner = signed_in(owner)
    assert "Go Olivia" not in cached(planner, dashboard(), django_assert_num_queries)
    signed_in(buddy).post(reverse("buddies-cheer", args=[buddyship.code]), {"text": "Go Olivia"})
    assert "Go Olivia" in page(planner, dashboard())


def test_the_planners_steps_reach_the_buddys_cached_page(
    owner, plan, buddy, buddyship, django_assert_num_queries
):
    step = StepFactory(plan=plan, title="Ring the bakery", due_date=timezone.localdate())
    client = signed_in(buddy)
    html = cached(client, progress_of(buddyship), django_assert_num_queries)
    assert "No step done yet" in html
    step.mark_done()
    assert "No step done yet" not in page(client, progress_of(buddyship))


def test_notes_seen_by_the_planner_say_so_on_the_buddys_page(owner, buddy, buddyship):
    Note.objects.create(buddyship=buddyship, kind=Note.Kind.CHEER, text="Go on")
    client = signed_in(buddy)
    assert "· seen" not in page(client, progress_of(buddyship))
    Note.objects.for_planner(owner).mark_seen()
    assert "· seen" in page(client, progress_of(buddyship))


def test_a_new_name_reaches_every_page_that_shows_it(owner, plan, buddy, buddyship):
    planner, follower = signed_in(owner), signed_in(buddy)
    PlanFactory(owner=buddy)  # the buddy's dashboard lists the people they support
    assert "Olivia Owner" in page(planner, dashboard())
    assert "Olivia Owner's progress" in page(follower, dashboard())
    assert "Olivia Owner's progress" in page(follower, progress_of(buddyship))
    data = {"display_name": "Liv", "tz": owner.tz}
    assert planner.post(reverse("accounts-profile"), data).status_code == 302
    assert "Hello, Liv" in page(planner, dashboard())
    assert "Liv's progress" in page(follower, dashboard())
    assert "Liv's progress" in page(follower, progress_of(buddyship))


def test_a_plan_no_longer_shared_leaves_the_buddys_page(owner, plan, buddy, buddyship):
    other = PlanFactory(owner=owner, goal="I will be teaching ceramics")
    client = signed_in(buddy)
    assert plan.goal in page(client, progress_of(buddyship))
    buddyship.plans.set([other])
    html = page(client, progress_of(buddyship))
    assert plan.goal not in html
    assert "teaching ceramics" in html


def test_an_invitation_reaches_the_invitees_cached_dashboard(owner, plan, buddy):
    PlanFactory(owner=buddy)
    client = signed_in(buddy)
    assert "Invitations for you" not in page(client, dashboard())
    Buddyship.objects.create(
        planner=owner,
        email="BEA@example.com",
        name="Bea",
        invite_expires=timezone.now() + timedelta(days=14),
    )
    assert "Invitations for you" in page(client, dashboard())


@pytest.mark.parametrize("ending", ["revoke", "leave"])
def test_an_ended_buddyship_is_gone_though_its_page_was_cached(buddy, buddyship, ending):
    client = signed_in(buddy)
    page(client, progress_of(buddyship))
    getattr(buddyship, ending)()
    assert client.get(progress_of(buddyship)).status_code == 410


def test_a_closed_planner_account_is_gone_from_the_buddys_cached_page(owner, buddy, buddyship):
    client = signed_in(buddy)
    page(client, progress_of(buddyship))
    owner.is_active = False
    owner.save()
    assert client.get(progress_of(buddyship)).status_code == 404


# --- The signed-in person, from the cache -----------------------------------------------


def test_a_deactivated_account_is_signed_out_at_once(owner, plan):
    client = signed_in(owner)
    page(client, dashboard())
    owner = User.objects.get(pk=owner.pk)
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    response = client.get(dashboard())
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_a_new_password_ends_other_sessions_at_once(owner, plan):
    client = signed_in(owner)
    page(client, dashboard())
    owner.set_password("a new long passphrase")
    owner.save()
    assert client.get(dashboard()).status_code == 302


def test_a_wrong_hint_never_serves_another_person(owner, stranger, plan):
    client = signed_in(owner)
    page(client, dashboard())
    PlanFactory(owner=stranger)
    page(signed_in(stranger), dashboard())
    # This process now believes the owner's session is the stranger's.
    prefetch.remember(client.session.session_key, str(stranger.pk))
    html = page(client, dashboard())
    assert "Hello, Olivia Owner" in html
    assert "Sam Stranger" not in html


# --- Time -------------------------------------------------------------------------------


def test_a_cached_page_turns_over_at_the_local_midnight(owner):
    owner.change_zone("Pacific/Auckland")
    client = signed_in(owner)
    url = reverse("journals-today")
    # 23:59 on Tuesday 10 March 2026 in Auckland.
    with time_machine.travel(datetime(2026, 3, 10, 10, 59, tzinfo=UTC), tick=False):
        assert "Today, Tuesday 10 March" in page(client, url)
    with time_machine.travel(datetime(2026, 3, 10, 11, 1, tzinfo=UTC), tick=False):
        assert "Today, Wednesday 11 March" in page(client, url)


def test_just_now_turns_into_minutes_on_a_cached_page(owner, buddyship):
    client = signed_in(owner)
    start = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        Note.objects.create(buddyship=buddyship, kind=Note.Kind.CHEER, text="Go on")
        assert "just now" in page(client, dashboard())
    with time_machine.travel(start + timedelta(minutes=2, seconds=5), tick=False):
        assert "2\xa0minutes ago" in page(client, dashboard())


def test_an_invitation_leaves_the_cached_dashboard_when_it_expires(owner, buddy):
    PlanFactory(owner=buddy)
    client = signed_in(buddy)
    start = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        Buddyship.objects.create(
            planner=owner, email=buddy.email, name="Bea", invite_expires=start + timedelta(hours=1)
        )
        assert "Invitations for you" in page(client, dashboard())
    with time_machine.travel(start + timedelta(hours=1, seconds=1), tick=False):
        assert "Invitations for you" not in page(client, dashboard())


# --- The net under the rest of the suite ------------------------------------------------


def test_a_change_that_moves_no_version_fails_the_test_that_made_it(settings, owner, plan):
    settings.PAGE_CACHE_VERIFY = True
    client = signed_in(owner)
    page(client, plan.get_absolute_url())
    # A write that bypasses the model layer and says nothing (a test's bulk insert).
    tomorrow = owner.local_today() + timedelta(days=1)
    Step.objects.bulk_create([Step(plan=plan, title="Unannounced", position=9, due_date=tomorrow)])
    with pytest.raises(StalePage):
        client.get(plan.get_absolute_url())
    versions.bump(owner.pk)
    assert "Unannounced" in page(client, plan.get_absolute_url())


def test_a_page_kept_in_another_shape_is_rendered_again(owner, plan):
    client = signed_in(owner)
    page(client, dashboard())
    cache.set(page_key(owner.pk, dashboard(), ""), ("an", "older", "shape"))
    assert "Hello, Olivia Owner" in page(client, dashboard())


def test_pages_kept_by_an_earlier_release_are_not_read_after_a_deploy(owner, plan, monkeypatch):
    client = signed_in(owner)
    page(client, dashboard())
    before = page_key(owner.pk, dashboard(), "")
    assert cache.get(before) is not None
    # The next release renders other markup (new hashed static names, say).
    monkeypatch.setattr(pagecache, "release", lambda: "next-release")
    after = page_key(owner.pk, dashboard(), "")
    assert after != before
    assert cache.get(after) is None
    assert "Hello, Olivia Owner" in page(client, dashboard())
    assert cache.get(after) is not None


def test_the_release_is_a_digest_of_the_code_read_once():
    assert pagecache.release() == pagecache.release()
    assert re.fullmatch(r"[0-9a-f]{12}", pagecache.release())


def test_a_kept_page_for_a_date_before_today_is_never_served(owner, plan):
    # The entry's own deadline is checked, whatever the cache server's clock says.
    client = signed_in(owner)
    with time_machine.travel(date(2026, 3, 10), tick=False):
        page(client, dashboard())
    with time_machine.travel(date(2026, 3, 12), tick=False):
        assert "Hello, Olivia Owner" in page(client, dashboard())
