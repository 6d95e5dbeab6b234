"""Restoring an archive into an empty account, all or nothing.

What an import restores is the registry's `restore` sections (plans with their steps,
history and GROW sheets, and the journal), the profile's name and zone, and the
reminders' switches, times and days. Rows get new
ids and codes: the archive's ids are references inside it only, and a code is an
address that may still belong to the account the archive came from.
"""

import json
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, models, router, transaction

from accounts.signals import zone_changed
from careerplan import versions
from careerplan.dates import validate_computable
from personaldata.export import FORMAT, JSON_NAME, VERSION, exported_fields, field_key
from personaldata.registry import BY_LABEL, SECTIONS, label_of, rows_of
from plans.models import Step
from plans.tree.tree import parent_problem
from reminders.models import Reminder

# An archive holds text; past these sizes it is not one of ours (or is a zip bomb).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
# No larger than the upload itself, so a small zip cannot make the server unpack more.
MAX_JSON_BYTES = MAX_UPLOAD_BYTES
# Far more than an account holds (ten years of a daily journal and five steps a week is
# under 10,000 rows), and few enough that a restore ends well inside a web request:
# 50,000 steps restored in 12-14 s on SQLite on a loaded two-core machine. Each person
# may try a few times an hour (ACCOUNT_RATE_LIMITS["import_archive"]).
MAX_ROWS = 50_000


class ImportRefused(Exception):
    """The archive cannot be restored; the message says why, for the person."""


@dataclass
class Restored:
    counts: dict
    # The account as restored: its name and zone are now the archive's.
    user: object


def read_archive(upload):
    """Return the archive's JSON data, or raise ImportRefused saying what is wrong.

    The size of the upload and of the JSON inside are checked before anything is read
    into memory, so an oversized file or a zip bomb is refused at once. A zip that
    understates the JSON's size cannot get round this: reading stops at the stated size
    and the checksum then fails.
    """
    if upload.size > MAX_UPLOAD_BYTES:
        raise ImportRefused(
            f"This file is {upload.size // (1024 * 1024)} MB; an archive can be at most "
            f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB."
        )
    try:
        with zipfile.ZipFile(upload) as archive:
            try:
                info = archive.getinfo(JSON_NAME)
            except KeyError:
                raise ImportRefused(
                    f"This zip has no {JSON_NAME}: upload the archive exactly as you downloaded it."
                ) from None
            if info.file_size > MAX_JSON_BYTES:
                raise ImportRefused(
                    f"The data in this archive is too large to restore: over "
                    f"{MAX_JSON_BYTES // (1024 * 1024)} MB."
                )
            raw = archive.read(info)
    except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, OSError) as error:
        raise ImportRefused(
            "This is not a careerplan archive: it is not a zip file we can read."
        ) from error
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError) as error:
        # ValueError: not JSON (JSONDecodeError), not UTF-8, or a number too long for
        # Python to read; RecursionError: brackets nested deeper than Python parses.
        raise ImportRefused(f"The {JSON_NAME} in this archive is damaged.") from error
    check_shape(data)
    return data


def check_shape(data):
    """Refuse data that is not our format, is another version, or is malformed."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ImportRefused("This is not a careerplan archive.")
    version = data.get("version")
    if version != VERSION:
        raise ImportRefused(
            f"This archive is in version {_brief(repr(version))} of the format; this site "
            f"reads version {VERSION}."
        )
    sections = data.get("sections")
    if not isinstance(sections, dict):
        raise ImportRefused("The archive's data has no sections.")
    unknown = set(sections) - set(BY_LABEL)
    if unknown:
        names = _brief(repr(sorted(unknown)))
        raise ImportRefused(f"The archive has tables this site does not know: {names}.")
    total = 0
    for label, rows in sections.items():
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise ImportRefused(f"The archive's {label} table is malformed.")
        total += len(rows)
    if total > MAX_ROWS:
        raise ImportRefused(
            f"The archive holds {total:,} rows; an account can restore at most {MAX_ROWS:,}."
        )


def _brief(text, limit=80):
    """`text` cut short for a message: what it quotes from an archive can be megabytes."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def is_empty(user):
    """True if the account has nothing an import would restore."""
    return not any(rows_of(section, user).exists() for section in SECTIONS if section.restore)


