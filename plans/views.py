from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from plans.models import Plan


@login_required
@require_GET
def dashboard(request):
    plans = Plan.objects.for_owner(request.user).active().order_by("-created")
    return render(request, "plans/dashboard.html", {"plans": plans})


@login_required
@require_GET
def plan_list(request):
    plans = Plan.objects.for_owner(request.user).order_by("status", "-created")
    return render(request, "plans/plan_list.html", {"plans": plans})
