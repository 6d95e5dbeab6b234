"""Steps: quick add, check off and undo, reschedule with a reason, drop, and rewards.

Step rows are one shared partial (`plans/step_row.html`) on the dashboard, the plan page
and a step's own page. Each action answers a plain form post with a redirect back to the
page it came from, and an htmx request with every part of that page that shows the step
(careerplan.htmx.page_update): the lists, the next step, the counts and progress bars, the
step's state. The page says where it is with `from`, a fixed choice.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from careerplan.dates import date_from_query
from careerplan.forms import editable, posted
from careerplan.htmx import page_update
from careerplan.http import require_POST
from plans.access import get_plan_for_owner, get_step_for_owner
from plans.steps.forms import DropForm, QuickStepForm, RescheduleForm, StepEditForm, StepForm
from plans.views import dashboard_context, plan_context

# The parts of each page that show a step, as partials of the page's template.
PAGES = {
    "dashboard": ("plans/dashboard.html", ["steps-panel", "buddy-notes", "plan-cards"]),
    "plan": ("plans/plan_detail.html", ["plan-progress", "plan-steps"]),
    "step": ("plans/step_detail.html", ["step-body"]),
}


def _origin(request, default):
    origin = request.POST.get("from", default)
    return origin if origin in PAGES else default


def _back(request, step, origin):
    """Where a plain (non-htmx) action goes back to: a fixed choice, never a URL from the
    request."""
    if origin == "dashboard":
        return redirect("plans-dashboard")
    if origin == "step":
        return redirect("plans-step-detail", step.code)
    return redirect(f"{step.plan.get_absolute_url()}#step-{step.code}")


def _answer(request, step, *, origin="plan", focus=None, status=200, **extra):
    """After an action on `step`: back to the page (PRG), or for htmx every part of the
    page that shows it, with the focus on `focus` (by default the step's own toggle,
    which replaced the button pressed). `origin` is the page when the form says none."""
    origin = _origin(request, origin)
    if not request.htmx:
        return _back(request, step, origin)
    template, fragments = PAGES[origin]
    if origin == "dashboard":
        context = dashboard_context(request.user)
    elif origin == "step":
        context = step_context(request, step, **extra)
    else:
        context = plan_context(step.plan, request.user)
    context["celebrating"] = extra.get("celebrating")
    focus = focus or f'[data-step-toggle="{step.code}"]'
    return page_update(request, template, fragments, context, focus=focus, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def step_add(request, code):
    """Quick add on the plan page: a small step with a date, no GROW or tree needed."""
    plan = get_plan_for_owner(request, code)
    form = StepForm(posted(request), user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        step = plan.add_step(
            data["title"], data["due_date"], reward=data["reward"], notes=data["notes"]
        )
        added = f"Added: {step.title}."
        if plan.is_archived:
            added += (
                " This plan is archived, so it stays off your dashboard until you make it "
                "active again."
            )
        messages.success(request, added)
        return redirect(f"{plan.get_absolute_url()}#step-{step.code}")
    if form.errors:
        # Refused: the plan's page again, the message next to the field and the focus on
        # it, rather than a page of the form alone.
        context = plan_context(plan, request.user, step_form=_mark_refused(form))
        return render(request, "plans/plan_detail.html", context, status=422)
    return render(request, "plans/step_add.html", {"plan": plan, "form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def step_quick_add(request):
    """Quick add on the dashboard, where the person also picks the plan."""
    form = QuickStepForm(posted(request), user=request.user, auto_id="quick_%s")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        step = data["plan"].add_step(data["title"], data["due_date"], reward=data["reward"])
        messages.success(request, f"Added: {step.title}.")
        return redirect("plans-dashboard")
    context = dashboard_context(request.user) if form.errors else {}
    if context.get("quick_form") is not None:
        context["quick_form"] = _mark_refused(form)
        return render(request, "plans/dashboard.html", context, status=422)
    # No plan to add to (the dashboard then shows no quick add), or a GET.
    status = 422 if form.errors else 200
    return render(request, "plans/step_add.html", {"form": form, "plan": None}, status=status)


def _mark_refused(form):
    """`form` drawn by plans/_field.html as refused: each refused input styled invalid,
    as crispy does for its own forms (careerplan.forms.BoundField focuses the first)."""
    for name in form.errors:
        if name in form.fields:
            attrs = form.fields[name].widget.attrs
            attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
    return form


@login_required
@require_safe
def step_detail(request, code):
    step = get_step_for_owner(request, code)
    forms = {}
    # "Give me more time" in a reminder opens this page with a new date filled in; the
    # planner still gives the reason and saves. The cursor waits in the reason box: the
    # link's #fragment does not survive a sign-in on the way, autofocus does.
    new_date = date_from_query(request.GET.get("new_date"))
    if new_date is not None:
        form = RescheduleForm(user=request.user, step=step, initial={"due_date": new_date})
        if step.can_move_date:
            form.fields["reason"].widget.attrs["autofocus"] = True
        forms["reschedule_form"] = form
    return _render_step_detail_with(request, step, status=200, **forms)


def step_context(request, step, **forms):
    """Everything a step's page shows; `forms` replaces an unbound form with a refused one."""
    today = request.user.local_today()
    return {
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


def _render_step_detail_with(request, step, status=422, **forms):
    context = step_context(request, step, **forms)
    return render(request, "plans/step_detail.html", context, status=status)


@login_required
@require_POST
def step_edit(request, code):
    step = get_step_for_owner(request, code)
    form = StepEditForm(request.POST, instance=editable(step))
    if not form.is_valid():
        return _render_step_detail_with(request, step, edit_form=form)
    form.save()
    messages.success(request, "The step is saved.")
    return redirect("plans-step-detail", step.code)


@login_required
@require_POST
def step_done(request, code):
    step = get_step_for_owner(request, code)
    changed = step.mark_done()
    if changed and step.reward:
        messages.success(request, f"Well done! You earned: {step.reward}")
        return _answer(request, step, celebrating=step.code)
    messages.success(request, f"Done: {step.title}.")
    return _answer(request, step)


@login_required
@require_POST
def step_reopen(request, code):
    step = get_step_for_owner(request, code)
    if step.mark_open():
        messages.info(request, f"Open again: {step.title}.")
    else:
        messages.info(request, f"{step.title} is open already.")
    return _answer(request, step)


@login_required
@require_POST
def step_reward_enjoyed(request, code):
    step = get_step_for_owner(request, code)
    if step.enjoy_reward():
        messages.success(request, "Enjoy it: you earned it.")
    elif step.reward_enjoyed:
        messages.info(request, "You have enjoyed this reward already.")
    elif step.reward:
        messages.info(request, "The reward is for when the step is done: check it off first.")
    else:
        messages.info(request, "This step has no reward to enjoy.")
    return _answer(request, step)


@login_required
@require_POST
def step_reschedule(request, code):
    step = get_step_for_owner(request, code)
    form = RescheduleForm(request.POST, user=request.user, step=step)
    if form.has_error("due_date", "closed"):
        # Done or dropped (in another tab, say): the page no longer offers a new date.
        messages.info(request, form.errors["due_date"][0])
        return _answer(request, step, origin="step", focus="#step-state", status=409)
    if not form.is_valid():
        return _refused(request, step, reschedule_form=form)
    if not step.reschedule(form.cleaned_data["due_date"], form.cleaned_data["reason"]):
        # Closed between the form's check and the move.
        step.refresh_from_db()
        messages.info(request, "This step is closed now, so its date stays as it is.")
        return _answer(request, step, origin="step", focus="#step-state", status=409)
    messages.success(request, "The new date is set, and the reason is in the step's history.")
    return _answer(request, step, origin="step", focus="#step-state")


@login_required
@require_POST
def step_drop(request, code):
    step = get_step_for_owner(request, code)
    form = DropForm(request.POST)
    if not form.is_valid():
        return _refused(request, step, drop_form=form)
    if step.mark_dropped(form.cleaned_data["reason"]):
        messages.info(request, "The step is dropped. It stays in the history; you can reopen it.")
    else:
        messages.info(request, "The step was dropped already.")
    return _answer(request, step, origin="step")


def _refused(request, step, **forms):
    """A refused reschedule or drop: the step's page again with the message beside the
    field (422), what was typed kept; with htmx, just the step's part of it."""
    if request.htmx:
        return _answer(
            request, step, origin="step", focus="#step-body .is-invalid", status=422, **forms
        )
    return _render_step_detail_with(request, step, **forms)
