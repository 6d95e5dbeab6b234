"""Restoring an archive: into an empty account only, all or nothing, and a round trip
gives the same content with only ids and codes renumbered (docs/export-schema.md)."""

import datetime
import io
import json
import zipfile
import zoneinfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from journals.models import JournalEntry
from personaldata import importing
from personaldata.export import JSON_NAME, archive_bytes, export_data
from personaldata.registry import BY_LABEL, SECTIONS, label_of
from plans.models import Plan, Step
from reminders.models import Kind, Reminder
from tests.factories import PlanFactory, UserFactory
from tests.personaldata.conftest import signed_in

RESTORED = [section for section in SECTIONS if section.restore]


def comparable(data):
    """The restored tables with ids and codes replaced by each row's place in its table,
    and the account's restored fields: what a round trip must keep."""
    sections = data["sections"]
    places = {
        label: {row["id"]: n for n, row in enumerate(rows)} for label, rows in sections.items()
    }
    result = {}
    for section in RESTORED:
        model = section.model
        rows = []
        for row in sections[section.label]:
            kept = {}
            for key, value in row.items():
                if key in ("id", "code"):
                    continue
                field = model._meta.get_field(key)
                if field.is_relation and value is not None:
                    value = places[label_of(field.related_model)][value]
                kept[key] = value
            rows.append(kept)
        result[section.label] = rows
    [account] = sections["accounts.User"]
    result["account"] = {name: account[name] for name in BY_LABEL["accounts.User"].restore_fields}
    result["reminders"] = reminders_of(data)
    return result


def reminders_of(data):
    """Each reminder's restored fields, by kind."""
    fields = BY_LABEL["reminders.Reminder"].restore_fields
    return {
        row["kind"]: {name: row[name] for name in fields}
        for row in data["sections"]["reminders.Reminder"]
    }


def upload(content, name="careerplan.zip"):
    return SimpleUploadedFile(name, content, content_type="application/zip")


def zipped(data):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(JSON_NAME, json.dumps(data))
    return buffer.getvalue()


@pytest.fixture
def newcomer(db):
    return UserFactory(display_name="New Me", email="new@example.com", tz="UTC")


def test_export_import_export_gives_the_same_content(world, newcomer):
    before = export_data(world.person)
    client = signed_in(newcomer)

    response = client.post(
        reverse("personaldata-import"), {"archive": upload(archive_bytes(world.person))}
    )

    assert response.status_code == 302, response.content.decode()[-2000:]
    assert response.url == reverse("plans-dashboard")
    after = export_data(newcomer)
    assert comparable(after) == comparable(before)
    newcomer.refresh_from_db()
    assert (newcomer.display_name, newcomer.tz, newcomer.email) == (
        "Petra Person",
        "Europe/London",
        "new@example.com",
    )
    # New codes: the old account's addresses stay its own.
    old_codes = {row["code"] for row in before["sections"]["plans.Step"]}
    assert not old_codes & {
        str(c) for c in Step.objects.filter(plan__owner=newcomer).values_list("code", flat=True)
    }
    # The restored plan works: its page opens and its check-ups are computed.
    plan = Plan.objects.get(owner=newcomer)
    assert client.get(plan.get_absolute_url()).status_code == 200
    step = Step.objects.get(plan=plan, title="Call the supplier")
    assert step.parent.title.startswith("Find a")
    committed = Step.objects.get(plan=plan, title="Ask a friend")
    assert committed.option.obstacle.text == "I am afraid of failing"


@pytest.fixture
def londoner(db):
    return UserFactory(display_name="Lena", email="lena@example.com", tz="Europe/London")


