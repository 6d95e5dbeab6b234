"""The journal is its planner's alone. A buddy, even one the planner shares the journal
with, reaches it only through the buddy progress page, never through a journal URL."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from buddies.models import Buddyship
from journals.models import JournalEntry
from tests.factories import UserFactory

SECRET = "A private thought about my manager"


@pytest.fixture
def entry(make_entry):
    return make_entry(dt.date(2026, 1, 10), text=SECRET)


@pytest.fixture
def buddy_client(owner):
    buddy = UserFactory(display_name="Bea Buddy")
    Buddyship.objects.create(
        planner=owner,
        user=buddy,
        email=buddy.email,
        name="Bea",
        status=Buddyship.Status.ACTIVE,
        share_journal=True,
    )
    client = Client()
    client.force_login(buddy)
    return client


ENTRY_URLS = ["journals-entry", "journals-edit", "journals-delete"]
OWN_PAGES = [
    ("journals-today", {}),
    ("journals-today", {"before": "2026-02-01"}),
    ("journals-calendar", {}),
    ("journals-search", {"q": "private"}),
    ("journals-search", {"start": "2026-01-01", "end": "2026-12-31"}),
    ("journals-write", {"date": "2026-01-10"}),
    ("journals-export-markdown", {}),
    ("journals-export-csv", {}),
]


@pytest.mark.parametrize("who", ["stranger_client", "buddy_client"])
@pytest.mark.parametrize("name", ENTRY_URLS)
def test_no_one_else_reaches_an_entry(request, entry, who, name):
    client = request.getfixturevalue(who)
    url = reverse(name, args=[entry.code])
    for method in ("get", "post"):
        response = getattr(client, method)(url, {"text": "Overwritten", "mood": ""})
        # 405 where the URL never takes that method: neither answer confirms the entry.
        assert response.status_code in (404, 405)
        assert response.status_code == 404 or name == "journals-entry"
        assert SECRET.encode() not in response.content
    entry.refresh_from_db()
    assert entry.text == SECRET


@pytest.mark.parametrize("who", ["stranger_client", "buddy_client"])
@pytest.mark.parametrize(("name", "params"), OWN_PAGES)
def test_journal_pages_show_only_the_visitors_own_journal(request, entry, who, name, params):
    client = request.getfixturevalue(who)
    response = client.get(reverse(name), params)
    assert response.status_code == 200
    assert SECRET.encode() not in response.content
    assert str(entry.code).encode() not in response.content


@pytest.mark.parametrize("who", ["stranger_client", "buddy_client"])
def test_writing_about_a_day_never_touches_another_persons_entry(request, entry, who):
    client = request.getfixturevalue(who)
    response = client.post(reverse("journals-write"), {"date": "2026-01-10", "text": "Mine"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.text == SECRET
    assert JournalEntry.objects.filter(date=entry.date).count() == 2


def test_the_shared_query_is_scoped_to_its_owner(owner, stranger, entry, make_entry):
    make_entry(entry.date, text="Stranger's", who=stranger)
    assert list(JournalEntry.objects.for_owner(owner)) == [entry]
    assert SECRET not in [e.text for e in JournalEntry.objects.for_owner(stranger)]


def test_sharing_is_off_by_default():
    assert Buddyship._meta.get_field("share_journal").default is False


def test_the_read_only_partial_shows_the_journal_without_any_way_to_change_it(
    owner, plan, entry, done_step
):
    from django.template.loader import render_to_string

    from journals.days import journal_days
    from tests.factories import PlanFactory

    done_step(dt.datetime(2026, 1, 10, 9, tzinfo=dt.UTC), title="Shared step", reward="tea")
    private = PlanFactory(owner=owner, goal="Private plan")
    done_step(dt.datetime(2026, 1, 9, 9, tzinfo=dt.UTC), title="Private step", on_plan=private)
    days, _ = journal_days(owner, plans=owner.plans.filter(pk=plan.pk))
    html = render_to_string("journals/_entries.html", {"days": days, "read_only": True})
    assert SECRET in html
    assert "Shared step" in html
    assert "tea" in html
    assert "Private step" not in html
    assert "/journal/" not in html
    assert "/plans/" not in html
