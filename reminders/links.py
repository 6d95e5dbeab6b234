"""Signed links in the planner's reminders, usable without logging in: "Done" for one
step of one email, and one-click unsubscribe from one kind of reminder.

They are django.core.signing values with their own salts (buddies.links reads them), so
they cannot be forged or altered, and they expire. A link names its email and step, or
its planner and kind, by random codes; the pages then check that the account is still
active, so a deactivated account's links stop working at once.
"""

import uuid
from datetime import timedelta

from django.core import signing
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from buddies.links import BadLink, load_signed
from buddies.models import Notification
from plans.models import Step
from reminders.models import Kind, Reminder

DONE_SALT = "reminders.links.done"
UNSUBSCRIBE_SALT = "reminders.links.unsubscribe"
# A morning email's steps are for that day; a fortnight covers a holiday's backlog.
DONE_MAX_AGE = timedelta(days=14)
# Unsubscribing must keep working for as long as someone may still open an old email.
UNSUBSCRIBE_MAX_AGE = timedelta(days=400)


def done_token(notification, step):
    """The token of the "Done" link for one step of one email."""
    return signing.dumps({"n": str(notification.code), "s": str(step.code)}, salt=DONE_SALT)


def unsubscribe_token(user, kind):
    return signing.dumps({"u": str(user.code), "k": kind}, salt=UNSUBSCRIBE_SALT)


def read_done_token(token):
    """Return (notification, step) for a "Done" link, None when the link is intact but its
    email or step is gone (a deleted step, a closed account), or raise BadLink.

    The step must be the email's planner's own: the signature already says so, and the
    query holds it again.
    """
    value = load_signed(token, DONE_SALT, DONE_MAX_AGE)
    if not isinstance(value, dict):
        raise BadLink("This link is not valid.")
    notification = (
        Notification.objects.select_related("user")
        .filter(code=_uuid(value.get("n")), user__isnull=False)
        .first()
    )
    step = (
        Step.objects.select_related("plan__owner")
        .filter(code=_uuid(value.get("s")), plan__owner_id=getattr(notification, "user_id", None))
        .first()
    )
    if notification is None:
        return None
    if step is None:
        if Step.objects.filter(code=_uuid(value.get("s"))).exists():
            raise BadLink("This link is not valid.")  # someone else's step
        return None
    return notification, step


def read_unsubscribe_token(token):
    """Return the planner's Reminder an unsubscribe link names, None when the link is
    intact but the account is gone, or raise BadLink."""
    value = load_signed(token, UNSUBSCRIBE_SALT, UNSUBSCRIBE_MAX_AGE)
    if not isinstance(value, dict) or value.get("k") not in Kind.values:
        raise BadLink("This link is not valid.")
    user = User.objects.filter(code=_uuid(value.get("u"))).first()
    return Reminder.objects.filter(user=user, kind=value["k"]).select_related("user").first()


def _uuid(value):
    # A signed value is ours, but a code that is not a UUID must find nothing, not fail.
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def done_refusal(notification, step):
    """Why the "Done" link for `step` in this email cannot tick it off now, or None if it
    can: "closed" (the account is deactivated), "used" (this link was used already), or
    the step's status when it is not open ("done", "dropped"). The one rule for the
    link's page and for done_from_email, which asks again under its lock."""
    if not notification.user.is_active:
        return "closed"
    if str(step.code) in notification.payload.get("done", {}):
        return "used"
    if step.status != Step.Status.OPEN:
        return step.status
    return None


def done_from_email(notification, step, now=None):
    """Tick `step` off from its email's "Done" link, once per email and step.

    Return "ticked" when this click ticked it off, or done_refusal's answer, on the rows
    as they are under the lock, when it did not.

    1. Lock the email's row, so two POSTs at once cannot both see the link unused.
    2. Check off the step (Step.mark_done, which tells the buddies), unless refused.
    3. Record the use in the row's payload, in the same transaction.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Notification.objects.select_for_update(of=("self",))
            .select_related("user")
            .get(pk=notification.pk)
        )
        step.refresh_from_db(fields=["status", "completed"])
        if refusal := done_refusal(locked, step):
            return refusal
        step.mark_done(now)
        used = locked.payload.get("done", {})
        locked.payload = {**locked.payload, "done": {**used, str(step.code): now.isoformat()}}
        locked.save(update_fields=["payload"])
    notification.payload = locked.payload
    return "ticked"
