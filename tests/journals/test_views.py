"""Each journal view: the owner's way through it, strangers, anonymous people, wrong
methods, and both the htmx fragment and the full page."""

import datetime as dt
import json

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from journals.models import TEXT_MAX_LENGTH, JournalEntry
from tests.journals.conftest import utc
from tests.refusals import message_beside

D = dt.date
# 12:00 UTC on 24 November 2026: the same date in Europe/London, the owner's zone.
TODAY = D(2026, 11, 24)

pytestmark = pytest.mark.usefixtures("frozen")


@pytest.fixture
def entry(make_entry):
    return make_entry(D(2026, 11, 20), text="Met **Ana** at the book fair.", mood="great")


def is_full_page(response):
    return b"<html" in response.content


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def write(client, text="Tidied my CV.", date=TODAY, mood="", **headers):
    data = {"date": date.isoformat(), "text": text, "mood": mood}
    return client.post(reverse("journals-write"), data, headers=headers)


ANONYMOUS_URLS = [
    ("get", "journals-today", False),
    ("get", "journals-write", False),
    ("post", "journals-write", False),
    ("get", "journals-calendar", False),
    ("get", "journals-search", False),
    ("get", "journals-export-markdown", False),
    ("get", "journals-export-csv", False),
    ("get", "journals-entry", True),
    ("get", "journals-edit", True),
    ("post", "journals-edit", True),
    ("get", "journals-delete", True),
    ("post", "journals-delete", True),
]