@time_machine.travel(datetime.datetime(2026, 12, 1, 15, 0, tzinfo=datetime.UTC), tick=False)
def test_reminders_come_back_as_they_were_at_their_time_in_the_archive_s_zone(world, londoner):
    world.person.change_zone("America/New_York")
    for kind, enabled, at, weekday in [
        (Kind.WEEKLY, True, datetime.time(7, 15), 2),
        (Kind.MORNING, False, datetime.time(7, 30), None),
        (Kind.NEXT_STEP, True, datetime.time(9, 0), None),
        (Kind.JOURNAL, True, datetime.time(21, 30), None),
    ]:
        Reminder.objects.get(user=world.person, kind=kind).change(enabled, at, weekday)
    before = export_data(world.person)

    response = signed_in(londoner).post(
        reverse("personaldata-import"), {"archive": upload(archive_bytes(world.person))}
    )

    assert response.status_code == 302
    assert reminders_of(export_data(londoner)) == reminders_of(before)
    zone = zoneinfo.ZoneInfo("America/New_York")
    due = {r.kind: r.next_due for r in Reminder.objects.filter(user=londoner)}
    assert due[Kind.MORNING] is None
    # Wednesday 2 December at 07:15 in New York, not in London.
    assert due[Kind.WEEKLY] == datetime.datetime(2026, 12, 2, 7, 15, tzinfo=zone)
    assert due[Kind.NEXT_STEP] == datetime.datetime(2026, 12, 2, 9, 0, tzinfo=zone)
    assert due[Kind.JOURNAL] == datetime.datetime(2026, 12, 1, 21, 30, tzinfo=zone)


def test_the_page_says_a_restore_replaces_the_name_and_zone_and_the_message_says_so(
    world, londoner
):
    client = signed_in(londoner)

    page = client.get(reverse("personaldata-home")).content.decode()

    assert "your name and time zone become the archive's" in page
    response = client.post(
        reverse("personaldata-import"),
        {"archive": upload(archive_bytes(world.person))},
        follow=True,
    )
    [message] = [str(m) for m in response.context["messages"]]
    assert message == (
        "Restored 1 plan and 1 journal entry; your name is now Petra Person and your time "
        "zone London (Europe), as in the archive."
    )


def test_an_archive_with_two_reminders_of_one_kind_is_refused(newcomer, good):
    good["sections"]["reminders.Reminder"].append(dict(good["sections"]["reminders.Reminder"][0]))
    assert "two reminders.Reminder rows" in refused(signed_in(newcomer), zipped(good))


def refused(client, content, name="careerplan.zip"):
    response = client.post(reverse("personaldata-import"), {"archive": upload(content, name)})
    assert response.status_code == 422
    form = response.context["import_form"]
    return " ".join(form.errors["archive"])


@pytest.fixture
def good(world):
    return export_data(world.person)


def test_a_malformed_file_is_refused_next_to_the_field(newcomer, good):
    client = signed_in(newcomer)
    assert "not a zip file" in refused(client, b"hello, I am not a zip")
    empty_zip = io.BytesIO()
    zipfile.ZipFile(empty_zip, "w").close()
    assert "has no careerplan-export.json" in refused(client, empty_zip.getvalue())
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(JSON_NAME, "{not json")
    assert "damaged" in refused(client, buffer.getvalue())
    assert "not a careerplan archive" in refused(client, zipped({"format": "other", "version": 1}))
    page = client.post(reverse("personaldata-import"), {"archive": upload(b"x")})
    assert 'id="id_archive"' in page.content.decode()
    assert not Plan.objects.filter(owner=newcomer).exists()


def test_another_version_or_an_unknown_table_is_refused(newcomer, good):
    client = signed_in(newcomer)
    assert "version 2 of the format; this site reads version 1" in refused(
        client, zipped({**good, "version": 2})
    )
    unknown = {**good, "sections": {**good["sections"], "plans.Secret": []}}
    assert "tables this site does not know" in refused(client, zipped(unknown))


def test_a_refusal_quotes_the_archive_only_briefly(newcomer, good):
    client = signed_in(newcomer)
    message = refused(client, zipped({**good, "version": "9" * 100_000}))
    assert "this site reads version 1" in message
    assert len(message) < 300
    unknown = {**good, "sections": {**good["sections"], "x" * 100_000: []}}
    assert len(refused(client, zipped(unknown))) < 300
    steps = good["sections"]["plans.Step"]
    steps[0] = {**steps[0], "status": "s" * 100_000}
    message = refused(client, zipped(good))
    assert "'status' we cannot accept" in message
    assert len(message) < 300


def test_an_oversized_file_is_refused(newcomer, good, monkeypatch):
    monkeypatch.setattr(importing, "MAX_UPLOAD_BYTES", 1000)
    assert "at most 0 MB" in refused(signed_in(newcomer), zipped(good) + b" " * 1000)


