"""A person with a row in every table that refers to a user, as a planner and as a
buddy, for the export, import and deletion tests."""

from dataclasses import dataclass

import pytest
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.models import Authenticator
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from buddies.models import Note, Notification
from journals.models import JournalEntry
from personaldata.models import Closure, DataExport
from plans.calendar.models import CalendarFeed
from plans.models import Plan, Step
from reminders.models import PushSubscription
from tests.buddies.conftest import make_buddyship, make_link, send_requests  # noqa: F401
from tests.factories import (
    GrowSessionFactory,
    ObstacleFactory,
    OptionFactory,
    PlanFactory,
    StepFactory,
    UserFactory,
)

# Words only the person wrote, to look for after the account is deleted.
MARKER = "Zanzibar-marmalade"


@dataclass
class World:
    person: object
    plan: object
    step: object
    buddy: object
    planner: object
    as_buddy: object
    link: str


@pytest.fixture
def var_dir(settings, tmp_path):
    """Downloads go under a var/ of the test's own."""
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    return settings.VAR_DIR


@pytest.fixture
def world(db, var_dir):
    """The person, with a row of theirs in every table a user's data can be in."""
    person = UserFactory(display_name="Petra Person", email="petra@example.com")
    address = EmailAddress.objects.create(user=person, email="petra.second@example.com")
    EmailConfirmation.create(address)
    Authenticator.objects.create(
        user=person, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
    )
    LogEntry.objects.create(
        user=person,
        content_type=ContentType.objects.get_for_model(Plan),
        object_id="1",
        object_repr="a plan",
        action_flag=ADDITION,
    )
    plan = PlanFactory(owner=person, goal=f"I will be running a {MARKER} shop by 2028")
    parent = plan.add_step(f"Find a {MARKER} supplier")
    step = plan.add_step("Call the supplier", StepFactory.due_date.function(), parent=parent)
    step.mark_done()
    session = GrowSessionFactory(plan=plan, reality=f"I sell {MARKER} at markets")
    obstacle = ObstacleFactory(session=session, kind="myself", text="I am afraid of failing")
    option = OptionFactory(session=session, obstacle=obstacle, text="Ask a friend")
    option.commit(StepFactory.due_date.function(), reward="cinema")
    CalendarFeed.issue(person)
    JournalEntry.objects.write(person, person.local_today(), f"Sold {MARKER} today", "great")

    buddy = UserFactory(display_name="Bea Buddy", email="bea@example.com")
    buddyship = make_buddyship(person, [plan], user=buddy)
    follower = make_buddyship(person, [plan], email="fern@example.com", name="Fern")
    link = make_link(follower)
    Note.objects.create(buddyship=buddyship, step=step, kind=Note.Kind.CHEER, text="Go Petra!")
    Notification.objects.create(
        kind=Notification.Kind.CHECKUP, buddyship=buddyship, step=step, key="k"
    )

    planner = UserFactory(display_name="Paul Planner", email="paul@example.com")
    planners_plan = PlanFactory(owner=planner, goal="I will be teaching pottery by 2029")
    as_buddy = make_buddyship(planner, [planners_plan], user=person, name="Petra")
    Note.objects.create(buddyship=as_buddy, kind=Note.Kind.CHEER, text=f"{MARKER} cheers, Paul")
    # A staff member's history of changes to the person's account, their plan and the
    # buddyship they are in (which stays, anonymised, as Paul's) names them.
    staff = UserFactory(display_name="Stan Staff", email="stan@example.com", is_staff=True)
    for row, described in [
        (person, "Petra Person"),
        (plan, plan.goal),
        (as_buddy, "Petra Person, buddy of Paul"),
    ]:
        LogEntry.objects.create(
            user=staff,
            content_type=ContentType.objects.get_for_model(row),
            object_id=str(row.pk),
            object_repr=described,
            action_flag=CHANGE,
        )
    Notification.objects.create(
        kind=Notification.Kind.DIGEST, buddyship=as_buddy, key="2026-W10", state="sent"
    )
    DataExport.objects.create(user=person, status=DataExport.Status.FAILED)
    PushSubscription.subscribe(
        person, "https://push.example.net/send/petra", "BPetraKey", "petra-auth", "Firefox"
    )
    Notification.objects.create(kind=Notification.Kind.WEEKLY, user=person, key="2026-W10")
    return World(
        person=person,
        plan=plan,
        step=Step.objects.get(pk=step.pk),
        buddy=buddy,
        planner=planner,
        as_buddy=as_buddy,
        link=link,
    )


@pytest.fixture
def closing_world(world):
    """The world with the person's account closing (the one table it lacks otherwise)."""
    Closure.objects.create(user=world.person, purge_after=world.person.date_joined)
    return world


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client
