"""Templates show a step's state; they never compare its dates themselves.

`{{ step|state:today }}` is plans.models.step_state on the planner's local `today`, so a
row, a tree node and a sheet say "overdue" by the same rule as the lists and counts.
"""

from django import template
from django.utils import dateformat, timezone

from plans.models import step_state

register = template.Library()


@register.filter
def state(step, today):
    """The step's State ("done", "overdue", "due", ...) on the planner's `today`."""
    return step_state(step, today)


@register.filter
def due_day(step, today):
    """The step's completion date as a row shows it: "today", or like "Tue 3 Mar"."""
    if step.due_date is None:
        return ""
    return "today" if step.due_date == today else dateformat.format(step.due_date, "D j M")


@register.filter
def done_day(step, today):
    """The local day a done step was checked off, as a row shows it: "today", or like
    "Tue 3 Mar"."""
    if step.completed is None:
        return ""
    day = timezone.localdate(step.completed)
    return "today" if day == today else dateformat.format(day, "D j M")