@transaction.atomic
def restore(user, data):
    """Restore `data` (from read_archive) into `user`'s empty account; return counts.

    1. Lock the account row, so two imports at once cannot both find it empty.
    2. Copy the profile's restorable fields onto the account, and the reminders'
       switches, times and days onto its reminders (it has one of each from sign-up).
    3. Restore each `restore` section in registry order: check every value with the
       model field's own validation (lengths, choices, the date range), point foreign
       keys at the rows already restored (the importing account for the user), and
       insert; a foreign key to the row's own table (a step's parent) is set after.
    4. Recompute what hangs on the zone (check-up and reminder instants), as a change
       of zone does.
    Any refusal raises ImportRefused and the transaction takes everything back.
    """
    user_model = get_user_model()
    user = user_model.objects.select_for_update().get(pk=user.pk)
    if not is_empty(user):
        raise ImportRefused(
            "Your account already has plans or journal entries. An archive can only be "
            "restored into an empty account: delete those first, or use a new account."
        )
    sections = data["sections"]
    _restore_profile(user, sections.get(label_of(user_model), []))
    _restore_reminders(user, sections.get(label_of(Reminder), []))
    new_ids, counts = {}, {}
    try:
        for section in SECTIONS:
            if not section.restore:
                continue
            rows = sections.get(section.label, [])
            new_ids[section.label] = _restore_section(section, rows, new_ids, user)
            counts[section.label] = len(rows)
    except IntegrityError as error:
        # Two journal entries for one day, two GROW sheets with one number...
        raise ImportRefused(
            "The archive contradicts itself (two rows where one is allowed), so nothing "
            "was restored."
        ) from error
    steps = Step.objects.filter(plan__owner=user).only("pk", "plan_id", "parent_id")
    if problem := parent_problem(steps):
        raise ImportRefused(f"The archive's steps do not form a tree ({problem}).")
    # The zone may be new, and the rows went in in bulk, which sends no signals: the
    # apps that hang instants on the zone recompute them as for any change of zone.
    zone_changed.send(sender=user_model, user=user)
    versions.bump(user.pk)
    return Restored(counts=counts, user=user)


def _restore_profile(user, rows):
    section = BY_LABEL[label_of(get_user_model())]
    if not rows:
        return
    if len(rows) != 1:
        raise ImportRefused("The archive holds more than one account.")
    for name in section.restore_fields:
        if name in rows[0]:
            field = section.model._meta.get_field(name)
            setattr(user, name, _value(field, user, rows[0][name], "the account"))
    user.save(update_fields=list(section.restore_fields))


def _restore_reminders(user, rows):
    section = BY_LABEL[label_of(Reminder)]
    reminders = {reminder.kind: reminder for reminder in Reminder.objects.filter(user=user)}
    seen = set()
    for n, row in enumerate(rows, start=1):
        where = f"row {n} of {section.label}"
        kind = _value(Reminder._meta.get_field("kind"), Reminder(), row.get("kind"), where)
        if kind in seen:
            raise ImportRefused(f"The archive holds two {section.label} rows of kind {kind!r}.")
        seen.add(kind)
        reminder = reminders.get(kind) or Reminder(user=user, kind=kind)
        for name in section.restore_fields:
            if name in row:
                field = Reminder._meta.get_field(name)
                setattr(reminder, name, _value(field, reminder, row[name], where))
        reminder.save()


def _value(field, obj, raw, where):
    """`raw` checked by the model field `field` of `obj` (to_python and its validators)."""
    try:
        value = field.clean(raw, obj)
        # A text field's limit is the form's to enforce; the model only stores it.
        if isinstance(value, str) and field.max_length and len(value) > field.max_length:
            raise ValidationError(f"Ensure this value has at most {field.max_length} characters.")
        _check_storable(value)
    except (ValidationError, TypeError, ValueError, OverflowError) as error:
        message = "; ".join(error.messages) if isinstance(error, ValidationError) else error
        raise ImportRefused(
            f"{where.capitalize()} has a value for {field.name!r} we cannot accept: "
            f"{_brief(str(message), 200)}"
        ) from error
    return value


