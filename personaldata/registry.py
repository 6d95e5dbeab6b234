"""Which tables hold a person's data, and what export, import and deletion do with each.

A model that refers to the user model, directly or through a chain of foreign keys
(`user_paths` walks them), holds someone's data. Each has one `Section` here, in the order
an import restores them (a row's foreign keys point at rows restored before it). A test
walks every installed model and fails if one that reaches the user has no section, so a
new model is exported, and deleted, once it is declared here.

The person's rows in a section are those that reach them by any path: a buddyship is
theirs as the planner and as the buddy, a buddy's note is theirs as its writer.
"""

from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Cast

# A chain of foreign keys longer than this reaches the user only through another
# person's rows (a note on a step of a plan of ...): none of ours is that deep.
MAX_DEPTH = 4


@dataclass(frozen=True)
class Section:
    """One table in the export: `label` is "app_label.ModelName"."""

    label: str
    # What the rows are, in a few words (the schema document and the archive's README).
    about: str
    # Fields never exported: secrets (hashes of live tokens, two-factor keys, passwords)
    # and copies of what other fields say.
    omit: tuple[str, ...] = ()
    # Restored by an import into an empty account. Rows that name another person's
    # consent (buddyships), or a secret (feeds, links, authenticators), are not: see
    # docs/export-schema.md, "What an import restores".
    restore: bool = False
    # For rows an account has from the start (the account itself, its reminders): the
    # fields an import copies onto the importing account's own rows.
    restore_fields: tuple[str, ...] = ()
    # Rows that name another row by content type and id (the admin's history): the
    # person's rows also include those naming a row of theirs in another section.
    names_rows: bool = False

    @property
    def model(self):
        return apps.get_model(self.label)


SECTIONS = [
    Section(
        "accounts.User",
        "your account: name, address, time zone, when you joined",
        omit=("password", "groups", "user_permissions"),
        restore_fields=("display_name", "tz"),
    ),
    Section("account.EmailAddress", "your email addresses and whether each is verified"),
    Section("account.EmailConfirmation", "address confirmations sent", omit=("key",)),
    Section(
        "mfa.Authenticator",
        "your two-factor methods (their secret keys are never exported)",
        omit=("data",),
    ),
    Section(
        "admin.LogEntry",
        "changes made in the admin by your account, or to it and its rows",
        names_rows=True,
    ),
    Section("plans.Plan", "your plans: the SMART goal of each", restore=True),
    Section("plans.Step", "every step, with its date, state and reward", restore=True),
    Section("plans.StepEvent", "each step's history: committed, done, moved", restore=True),
    Section("plans.GrowSession", "GROW sheets: goal and reality", restore=True),
    Section("plans.Obstacle", "obstacles on your GROW sheets", restore=True),
    Section("plans.Option", "options on your GROW sheets", restore=True),
    Section(
        "plans.CalendarFeed",
        "calendar feeds you turned on (their addresses are secret and not exported)",
        omit=("token_hash",),
    ),
    Section("journals.JournalEntry", "your Success Journal", restore=True),
    Section(
        "reminders.Reminder",
        "your reminders: which are on, at what time and on which day",
        omit=("next_due",),
        restore_fields=("enabled", "at", "weekday"),
    ),
    Section(
        "reminders.PushSubscription",
        "browsers that show your reminders as notifications (their push addresses and keys "
        "are secret and not exported)",
        omit=("endpoint", "p256dh", "auth"),
    ),
    Section(
        "buddies.Buddyship",
        "your buddies, and the planners you are a buddy of",
        omit=("invite_token_hash",),
    ),
    Section("buddies.ShareLink", "private progress links you made", omit=("token_hash",)),
    Section("buddies.Note", "cheers and notes your buddies sent you, and those you sent"),
    Section(
        "buddies.Notification",
        "emails sent to your buddies, to you as a buddy, and your own reminders",
        omit=("payload", "last_error", "lease_until"),
    ),
    Section("personaldata.DataExport", "downloads of your data you asked for"),
    Section("personaldata.Closure", "your request to delete the account"),
]

BY_LABEL = {section.label: section for section in SECTIONS}


def label_of(model):
    return f"{model._meta.app_label}.{model.__name__}"


@cache
def user_paths(model):
    """Every lookup path from `model` to the user model through foreign keys, shortest
    first ("owner", "plan__owner", "buddyship__user"); ("pk",) for the user model."""
    user_model = get_user_model()
    if model is user_model:
        return ("pk",)
    found = []
    frontier = [(model, "", {model})]
    for _depth in range(MAX_DEPTH):
        next_frontier = []
        for current, prefix, seen in frontier:
            for field in current._meta.concrete_fields:
                if not isinstance(field, models.ForeignKey):
                    continue
                target = field.related_model
                path = f"{prefix}{field.name}"
                if target is user_model:
                    found.append(path)
                elif target not in seen:
                    next_frontier.append((target, f"{path}__", seen | {target}))
        frontier = next_frontier
    return tuple(found)


def models_reaching_the_user():
    """Every installed model with a path to the user model (the user model included)."""
    return [model for model in apps.get_models() if user_paths(model)]


def rows_of(section, user):
    """The section's rows that reach `user` by any path, oldest first."""
    model = section.model
    query = models.Q()
    for path in user_paths(model):
        query |= models.Q(**{path: user.pk})
    if section.names_rows:
        query |= naming_rows_of(user)
    return model.objects.filter(query).distinct().order_by("pk")


def naming_rows_of(user):
    """Rows that name one of the person's rows in another section by content type and
    id (`object_id` is text, so each section's keys are compared as text)."""
    query = models.Q()
    for other in SECTIONS:
        if other.names_rows:
            continue
        keys = rows_of(other, user).annotate(pk_text=Cast("pk", models.TextField()))
        query |= models.Q(
            content_type=ContentType.objects.get_for_model(other.model),
            object_id__in=keys.order_by().values("pk_text"),
        )
    return query