@pytest.mark.parametrize(("method", "name", "with_code"), ANONYMOUS_URLS)
def test_anonymous_people_are_sent_to_log_in(client, entry, method, name, with_code):
    url = reverse(name, args=[entry.code] if with_code else [])
    response = getattr(client, method)(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert JournalEntry.objects.filter(pk=entry.pk, text=entry.text).exists()


@pytest.mark.parametrize(
    ("method", "name", "with_code"),
    [
        ("post", "journals-today", False),
        ("delete", "journals-write", False),
        ("post", "journals-calendar", False),
        ("post", "journals-search", False),
        ("post", "journals-export-markdown", False),
        ("post", "journals-export-csv", False),
        ("post", "journals-entry", True),
        ("put", "journals-edit", True),
        ("delete", "journals-delete", True),
    ],
)
def test_wrong_methods_are_refused(owner_client, entry, method, name, with_code):
    url = reverse(name, args=[entry.code] if with_code else [])
    assert getattr(owner_client, method)(url).status_code == 405


# Today


def test_today_asks_the_gentle_prompt_when_nothing_is_written(owner_client):
    response = owner_client.get(reverse("journals-today"))
    assert response.status_code == 200
    assert is_full_page(response)
    assert "What did you achieve today, however small?" in response.text
    assert f'max="{TODAY.isoformat()}"' in response.text


def test_the_list_is_of_earlier_days_unless_one_is_still_to_come(owner_client, make_entry):
    make_entry(TODAY - dt.timedelta(days=1))
    assert '"h5">Earlier days</h2>' in owner_client.get(reverse("journals-today")).text

    # Written before a move to a zone further west: that day is still to come here.
    make_entry(TODAY + dt.timedelta(days=1), text="Wrote from Auckland.")
    html = owner_client.get(reverse("journals-today")).text
    assert '"h5">Other days</h2>' in html
    assert "Wrote from Auckland." in html


def test_today_shows_todays_entry_instead_of_the_form(owner_client, make_entry):
    make_entry(TODAY, text="Booked a *taster day*.")
    response = owner_client.get(reverse("journals-today"))
    assert "<em>taster day</em>" in response.text
    assert response.context["form"] is None


def test_today_htmx_answers_with_the_today_card(owner_client, htmx_headers):
    response = owner_client.get(reverse("journals-today"), headers=htmx_headers)
    assert response.status_code == 200
    assert not is_full_page(response)
    assert "journal-card" in response.text


def test_older_days_come_as_a_fragment_for_htmx(owner_client, make_entry, htmx_headers):
    for day in range(1, 21):
        make_entry(D(2026, 10, day), text=f"October day {day}")
    response = owner_client.get(
        reverse("journals-today"), {"before": "2026-10-11"}, headers=htmx_headers
    )
    assert not is_full_page(response)
    assert "October day 10" in response.text
    assert "October day 11" not in response.text


def test_older_days_are_a_plain_page_without_htmx(owner_client, make_entry):
    make_entry(D(2026, 10, 1), text="October day 1")
    response = owner_client.get(reverse("journals-today"), {"before": "2026-10-11"})
    assert is_full_page(response)
    assert "October day 1" in response.text


def test_a_stranger_sees_only_their_own_today(stranger_client, entry):
    response = stranger_client.get(reverse("journals-today"))
    assert response.status_code == 200
    assert "book fair" not in response.text


# Writing


def test_writing_todays_entry_saves_it_and_returns_to_the_journal(owner_client, owner):
    response = write(owner_client, "Sent my CV to *two* shops.", mood="good")
    assert response.status_code == 302
    assert response.url == reverse("journals-today")
    entry = JournalEntry.objects.get(owner=owner)
    assert (entry.date, entry.mood, entry.text) == (TODAY, "good", "Sent my CV to *two* shops.")
    page = owner_client.get(response.url)
    assert "<em>two</em>" in page.text
    assert "Saved your entry for Tuesday 24 November 2026." in messages_of(page)


def test_writing_with_htmx_answers_with_the_entry_card(owner_client, owner, htmx_headers):
    response = write(owner_client, "Rang the college.", **htmx_headers)
    assert response.status_code == 200
    assert not is_full_page(response)
    assert "Rang the college." in response.text
    assert reverse("journals-edit", args=[JournalEntry.objects.get().code]) in response.text


def test_writing_about_an_earlier_day_opens_that_entry(owner_client, owner):
    response = write(owner_client, "Forgot to write: I called Ana.", date=D(2026, 11, 22))
    entry = JournalEntry.objects.get(owner=owner)
    assert entry.date == D(2026, 11, 22)
    assert response.url == entry.get_absolute_url()


def test_writing_about_a_future_day_is_refused_and_the_text_kept(owner_client):
    response = write(owner_client, "Tomorrow I will...", date=D(2026, 11, 25))
    assert response.status_code == 422
    assert "That day has not come yet where you are" in response.text
    assert "Tomorrow I will..." in response.text
    assert not JournalEntry.objects.exists()


def test_the_future_is_judged_in_the_planners_zone(owner_client, owner):
    # 23:30 UTC on the 24th is already the 25th in Auckland.
    owner.tz = "Pacific/Auckland"
    owner.save()
    with time_machine.travel(utc(2026, 11, 24, 23, 30), tick=False):
        response = write(owner_client, "Kia ora", date=D(2026, 11, 25))
    assert response.status_code == 302
    assert JournalEntry.objects.get().date == D(2026, 11, 25)


def test_over_long_text_is_refused_with_a_message_and_kept(owner_client):
    text = "x" * (TEXT_MAX_LENGTH + 1)
    response = write(owner_client, text)
    assert response.status_code == 422
    assert "Keep an entry under 10,000 characters (this one has 10,001)" in response.text
    assert text in response.text
    assert not JournalEntry.objects.exists()


def test_over_long_text_with_htmx_answers_with_the_form_fragment(owner_client, htmx_headers):
    response = write(owner_client, "y" * (TEXT_MAX_LENGTH + 5), **htmx_headers)
    assert response.status_code == 422
    assert not is_full_page(response)
    assert "Keep an entry under 10,000 characters" in response.text


@pytest.mark.parametrize("origin", ["today", None])
def test_a_refused_form_is_drawn_again_for_the_page_it_came_from(
    owner_client, htmx_headers, origin
):
    """From the journal's home, the refused form keeps saying so, so its next save brings
    the home page's streaks with it."""
    data = {"date": TODAY.isoformat(), "text": "", **({"from": origin} if origin else {})}
    response = owner_client.post(reverse("journals-write"), data, headers=htmx_headers)
    assert response.status_code == 422
    assert ('<input type="hidden" name="from" value="today">' in response.text) == bool(origin)


def test_crlf_line_breaks_count_as_one_character(owner_client):
    text = "\r\n".join(["a" * 99] * 100)  # 9,999 characters once stored with \n
    assert write(owner_client, text).status_code == 302
    assert len(JournalEntry.objects.get().text) == 9_999


def test_an_empty_entry_is_refused(owner_client):
    response = write(owner_client, "   ")
    assert response.status_code == 422
    assert "Write a few words" in response.text


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        # The example is today where the planner is: a day the form takes.
        ("2026-02-31", "Enter a real date, like 2026-11-24."),
        ("", "Pick the day you are writing about: today or an earlier one."),
    ],
)
def test_a_day_that_is_missing_or_not_real_is_refused_beside_it(owner_client, typed, message):
    data = {"date": typed, "text": "Called Ana.", "mood": ""}
    response = owner_client.post(reverse("journals-write"), data)

    assert response.status_code == 422
    assert message_beside(response.text, "date") == message
    assert "Called Ana." in response.text
    assert not JournalEntry.objects.exists()


