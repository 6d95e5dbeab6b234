"""The archive's files for people to read: a README and one Markdown file per plan (its
SMART goal, GROW sheets, reverse-engineering tree and steps with their history)."""

from collections import defaultdict

from django.utils.formats import date_format
from django.utils.text import slugify

from personaldata.registry import SECTIONS
from plans.models import (
    STATE_LABELS,
    GrowSession,
    Obstacle,
    Option,
    Plan,
    State,
    Step,
    StepEvent,
    is_to_break_down,
)

SCHEMA_DOC = "docs/export-schema.md in the careerplan source"


def readme(user, data, today):
    """What the archive holds, with the number of rows of each section."""
    lines = [
        "# Your careerplan data",
        "",
        f"Everything {user.display_name or user.email} has in careerplan, "
        f"exported on {date_format(today, 'j F Y')}.",
        "",
        f"- `careerplan-export.json`: every row, format `{data['format']}` version "
        f"{data['version']} (described in {SCHEMA_DOC}). Upload this archive on the "
        "profile's “Your data” page of an empty account to bring your plans and journal "
        "back.",
        "- `plans/`: each plan in Markdown: its SMART goal, GROW sheets, tree and steps.",
        "- `journal/`: your Success Journal in Markdown and CSV.",
        "- `calendar/steps.ics`: your dated steps, for any calendar app.",
        "- `csv/`: each table of the JSON as a spreadsheet.",
        "",
        "## What is in the JSON",
        "",
    ]
    for section in SECTIONS:
        count = len(data["sections"][section.label])
        lines.append(f"- `{section.label}` ({count}): {section.about}")
    lines.append("")
    return "\n".join(lines)


def plan_files(user):
    """(file name, Markdown) for each of the person's plans, oldest first (six queries)."""
    plans = list(Plan.objects.filter(owner=user).order_by("created", "pk"))
    steps = _grouped(Step.objects.filter(plan__owner=user), "plan_id")
    events = _grouped(
        StepEvent.objects.filter(step__plan__owner=user).order_by("created", "pk"), "step_id"
    )
    sessions = _grouped(GrowSession.objects.filter(plan__owner=user).order_by("number"), "plan_id")
    obstacles = _grouped(Obstacle.objects.filter(session__plan__owner=user), "session_id")
    options = _grouped(Option.objects.filter(session__plan__owner=user), "session_id")
    today, zone = user.local_today(), user.zone
    files = []
    for n, plan in enumerate(plans, start=1):
        name = f"{n:02d}-{slugify(plan.goal)[:60] or 'plan'}.md"
        lines = _plan(plan, zone)
        for session in sessions[plan.pk]:
            lines += _grow(session, obstacles[session.pk], options[session.pk], zone)
        lines += _tree(steps[plan.pk], today)
        lines += _steps(steps[plan.pk], events, today, zone)
        files.append((name, "\n".join(lines)))
    return files


def _grouped(rows, key):
    """Rows by the value of `key` (a plan's steps, a sheet's options), in position order
    unless the query says otherwise."""
    if not rows.query.order_by:
        rows = rows.order_by("position", "pk")
    groups = defaultdict(list)
    for row in rows:
        groups[getattr(row, key)].append(row)
    return groups


def _day(value):
    return date_format(value, "j F Y") if value else "no date"


def _local_day(instant, zone):
    """The person's own date of an instant, as the app shows it."""
    return _day(instant.astimezone(zone).date())


def _plan(plan, zone):
    lines = [f"# {plan.goal}", ""]
    if plan.is_archived:
        lines += ["*Archived.*", ""]
    lines += [
        f"- How you will know you have arrived: {plan.measure or '(not written yet)'}",
        f"- Why it matters to you: {plan.relevance or '(not written yet)'}",
        f"- Target date: {_day(plan.target_date)}",
        f"- Started: {_local_day(plan.created, zone)}",
        "",
    ]
    return lines


def _grow(session, obstacles, options, zone):
    lines = [f"## GROW sheet {session.number} ({_local_day(session.created, zone)})", ""]
    lines += ["### Goal", "", session.goal or "(empty)", ""]
    lines += ["### Reality", "", session.reality or "(empty)", ""]
    if session.discoveries:
        lines += ["What you have found out about yourself:", "", session.discoveries, ""]
    if session.steps_taken:
        lines += ["Positive steps already taken:", "", session.steps_taken, ""]
    lines += ["### Obstacles and options", ""]
    for obstacle in obstacles:
        lines.append(f"- Obstacle ({obstacle.get_kind_display()}): {obstacle.text}")
    for option in options:
        prompt = f" ({option.get_prompt_display()})" if option.prompt else ""
        lines.append(f"- Option{prompt}: {option.text}")
    if not obstacles and not options:
        lines.append("(none yet)")
    lines += ["", "### Way forward", ""]
    committed = [option for option in options if option.step_id]
    lines += [f"- Committed: {option.text}" for option in committed] or ["(nothing yet)"]
    lines.append("")
    return lines


def _tree(steps, today):
    """The reverse-engineering tree as a nested list, in tree order."""
    children = defaultdict(list)
    for step in steps:
        children[step.parent_id].append(step)
    lines = ["## Reverse engineering", ""]
    parents = set(children) - {None}

    def walk(parent, depth):
        for step in children[parent]:
            when = f", by {_day(step.due_date)}" if step.due_date else ""
            state = step.state(today)
            if state == State.UNDATED and not is_to_break_down(step, parents):
                label = "broken down"
            else:
                label = STATE_LABELS[state].lower()
            lines.append(f"{'  ' * depth}- {step.title} ({label}{when})")
            walk(step.pk, depth + 1)

    walk(None, 0)
    if not steps:
        lines.append("(no steps yet)")
    lines.append("")
    return lines


def _steps(steps, events, today, zone):
    lines = ["## Steps", ""]
    dated = sorted((s for s in steps if s.due_date), key=lambda s: (s.due_date, s.pk))
    for step in dated:
        lines.append(f"### {step.title}")
        lines.append("")
        lines.append(f"- Completion date: {_day(step.due_date)}")
        lines.append(f"- State: {STATE_LABELS[step.state(today)]}")
        if step.reward:
            lines.append(f"- Reward: {step.reward}")
        if step.notes:
            lines.append(f"- Notes: {step.notes}")
        for event in events[step.pk]:
            detail = ""
            if event.new_date:
                detail = f" to {_day(event.new_date)}"
            if event.reason:
                detail += f": {event.reason}"
            when = _local_day(event.created, zone)
            lines.append(f"- {when}: {event.get_kind_display()}{detail}")
        lines.append("")
    if not dated:
        lines += ["(no dated steps yet)", ""]
    return lines
