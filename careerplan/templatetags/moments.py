"""`{{ note.created|ago }}`: how long ago something happened, in words.

Django's `timesince` says "0 minutes" for anything under a minute; a person says "just
now". Every "... ago" on a page goes through here, and tells a cached page
(careerplan.pagecache) when its words change.
"""

from datetime import UTC, datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from careerplan.pagecache import valid_until

register = template.Library()

JUST_NOW = timedelta(minutes=1)
DAY = 24 * 60 * 60


@register.filter
def ago(value):
    """Say "just now" under a minute, else like "3 hours ago"."""
    if value is None:
        return ""
    now = timezone.now()
    valid_until(next_change(value, now))
    if now - value < JUST_NOW:
        return "just now"
    return f"{timesince(value, now)} ago"


def next_change(value, now):
    """The first instant after `now` at which `ago(value)` may read differently.

    timesince shows two adjacent units, so under a day the minutes may change, under a
    week the hours, and beyond whole days of the age; from four weeks on, months are
    counted by the calendar and may also turn at midnight (UTC, the zone it counts in).
    """
    age = now - value
    if age < JUST_NOW:
        return value + JUST_NOW
    seconds = age.days * DAY + age.seconds
    unit = 60 if seconds < DAY else 3600 if seconds < 7 * DAY else DAY
    change = value + timedelta(seconds=(seconds // unit + 1) * unit)
    if seconds >= 7 * DAY:
        midnight = datetime.combine(
            now.astimezone(UTC).date() + timedelta(days=1), datetime.min.time(), UTC
        )
        change = min(change, midnight)
    return change
