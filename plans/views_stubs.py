"""Placeholders for plan pages whose own modules replace them (grow, tree, wall chart)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from plans.access import get_plan_for_owner


@login_required
@require_GET
def plan_section(request, code):
    plan = get_plan_for_owner(request, code)
    return render(request, "plans/plan_section.html", {"plan": plan})
