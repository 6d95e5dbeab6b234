"""Checks shared by every form that takes a step's completion date."""

from django.core.exceptions import ValidationError
from django.utils.formats import date_format


def validate_not_before(value, today):
    """A new completion date cannot be before the planner's local `today`."""
    if value is not None and value < today:
        raise ValidationError(
            "Pick today or a later date: a completion date cannot be in the past "
            "(today is %(today)s where you are).",
            code="past_date",
            params={"today": date_format(today, "j F Y")},
        )


def validate_not_past(value, user):
    """A new completion date cannot be before today in the planner's own time zone."""
    validate_not_before(value, user.local_today())
