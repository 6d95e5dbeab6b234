"""Everything a person has, as one zip archive: JSON (the schema in docs/export-schema.md),
Markdown to read, CSV for a spreadsheet and an .ics of the dated steps.

The JSON is built from the registry's sections, so every table that refers to a person
is in it without code here knowing the table; the other files are views of the same rows
for people rather than programs.
"""

import csv
import io
import json
import zipfile
from datetime import date, datetime, time
from uuid import UUID

from django.db import models
from django.utils import timezone

from careerplan.dates import EARLIEST, LATEST
from journals.days import all_journal_days
from journals.exports import safe_cell
from journals.exports import to_csv as journal_csv
from journals.exports import to_markdown as journal_markdown
from personaldata import markdown
from personaldata.registry import SECTIONS, label_of, rows_of
from plans.calendar.feed import build_calendar
from plans.models import Step

FORMAT = "careerplan-export"
# Raise when a field's meaning changes or one is removed (an import refuses another
# version); a field added keeps the version, and an import ignores none it does not know.
VERSION = 1
JSON_NAME = "careerplan-export.json"
# The progress written while a worker builds an archive: every this many rows.
PROGRESS_EVERY = 200


def exported_fields(section):
    """The section's fields in the JSON, in model order: concrete fields, then
    many-to-many ones (as lists of ids), less those it omits."""
    meta = section.model._meta
    fields = [*meta.concrete_fields, *meta.many_to_many]
    return [field for field in fields if field.name not in section.omit]


def field_key(field):
    return "id" if field.primary_key else field.name


def plain(value):
    """A field's value as JSON has it: dates and instants in ISO 8601, UUIDs as text."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def count_rows(user):
    """How many rows the person's export holds (one COUNT per section)."""
    return sum(rows_of(section, user).count() for section in SECTIONS)


def export_data(user, progress=None):
    """Return the person's rows, section by section, as JSON-ready data.

    1. Find the ids of every section's rows that reach the person (registry.rows_of).
    2. Write each row's fields; a foreign key names the row it points at by that row's
       "id" in the archive, or is null if that row is someone else's (the step of another
       planner that a buddy's note is about).
    `progress(n)` is told every PROGRESS_EVERY rows and at the end.
    """
    ids = {
        section.label: set(rows_of(section, user).values_list("pk", flat=True))
        for section in SECTIONS
    }
    sections, written = {}, 0
    for section in SECTIONS:
        fields = exported_fields(section)
        many = [field.name for field in fields if field.many_to_many]
        rows = []
        for obj in rows_of(section, user).prefetch_related(*many).iterator(chunk_size=500):
            rows.append(_row(obj, fields, ids))
            written += 1
            if progress and written % PROGRESS_EVERY == 0:
                progress(written)
        sections[section.label] = rows
    if progress:
        progress(written)
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported": timezone.now().isoformat(),
        "sections": sections,
    }


def _row(obj, fields, ids):
    row = {}
    for field in fields:
        if field.many_to_many:
            kept = ids.get(label_of(field.related_model), set())
            row[field.name] = sorted(o.pk for o in getattr(obj, field.name).all() if o.pk in kept)
        elif isinstance(field, models.ForeignKey):
            value = getattr(obj, field.attname)
            kept = ids.get(label_of(field.related_model), set())
            row[field.name] = value if value in kept else None
        else:
            row[field_key(field)] = plain(getattr(obj, field.attname))
    return row


def write_archive(user, target, progress=None):
    """Write the person's archive into `target` (a path or a binary file object)."""
    data = export_data(user, progress)
    today = user.local_today()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(JSON_NAME, json.dumps(data, ensure_ascii=False, indent=1))
        archive.writestr("README.md", markdown.readme(user, data, today))
        for name, text in markdown.plan_files(user):
            archive.writestr(f"plans/{name}", text)
        days = all_journal_days(user)
        archive.writestr("journal/journal.md", journal_markdown(user, days, today))
        archive.writestr("journal/journal.csv", journal_csv(days))
        archive.writestr("calendar/steps.ics", calendar_of(user))
        for section in SECTIONS:
            rows = data["sections"][section.label]
            archive.writestr(f"csv/{section.label}.csv", section_csv(section, rows))


def archive_bytes(user):
    buffer = io.BytesIO()
    write_archive(user, buffer)
    return buffer.getvalue()


def archive_name(user):
    return f"careerplan-{user.local_today():%Y-%m-%d}.zip"


def calendar_of(user):
    """Every dated step of every plan, dropped ones aside, as one calendar."""
    steps = (
        Step.objects.filter(plan__owner=user, due_date__range=(EARLIEST, LATEST))
        .exclude(status=Step.Status.DROPPED)
        .select_related("plan")
        .order_by("due_date", "plan_id", "position", "pk")
    )
    return build_calendar("careerplan: all your steps", steps, user.zone)


def section_csv(section, rows):
    """One section as CSV: a column per field, lists joined by spaces, formulas defused,
    with a BOM so spreadsheets read UTF-8."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    header = [field_key(field) for field in exported_fields(section)]
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(_cell(row[key])) for key in header])
    return buffer.getvalue()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
