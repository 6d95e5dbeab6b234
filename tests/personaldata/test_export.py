"""Download everything: every row that refers to the person is in the archive, in a
documented, versioned format, with Markdown, CSV and a calendar beside it."""

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from personaldata import jobs
from personaldata.export import JSON_NAME, VERSION, export_data, exported_fields, field_key
from personaldata.models import DataExport
from personaldata.registry import BY_LABEL, SECTIONS, label_of, models_reaching_the_user, user_paths
from plans.models import Plan
from tests.factories import PlanFactory
from tests.personaldata.conftest import MARKER, signed_in

SCHEMA_DOC = Path(__file__).resolve().parents[2] / "docs" / "export-schema.md"


def rows_reaching(model, user):
    query = Q()
    for path in user_paths(model):
        query |= Q(**{path: user.pk})
    return model.objects.filter(query)


def test_every_model_that_refers_to_a_user_has_a_section():
    missing = [label_of(m) for m in models_reaching_the_user() if label_of(m) not in BY_LABEL]
    assert not missing, f"Declare these in personaldata.registry.SECTIONS: {missing}"
    stale = set(BY_LABEL) - {label_of(m) for m in models_reaching_the_user()}
    assert not stale, f"Sections that no longer refer to a user: {stale}"


def test_every_row_of_the_person_in_every_such_model_is_in_the_export(closing_world):
    """Walks the installed models rather than the registry, so a model added later fails
    here until it is declared, given a row in the world fixture, and exported."""
    person = closing_world.person
    data = export_data(person)
    for model in models_reaching_the_user():
        label = label_of(model)
        expected = set(rows_reaching(model, person).values_list("pk", flat=True))
        if model is LogEntry:
            # The admin's history of changes to the person's account and plan, by staff.
            expected |= set(LogEntry.objects.exclude(user=person).values_list("pk", flat=True))
        assert expected, f"The world fixture has no {label} row of the person: add one."
        exported = {row["id"] for row in data["sections"][label]}
        assert exported == expected, label


def test_a_stranger_s_rows_are_not_in_the_export(world, stranger):
    LogEntry.objects.create(
        user=stranger,
        content_type=ContentType.objects.get_for_model(Plan),
        object_id=str(PlanFactory(owner=stranger).pk),
        object_repr="the stranger's plan",
        action_flag=CHANGE,
    )
    data = export_data(world.person)
    text = json.dumps(data)
    assert stranger.email not in text
    assert "the stranger's plan" not in text
    plans = data["sections"]["plans.Plan"]
    assert [row["goal"] for row in plans] == [world.plan.goal]
    # The planner the person supports is not theirs: their rows are referred to by null.
    [as_buddy] = [r for r in data["sections"]["buddies.Buddyship"] if r["user"] is not None]
    assert as_buddy["planner"] is None


def test_secrets_never_leave_in_an_export(world):
    text = json.dumps(export_data(world.person))
    person = world.person
    assert person.password not in text
    assert "JBSWY3DPEHPK3PXP" not in text
    for section in SECTIONS:
        keys = {field_key(f) for f in exported_fields(section)}
        assert not keys & set(section.omit), section.label
    assert "token_hash" not in text
    assert "invite_token_hash" not in text


def test_the_schema_document_names_every_section_and_field():
    doc = SCHEMA_DOC.read_text()
    assert f"version {VERSION}" in doc.lower()
    for section in SECTIONS:
        assert f"`{section.label}`" in doc, section.label
        for field in exported_fields(section):
            assert f"`{field_key(field)}`" in doc, f"{section.label}.{field_key(field)}"


