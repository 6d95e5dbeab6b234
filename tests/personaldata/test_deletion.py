"""Deleting an account: closed at once, buddies told through the outbox before the rows
go, then nothing of the person left in the database or under var/."""

import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.sessions import SessionStore
from buddies.models import FORMER_BUDDY, Buddyship, Notification
from buddies.outbox.sender import send_pending
from personaldata import deletion, jobs
from personaldata.models import Closure, DataExport
from personaldata.registry import models_reaching_the_user
from plans.calendar.models import CalendarFeed
from tests.buddies.conftest import make_buddyship
from tests.factories import PlanFactory
from tests.personaldata.conftest import MARKER, signed_in
from tests.personaldata.test_export import rows_reaching

PASSWORD = "correct horse battery"


def test_the_page_says_what_goes_and_asks_for_the_password_again(world):
    client = signed_in(world.person)
    page = client.get(reverse("personaldata-delete"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Every plan" in text
    assert "Your reminders, and the notifications" in text
    assert "any copy of one kept on this server" in text
    assert "Your Success Journal" in text
    assert "no waiting period" in text

    response = client.post(reverse("personaldata-delete"), {"confirm": "on"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    world.person.refresh_from_db()
    assert world.person.is_active

    # The password again: allauth replays the suspended POST.
    response = client.post(response.url, {"password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("personaldata-deleted")
    world.person.refresh_from_db()
    assert not world.person.is_active
    assert client.get(reverse("plans-dashboard")).status_code == 302


def test_an_unticked_box_after_the_password_check_still_posts_to_the_delete_page(world, client):
    client.force_login(world.person)
    reauthenticate = client.post(reverse("personaldata-delete"), {}).url
    # allauth replays the suspended POST after the password and shows its answer at the
    # password page's own address; the form must not post back there.
    response = client.post(reauthenticate, {"password": PASSWORD})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Tick the box" in page
    assert f'action="{reverse("personaldata-delete")}"' in page

    response = client.post(reverse("personaldata-delete"), {"confirm": "on"})
    assert response.url == reverse("personaldata-deleted")
    world.person.refresh_from_db()
    assert not world.person.is_active


def test_deleting_must_be_confirmed_next_to_the_box(owner):
    client = signed_in(owner)
    # The password again first: within minutes of it, no second ask.
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(reverse("personaldata-delete"), {})
    assert response.status_code == 422
    page = response.content.decode()
    assert "Tick the box" in page
    # The box to tick has the focus, marked refused and pointing at the message.
    box = re.search(r"<input[^>]*name=\"confirm\"[^>]*>", page).group()
    assert "autofocus" in box
    assert "is-invalid" in box
    assert 'aria-invalid="true"' in box
    owner.refresh_from_db()
    assert owner.is_active


def test_closing_makes_the_account_gone_to_everyone_at_once(world, client):
    other_device = signed_in(world.person)
    feed = CalendarFeed.objects.get(owner=world.person)
    export = jobs.request_export(world.person)
    jobs.build_export(export.code)
    assert export.path.exists()

    assert deletion.close_account(world.person)

    assert not deletion.close_account(world.person)
    assert other_device.get(reverse("plans-dashboard")).status_code == 302
    assert not any(
        s.get_decoded().get("_auth_user_id") == str(world.person.pk) for s in Session.objects.all()
    )
    assert not client.login(email=world.person.email, password=PASSWORD)
    assert not CalendarFeed.objects.filter(pk=feed.pk).exists()
    assert not export.path.exists()
    assert not DataExport.objects.filter(user=world.person).exists()
    bea = Buddyship.objects.get(planner=world.person, user=world.buddy)
    assert bea.status == Buddyship.Status.REVOKED
    assert (
        signed_in(world.buddy).get(reverse("buddies-progress", args=[bea.code])).status_code == 404
    )
    assert client.get(reverse("buddies-link-progress", args=[world.link])).status_code == 404
    world.as_buddy.refresh_from_db()
    assert world.as_buddy.status == Buddyship.Status.LEFT


def test_buddies_are_told_before_the_rows_go(world, send_requests):
    deletion.close_account(world.person)
    farewells = Notification.objects.filter(kind__in=deletion.FAREWELL_KINDS)
    assert farewells.count() == 3  # Bea, Fern (a follower without an account), Paul
    assert deletion.purge_due() == 0
    assert Closure.objects.filter(user=world.person).exists()

    send_pending()

    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {
        "Bea Buddy <bea@example.com>",
        "Fern <fern@example.com>",
        "Paul Planner <paul@example.com>",
    }
    farewell = by_address["Bea Buddy <bea@example.com>"]
    assert farewell.subject == "Petra Person has left careerplan"
    assert "no longer their Career Change Buddy" in farewell.body
    assert "deleted their careerplan account" in farewell.alternatives[0][0]
    told = by_address["Paul Planner <paul@example.com>"]
    assert told.subject == "Petra is no longer your buddy"
    # From the buddy, through the site: not the planner writing to themselves.
    assert told.from_email == "Petra via careerplan <careerplan@localhost>"
    assert farewell.from_email == "Petra Person via careerplan <careerplan@localhost>"
    assert "has deleted their careerplan account" in told.body
    assert "List-Unsubscribe" not in told.extra_headers
    assert deletion.purge_due() == 1
    assert not type(world.person).objects.filter(pk=world.person.pk).exists()


def test_an_unsettled_farewell_holds_the_purge_only_up_to_a_day(world, send_requests):
    deletion.close_account(world.person)
    assert deletion.purge_due(timezone.now() + timedelta(hours=23)) == 0
    assert deletion.purge_due(timezone.now() + timedelta(days=1, minutes=1)) == 1


def test_a_buddy_who_unsubscribed_is_not_emailed_a_farewell(world, send_requests):
    bea = Buddyship.objects.get(planner=world.person, user=world.buddy)
    bea.unsubscribe()
    deletion.close_account(world.person)
    send_pending()
    assert "Bea Buddy <bea@example.com>" not in {m.to[0] for m in mail.outbox}
    assert deletion.purge_due() == 1


def text_values(model):
    """Every text and JSON value stored in a table."""
    names = [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
    ]
    for row in model.objects.values_list(*names) if names else []:
        yield from (str(value) for value in row if value)


@pytest.fixture
def purged(world, send_requests):
    deletion.close_account(world.person)
    send_pending()
    assert jobs.tidy()["purged"] == 1
    return world


def test_nothing_of_the_person_is_left_in_the_database(purged):
    person = purged.person
    for model in models_reaching_the_user():
        assert not rows_reaching(model, person).exists(), model
    traces = [MARKER, "petra@example.com", "petra.second@example.com", "Petra Person"]
    for model in apps.get_models():
        for value in text_values(model):
            assert not any(trace in value for trace in traces), (model, value)
    for session in Session.objects.all():
        assert session.get_decoded().get("_auth_user_id") != str(person.pk)


def test_nothing_of_the_person_is_left_under_var(purged, var_dir):
    traces = [MARKER.encode(), b"petra@example.com", b"Petra Person"]
    for path in var_dir.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            assert not any(trace in content for trace in traces), path


def test_the_planners_of_a_deleted_buddy_keep_their_own_rows(purged):
    buddyship = Buddyship.objects.get(pk=purged.as_buddy.pk)
    assert (buddyship.user, buddyship.email, buddyship.name) == (None, "", FORMER_BUDDY)
    assert buddyship.status == Buddyship.Status.LEFT
    assert purged.planner.plans.count() == 1
    assert not buddyship.buddy_notes.exists()
    # The buddy of the deleted planner keeps their own account.
    purged.buddy.refresh_from_db()
    assert purged.buddy.is_active
    # The planner's list says how it ended, with no empty address.
    client = Client()
    client.force_login(purged.planner)
    page = client.get(reverse("buddies-list")).content.decode()
    assert f"{FORMER_BUDDY}: deleted their account" in page
    assert "()" not in page


def test_a_buddy_who_left_before_closing_their_account_is_remembered_as_leaving(
    world, send_requests
):
    """The planner's list keeps how each buddyship ended: one the buddy had left days
    before does not become "deleted their account" when the purge takes their name."""
    earlier = make_buddyship(
        world.planner,
        [PlanFactory(owner=world.planner, goal="I will be running a pottery studio")],
        user=world.person,
        name="Petra, earlier",
        email="petra.earlier@example.com",
    )
    assert earlier.leave()
    deletion.close_account(world.person)
    send_pending()
    assert jobs.tidy()["purged"] == 1

    client = Client()
    client.force_login(world.planner)
    page = client.get(reverse("buddies-list")).content.decode()
    assert page.count(f"{FORMER_BUDDY}: deleted their account") == 1
    assert f"{FORMER_BUDDY}: stopped being your buddy" in page


def test_ending_sessions_takes_their_copies_in_the_shared_cache_too(settings, world):
    """With sessions in the shared cache (accounts.sessions, as with Redis), a session
    left there would outlive its row."""
    settings.SESSION_ENGINE = "accounts.sessions"
    client = signed_in(world.person)
    store = SessionStore(client.session.session_key)
    assert store._cache.get(store.cache_key) is not None

    deletion.end_sessions(world.person)

    assert store._cache.get(store.cache_key) is None
    assert not Session.objects.filter(session_key=store.session_key).exists()


@pytest.fixture
def mail_files(settings, var_dir):
    """Emails written where the embedded mode writes them, var/mail/."""
    folder = var_dir / "mail"
    settings.MAILERS = {
        "default": {
            "BACKEND": "careerplan.mail.FileAndConsoleBackend",
            "OPTIONS": {"file_path": str(folder)},
        }
    }
    return folder


def test_the_emails_written_under_var_to_from_or_about_the_person_go(
    world, mail_files, send_requests
):
    mail.send_mail("Your archive", f"{MARKER} is ready", None, ["petra.second@example.com"])
    mail.send_mail("Hello Olga", "Nothing of anyone else", None, ["olga@example.com"])
    deletion.close_account(world.person)
    send_pending()
    written = {path.name for path in mail_files.iterdir()}
    # The farewells to Bea and Fern and the note to Paul, about Petra, were written.
    assert sum(name.endswith("has-left-careerplan.eml") for name in written) == 2, written
    assert any(b"Petra Person" in path.read_bytes() for path in mail_files.glob("*.eml"))

    assert jobs.tidy()["purged"] == 1

    left = sorted(path.name for path in mail_files.iterdir())
    assert len(left) == 2, left
    assert all("hello-olga" in name for name in left), left
    traces = [MARKER.encode(), b"petra@example.com", b"petra.second@example.com", b"Petra"]
    for path in mail_files.iterdir():
        assert not any(trace in path.read_bytes() for trace in traces), path
