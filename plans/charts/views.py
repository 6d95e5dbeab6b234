"""The wall chart of a plan, on screen and laid out for one printed landscape page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe
from django_htmx.http import trigger_client_event

from careerplan.pagecache import render_page
from careerplan.templatetags.code_urls import code_url_for
from plans.access import get_plan_for_owner
from plans.charts.burnup import build_progress
from plans.charts.wallchart import CHART_FIELDS, build_wallchart

SCALES = ("week", "month")
SCALE_CHOICES = [("", "Automatic"), ("week", "By week"), ("month", "By month")]


def chart_steps(plan):
    """A plan's steps for the chart, as named rows from one query, in date and tree order."""
    return list(
        plan.steps.order_by("due_date", "position", "created").values_list(
            *CHART_FIELDS, named=True
        )
    )


def chart_context(request, plan, *, links=True):
    """The chart and its pictures; `links` makes each card link to its step's page."""
    steps = chart_steps(plan)
    # The plan was fetched for its owner, so the owner's day and zone are request.user's.
    user = request.user
    today = user.local_today()
    scale = request.GET.get("scale")
    scale = scale if scale in SCALES else ""
    chart = build_wallchart(
        steps,
        today,
        zone=user.zone,
        target_date=plan.target_date,
        scale=scale or None,
        link=code_url_for("plans-step-detail") if links else None,
    )
    # Moving between the chart and its print layout keeps the week or month layout.
    query = f"?scale={scale}" if scale else ""
    return {
        "plan": plan,
        "chart": chart,
        "progress": build_progress(steps, today, user.zone),
        "chosen_scale": scale,
        "scale_choices": SCALE_CHOICES,
        "can_edit": True,
        "chart_url": reverse("plans-wallchart", args=[plan.code]) + query,
        "print_url": reverse("plans-wallchart-print", args=[plan.code]) + query,
    }


@login_required
@require_safe
def wallchart(request, code):
    template = "plans/wallchart/wallchart.html"
    if request.htmx:
        # The week/month switch swaps only the chart.
        plan = get_plan_for_owner(request, code)
        response = render(request, f"{template}#chart-area", chart_context(request, plan))
        # The switch was swapped with the chart: the focus stays on the layout chosen.
        focus = "#chart-area .wc-scale-switch [aria-current]"
        return trigger_client_event(response, "cp-focus", {"selector": focus}, after="settle")
    return render_page(
        request, template, lambda: chart_context(request, get_plan_for_owner(request, code))
    )


@login_required
@require_safe
def wallchart_print(request, code):
    plan = get_plan_for_owner(request, code)
    context = chart_context(request, plan, links=False)
    context["can_edit"] = False
    return render(request, "plans/wallchart/print.html", context)