def _check_storable(value):
    """Refuse what the forms refuse and the pages cannot show: a NUL character (which
    PostgreSQL cannot store either), and a date or instant outside the dates the app can
    compute with (careerplan.dates)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValidationError("Null characters are not allowed.")
    elif isinstance(value, datetime):
        validate_computable(value.date())
    elif isinstance(value, date):
        validate_computable(value)


def _restore_section(section, rows, new_ids, user):
    """Insert the section's rows; return {archive id: new id}."""
    model = section.model
    fields = [f for f in exported_fields(section) if not f.primary_key]
    own_fks = [f for f in fields if isinstance(f, models.ForeignKey) and f.related_model is model]
    auto_now = [f for f in fields if getattr(f, "auto_now", False)]
    objs, archive_ids, later = [], [], []
    seen = set()
    for n, row in enumerate(rows, start=1):
        where = f"row {n} of {section.label}"
        archive_id = row.get("id")
        if not isinstance(archive_id, int) or archive_id in seen:
            raise ImportRefused(f"{where.capitalize()} has no id of its own.")
        seen.add(archive_id)
        obj = model()
        links = {}
        for field in fields:
            key = field_key(field)
            if field.many_to_many or key == "code":
                continue
            raw = row.get(key)
            if isinstance(field, models.ForeignKey):
                if field in own_fks:
                    links[field.attname] = raw
                    continue
                setattr(obj, field.attname, _target(field, raw, new_ids, user, where))
                continue
            if key not in row:
                raw = field.get_default()
            setattr(obj, field.attname, _value(field, obj, raw, where))
        # Inserting sets auto_now fields to now: keep the archive's instants to put back.
        links.update({f.attname: getattr(obj, f.attname) for f in auto_now})
        objs.append(obj)
        archive_ids.append(archive_id)
        later.append(links)
    created = model.objects.bulk_create(objs, batch_size=500)
    mapping = {old: obj.pk for old, obj in zip(archive_ids, created, strict=True)}
    own = {f.attname for f in own_fks}
    changed = set()
    for obj, links in zip(created, later, strict=True):
        for attname, raw in links.items():
            changed.add(attname)
            if attname not in own:
                setattr(obj, attname, raw)
                continue
            if raw is not None and not _names_a_row(raw, mapping):
                raise ImportRefused(
                    f"A row of {section.label} points at a row the archive does not have."
                )
            setattr(obj, attname, mapping.get(raw))
    if changed and created:
        _write_back(model, created, sorted(changed))
    return mapping


def _write_back(model, objs, attnames):
    """Write `attnames` of rows just inserted from their objects, with one statement run
    for every row: bulk_update builds a CASE arm per row, which took most of a restore's
    time at thousands of steps (tests/personaldata/test_import.py)."""
    connection = connections[router.db_for_write(model)]
    fields = {field.attname: field for field in model._meta.concrete_fields}
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(fields[name].column)} = %s" for name in attnames)
    # Only the model's own table and column names, quoted; every value is a parameter.
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
    params = [
        [
            *(fields[name].get_db_prep_save(getattr(obj, name), connection) for name in attnames),
            obj.pk,
        ]
        for obj in objs
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _target(field, raw, new_ids, user, where):
    """The new id of the row a foreign key points at, refusing a dangling one; every
    reference to an account is to the importing one."""
    if field.related_model is get_user_model():
        return user.pk
    if raw is None:
        if not field.null:
            raise ImportRefused(f"{where.capitalize()} is missing its {field.name}.")
        return None
    restored = new_ids.get(label_of(field.related_model))
    if restored is None:
        # A row outside what an import restores (a buddy's note on a step): nothing to
        # point at in the new account.
        if not field.null:
            raise ImportRefused(f"{where.capitalize()} points at a table not restored.")
        return None
    if not _names_a_row(raw, restored):
        raise ImportRefused(f"{where.capitalize()} points at a row the archive does not have.")
    return restored[raw]


def _names_a_row(raw, ids):
    """True if `raw` is the archive id of a restored row (a list or a text never is)."""
    return isinstance(raw, int) and raw in ids
