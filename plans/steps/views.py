"""Steps: quick add, check off and undo, reschedule with a reason, drop, and rewards.

Step rows are one shared partial (`plans/step_row.html`) on the dashboard and the plan
page; each action answers an htmx request with the row and a plain form post with a
redirect back to the page it came from.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from careerplan.dates import date_from_query
from plans.access import get_plan_for_owner, get_step_for_owner
from plans.steps.forms import DropForm, QuickStepForm, RescheduleForm, StepEditForm, StepForm


def _back(request, step):
    """Where a plain (non-htmx) action goes back to: a fixed choice, never a URL from the
    request."""
    origin = request.POST.get("from", "plan")
    if origin == "dashboard":
        return redirect("plans-dashboard")
    if origin == "step":
        return redirect("plans-step-detail", step.code)
    return redirect(f"{step.plan.get_absolute_url()}#step-{step.code}")


def _row(request, step, celebrate=False):
    """The step's row for htmx; on the plan page, its progress comes along out of band."""
    today = request.user.local_today()
    origin = request.POST.get("from")
    context = {
        "step": step,
        "today": today,
        "show_plan": origin == "dashboard",
        "celebrate": celebrate,
        "plan": step.plan,
        "counts": step.plan.steps.progress(today) if origin == "plan" else None,
    }
    return render(request, "plans/step_row_swap.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def step_add(request, code):
    """Quick add on the plan page: a small step with a date, no GROW or tree needed."""
    plan = get_plan_for_owner(request, code)
    form = StepForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        step = plan.add_step(
            data["title"], data["due_date"], reward=data["reward"], notes=data["notes"]
        )
        messages.success(request, f"Added: {step.title}.")
        return redirect(f"{plan.get_absolute_url()}#step-{step.code}")
    status = 422 if form.errors else 200
    return render(request, "plans/step_add.html", {"plan": plan, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def step_quick_add(request):
    """Quick add on the dashboard, where the person also picks the plan."""
    form = QuickStepForm(request.POST or None, user=request.user, auto_id="quick_%s")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        step = data["plan"].add_step(data["title"], data["due_date"], reward=data["reward"])
        messages.success(request, f"Added: {step.title}.")
        return redirect("plans-dashboard")
    status = 422 if form.errors else 200
    return render(request, "plans/step_add.html", {"form": form, "plan": None}, status=status)


@login_required
@require_GET
def step_detail(request, code):
    step = get_step_for_owner(request, code)
    forms = {}
    # "Give me more time" in a reminder opens this page with a new date filled in; the
    # planner still gives the reason and saves.
    new_date = date_from_query(request.GET.get("new_date"))
    if new_date is not None:
        forms["reschedule_form"] = RescheduleForm(
            user=request.user, step=step, initial={"due_date": new_date}
        )
    return _render_step_detail_with(request, step, status=200, **forms)


def _render_step_detail_with(request, step, status=422, **forms):
    today = request.user.local_today()
    context = {
        "step": step,
        "plan": step.plan,
        "today": today,
        "state": step.state(today),
        "events": list(step.events.order_by("-created", "-pk")[:50]),
        "edit_form": StepEditForm(instance=step),
        "reschedule_form": RescheduleForm(user=request.user, step=step),
        "drop_form": DropForm(),
        **forms,
    }
    return render(request, "plans/step_detail.html", context, status=status)


@login_required
@require_POST
def step_edit(request, code):
    step = get_step_for_owner(request, code)
    form = StepEditForm(request.POST, instance=step)
    if not form.is_valid():
        step.refresh_from_db()
        return _render_step_detail_with(request, step, edit_form=form)
    form.save()
    messages.success(request, "The step is saved.")
    return redirect("plans-step-detail", step.code)


@login_required
@require_POST
def step_done(request, code):
    step = get_step_for_owner(request, code)
    changed = step.mark_done()
    celebrate = changed and bool(step.reward)
    if request.htmx:
        return _row(request, step, celebrate=celebrate)
    if celebrate:
        messages.success(request, f"Well done! You earned: {step.reward}")
    else:
        messages.success(request, f"Done: {step.title}.")
    return _back(request, step)


@login_required
@require_POST
def step_reopen(request, code):
    step = get_step_for_owner(request, code)
    step.mark_open()
    if request.htmx:
        return _row(request, step)
    messages.info(request, f"Open again: {step.title}.")
    return _back(request, step)


@login_required
@require_POST
def step_reward_enjoyed(request, code):
    step = get_step_for_owner(request, code)
    step.enjoy_reward()
    if request.htmx:
        return _row(request, step)
    messages.success(request, "Enjoy it: you earned it.")
    return _back(request, step)


@login_required
@require_POST
def step_reschedule(request, code):
    step = get_step_for_owner(request, code)
    form = RescheduleForm(request.POST, user=request.user, step=step)
    if not form.is_valid():
        return _render_step_detail_with(request, step, reschedule_form=form)
    step.reschedule(form.cleaned_data["due_date"], form.cleaned_data["reason"])
    messages.success(request, "The new date is set, and the reason is in the step's history.")
    return redirect("plans-step-detail", step.code)


@login_required
@require_POST
def step_drop(request, code):
    step = get_step_for_owner(request, code)
    form = DropForm(request.POST)
    if not form.is_valid():
        return _render_step_detail_with(request, step, drop_form=form)
    step.mark_dropped(form.cleaned_data["reason"])
    messages.info(request, "The step is dropped. It stays in the history; you can reopen it.")
    return redirect("plans-step-detail", step.code)