def test_download_everything_gives_one_archive_of_json_markdown_csv_and_ics(world):
    client = signed_in(world.person)
    response = client.post(reverse("personaldata-export-start"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    data = json.loads(archive.read(JSON_NAME))
    assert data["format"] == "careerplan-export"
    assert data["version"] == VERSION
    [plan_file] = [n for n in names if n.startswith("plans/")]
    plan_md = archive.read(plan_file).decode()
    assert world.plan.goal in plan_md
    assert "## GROW sheet " in plan_md
    assert "I am afraid of failing" in plan_md
    assert "## Reverse engineering" in plan_md
    assert "  - Call the supplier" in plan_md
    assert "Committed: Ask a friend" in plan_md
    assert f"Sold {MARKER} today" in archive.read("journal/journal.md").decode()
    assert "journal/journal.csv" in names
    ics = archive.read("calendar/steps.ics").decode()
    assert "BEGIN:VCALENDAR" in ics
    assert "Done: Call the supplier" in ics
    steps_csv = archive.read("csv/plans.Step.csv").decode("utf-8-sig")
    assert steps_csv.splitlines()[0].startswith("id,code,plan,parent")
    assert "Call the supplier" in steps_csv


def test_export_needs_a_post_and_a_signed_in_person(client, world):
    assert client.post(reverse("personaldata-export-start")).status_code == 302
    assert signed_in(world.person).get(reverse("personaldata-export-start")).status_code == 405


@pytest.fixture
def large(settings, send_requests):
    """Every account counts as large: its archive is built by the task."""
    settings.DATA_EXPORT_INLINE_ROWS = 0
    return send_requests


def test_a_large_account_is_built_by_a_task_with_progress_and_an_email(
    world, large, django_capture_on_commit_callbacks
):
    client = signed_in(world.person)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("personaldata-export-start"))
    export = DataExport.objects.get(user=world.person, status=DataExport.Status.QUEUED)
    assert response.url == reverse("personaldata-export", args=[export.code])
    assert large == [jobs.BUILD_TASK]
    page = client.get(response.url)
    assert "Waiting for a worker" in page.content.decode()
    assert 'hx-trigger="every 2s"' in page.content.decode()
    # Asking again while it is queued does not queue a second one.
    client.post(reverse("personaldata-export-start"))
    assert DataExport.objects.filter(user=world.person).exclude(status="failed").count() == 1

    assert jobs.build_export(export.code) == DataExport.Status.READY
    export.refresh_from_db()
    assert export.done == export.total > 0
    assert export.path.exists()
    progress = client.get(response.url, headers={"HX-Request": "true"}).content.decode()
    assert "Download the archive" in progress
    assert "every 2s" not in progress
    [message] = mail.outbox
    assert message.to == [world.person.email]
    assert message.subject == "Your careerplan archive is ready"
    download_url = reverse("personaldata-export-download", args=[export.code])
    assert download_url in message.body
    assert download_url in message.alternatives[0][0]

    download = client.get(download_url)
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert JSON_NAME in archive.namelist()
    # A second build of the same row does nothing.
    assert jobs.build_export(export.code) == DataExport.Status.READY


def test_the_download_link_is_the_owner_s_alone_and_expires(world, large, stranger):
    export = jobs.request_export(world.person)
    jobs.build_export(export.code)
    url = reverse("personaldata-export-download", args=[export.code])
    assert signed_in(stranger).get(url).status_code == 404
    assert signed_in(world.buddy).get(url).status_code == 404
    anonymous = signed_in(world.person)
    anonymous.logout()
    assert anonymous.get(url).status_code == 302

    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert signed_in(world.person).get(url).status_code == 410
        counts = jobs.tidy()
    assert counts["expired"] == 1
    assert not export.path.exists()
    assert not DataExport.objects.filter(pk=export.pk).exists()


def test_a_lost_build_is_asked_for_again_and_a_failed_one_says_so(world, large, monkeypatch):
    export = DataExport.objects.create(user=world.person, total=5)
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert jobs.tidy()["asked_again"] == 1
    assert large == [jobs.BUILD_TASK]

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(jobs, "write_archive", broken)
    assert jobs.build_export(export.code) == DataExport.Status.FAILED
    assert not list(export.path.parent.glob("*"))
    page = signed_in(world.person).get(reverse("personaldata-export", args=[export.code]))
    assert "Something went wrong" in page.content.decode()


def test_the_plan_files_speak_the_person_s_zone_and_the_tree_s_own_words(db):
    """Dates are the person's own days, as the app shows them, and a step already broken
    down is not "to break down" (plans.models.is_to_break_down)."""
    from datetime import date

    from personaldata.markdown import plan_files
    from tests.factories import PlanFactory, StepFactory, UserFactory

    person = UserFactory(tz="Pacific/Auckland")
    with time_machine.travel("2026-12-01 12:00 +0000", tick=False):  # 2 December there
        plan = PlanFactory(owner=person, goal="Open a bookshop")
        parent = StepFactory(plan=plan, title="Save for the first stock", due_date=None)
        StepFactory(
            plan=plan, parent=parent, title="Open a savings account", due_date=date(2026, 12, 8)
        )
        StepFactory(plan=plan, title="Find a location", due_date=None)
        StepFactory(plan=plan, title="Call Mary", due_date=date(2026, 12, 3)).mark_done()
        [(_name, text)] = plan_files(person)
    assert "- Started: 2 December 2026" in text
    assert "- 2 December 2026: Done" in text
    assert "- Save for the first stock (broken down)" in text
    assert "- Find a location (to break down)" in text
