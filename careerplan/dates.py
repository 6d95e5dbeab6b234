"""Dates a person may enter: those the app can compute with.

A completion date leads to instants (its check-up at 09:00 local the next morning), week
and month columns on the wall chart, and streaks; Python's dates end at year 9999, and a
step dated then breaks every one of those. So every date a form or a query string takes is
held to EARLIEST..LATEST, refused next to the field (or 400 for a query string), never 500.
"""

from datetime import date

from django import forms
from django.core.exceptions import BadRequest, ValidationError

EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)


def validate_computable(value):
    """Raise ValidationError for a date outside EARLIEST..LATEST."""
    if value is not None and not EARLIEST <= value <= LATEST:
        raise ValidationError(
            "Pick a date between %(earliest)s and %(latest)s.",
            code="out_of_range",
            params={"earliest": EARLIEST.year, "latest": LATEST.year},
        )


class DateField(forms.DateField):
    """A form's date field held to the dates the app can compute with (native picker)."""

    default_validators = [validate_computable]

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", DateInput())
        super().__init__(**kwargs)


class DateInput(forms.DateInput):
    """A native date picker bounded like DateField; the server still checks what is sent."""

    input_type = "date"

    def __init__(self, attrs=None, **kwargs):
        attrs = {"min": EARLIEST.isoformat(), "max": LATEST.isoformat(), **(attrs or {})}
        super().__init__(attrs=attrs, format="%Y-%m-%d", **kwargs)


def clamp(day):
    """The nearest date the app can compute with: a row stored before the range was held
    (or written around the forms) is laid out at its edge rather than breaking a page."""
    if day is None:
        return None
    return min(max(day, EARLIEST), LATEST)


def date_from_query(value):
    """A date from a query string: None when absent; 400 when unreadable or out of range."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
        validate_computable(day)
    except (ValueError, ValidationError) as error:
        raise BadRequest(f"Not a date this app can show: {value[:20]!r}") from error
    return day
