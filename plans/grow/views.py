"""GROW sheets: numbered run-throughs of Goal, Reality, Obstacles and options, Way forward.

Only a plan's latest run-through can change; earlier ones are a record (their open options
carry over to the next). Every write works as a plain form (redirect back to the box it
changed) and, with htmx, answers with just that box.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from careerplan.forms import editable, posted
from careerplan.htmx import SAID_ONLY, page_update
from careerplan.http import require_POST
from plans.access import (
    get_grow_session_for_owner,
    get_obstacle_for_owner,
    get_option_for_owner,
    get_plan_for_owner,
)
from plans.grow.forms import (
    OPTION_PROMPTS,
    GoalForm,
    GrowCommitForm,
    ObstacleForm,
    OptionForm,
    RealityForm,
    already_committed,
)
from plans.models import GrowSession, Option, commitment_notice
from plans.smart import word_feedback

SHEET = "plans/grow/sheet.html"

# The print view shows this much of each list: the four boxes must fit one A4 page.
PRINT_OBSTACLES = 8
PRINT_OPTIONS = 12
PRINT_COMMITTED = 8


@login_required
@require_safe
def grow_list(request, code):
    plan = get_plan_for_owner(request, code)
    sessions = list(plan.grow_sessions.with_counts().order_by("-number"))
    context = {"plan": plan, "sessions": sessions}
    template = "plans/grow/list.html#sessions" if request.htmx else "plans/grow/list.html"
    return render(request, template, context)


@login_required
@require_POST
def grow_start(request, code):
    plan = get_plan_for_owner(request, code)
    try:
        session = GrowSession.start_next(plan)
    except IntegrityError:
        # Two starts raced (a double click): the other one made this run-through; open it.
        session = plan.grow_sessions.order_by("-number").first()
    else:
        if session.number == 1:
            messages.success(request, "Your first GROW sheet is ready: start with the goal.")
        else:
            messages.success(
                request,
                f"GROW sheet {session.number} starts from sheet {session.number - 1}: "
                "update what has changed.",
            )
    url = reverse("plans-grow-detail", args=[session.code])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _sheet_context(request, session, **extra):
    """Everything the sheet shows, in three queries whatever the size of the lists."""
    plan = session.plan
    latest = session.latest_number
    obstacles = list(session.obstacles.order_by("position", "pk"))
    options = list(session.options.select_related("step").order_by("position", "pk"))
    by_pk = {o.pk: o for o in obstacles}
    for option in options:
        option.answers = by_pk.get(option.obstacle_id)
    committed = [o for o in options if o.step_id is not None]

    option_forms = extra.pop("option_forms", {})
    groups = []
    for prompt, hint in OPTION_PROMPTS:
        groups.append(
            {
                "prompt": prompt,
                "hint": hint,
                "options": [o for o in options if (o.prompt or Option.Prompt.ELSE) == prompt],
                "form": option_forms.get(prompt)
                or OptionForm(obstacles=obstacles, prefix=prompt, label=prompt.label),
            }
        )
    # The letters that depend on the words alone; the plan page judges dates and measures.
    goal_tips = [result for result in word_feedback(session.goal) if not result.ok]
    context = {
        "plan": plan,
        "session": session,
        "goal_tips": goal_tips,
        "latest_number": latest,
        "editable": session.number == latest,
        "obstacles": obstacles,
        "option_groups": groups,
        "open_options": [o for o in options if o.step_id is None],
        "committed": committed,
        "today": request.user.local_today(),
        "goal_form": GoalForm(instance=session),
        "reality_form": RealityForm(instance=session),
        "obstacle_form": ObstacleForm(prefix="obstacle"),
        "commit_form": GrowCommitForm(
            options=options, user=request.user, initial={"option": request.GET.get("commit")}
        ),
    }
    context.update(extra)
    return context


def _autofocus(form, name):
    """Put the cursor in `name`, where typing goes on: htmx focuses an `autofocus`
    element in swapped content, so after adding an obstacle or an option the person can
    type the next one straight away. (A refused form's first wrong field is focused for
    every form: careerplan.forms.BoundField.)"""
    form.fields[name].widget.attrs["autofocus"] = True
    return form


def _render_sheet(request, session, fragment, status=200, **extra):
    """The whole sheet, or with htmx only the fragment that changed."""
    if not request.htmx:
        fragment = None
    template = f"{SHEET}#{fragment}" if fragment else SHEET
    context = _sheet_context(request, session, fragment=fragment, **extra)
    return render(request, template, context, status=status)


# The notices a change shows beside its box (the sheet's context names).
NOTICES = ("goal_notice", "reality_notice", "notice")


def _done(request, session, fragment, anchor, focus=None, **extra):
    """After a change: the changed box for htmx (the box holds everything the change
    shows in), else a redirect back to it (PRG)."""
    if request.htmx:
        # The notice shows beside the box; the page's live region says it (a status
        # element swapped in already filled is not reliably read out).
        for key in NOTICES:
            if extra.get(key):
                messages.success(request, extra[key], extra_tags=SAID_ONLY)
        context = _sheet_context(request, session, fragment=fragment, **extra)
        return page_update(request, SHEET, [], context, main=fragment, focus=focus)
    return redirect(reverse("plans-grow-detail", args=[session.code]) + f"#{anchor}")


def _refuse_if_old(request, session, fragment):
    """Earlier run-throughs are a record: refuse changes to them with 409 and say why."""
    latest = session.latest_number
    if session.number == latest:
        return None
    return _render_sheet(
        request,
        session,
        fragment,
        status=409,
        refusal=f"GROW sheet {session.number} is an earlier run-through, kept as a record: "
        f"make changes on sheet {latest}.",
    )


@login_required
@require_safe
def grow_detail(request, code):
    session = get_grow_session_for_owner(request, code)
    return _render_sheet(request, session, "work")


@login_required
@require_POST
def grow_goal(request, code):
    session = get_grow_session_for_owner(request, code)
    if refused := _refuse_if_old(request, session, "goal-box"):
        return refused
    form = GoalForm(request.POST, instance=editable(session))
    if not form.is_valid():
        return _render_sheet(request, session, "goal-box", status=422, goal_form=form)
    session = form.save(commit=False)
    session.save(update_fields=["goal", "updated"])
    return _done(
        request, session, "goal-box", "goal", focus="#goal textarea", goal_notice="Goal saved."
    )


@login_required
@require_POST
def grow_reality(request, code):
    session = get_grow_session_for_owner(request, code)
    if refused := _refuse_if_old(request, session, "reality-box"):
        return refused
    form = RealityForm(request.POST, instance=editable(session))
    if not form.is_valid():
        return _render_sheet(request, session, "reality-box", status=422, reality_form=form)
    session = form.save(commit=False)
    session.save(update_fields=["reality", "discoveries", "steps_taken", "updated"])
    return _done(
        request,
        session,
        "reality-box",
        "reality",
        focus="#reality textarea",
        reality_notice="Reality saved.",
    )


@login_required
@require_POST
def obstacle_add(request, code):
    session = get_grow_session_for_owner(request, code)
    if refused := _refuse_if_old(request, session, "work"):
        return refused
    form = ObstacleForm(request.POST, prefix="obstacle")
    if not form.is_valid():
        return _render_sheet(request, session, "work", status=422, obstacle_form=form)
    obstacle = session.add_obstacle(form.cleaned_data["text"], form.cleaned_data["kind"])
    return _done(
        request,
        session,
        "work",
        "obstacles",
        notice=f"Obstacle added: {obstacle}.",
        obstacle_form=_autofocus(ObstacleForm(prefix="obstacle"), "text"),
    )


def _edit_in_place(request, session, form, save, *, anchor, notice, fragment, row, **extra):
    """An obstacle or option edited in its place on the sheet: GET shows the form there,
    a valid POST saves and returns to the box, with the focus on the row's Edit button
    again (`row`, the row's id), a refused one shows why (422)."""
    if request.method == "POST":
        if form.is_valid():
            save()
            response = _done(
                request, session, "work", anchor, focus=f"#{row} a[hx-get]", notice=notice
            )
            if request.htmx:
                # The form was sent from the row; what comes back is the whole box.
                retarget(response, "#grow-work")
                reswap(response, "outerHTML")
            return response
        status = 422
    else:
        status = 200
        _autofocus(form, "text")
    return _render_sheet(request, session, fragment, status=status, edit_form=form, **extra)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def obstacle_edit(request, code):
    obstacle = get_obstacle_for_owner(request, code)
    session = obstacle.session
    if refused := _refuse_if_old(request, session, "work"):
        return refused
    form = ObstacleForm(posted(request), instance=editable(obstacle), prefix="edit")
    form.fields["text"].label = "Obstacle"
    return _edit_in_place(
        request,
        session,
        form,
        form.save,
        anchor="obstacles",
        notice="Obstacle saved.",
        fragment="obstacle-edit",
        row=f"obstacle-{obstacle.code}",
        editing=obstacle.code,
        obstacle=obstacle,
    )


@login_required
@require_POST
def obstacle_delete(request, code):
    obstacle = get_obstacle_for_owner(request, code)
    session = obstacle.session
    if refused := _refuse_if_old(request, session, "work"):
        return refused
    obstacle.delete()
    # The focus goes to the list the row left.
    return _done(
        request,
        session,
        "work",
        "obstacles",
        focus="#obstacles h4",
        notice=f"Obstacle deleted: {obstacle}.",
    )


def _prompt_from(request):
    value = request.POST.get("prompt", "")
    return Option.Prompt(value) if value in Option.Prompt.values else Option.Prompt.ELSE


@login_required
@require_POST
def option_add(request, code):
    session = get_grow_session_for_owner(request, code)
    if refused := _refuse_if_old(request, session, "work"):
        return refused
    prompt = _prompt_from(request)
    obstacles = list(session.obstacles.order_by("position", "pk"))
    form = OptionForm(request.POST, obstacles=obstacles, prefix=prompt, label=prompt.label)
    if not form.is_valid():
        return _render_sheet(request, session, "work", status=422, option_forms={prompt: form})
    option = session.add_option(
        form.cleaned_data["text"], prompt=prompt, obstacle=form.cleaned_data["obstacle"]
    )
    fresh = OptionForm(obstacles=obstacles, prefix=prompt, label=prompt.label)
    return _done(
        request,
        session,
        "work",
        f"options-{prompt}",
        notice=f"Option added: {option}.",
        option_forms={prompt: _autofocus(fresh, "text")},
    )


def _refuse_if_committed(request, option, fragment):
    """A committed option is a step now: it is changed on the plan, not on the sheet."""
    if option.step_id is None:
        return None
    return _render_sheet(
        request,
        option.session,
        fragment,
        status=409,
        refusal=already_committed(option).messages[0]
        + " Change or drop the step itself on the plan page.",
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def option_edit(request, code):
    option = get_option_for_owner(request, code)
    session = option.session
    if refused := _refuse_if_old(request, session, "work") or _refuse_if_committed(
        request, option, "work"
    ):
        return refused
    obstacles = list(session.obstacles.order_by("position", "pk"))
    initial = {"text": option.text, "obstacle": option.obstacle.code if option.obstacle else ""}
    form = OptionForm(posted(request), initial=initial, obstacles=obstacles, prefix="edit-option")

    def save():
        option.text = form.cleaned_data["text"]
        option.obstacle = form.cleaned_data["obstacle"]
        option.save(update_fields=["text", "obstacle"])

    return _edit_in_place(
        request,
        session,
        form,
        save,
        anchor=f"options-{option.prompt or 'else'}",
        notice="Option saved.",
        fragment="option-edit",
        row=f"option-{option.code}",
        editing=option.code,
        option=option,
    )


@login_required
@require_POST
def option_delete(request, code):
    option = get_option_for_owner(request, code)
    session = option.session
    if refused := _refuse_if_old(request, session, "work") or _refuse_if_committed(
        request, option, "work"
    ):
        return refused
    option.delete()
    prompt = option.prompt or "else"
    return _done(
        request,
        session,
        "work",
        f"options-{prompt}",
        focus=f"#prompt-{prompt}",
        notice=f"Option deleted: {option}.",
    )


@login_required
@require_POST
def grow_commit(request, code):
    session = get_grow_session_for_owner(request, code)
    if refused := _refuse_if_old(request, session, "work"):
        return refused
    options = list(session.options.select_related("step").order_by("position", "pk"))
    form = GrowCommitForm(request.POST, options=options, user=request.user)
    if form.is_valid():
        option = form.cleaned_data["option"]
        try:
            step = option.commit(form.cleaned_data["due_date"], reward=form.cleaned_data["reward"])
        except Option.AlreadyCommitted:
            option.refresh_from_db()
            form.add_error("option", already_committed(option))
        else:
            notice = (
                f"You committed to “{step.title}” by {date_format(step.due_date, 'l j F Y')}. "
                f"{commitment_notice(step)}"
            ).strip()
            if not request.htmx:
                messages.success(request, notice)
            return _done(
                request,
                session,
                "work",
                "way-forward",
                focus=f"#committed-{option.code}",
                notice=notice,
            )
    return _render_sheet(request, session, "work", status=422, commit_form=form)


@login_required
@require_safe
def grow_print(request, code):
    session = get_grow_session_for_owner(request, code)
    context = _sheet_context(request, session)
    context.update(
        obstacles_shown=context["obstacles"][:PRINT_OBSTACLES],
        obstacles_more=max(len(context["obstacles"]) - PRINT_OBSTACLES, 0),
        open_shown=context["open_options"][:PRINT_OPTIONS],
        open_more=max(len(context["open_options"]) - PRINT_OPTIONS, 0),
        committed_shown=context["committed"][:PRINT_COMMITTED],
        committed_more=max(len(context["committed"]) - PRINT_COMMITTED, 0),
        # Room to write a few more commitments by hand.
        blank_rows=range(max(3 - len(context["committed"]), 0)),
    )
    return render(request, "plans/grow/print.html", context)


@login_required
@require_safe
def grow_print_blank(request, code):
    plan = get_plan_for_owner(request, code)
    return render(request, "plans/grow/print.html", {"plan": plan, "session": None})
