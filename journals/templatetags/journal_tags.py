import html
import re

from django import template
from django.utils.html import escape, strip_tags
from django.utils.safestring import mark_safe

from journals.markdown import render_markdown
from journals.models import PROMPT, JournalEntry

register = template.Library()


@register.filter
def markdown(text):
    """Render an entry's Markdown as sanitised HTML."""
    return mark_safe(render_markdown(text))  # nh3 has sanitised it


@register.filter
def highlight(text, words, width=200):
    """Return an escaped excerpt of `text` around the first match of `words`, marked.

    The excerpt is read from the rendered text, so Markdown's asterisks and brackets do
    not show; every piece is escaped again before the match is wrapped in <mark>.
    """
    text = " ".join(html.unescape(strip_tags(render_markdown(text))).split())
    words = (words or "").strip()
    if not words:
        return text[:width] + ("…" if len(text) > width else "")
    match = re.search(re.escape(words), text, re.IGNORECASE)
    if match is None:
        return text[:width] + ("…" if len(text) > width else "")
    start = max(0, match.start() - width // 3)
    end = min(len(text), start + width)
    before, found, after = text[start : match.start()], match.group(), text[match.end() : end]
    return mark_safe(  # every part is escaped
        ("…" if start else "")
        + escape(before)
        + f"<mark>{escape(found)}</mark>"
        + escape(after)
        + ("…" if end < len(text) else "")
    )


@register.inclusion_tag("journals/_reminder.html", takes_context=True)
def journal_reminder(context):
    """A quiet nudge when the signed-in person has not written today's entry (one query)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    today = user.local_today()
    written = JournalEntry.objects.for_owner(user).filter(date=today).exists()
    return {"show": not written, "today": today, "prompt": PROMPT}
