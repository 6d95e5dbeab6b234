"""Plans: the dashboard, the list of plans, and a plan's goal with its SMART feedback."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from careerplan.forms import editable, posted
from careerplan.http import require_POST
from careerplan.pagecache import render_page
from plans.access import get_plan_for_owner
from plans.example import load_example_plan
from plans.forms import PlanForm
from plans.models import Plan, Step, choose_next_small_step
from plans.smart import smart_feedback
from plans.steps.forms import QuickStepForm, StepForm

# Lists on a page are bounded, so a page costs the same however big the plan: the counts
# say how many more there are, and the wall chart shows everything. A dashboard is for
# the next few things to do, so its lists are the shortest.
DASHBOARD_LIMIT = 10
LIST_LIMIT = 20
DONE_LIMIT = 10

STARTERS = [
    "Spend 20 minutes writing down three kinds of work you would love to try",
    "Ask one person who does a job you admire how they got into it",
    "Read one job advert in a field you are curious about and note what it asks for",
]


def feedback_for(form, user):
    """SMART feedback on what is in the form now, valid or not: it advises, never blocks."""
    data = form.data if form.is_bound else None
    if data is None:
        instance = form.instance
        goal, measure, relevance, target = (
            instance.goal,
            instance.measure,
            instance.relevance,
            instance.target_date,
        )
        if not goal:
            return []
    else:
        goal, measure, relevance = (data.get(f, "") for f in ("goal", "measure", "relevance"))
        target = form.fields["target_date"].widget.value_from_datadict(data, {}, "target_date")
        try:
            target = form.fields["target_date"].clean(target)
        except ValidationError:  # an unreadable date is "no date" to the advice
            target = None
    return smart_feedback(goal, measure, relevance, target, user.local_today())


def dashboard_context(user):
    """Everything the dashboard shows; a step action's htmx answer re-renders its parts
    from the same context (plans.steps.views), so the page never disagrees with itself."""
    today = user.local_today()
    plans = list(Plan.objects.for_owner(user).active().with_progress().order_by("-created"))
    steps = Step.objects.for_owner(user).select_related("plan").order_by("due_date", "position")
    overview = steps.due_counts(today)
    overdue = list(steps.overdue(today)[:DASHBOARD_LIMIT])
    this_week = list(steps.due_this_week(today)[:DASHBOARD_LIMIT])
    next_step = choose_next_small_step(
        # This week's first step is the earliest from today; only when there is none is
        # a later one asked for.
        lambda: this_week[0] if this_week else (steps.upcoming(today).first() if plans else None),
        lambda: overdue[0] if overdue else None,
    )
    done_today = list(
        Step.objects.for_owner(user)
        .done_on(today, user.zone)
        .select_related("plan")
        .order_by("-completed")[:DASHBOARD_LIMIT]
    )
    return {
        "plans": plans,
        # Each list counts every step it holds, and shows the next small step only once,
        # in its own box (the lists say so).
        "overdue": overdue,
        "overdue_rest": [step for step in overdue if step != next_step],
        "this_week": this_week,
        "this_week_rest": [step for step in this_week if step != next_step],
        "overview": overview,
        "next_step": next_step,
        "next_steps": [next_step] if next_step else [],
        "done_today": done_today,
        "today": today,
        "quick_form": QuickStepForm(user=user, plans=plans, auto_id="quick_%s") if plans else None,
        "starters": STARTERS,
    }


@login_required
@require_safe
def dashboard(request):
    return render_page(request, "plans/dashboard.html", lambda: dashboard_context(request.user))


@login_required
@require_safe
def plan_list(request):
    plans = list(
        Plan.objects.for_owner(request.user).with_progress().order_by("status", "-created")
    )
    example = next((plan for plan in reversed(plans) if plan.is_example), None)
    return render(request, "plans/plan_list.html", {"plans": plans, "example": example})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def plan_create(request):
    form = PlanForm(posted(request))
    if request.method == "POST" and "check" not in request.POST and form.is_valid():
        form.instance.owner = request.user
        plan = form.save()
        messages.success(request, "Your plan is saved. Now break it into small, dated steps.")
        return redirect("plans-detail", plan.code)
    return _render_plan_form(request, form, plan=None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def plan_edit(request, code):
    plan = get_plan_for_owner(request, code)
    form = PlanForm(posted(request), instance=editable(plan))
    if request.method == "POST" and "check" not in request.POST and form.is_valid():
        form.save()
        messages.success(request, "Your goal is saved.")
        return redirect("plans-detail", plan.code)
    return _render_plan_form(request, form, plan=plan)


def _render_plan_form(request, form, plan):
    status = 422 if form.is_bound and "check" not in request.POST and form.errors else 200
    context = {"form": form, "plan": plan, "feedback": feedback_for(form, request.user)}
    return render(request, "plans/plan_form.html", context, status=status)


@login_required
@require_POST
def smart_check(request):
    """The live SMART feedback under the goal form (htmx, debounced as the person types)."""
    form = PlanForm(request.POST)
    context = {"feedback": feedback_for(form, request.user)}
    return render(request, "plans/plan_form.html#smart-feedback", context)


def plan_context(plan, user, **extra):
    """Everything a plan's page shows (and a step action re-renders out of band)."""
    today = user.local_today()
    steps = plan.steps.order_by("due_date", "position")
    return {
        "plan": plan,
        "today": today,
        "feedback": smart_feedback(
            plan.goal, plan.measure, plan.relevance, plan.target_date, today
        ),
        "counts": plan.steps.progress(today),
        "overdue": list(steps.overdue(today)[:LIST_LIMIT]),
        "upcoming": list(steps.upcoming(today)[:LIST_LIMIT]),
        "done": list(plan.steps.done().order_by("-completed")[:DONE_LIMIT]),
        "step_form": StepForm(user=user),
        **extra,
    }


