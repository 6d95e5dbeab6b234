import datetime as dt
import re

import pytest
from django.db import IntegrityError, transaction

from journals.markdown import render_markdown
from journals.models import JournalEntry, compute_streaks

D = dt.date


def test_one_entry_per_owner_and_day(make_entry):
    make_entry(D(2026, 11, 24))
    with pytest.raises(IntegrityError), transaction.atomic():
        make_entry(D(2026, 11, 24), text="Again")


def test_two_people_may_write_on_the_same_day(make_entry, stranger):
    make_entry(D(2026, 11, 24))
    make_entry(D(2026, 11, 24), who=stranger)
    assert JournalEntry.objects.filter(date=D(2026, 11, 24)).count() == 2


def test_write_creates_the_days_entry(owner):
    entry, created = JournalEntry.objects.write(owner, D(2026, 11, 24), "Called Ana.", "good")
    assert created
    assert (entry.text, entry.mood) == ("Called Ana.", "good")


def test_second_write_for_a_day_is_added_to_the_first(owner, make_entry):
    first = make_entry(D(2026, 11, 24), text="Called Ana.", mood="okay")
    entry, created = JournalEntry.objects.write(owner, D(2026, 11, 24), "Read a chapter.", "great")
    assert not created
    assert entry.pk == first.pk
    assert entry.text == "Called Ana.\n\nRead a chapter."
    assert JournalEntry.objects.get(pk=first.pk).mood == "great"


def test_the_same_text_sent_twice_is_not_doubled(owner):
    JournalEntry.objects.write(owner, D(2026, 11, 24), "Called Ana.")
    entry, _ = JournalEntry.objects.write(owner, D(2026, 11, 24), "Called Ana.")
    assert entry.text == "Called Ana."


def test_a_second_write_without_a_mood_keeps_the_first_mood(owner, make_entry):
    make_entry(D(2026, 11, 24), mood="low")
    entry, _ = JournalEntry.objects.write(owner, D(2026, 11, 24), "Later: better.")
    assert entry.mood == "low"


@pytest.mark.parametrize(
    ("dates", "today", "current", "longest"),
    [
        ([], D(2026, 11, 24), 0, 0),
        ([D(2026, 11, 24)], D(2026, 11, 24), 1, 1),
        # Yesterday still counts: a streak is not lost at one minute past midnight.
        ([D(2026, 11, 22), D(2026, 11, 23)], D(2026, 11, 24), 2, 2),
        ([D(2026, 11, 21), D(2026, 11, 22)], D(2026, 11, 24), 0, 2),
        ([D(2026, 11, 1), D(2026, 11, 2), D(2026, 11, 3), D(2026, 11, 24)], D(2026, 11, 24), 1, 3),
        # Across a month and a year end.
        ([D(2025, 12, 31), D(2026, 1, 1)], D(2026, 1, 1), 2, 2),
        # A leap day.
        ([D(2028, 2, 28), D(2028, 2, 29), D(2028, 3, 1)], D(2028, 3, 1), 3, 3),
        # A day written "tomorrow" before a westward move still joins the run.
        ([D(2026, 11, 23), D(2026, 11, 24), D(2026, 11, 25)], D(2026, 11, 24), 3, 3),
    ],
)
def test_streaks(dates, today, current, longest):
    streaks = compute_streaks(dates, today)
    assert (streaks.current, streaks.longest) == (current, longest)


def test_streaks_know_whether_today_is_written():
    assert compute_streaks([D(2026, 11, 24)], D(2026, 11, 24)).written_today
    assert not compute_streaks([D(2026, 11, 23)], D(2026, 11, 24)).written_today


def test_markdown_keeps_simple_formatting():
    html = render_markdown("**Proud** of *this*\n\n- one\n- two\n\n[shop](https://example.com)")
    assert "<strong>Proud</strong>" in html
    assert "<em>this</em>" in html
    assert "<li>one</li>" in html
    assert 'href="https://example.com"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[click](javascript:alert(1))",
        "<iframe src=https://evil.example></iframe>",
        "<svg onload=alert(1)>",
    ],
)
def test_markdown_renders_html_and_scripts_harmless(text):
    html = render_markdown(text)
    assert "<script" not in html
    assert "<img" not in html
    assert "<iframe" not in html
    assert "<svg" not in html
    assert not re.search(r"<a [^>]*javascript", html)


def test_markdown_headings_and_images_stay_text():
    html = render_markdown("# Big\n\n![me](https://tracker.example/pixel.png)")
    assert "<h1" not in html
    assert "<img" not in html
    assert "# Big" in html
