"""Which changes move whose version (careerplan.versions): the one place that says whose
cached pages and signed-in user a row of each table can change.

A saved or deleted row moves the versions of the people whose pages show it. A row
deleted because another was (a plan's steps with the plan, an account's rows with the
account) is covered by the row that was deleted: each such row's people are among the
people of the row it hangs from, so only the first one counts (`origin`).

Model methods that change rows with a conditional UPDATE, which sends no signal, call
`versions.changed()` on the rows they changed. A test holds every table that refers to a
person (personaldata.registry) to be either here or in UNSHOWN, with the reason.
"""

from allauth.account.models import EmailAddress
from django.db.models import Q, QuerySet
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from accounts.models import User
from buddies.access import accounts_owning
from buddies.models import Buddyship, Note
from careerplan import versions
from journals.models import JournalEntry
from plans.models import Plan, Step

# Tables no cached page shows (careerplan.pagecache), with the page that does show them.
UNSHOWN = {
    "admin.LogEntry": "the admin only",
    "account.EmailConfirmation": "the confirmation pages only",
    "mfa.Authenticator": "the two-factor pages only",
    "plans.StepEvent": "a step's own page (not cached)",
    "plans.GrowSession": "the GROW sheets (not cached)",
    "plans.Obstacle": "the GROW sheets (not cached)",
    "plans.Option": "the GROW sheets (not cached); committing one adds a step",
    "plans.CalendarFeed": "the calendar feed settings (not cached)",
    "buddies.ShareLink": "the buddy list and pages by private link (not cached)",
    "buddies.Notification": "the outbox's rows: the admin only",
    "reminders.Reminder": "the Reminders page (not cached)",
    "reminders.PushSubscription": "the Reminders page (not cached)",
    "personaldata.DataExport": "the Your data page (not cached)",
    "personaldata.Closure": "closing deactivates the account, a change of its own",
}


def user_people(user):
    """A person, and everyone whose pages show their name or their account's state: their
    buddies, the planners they support, and whoever they invited."""
    rows = Buddyship.objects.filter(Q(planner=user) | Q(user=user))
    people = {user.pk}
    for planner_id, buddy_id in rows.values_list("planner_id", "user_id"):
        people |= {planner_id, buddy_id}
    invited = rows.filter(planner=user, status=Buddyship.Status.INVITED)
    return people | accounts_owning(invited.values_list("email", flat=True))


def buddyship_people(buddyship):
    """The planner, the buddy, and the accounts its invitation is addressed to (it is
    shown to them, or has just stopped being)."""
    return {buddyship.planner_id, buddyship.user_id} | accounts_owning([buddyship.email])


def note_people(note):
    buddyship = note.buddyship
    return {buddyship.planner_id, buddyship.user_id}


def step_people(step):
    return {step.plan.owner_id}


PEOPLE = {
    User: lambda user: {user.pk},  # and, on a change others see, user_people
    EmailAddress: lambda address: {address.user_id},
    Plan: lambda plan: {plan.owner_id},
    Step: step_people,
    JournalEntry: lambda entry: {entry.owner_id},
    Buddyship: buddyship_people,
    Note: note_people,
}

# Changes to an account that no one else's page shows: signing in.
PRIVATE_USER_FIELDS = frozenset({"last_login"})


def connect():
    for model, people in PEOPLE.items():
        versions.watch(model, people)
        if model is not User:
            post_save.connect(_saved, sender=model, dispatch_uid=f"versions-save-{model}")
            post_delete.connect(_deleted, sender=model, dispatch_uid=f"versions-del-{model}")
    post_save.connect(_user_saved, sender=User, dispatch_uid="versions-user-save")
    # Before the cascade: afterwards the account's buddyships are gone.
    pre_delete.connect(_user_deleting, sender=User, dispatch_uid="versions-user-delete")
    m2m_changed.connect(
        _plans_shared, sender=Buddyship.plans.through, dispatch_uid="versions-shared"
    )


def _saved(sender, instance, **kwargs):
    versions.changed(instance)


def _deleted(sender, instance, origin=None, **kwargs):
    if isinstance(origin, QuerySet):
        covered = origin.model is not sender and origin.model in PEOPLE
    else:
        covered = origin is not instance and isinstance(origin, tuple(PEOPLE))
    if not covered:
        versions.changed(instance)


def _user_saved(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and set(update_fields) <= PRIVATE_USER_FIELDS:
        versions.bump(instance.pk)
    else:
        versions.bump(*user_people(instance))


def _user_deleting(sender, instance, **kwargs):
    versions.bump(*user_people(instance))


def _plans_shared(sender, instance, action, reverse, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    if not reverse:
        versions.changed(instance)
    else:
        versions.changed(*Buddyship.objects.filter(pk__in=pk_set or ()))
