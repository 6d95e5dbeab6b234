"""`full_stop` ends a sentence after someone's quoted words only when they do not."""

import pytest

from careerplan.templatetags.sentences import full_stop


@pytest.mark.parametrize(
    ("text", "stop"),
    [
        ("Keep it up", "."),
        ("Keep it up.", ""),
        ("Keep it up!", ""),
        ("How did it go?", ""),
        ("Well\u2026", ""),
        ("(Yes!)", ""),
        ("Keep it up!  ", ""),
        ("Wow :)", "."),
    ],
)
def test_full_stop_only_where_the_words_end_no_sentence(text, stop):
    assert full_stop(text) == stop
