"""`{{ note.created|ago }}`: how long ago something happened, in words.

Django's `timesince` says "0 minutes" for anything under a minute; a person says "just
now". Every "... ago" on a page goes through here.
"""

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()

JUST_NOW = timedelta(minutes=1)


@register.filter
def ago(value):
    """Say "just now" under a minute, else like "3 hours ago"."""
    if value is None:
        return ""
    if timezone.now() - value < JUST_NOW:
        return "just now"
    return f"{timesince(value)} ago"