def test_a_zip_bomb_is_refused_before_it_is_read(newcomer, good, monkeypatch):
    monkeypatch.setattr(importing, "MAX_JSON_BYTES", 100)
    assert "too large" in refused(signed_in(newcomer), zipped(good))


def member(text):
    """A zip holding `text` as the archive's JSON, compressed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(JSON_NAME, text)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[" * 2000 + "]" * 2000, id="nested-deeper-than-python-reads"),
        pytest.param(
            '{"format": "careerplan-export", "version": 1' + "1" * 5000 + "}",
            id="a-number-too-long-to-read",
        ),
        pytest.param(b'{"text": "caf\xe9"}', id="not-utf-8"),
    ],
)
def test_json_python_cannot_read_is_refused_as_damaged(newcomer, text):
    client = signed_in(newcomer)
    assert f"The {JSON_NAME} in this archive is damaged." in refused(client, member(text))
    assert not Plan.objects.filter(owner=newcomer).exists()


def test_the_json_may_be_no_larger_than_the_upload(newcomer):
    """A small zip of whitespace past the limit (a zip bomb) is refused unread."""
    assert importing.MAX_JSON_BYTES <= importing.MAX_UPLOAD_BYTES
    bomb = member(b" " * (importing.MAX_JSON_BYTES + 1) + b"{}")
    assert len(bomb) < 100_000
    assert "too large to restore: over 20 MB" in refused(signed_in(newcomer), bomb)


def test_a_zip_that_understates_its_json_is_refused(newcomer, good):
    """Reading stops at the size the zip states, so a false size cannot unpack more."""
    text = json.dumps(good).encode() + b" " * 100_000
    content = bytearray(member(text))
    stated = len(text).to_bytes(4, "little")
    assert content.count(stated) == 2  # the file's header and the central directory
    content[:] = content.replace(stated, (1000).to_bytes(4, "little"))
    assert "not a zip file we can read" in refused(signed_in(newcomer), bytes(content))
    assert not Plan.objects.filter(owner=newcomer).exists()


def test_an_account_that_is_not_empty_is_refused(newcomer, good):
    JournalEntry.objects.write(newcomer, newcomer.local_today(), "Already here")
    assert "only be restored into an empty account" in refused(signed_in(newcomer), zipped(good))
    assert not Plan.objects.filter(owner=newcomer).exists()


@pytest.mark.parametrize(
    ("table", "change", "message"),
    [
        ("plans.Step", {"due_date": "9999-12-30"}, "between 1900 and 2200"),
        ("plans.Step", {"status": "sort-of"}, "not a valid choice"),
        ("plans.Step", {"plan": 987654}, "a row the archive does not have"),
        ("plans.Option", {"step": 987654}, "a row the archive does not have"),
        ("journals.JournalEntry", {"text": "x" * 10_001}, "at most 10000 characters"),
        ("plans.Obstacle", {"kind": 7}, "not a valid choice"),
        ("plans.Step", {"plan": [1]}, "a row the archive does not have"),
        ("plans.Step", {"parent": {"id": 1}}, "a row the archive does not have"),
        ("plans.Option", {"obstacle": "1"}, "a row the archive does not have"),
        ("plans.Step", {"position": float("inf")}, "'position' we cannot accept"),
        # What the forms refuse and the pages could not show (journal, wall chart).
        ("journals.JournalEntry", {"text": "a\x00b"}, "Null characters are not allowed"),
        ("plans.Plan", {"goal": "I will\x00"}, "Null characters are not allowed"),
        ("journals.JournalEntry", {"date": "0001-01-01"}, "between 1900 and 2200"),
        ("journals.JournalEntry", {"date": "9999-12-31"}, "between 1900 and 2200"),
        ("plans.Step", {"completed": "9999-12-31T23:00:00+00:00"}, "between 1900 and 2200"),
        ("plans.Plan", {"created": "0001-01-01T00:00:00+00:00"}, "between 1900 and 2200"),
    ],
)
def test_a_bad_row_late_in_the_archive_leaves_nothing_written(
    newcomer, good, table, change, message
):
    """The broken row comes after plans and steps were inserted: all of it is taken back."""
    rows = good["sections"][table]
    rows[-1] = {**rows[-1], **change}
    assert message in refused(signed_in(newcomer), zipped(good))
    assert not Plan.objects.filter(owner=newcomer).exists()
    assert not Step.objects.filter(plan__owner=newcomer).exists()
    assert not JournalEntry.objects.filter(owner=newcomer).exists()
    newcomer.refresh_from_db()
    assert newcomer.display_name == "New Me"


def test_two_entries_for_one_day_are_refused_whole(newcomer, good):
    entries = good["sections"]["journals.JournalEntry"]
    entries.append({**entries[0], "id": entries[0]["id"] + 1000})
    assert "contradicts itself" in refused(signed_in(newcomer), zipped(good))
    assert not Plan.objects.filter(owner=newcomer).exists()


def test_steps_whose_parents_loop_are_refused_whole(newcomer, good):
    """A loop of parents would hang the tree page (the walk from a step in it); the
    pages cannot make one, an edited archive can."""
    first, second, third = good["sections"]["plans.Step"][:3]
    first["parent"], second["parent"], third["parent"] = second["id"], third["id"], first["id"]
    message = refused(signed_in(newcomer), zipped(good))
    assert "do not form a tree (a step comes, through its parents, under itself)" in message
    assert not Plan.objects.filter(owner=newcomer).exists()


def test_a_step_under_a_step_of_another_plan_is_refused(newcomer, good):
    plans = good["sections"]["plans.Plan"]
    other = {**plans[0], "id": max(plan["id"] for plan in plans) + 1}
    plans.append(other)
    child = next(step for step in good["sections"]["plans.Step"] if step["parent"] is not None)
    child["plan"] = other["id"]
    message = refused(signed_in(newcomer), zipped(good))
    assert "a step's parent is a step of another plan" in message
    assert not Plan.objects.filter(owner=newcomer).exists()


def test_the_restore_checks_emptiness_again_under_its_lock(newcomer, good):
    """A plan made between the form's check and the restore (a second tab) stops it."""
    PlanFactory(owner=newcomer)
    with pytest.raises(importing.ImportRefused):
        importing.restore(newcomer, good)
    assert Plan.objects.filter(owner=newcomer).count() == 1


