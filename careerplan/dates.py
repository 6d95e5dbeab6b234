"""Dates a person may enter: those the app can compute with.

A completion date leads to instants (its check-up at 09:00 local the next morning), week
and month columns on the wall chart, and streaks; Python's dates end at year 9999, and a
step dated then breaks every one of those. So every date a form or a query string takes is
held to EARLIEST..LATEST, refused next to the field (or 400 for a query string), never 500.
"""

from datetime import date, timedelta

from django import forms
from django.core.exceptions import BadRequest, ValidationError
from django.utils import timezone

EARLIEST = date(1900, 1, 1)
LATEST = date(2200, 12, 31)
# How far into a field's range its example date sits: a few days after today reads as a
# date someone would pick, where today itself looks like the field's default.
EXAMPLE_AHEAD = timedelta(days=3)


def validate_computable(value):
    """Raise ValidationError for a date outside EARLIEST..LATEST."""
    if value is not None and not EARLIEST <= value <= LATEST:
        raise ValidationError(
            "Pick a date between %(earliest)s and %(latest)s.",
            code="out_of_range",
            params={"earliest": EARLIEST.year, "latest": LATEST.year},
        )


class DateField(forms.DateField):
    """A form's date field held to the dates the app can compute with (native picker).

    Every date field's "cannot read that" message comes from here, with an example the
    field would take (example()), never a fixed date that passes or leaves its range.
    """

    default_validators = [validate_computable]
    default_error_messages = {"invalid": "Enter a real date, like %(example)s."}

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", DateInput())
        super().__init__(**kwargs)
        self.earliest = self.latest = self.example_after = None

    def set_range(self, earliest=None, latest=None, example_after=None):
        """Offer only the days `earliest`..`latest` (either end may stay open), in the
        picker and in the example, which comes a few days after `example_after` (by
        default `earliest`); the form's own checks still refuse any other day."""
        self.earliest, self.latest, self.example_after = earliest, latest, example_after
        if earliest is not None:
            self.widget.attrs["min"] = earliest.isoformat()
        if latest is not None:
            self.widget.attrs["max"] = latest.isoformat()

    def example(self):
        """Return a day in this field's range: a few days into it, or today if it is open."""
        start = self.example_after or self.earliest
        if start is None:
            return self.latest or timezone.localdate()
        # Clamped: a step stored at a far date (year 9999) must not overflow the sum.
        return min(clamp(start) + EXAMPLE_AHEAD, self.latest or LATEST)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            if error.code != "invalid":
                raise
            raise ValidationError(
                self.error_messages["invalid"],
                code="invalid",
                params={"example": self.example().isoformat()},
            ) from None


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
