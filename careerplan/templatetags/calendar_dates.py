"""A cached `date` filter for pages that print the same few dates hundreds of times.

The wall chart formats two dates per card; Django's `date` filter re-parses its format and
looks up month names on every call, which was a quarter of the page's rendering time.
"""

import functools

from django import template
from django.utils import dateformat
from django.utils.translation import get_language

register = template.Library()


@functools.lru_cache(maxsize=4096)
def _format(value, fmt, language):
    return dateformat.format(value, fmt)


@register.filter
def day(value, fmt="D j M"):
    """{{ some_date|day:"D j M" }}: like `date`, for dates (not datetimes), cached."""
    if not value:
        return ""
    return _format(value, fmt, get_language())