def test_import_is_for_the_signed_in_person_only(client, good):
    response = client.post(reverse("personaldata-import"), {"archive": upload(zipped(good))})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_an_archive_of_more_rows_than_an_account_can_restore_is_refused(
    newcomer, good, monkeypatch
):
    monkeypatch.setattr(importing, "MAX_ROWS", 5)
    assert "an account can restore at most 5" in refused(signed_in(newcomer), zipped(good))
    assert not Plan.objects.filter(owner=newcomer).exists()


def test_a_person_may_try_a_few_times_an_hour(newcomer, good):
    """Restoring is the heaviest request: the sixth try in an hour is refused unread."""
    client = signed_in(newcomer)
    broken = zipped({**good, "version": 99})
    for _ in range(5):
        assert "version 99" in refused(client, broken)
    response = client.post(reverse("personaldata-import"), {"archive": upload(zipped(good))})
    assert response.status_code == 429
    assert "several times in the last hour" in response.content.decode()
    assert not Plan.objects.filter(owner=newcomer).exists()


def test_a_restore_of_many_steps_keeps_their_tree_and_instants(newcomer, world):
    """Parents and the archive's instants are written back to every restored row."""
    data = export_data(world.person)
    steps = data["sections"]["plans.Step"]
    root = {**steps[0], "id": 900_000, "parent": None, "title": "Many under me"}
    children = [
        {**steps[0], "id": 900_001 + n, "parent": 900_000, "title": f"Small step {n}"}
        for n in range(1200)
    ]
    data["sections"]["plans.Step"] = [*steps, root, *children]
    importing.restore(newcomer, data)
    parent = Step.objects.get(plan__owner=newcomer, title="Many under me")
    assert parent.children.count() == 1200
    plan = Plan.objects.get(owner=newcomer)
    [archived_plan] = [row for row in data["sections"]["plans.Plan"] if row["goal"] == plan.goal]
    assert plan.updated == datetime.datetime.fromisoformat(archived_plan["updated"])
