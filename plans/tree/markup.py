"""The tree's steps as markup, written in Python rather than a template included once per
step: an include costs about 0.1 ms of bookkeeping whatever it draws, and a tree of 200
steps spent most of its page's time in them (bench/README.md). Every value is escaped
here, as a template's autoescaping would.

Each step is a list item whose title opens its one menu of actions: a GET form to
plans-tree-step whose buttons name the action, the step's code written once, so a tree
of 200 steps stays a light page (tests hold it under 100 KB).
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from careerplan.templatetags.calendar_dates import day
from careerplan.templatetags.code_urls import code_url_for
from plans.models import step_state


def tree_markup(nodes, *, focus, first, today):
    """The <li> of each node in `nodes`, with the steps under it."""
    menu = code_url_for("plans-tree-step")
    parts = []
    for node in nodes:
        _node(parts, node, focus, first, today, menu)
    return mark_safe("".join(parts))  # every value is escaped above


def _node(parts, node, focus, first, today, menu):
    step = node.step
    state = step_state(step, today)
    classes = ""
    if node is first:
        classes += "tree-node-first "
    if node is focus:
        classes += "tree-node-focus "
    if step.status != "open":
        classes += f"tree-node-{step.status}"
    parts.append(f'<li id="step-{step.code}"')
    if node is first or node is focus or step.status != "open":
        parts.append(f' class="{classes}"')
    parts.append("><details><summary>")
    if node is first:
        parts.append('<span class="badge tree-first-badge">Your first step</span> ')
    title = escape(step.title)
    parts.append(f"<s>{title}</s> " if step.status == "done" else f"{title} ")
    if state == "done":
        parts.append('<span class="badge text-bg-success">Done</span>')
    elif state == "dropped":
        parts.append('<span class="badge text-bg-secondary">Dropped</span>')
    elif state == "overdue":
        was_due = day(step.due_date, "j M")
        parts.append(f'<span class="badge text-bg-danger">Overdue: was due {was_due}</span>')
    elif step.due_date:
        by = day(step.due_date, "D j M")
        parts.append(f'<span class="badge tree-date">Action step, by {by}</span>')
    elif not node.children:
        parts.append('<span class="badge tree-todo">Needs an answer</span>')
    if step.reward:
        parts.append(f' <span class="tree-reward">Reward: {escape(step.reward)}</span>')
    parts.append("</summary>")
    if step.notes:
        notes = escape(Truncator(step.notes).chars(160))
        parts.append(f'<p class="tree-notes">{notes}</p>')
    parts.append(f'<form action="{menu(step.code)}">')
    if step.status == "open":
        ask = "Break it down" if step.due_date else "Ask about it"
        parts.append(f'<button name="ask">{ask}</button>')
    if step.due_date:
        parts.append('<button name="open">Open the step</button>')
    parts.append(
        '<button name="edit">Edit</button><button name="move">Move</button>'
        '<button name="delete">Delete</button></form></details>'
    )
    if node.children:
        parts.append("<ul>")
        for child in node.children:
            _node(parts, child, focus, first, today, menu)
        parts.append("</ul>")
    parts.append("</li>")
