"""Signed links in emails: one-click answers and unsubscribe, usable without logging in.

A link carries a signed, timestamped value (django.core.signing with its own salt), so it
cannot be forged or altered, and it expires. It names the notification (or buddyship) by
its random code; the view then checks that it still exists and that the buddyship is
still active, so revoking a buddy, or closing the planner's account, kills every link in
every email they were sent.
"""

from datetime import timedelta

from django.core import signing

from buddies.models import Buddyship, Notification

ACTION_SALT = "buddies.links.action"
UNSUBSCRIBE_SALT = "buddies.links.unsubscribe"
# Answers make sense for a while after the email; a month is generous.
ACTION_MAX_AGE = timedelta(days=30)
# Unsubscribing must keep working for as long as someone may still open an old email.
UNSUBSCRIBE_MAX_AGE = timedelta(days=400)

ACTION_NAMES = {"ask", "cheer", "confirm"}


class BadLink(Exception):
    """The link was altered, has expired, or names nothing that still exists."""

    def __init__(self, message, *, expired=False):
        super().__init__(message)
        self.expired = expired


def action_token(notification, action):
    """Return the token of a one-click answer (ask, cheer, confirm) to one email."""
    return signing.dumps({"n": str(notification.code), "a": action}, salt=ACTION_SALT)


def unsubscribe_token(buddyship):
    return signing.dumps({"b": str(buddyship.code)}, salt=UNSUBSCRIBE_SALT)


def load_signed(token, salt, max_age):
    """Return the value a signed link carries, or raise BadLink (altered or expired)."""
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as error:
        raise BadLink("This link has expired.", expired=True) from error
    except signing.BadSignature as error:
        raise BadLink("This link is not valid: it may have been cut short or changed.") from error


def read_action_token(token):
    """Return (notification, action) for a one-click answer link, with None for a
    notification that is gone (deleted with the planner's account), or raise BadLink if
    the link was altered or has expired."""
    value = load_signed(token, ACTION_SALT, ACTION_MAX_AGE)
    action = value.get("a") if isinstance(value, dict) else None
    if action not in ACTION_NAMES:
        raise BadLink("This link is not valid.")
    notification = (
        Notification.objects.select_related("buddyship__planner", "buddyship__user", "step__plan")
        .filter(code=value.get("n"))
        .first()
    )
    return notification, action


def read_unsubscribe_token(token):
    """Return the buddyship an unsubscribe link names, None if it is gone (deleted with
    the planner's account), or raise BadLink if the link was altered or has expired."""
    value = load_signed(token, UNSUBSCRIBE_SALT, UNSUBSCRIBE_MAX_AGE)
    if not isinstance(value, dict) or "b" not in value:
        raise BadLink("This link is not valid.")
    return Buddyship.objects.select_related("planner", "user").filter(code=value["b"]).first()
