"""Reverse engineering: build the tree of steps from the goal down to a first step.

Every change works as a plain form with a redirect; with htmx the answer is the
refreshed workspace (the question and the tree, through careerplan.htmx.page_update),
or the form again with its errors. Each step of the tree has one menu of actions (a
small GET form, `node_action`), so a tree of 200 steps stays a light page.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.http import (
    HttpResponseClientRedirect,
    push_url,
    replace_url,
    reswap,
    retarget,
    trigger_client_event,
)

from careerplan.forms import editable
from careerplan.htmx import page_update
from careerplan.http import require_POST
from careerplan.pagecache import render_page
from plans.access import get_plan_for_owner, get_step_for_owner
from plans.models import commitment_notice
from plans.tree.forms import (
    GOAL,
    AnswersForm,
    DeleteForm,
    MoveForm,
    ReorderForm,
    TreeDateForm,
    TreeStepEditForm,
)
from plans.tree.tree import MAX_CHILDREN, MAX_DEPTH, Tree, describe

PAGE = "plans/tree/tree.html"
WORKSPACE = "plans/tree/workspace.html"
ANSWERS = ("yes", "no")
# What a step's menu in the tree offers (the name of each of its buttons).
NODE_ACTIONS = ("ask", "open", "edit", "move", "delete")


@login_required
@require_safe
def tree_page(request, code):
    """The tree, and the question for one node: the next one, or the one asked about."""
    if request.htmx:
        plan = get_plan_for_owner(request, code)
        tree, focus, answer, form, autofocus = _question(request, plan)
        return _render_workspace(request, tree, focus, answer, form, autofocus=autofocus)
    return render_page(
        request,
        PAGE,
        lambda: _workspace_context(request, *_question(request, get_plan_for_owner(request, code))),
    )


def _question(request, plan):
    """The tree and the question the page asks: (tree, focus, answer, form, autofocus)."""
    tree = Tree.for_plan(plan)
    asked = request.GET.get("node")
    focus = _node_from_code(tree, asked) if asked else tree.next_to_ask()
    answer = request.GET.get("answer") if focus is not None else None
    if answer not in ANSWERS:
        answer = None
    form = _answer_form(request, tree, focus, answer)
    if answer and form is not None:
        # The person chose an answer: take them straight to the field it asks for.
        first_field = next(iter(form.fields.values()))
        first_field.widget.attrs["autofocus"] = True
        return tree, focus, answer, form, False
    return tree, focus, answer, form, bool(asked)


@login_required
@require_POST
def goal_commit(request, code):
    plan = get_plan_for_owner(request, code)
    return _commit(request, plan, step=None)


@login_required
@require_POST
def step_commit(request, code):
    step = get_step_for_owner(request, code)
    return _commit(request, step.plan, step=step)


@login_required
@require_POST
def goal_answers(request, code):
    plan = get_plan_for_owner(request, code)
    return _add_answers(request, plan, step=None)


@login_required
@require_POST
def step_answers(request, code):
    step = get_step_for_owner(request, code)
    return _add_answers(request, step.plan, step=step)


def _commit(request, plan, step):
    """Answer “Yes, within a week”: date the step (or make the goal one action step)."""
    with Tree.for_update(plan) as tree:
        node = tree.node_for(step)
        form = TreeDateForm(request.POST, user=request.user, tree=tree, node=node)
        if form.is_valid():
            action = form.save()
    if not form.is_valid():
        return _render_workspace(request, tree, node, "yes", form, status=422)
    messages.success(
        request,
        f"“{action.title}” is an action step now, to do by "
        f"{date_format(action.due_date, 'l j F')}. {commitment_notice(action)}".strip(),
    )
    # The branch it ends goes on being asked about: its siblings next, then upwards.
    return _changed(request, plan, near=node.parent or node, refocus="#guide-heading")


def _add_answers(request, plan, step):
    """Answer “No, something comes first”: the answers become steps under the one asked."""
    with Tree.for_update(plan) as tree:
        node = tree.node_for(step)
        form = AnswersForm(request.POST, tree=tree, node=node)
        if form.is_valid():
            added = form.save()
    if not form.is_valid():
        return _render_workspace(request, tree, node, "no", form, status=422)
    count = len(added)
    messages.success(
        request,
        f"Added {count} step{'s' if count != 1 else ''} under {describe(node, lower=True)}. "
        "Now ask the same question of each.",
    )
    return _changed(request, plan, near=node, refocus="#guide-heading")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def step_edit(request, code):
    step = get_step_for_owner(request, code)
    if request.method == "POST":
        form = TreeStepEditForm(request.POST, instance=editable(step))
        if form.is_valid():
            step = form.save()
            messages.success(request, f"Saved “{step.title}”.")
            return _changed(request, step.plan, anchor=step, refocus=_menu_of(step))
        status = 422
    else:
        form = TreeStepEditForm(instance=step)
        status = 200
    return _render_step_page(request, "plans/tree/step_edit.html", step, form, status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def step_move(request, code):
    step = get_step_for_owner(request, code)
    if request.method == "POST":
        with Tree.for_update(step.plan) as tree:
            node = tree.node_for(step)
            form = MoveForm(request.POST, tree=tree, node=node)
            # A code from outside this plan (another person's, or made up) is not found.
            if form.target_code() is not None:
                _node_from_code(tree, form.target_code())
            if form.is_valid():
                form.save()
        if form.is_valid():
            target = form.cleaned_data["target"]
            messages.success(request, f"Moved “{step.title}” under {describe(target, lower=True)}.")
            return _changed(request, step.plan, anchor=step, refocus=_menu_of(step))
        status = 422
    else:
        tree = Tree.for_plan(step.plan)
        node = tree.node_for(step)
        form = MoveForm(tree=tree, node=node)
        status = 200
    return _render_step_page(
        request, "plans/tree/step_move.html", step, form, status, tree=tree, node=node
    )


@login_required
@require_POST
def step_reorder(request, code):
    step = get_step_for_owner(request, code)
    form = ReorderForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("Move a step up or down.")
    direction = form.cleaned_data["direction"]
    if step.move(direction):
        messages.success(request, f"Moved “{step.title}” {direction}.")
    else:
        messages.info(
            request,
            f"“{step.title}” is already {'first' if direction == 'up' else 'last'} in its list.",
        )
    return _changed(request, step.plan, anchor=step, refocus=_menu_of(step))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def step_delete(request, code):
    step = get_step_for_owner(request, code)
    if request.method == "POST":
        with Tree.for_update(step.plan) as tree:
            node = tree.node_for(step)
            form = DeleteForm(request.POST, tree=tree, node=node)
            if form.is_valid():
                below = len(node.children)
                lifted = form.cleaned_data["children"] == DeleteForm.LIFT
                parent = node.parent
                form.save()
        if form.is_valid():
            message = f"Deleted “{step.title}”"
            if below and lifted:
                message += f"; the steps under it moved up to {describe(parent, lower=True)}"
            elif below:
                message += " and the steps under it"
            messages.success(request, message + ".")
            return _changed(request, step.plan, refocus="#tree-heading")
        status = 422
    else:
        tree = Tree.for_plan(step.plan)
        node = tree.node_for(step)
        form = DeleteForm(tree=tree, node=node)
        status = 200
    return _render_step_page(
        request, "plans/tree/step_delete.html", step, form, status, tree=tree, node=node
    )


def _node_from_code(tree, code):
    """Return the goal or the node of a step code from a URL or form; 404 for a code that
    is not a step of this plan (another person's included)."""
    if code == GOAL:
        return tree.goal
    try:
        node = tree.find(uuid.UUID(str(code)))
    except ValueError:
        node = None
    if node is None:
        raise Http404("No such step in this plan.")
    return node


def _answer_form(request, tree, focus, answer):
    """Return the unbound form for the answer given to the question about `focus`."""
    if focus is None:
        return None
    if answer == "yes" and not focus.is_dated and not focus.is_closed:
        return TreeDateForm(user=request.user, tree=tree, node=focus)
    if answer == "no" or focus.is_dated or focus.is_closed:
        return AnswersForm(tree=tree, node=focus)
    return None


def _workspace_context(request, tree, focus, answer, form, autofocus=False):
    first = tree.first_step()
    if focus is not None and (focus.is_dated or focus.is_closed):
        answer = "no"
    return {
        "plan": tree.plan,
        "tree": tree,
        "focus": focus,
        "focus_code": "" if focus is None else GOAL if focus.is_goal else focus.step.code,
        "answer": answer,
        "form": form,
        "first": first,
        "add_problem": None if focus is None else tree.problem_adding(focus, 1),
        "today": request.user.local_today(),
        "autofocus": autofocus,
        "max_depth": MAX_DEPTH,
        "max_children": MAX_CHILDREN,
    }


def _render_workspace(request, tree, focus, answer, form, status=200, autofocus=False):
    """The whole page, or for htmx the workspace (the question and the tree)."""
    context = _workspace_context(request, tree, focus, answer, form, autofocus or status == 422)
    template = WORKSPACE if request.htmx else PAGE
    return render(request, template, context, status=status)


def _render_step_page(request, template, step, form, status, **extra):
    """A step's own page (edit, move, delete), or for htmx just its form, opened in place
    of the step's menu in the tree."""
    context = {
        "plan": step.plan,
        "step": step,
        "form": form,
        "max_depth": MAX_DEPTH,
        "max_children": MAX_CHILDREN,
        **extra,
    }
    if not request.htmx:
        return render(request, template, context, status=status)
    response = render(request, template + "#step-form", context, status=status)
    if request.method != "POST":
        retarget(response, f"#step-{step.code} > details > form")
        reswap(response, "outerHTML")
        # The form replaced the menu the person used: the focus goes to its first
        # control, a field or, where there is none, its first button (a step with
        # nothing under it to delete, nowhere to move it but Cancel).
        focus = f"#step-{step.code} .tree-step-form {FIRST_CONTROL}"
        trigger_client_event(response, "cp-focus", {"selector": focus}, after="settle")
    return response


FIRST_CONTROL = ":is(input:not([type=hidden]), select, textarea, button, a[href])"


def _menu_of(step):
    """The selector of a step's menu button in the tree, where the focus goes back to."""
    return f"#step-{step.code} > details > summary"


def _changed(request, plan, anchor=None, near=None, refocus=None):
    """After a change: redirect to the tree (PRG), or for htmx answer with the refreshed
    workspace, asking the next question.

    `near` is the node just answered: the next question stays on its branch
    (Tree.next_to_ask); without JavaScript the redirect names that question in the URL.
    `refocus`: a selector for the element the keyboard focus goes to once swapped, since
    the one pressed is gone.
    """
    url = reverse("plans-tree", args=[plan.code])
    tree = Tree.for_plan(plan)
    if near is not None:
        near = tree.node_for(near.step) if near.step is None or near.step.pk in tree.nodes else None
    focus = tree.next_to_ask(near=near)
    if not request.htmx:
        if anchor is not None:
            return redirect(f"{url}#step-{anchor.code}")
        if near is not None and focus is not None and not focus.is_goal:
            return redirect(f"{url}?node={focus.step.code}#guide")
        return redirect(url)
    context = _workspace_context(
        request, tree, focus, None, _answer_form(request, tree, focus, None)
    )
    response = page_update(request, PAGE, ["workspace"], context, focus=refocus)
    replace_url(response, url)
    return response


@login_required
@require_safe
def node_action(request, code):
    """A step's menu in the tree: one GET form per step, its buttons naming the action.

    Without JavaScript each action goes to its own page (or the question, on the tree
    page); with htmx (hx-boost on the tree) the question fills the workspace and the
    edit, move and delete forms open in place of the menu.
    """
    step = get_step_for_owner(request, code)
    # The button pressed is the one name in the query ("?edit=").
    action = next((name for name in NODE_ACTIONS if name in request.GET), None)
    if action == "ask":
        query = f"?node={step.code}" + ("" if _askable(step) else "&answer=no")
        url = reverse("plans-tree", args=[step.plan.code]) + query
        if not request.htmx:
            return redirect(url + "#guide")
        tree = Tree.for_plan(step.plan)
        node = tree.node_for(step)
        answer = None if _askable(step) else "no"
        form = _answer_form(request, tree, node, answer)
        response = _render_workspace(request, tree, node, answer, form, autofocus=True)
        push_url(response, url)
        return response
    if action == "open":
        url = reverse("plans-step-detail", args=[step.code])
        return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
    views = {"edit": step_edit, "move": step_move, "delete": step_delete}
    if action not in views:
        return HttpResponseBadRequest("Choose an action from the step's menu.")
    if not request.htmx:
        return redirect(f"plans-tree-step-{action}", step.code)
    return views[action](request, code)


def _askable(step):
    """True for a step whose question (“within a week?”) is still open to answer."""
    return step.status == step.Status.OPEN and step.due_date is None