def test_an_unknown_mood_is_refused_and_the_text_kept(owner_client):
    response = write(owner_client, "Good day", mood="ecstatic")
    assert response.status_code == 422
    assert "Good day" in response.text
    assert not JournalEntry.objects.exists()


def test_a_second_entry_for_the_same_day_is_added_to_the_first(owner_client, make_entry):
    first = make_entry(TODAY, text="Morning: updated LinkedIn.")
    response = write(owner_client, "Evening: read a chapter.")
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.text == "Morning: updated LinkedIn.\n\nEvening: read a chapter."
    assert JournalEntry.objects.count() == 1
    page = owner_client.get(response.url)
    assert any("already written about Tuesday 24 November 2026" in m for m in messages_of(page))


def test_a_second_entry_that_would_pass_the_limit_is_refused_and_kept(owner_client, make_entry):
    first = make_entry(TODAY, text="a" * 9_000)
    response = write(owner_client, "b" * 1_500)
    assert response.status_code == 422
    assert "together they pass 10,000" in response.text
    assert "b" * 1_500 in response.text
    first.refresh_from_db()
    assert first.text == "a" * 9_000


def test_a_day_filled_by_another_tab_after_the_form_s_check_is_refused_and_kept(
    owner_client, monkeypatch
):
    """Two first writes at once both pass the form; the second is checked again under
    the lock, so the day never holds more than the limit."""
    manager = JournalEntry.objects
    real_write = manager.write

    def other_tab_first(owner, date, text, mood=""):
        real_write(owner, date, "a" * 6_000)
        return real_write(owner, date, text, mood)

    monkeypatch.setattr(manager, "write", other_tab_first)
    response = write(owner_client, "b" * 6_000)
    assert response.status_code == 422
    assert "together they pass 10,000" in response.text
    assert "b" * 6_000 in response.text
    assert JournalEntry.objects.get().text == "a" * 6_000


