"""Journal pages run a fixed number of queries: the same ceiling with a handful of days
as with three years of daily entries and 2,000 steps done."""

import datetime as dt

import pytest
from django.urls import reverse

from journals.models import JournalEntry
from plans.models import Step
from tests.journals.conftest import NOW

TODAY = dt.date(2026, 11, 24)

# Two for the session and the user, then the page's own: today reads a page of entries,
# the dates with steps done, the steps in that window and the dates for the streaks; the
# calendar the entries' dates and codes and the year's step instants; search a count and
# a page; an export all entries and all done steps.
CEILINGS = {
    "journals-today": 6,
    "journals-calendar": 4,
    "journals-search": 4,
    "journals-export-markdown": 4,
    "journals-export-csv": 4,
}
PARAMS = {
    "journals-today": [{}, {"before": "2025-06-01"}],
    "journals-calendar": [{}, {"year": "2026"}],
    "journals-search": [
        {"q": "step"},
        {"q": "step", "start": "2024-01-01", "end": "2025-12-31", "page": "3"},
    ],
    "journals-export-markdown": [{}],
    "journals-export-csv": [{}],
}


def fill(owner, plan, days, steps):
    """Bulk-create an entry a day for `days` days and `steps` done steps spread over them."""
    JournalEntry.objects.bulk_create(
        JournalEntry(
            owner=owner,
            date=TODAY - dt.timedelta(days=n),
            text=f"Day {n}: one small step and then another.",
            mood="good",
        )
        for n in range(days)
    )
    Step.objects.bulk_create(
        Step(
            plan=plan,
            title=f"Step {n}",
            reward="a coffee" if n % 3 == 0 else "",
            status=Step.Status.DONE,
            due_date=TODAY,
            position=n,
            completed=NOW - dt.timedelta(hours=n * (days * 24 // max(steps, 1))),
        )
        for n in range(steps)
    )


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize("name", list(CEILINGS))
@pytest.mark.parametrize(("days", "steps"), [(5, 5), (3 * 365, 2_000)])
def test_journal_pages_run_a_fixed_number_of_queries(
    owner, owner_client, plan, django_assert_max_num_queries, name, days, steps
):
    fill(owner, plan, days, steps)
    for params in PARAMS[name]:
        with django_assert_max_num_queries(CEILINGS[name]):
            response = owner_client.get(reverse(name), params)
        assert response.status_code == 200


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize(("days", "steps"), [(5, 5), (3 * 365, 2_000)])
def test_an_entry_and_its_edit_form_run_a_fixed_number_of_queries(
    owner, owner_client, plan, django_assert_max_num_queries, days, steps
):
    fill(owner, plan, days, steps)
    entry = JournalEntry.objects.get(owner=owner, date=TODAY - dt.timedelta(days=2))
    for name in ("journals-entry", "journals-edit"):
        # Session, user, the entry, the day's steps.
        with django_assert_max_num_queries(4):
            assert owner_client.get(reverse(name, args=[entry.code])).status_code == 200


@pytest.mark.usefixtures("frozen")
def test_three_years_of_journal_are_all_there(owner, owner_client, plan):
    fill(owner, plan, 3 * 365, 2_000)
    calendar = owner_client.get(reverse("journals-calendar"), {"year": "2025"}).context["calendar"]
    assert calendar.journaled == 365
    today = owner_client.get(reverse("journals-today"))
    assert today.context["streaks"].current == 3 * 365
    # Thirty days a page; today has its own card above them.
    assert len(today.context["days"]) == 29
    export = owner_client.get(reverse("journals-export-csv"))
    assert export.content.decode("utf-8-sig").count("\n") > 3 * 365