@login_required
@require_safe
def plan_detail(request, code):
    return render_page(
        request,
        "plans/plan_detail.html",
        lambda: plan_context(get_plan_for_owner(request, code), request.user),
    )


@login_required
@require_POST
def plan_archive(request, code):
    plan = get_plan_for_owner(request, code)
    if plan.status == Plan.Status.ACTIVE:
        plan.archive()
        messages.success(request, "The plan is archived: it stays readable under Plans.")
    else:
        plan.reactivate()
        messages.success(request, "The plan is active again.")
    return redirect("plans-detail", plan.code)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def plan_delete(request, code):
    plan = get_plan_for_owner(request, code)
    if request.method == "POST":
        plan.delete()
        messages.success(request, "The plan and all its steps and GROW sheets are deleted.")
        return redirect("plans-list")
    counts = plan.steps.progress(request.user.local_today())
    grow_count = plan.grow_sessions.count()
    return render(
        request,
        "plans/plan_delete.html",
        {"plan": plan, "counts": counts, "grow_count": grow_count},
    )


@login_required
@require_POST
def example_load(request):
    plan, created = load_example_plan(request.user)
    if created:
        messages.success(
            request,
            "Here is the worked example, as a plan of your own: look around, change it, "
            "and delete it when you are done with it.",
        )
    else:
        messages.info(request, "You have the worked example already: here it is.")
    return redirect("plans-detail", plan.code)


@login_required
@require_POST
def start_anywhere(request):
    """Turn one of the suggested first steps into a plan with that step dated this week."""
    try:
        title = STARTERS[int(request.POST.get("starter", ""))]
    except (ValueError, IndexError):
        messages.error(request, "Choose one of the suggested steps.")
        return redirect("plans-dashboard")
    plan = Plan.objects.start_anywhere(request.user, title)
    messages.success(
        request,
        "Your first step is dated. The goal is a placeholder: sharpen it when you know more.",
    )
    return redirect("plans-detail", plan.code)
