"""The journal as files a person keeps: Markdown to read, CSV for a spreadsheet."""

import csv
import io

from django.utils.formats import date_format

CSV_HEADER = ["date", "mood", "entry", "steps_done", "rewards_earned"]

# A spreadsheet treats a cell starting with one of these as a formula; an apostrophe in
# front keeps journal text from ever being run as one (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_filename(today, extension):
    return f"success-journal-{today:%Y-%m-%d}.{extension}"


def step_line(step):
    return f"{step.title} ({step.plan.goal})"


def to_markdown(owner, days, today):
    """Return the journal as one Markdown document, oldest day first."""
    lines = [
        "# Success Journal",
        "",
        f"{owner.display_name or owner.email}, exported on {date_format(today, 'j F Y')}.",
        "",
    ]
    if not days:
        lines += ["Nothing written or done yet.", ""]
    for day in days:
        lines += [f"## {date_format(day.date, 'l j F Y')}", ""]
        if day.entry is not None:
            if day.entry.mood:
                lines += [f"Mood: {day.entry.get_mood_display()}", ""]
            lines += [day.entry.text.strip(), ""]
        if day.steps:
            lines += ["Steps done:", ""]
            lines += [f"- {step_line(step)}" for step in day.steps]
            lines.append("")
        if day.rewards:
            lines += ["Rewards earned:", ""]
            lines += [f"- {step.reward}" for step in day.rewards]
            lines.append("")
    return "\n".join(lines)


def safe_cell(value):
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def to_csv(days):
    """Return the journal as CSV, one row per day, with a BOM so spreadsheets read UTF-8."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for day in days:
        entry = day.entry
        row = [
            day.date.isoformat(),
            entry.get_mood_display() if entry and entry.mood else "",
            entry.text if entry else "",
            "; ".join(step_line(step) for step in day.steps),
            "; ".join(step.reward for step in day.rewards),
        ]
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()