def test_script_tags_are_kept_as_text_and_shown_harmless(owner_client, owner):
    write(owner_client, "Proud <script>alert('x')</script> **today**")
    assert JournalEntry.objects.get().text == "Proud <script>alert('x')</script> **today**"
    page = owner_client.get(reverse("journals-today"))
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(" in page.text
    assert "<strong>today</strong>" in page.text


def test_the_write_page_shows_the_steps_done_that_day(owner_client, done_step):
    done_step(utc(2026, 11, 21, 15), title="Visited a bookshop", reward="a cream tea")
    response = owner_client.get(reverse("journals-write"), {"date": "2026-11-21"})
    assert response.status_code == 200
    assert is_full_page(response)
    assert "Visited a bookshop" in response.text
    assert "a cream tea" in response.text
    assert 'value="2026-11-21"' in response.text


def test_the_write_form_comes_as_a_fragment_for_htmx(owner_client, htmx_headers):
    response = owner_client.get(reverse("journals-write"), headers=htmx_headers)
    assert response.status_code == 200
    assert not is_full_page(response)
    assert "<form" in response.text


def test_writing_about_a_day_already_written_opens_it_to_edit(owner_client, entry):
    response = owner_client.get(reverse("journals-write"), {"date": "2026-11-20"})
    assert response.status_code == 302
    assert response.url == reverse("journals-edit", args=[entry.code])


def test_the_write_page_for_a_future_day_leads_back_saying_why(owner_client):
    response = owner_client.get(reverse("journals-write"), {"date": "2026-11-25"}, follow=True)
    assert response.redirect_chain == [(reverse("journals-today"), 302)]
    assert messages_of(response) == [
        "Wednesday 25 November 2026 has not come yet where you are: write about today or "
        "an earlier day."
    ]


def test_the_journal_offers_to_catch_up_on_an_earlier_day(owner_client, make_entry):
    make_entry(TODAY, text="Wrote today already.")
    html = owner_client.get(reverse("journals-today")).text
    form = html[html.index('class="journal-catch-up') :]
    form = form[: form.index("</form>")]
    assert f'max="{TODAY.isoformat()}"' in form
    assert 'name="date"' in form
    assert "Write about that day" in form
    yesterday = TODAY - dt.timedelta(days=1)
    page = owner_client.get(reverse("journals-write"), {"date": yesterday.isoformat()})
    assert page.status_code == 200
    assert f'value="{yesterday.isoformat()}"' in page.text


@pytest.mark.parametrize("value", ["2026-13-45", "0001-01-01", "9999-12-31", "yesterday"])
@pytest.mark.parametrize("name", ["journals-write", "journals-today"])
def test_a_date_in_the_query_that_cannot_be_shown_is_a_400_page(owner_client, name, value):
    key = "date" if name == "journals-write" else "before"
    response = owner_client.get(reverse(name), {key: value})
    assert response.status_code == 400
    assert "could not be read" in response.text


def test_the_write_page_takes_no_date_as_today(owner_client):
    response = owner_client.get(reverse("journals-write"))
    assert response.status_code == 200
    assert response.context["form"]["date"].value() == TODAY


def test_writing_needs_the_csrf_token(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    response = client.post(reverse("journals-write"), {"date": "2026-11-24", "text": "Hi"})
    assert response.status_code == 403
    assert not JournalEntry.objects.exists()


# One entry


def test_an_entry_shows_its_text_mood_and_the_days_steps(owner_client, entry, done_step):
    done_step(utc(2026, 11, 20, 10), title="Emailed the café owner", reward="new notebook")
    done_step(utc(2026, 11, 21, 10), title="Another day's step")
    response = owner_client.get(reverse("journals-entry", args=[entry.code]))
    assert response.status_code == 200
    assert is_full_page(response)
    assert "Met <strong>Ana</strong> at the book fair." in response.text
    assert "Mood: Great" in response.text
    assert "Emailed the café owner" in response.text
    assert "new notebook" in response.text
    assert "Another day&#x27;s step" not in response.text


def test_an_entry_comes_as_a_card_for_htmx(owner_client, entry, htmx_headers):
    response = owner_client.get(reverse("journals-entry", args=[entry.code]), headers=htmx_headers)
    assert not is_full_page(response)
    assert "journal-card" in response.text


@pytest.mark.parametrize("name", ["journals-entry", "journals-edit", "journals-delete"])
def test_a_strangers_request_for_an_entry_is_not_found(stranger_client, entry, name):
    response = stranger_client.get(reverse(name, args=[entry.code]))
    assert response.status_code == 404
    assert "book fair" not in response.text


def test_an_unknown_entry_is_not_found(owner_client):
    url = reverse("journals-entry", args=["00000000-0000-4000-8000-000000000000"])
    assert owner_client.get(url).status_code == 404


# Editing


def test_editing_an_entry_saves_text_and_mood(owner_client, entry):
    url = reverse("journals-edit", args=[entry.code])
    assert "Met **Ana** at the book fair." in owner_client.get(url).text
    response = owner_client.post(url, {"text": "Met Ana and Ben.", "mood": "good"})
    assert response.status_code == 302
    assert response.url == entry.get_absolute_url()
    entry.refresh_from_db()
    assert (entry.text, entry.mood, entry.date) == ("Met Ana and Ben.", "good", D(2026, 11, 20))


def test_editing_with_htmx_swaps_form_and_card(owner_client, entry, htmx_headers):
    url = reverse("journals-edit", args=[entry.code])
    form = owner_client.get(url, headers=htmx_headers)
    assert not is_full_page(form)
    assert 'hx-post="' + url in form.text
    card = owner_client.post(url, {"text": "Met Ana.", "mood": ""}, headers=htmx_headers)
    assert card.status_code == 200
    assert not is_full_page(card)
    assert "Met Ana." in card.text


def test_editing_to_over_long_text_is_refused_and_kept(owner_client, entry, htmx_headers):
    url = reverse("journals-edit", args=[entry.code])
    text = "z" * (TEXT_MAX_LENGTH + 10)
    for headers in ({}, htmx_headers):
        response = owner_client.post(url, {"text": text, "mood": "good"}, headers=headers)
        assert response.status_code == 422
        assert "Keep an entry under 10,000 characters" in response.text
        assert text in response.text
        assert is_full_page(response) == (not headers)
    entry.refresh_from_db()
    assert entry.text == "Met **Ana** at the book fair."


def test_a_stranger_cannot_edit_an_entry(stranger_client, entry):
    url = reverse("journals-edit", args=[entry.code])
    response = stranger_client.post(url, {"text": "Hacked", "mood": ""})
    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.text == "Met **Ana** at the book fair."


# Deleting


def test_deleting_asks_first_then_deletes(owner_client, entry):
    url = reverse("journals-delete", args=[entry.code])
    confirm = owner_client.get(url)
    assert confirm.status_code == 200
    assert "Delete your entry for Friday 20 November 2026?" in confirm.text
    assert JournalEntry.objects.filter(pk=entry.pk).exists()
    response = owner_client.post(url)
    assert response.status_code == 302
    assert response.url == reverse("journals-today")
    assert not JournalEntry.objects.filter(pk=entry.pk).exists()


def test_deleting_with_htmx_redirects_the_browser(owner_client, entry, htmx_headers):
    url = reverse("journals-delete", args=[entry.code])
    assert not is_full_page(owner_client.get(url, headers=htmx_headers))
    response = owner_client.post(url, headers=htmx_headers)
    assert response.headers["HX-Redirect"] == reverse("journals-today")
    assert not JournalEntry.objects.filter(pk=entry.pk).exists()


def test_a_stranger_cannot_delete_an_entry(stranger_client, entry):
    response = stranger_client.post(reverse("journals-delete", args=[entry.code]))
    assert response.status_code == 404
    assert JournalEntry.objects.filter(pk=entry.pk).exists()


# Calendar


def test_the_calendar_shows_this_year(owner_client, entry, done_step):
    done_step(utc(2026, 11, 21, 10))
    response = owner_client.get(reverse("journals-calendar"))
    assert response.status_code == 200
    assert is_full_page(response)
    calendar = response.context["calendar"]
    assert calendar.year == 2026
    assert (calendar.journaled, calendar.steps) == (1, 1)
    assert reverse("journals-entry", args=[entry.code]) in response.text
    assert reverse("journals-write") + "?date=2026-11-21" in response.text
    assert "Legend" in response.text
    assert "The year as text, month by month" in response.text


def test_the_calendar_moves_between_years_with_htmx(owner_client, make_entry, htmx_headers):
    make_entry(D(2025, 3, 1), text="Last year")
    response = owner_client.get(
        reverse("journals-calendar"), {"year": "2025"}, headers=htmx_headers
    )
    assert response.status_code == 200
    assert not is_full_page(response)
    assert response.context["calendar"].journaled == 1
    assert "?year=2026" in response.text
    # The link pressed is gone: the keyboard goes to the new year's heading.
    assert json.loads(response["HX-Trigger-After-Settle"]) == {
        "cp-focus": {"selector": "#calendar-title"}
    }
    assert 'id="calendar-title"' in response.text


@pytest.mark.parametrize("year", ["2027", "1999", "soon"])
def test_a_calendar_year_outside_the_journal_is_not_found(owner_client, year):
    assert owner_client.get(reverse("journals-calendar"), {"year": year}).status_code == 404


def test_a_stranger_calendar_is_their_own(stranger_client, entry):
    response = stranger_client.get(reverse("journals-calendar"))
    assert response.context["calendar"].journaled == 0
    assert str(entry.code) not in response.text


# Search


def test_search_finds_entries_by_words_and_marks_them(owner_client, make_entry):
    make_entry(D(2026, 11, 1), text="Visited the Bookshop on Mill Lane.")
    make_entry(D(2026, 11, 2), text="Rested.")
    response = owner_client.get(reverse("journals-search"), {"q": "bookshop"})
    assert response.status_code == 200
    assert is_full_page(response)
    assert [e.date for e in response.context["page"]] == [D(2026, 11, 1)]
    assert "<mark>Bookshop</mark>" in response.text


def test_search_by_date_range_includes_both_ends(owner_client, make_entry):
    for day in (1, 2, 3, 4):
        make_entry(D(2026, 11, day), text=f"Day {day}")
    response = owner_client.get(
        reverse("journals-search"), {"start": "2026-11-02", "end": "2026-11-03"}
    )
    assert [e.date for e in response.context["page"]] == [D(2026, 11, 3), D(2026, 11, 2)]


def test_search_results_come_as_a_fragment_for_htmx(owner_client, make_entry, htmx_headers):
    make_entry(D(2026, 11, 1), text="Visited the bookshop")
    response = owner_client.get(reverse("journals-search"), {"q": "book"}, headers=htmx_headers)
    assert not is_full_page(response)
    assert 'id="search-results"' in response.text
    assert "<mark>book</mark>" in response.text


def test_search_escapes_what_it_marks(owner_client, make_entry):
    make_entry(D(2026, 11, 1), text="<b>bold</b> <script>x()</script>")
    response = owner_client.get(reverse("journals-search"), {"q": "<script>"})
    assert "<mark>&lt;script&gt;</mark>" in response.text
    assert "<script>x()" not in response.text


def test_search_with_an_end_before_its_start_is_refused(owner_client, htmx_headers):
    params = {"q": "cv", "start": "2026-11-10", "end": "2026-11-01"}
    response = owner_client.get(reverse("journals-search"), params)
    assert response.status_code == 422
    assert "The end date is before the start date." in response.text
    assert 'value="cv"' in response.text
    fragment = owner_client.get(reverse("journals-search"), params, headers=htmx_headers)
    assert fragment.status_code == 422
    assert "The end date is before the start date." in fragment.text


def test_search_pages_through_many_results(owner_client, owner):
    JournalEntry.objects.bulk_create(
        JournalEntry(owner=owner, date=D(2026, 1, 1) + dt.timedelta(days=n), text=f"cv {n}")
        for n in range(45)
    )
    response = owner_client.get(reverse("journals-search"), {"q": "cv", "page": "3"})
    assert len(response.context["page"]) == 5
    assert "Page 3 of 3" in response.text


def test_an_empty_search_shows_the_form_only(owner_client, entry):
    response = owner_client.get(reverse("journals-search"))
    assert response.status_code == 200
    assert response.context["page"] is None


def test_search_never_finds_another_persons_entries(stranger_client, entry):
    response = stranger_client.get(reverse("journals-search"), {"q": "book fair"})
    assert response.context["page"].paginator.count == 0


# Exports


def test_markdown_export_downloads_the_whole_journal(owner_client, entry, done_step):
    done_step(utc(2026, 11, 22, 10), title="Wrote a business plan", reward="a cinema trip")
    response = owner_client.get(reverse("journals-export-markdown"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="success-journal-2026-11-24.md"'
    text = response.content.decode()
    assert text.startswith("# Success Journal\n")
    assert "## Friday 20 November 2026\n\nMood: Great\n\nMet **Ana** at the book fair." in text
    assert "## Sunday 22 November 2026" in text
    assert "- Wrote a business plan (I will be running" in text
    assert "Rewards earned:\n\n- a cinema trip" in text
    assert text.index("20 November") < text.index("22 November")


def test_csv_export_has_one_row_per_day(owner_client, entry, done_step):
    import csv
    import io

    done_step(utc(2026, 11, 20, 18), title="Wrote to Ben", reward="cake")
    response = owner_client.get(reverse("journals-export-csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == 'attachment; filename="success-journal-2026-11-24.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["date", "mood", "entry", "steps_done", "rewards_earned"]
    assert rows[1][:3] == ["2026-11-20", "Great", "Met **Ana** at the book fair."]
    assert rows[1][3].startswith("Wrote to Ben (")
    assert rows[1][4] == "cake"


def test_csv_export_keeps_formulas_from_running(owner_client, make_entry):
    make_entry(D(2026, 11, 1), text='=HYPERLINK("http://evil.example")')
    response = owner_client.get(reverse("journals-export-csv"))
    assert "'=HYPERLINK" in response.content.decode("utf-8-sig")


def test_an_export_holds_only_the_requesters_journal(stranger_client, entry):
    for name in ("journals-export-markdown", "journals-export-csv"):
        response = stranger_client.get(reverse(name))
        assert response.status_code == 200
        assert b"book fair" not in response.content


def test_search_excerpts_read_as_text_not_markdown(owner_client, make_entry):
    make_entry(D(2026, 11, 1), text="Visited **the bookshop** on [Mill Lane](https://example.com).")
    response = owner_client.get(reverse("journals-search"), {"q": "bookshop"})
    assert "Visited the <mark>bookshop</mark> on Mill Lane." in response.text
