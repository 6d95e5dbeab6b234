"""`“{{ text }}”{{ text|full_stop }}`: end a sentence that closes on someone's quoted
words with a full stop, unless their words already end one ("Keep it up!" needs none)."""

from django import template

register = template.Library()

# What ends a sentence, and what may close round its last word ("(Yes!)", "“Go!”").
SENTENCE_ENDS = (".", "!", "?", "\u2026")
CLOSERS = "\"'\u2019\u201d)]"


@register.filter
def full_stop(text):
    """Return "." unless `text` already ends a sentence."""
    return "" if str(text).rstrip().rstrip(CLOSERS).endswith(SENTENCE_ENDS) else "."
