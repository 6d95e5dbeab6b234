"""The email for an outbox row: its context, headers, Message-ID and addresses.

What differs by kind (template, one-click answers, extra context) is read from
buddies.outbox.kinds; everything here is the same for every kind.
"""

from email.utils import formataddr, parseaddr
from functools import cache
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse

from buddies import links
from buddies.models import Buddyship, Notification
from buddies.outbox.kinds import KINDS, Audience
from careerplan.mail import absolute_url, build_email


def message_id(notification):
    """A Message-ID fixed by the row, the same on every attempt, so a receiving server or
    mail client can tell a repeat from a new message."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{notification.code}@{domain}>"


def build_message(notification):
    """Return the email for a row: text and HTML bodies, Message-ID and RFC 8058 headers."""
    kind = KINDS[notification.kind]
    if kind.audience == Audience.PLANNER:
        return _planner_message(notification, kind)
    buddyship = notification.buddyship
    planner = buddyship.planner
    unsubscribe_url = absolute_url(
        reverse("buddies-mail-unsubscribe", args=[links.unsubscribe_token(buddyship)])
    )
    context = {
        "buddyship": buddyship,
        "planner_name": planner.display_name or "Your friend",
        "step": notification.step,
        "payload": notification.payload,
        "unsubscribe_url": unsubscribe_url,
        "progress_url": _progress_url(buddyship),
        "follows_by_link": _follows_by_link(notification, buddyship),
    }
    for action in kind.actions:
        context[f"{action}_url"] = absolute_url(
            reverse("buddies-mail-action", args=[links.action_token(notification, action)])
        )
    context.update(kind.context(notification))
    if kind.to_planner:
        # About the buddy, to the planner: the buddy's unsubscribe is not the planner's.
        to = _address(planner.display_name, planner.email)
        headers = _headers(notification)
    else:
        to = _address(buddyship.addressed_as, buddyship.email)
        headers = _headers(notification, unsubscribe_url)
    message = build_email(kind.template, context, [to], headers=headers)
    # A name, never an address, shows who the email is about: the planner's to a buddy,
    # the buddy's to the planner (not the planner's own name, as if they wrote to
    # themselves).
    site, sender = _site_sender(settings.DEFAULT_FROM_EMAIL)
    about = buddyship.name if kind.to_planner else context["planner_name"]
    message.from_email = _address(f"{about} via {site}" if about else site, sender)
    return message


@cache
def _site_sender(from_email):
    """The site's name ("careerplan" if it has none) and address in DEFAULT_FROM_EMAIL."""
    site, sender = parseaddr(from_email)
    return site or "careerplan", sender


def _planner_message(notification, kind):
    """The planner's own reminder: to their address, from the site, with the one-click
    unsubscribe of this kind only."""
    user = notification.user
    unsubscribe_url = kind.unsubscribe_url(notification)
    context = {
        "user": user,
        "planner_name": user.display_name or "there",
        "payload": notification.payload,
        "unsubscribe_url": unsubscribe_url,
        **kind.context(notification),
    }
    return build_email(
        kind.template,
        context,
        [_address(user.display_name, user.email)],
        headers=_headers(notification, unsubscribe_url),
    )


def _headers(notification, unsubscribe_url=None):
    """Every email's headers: its fixed Message-ID, RFC 3834's mark, and an RFC 8058
    one-click unsubscribe where the recipient has one for it."""
    headers = {
        "Message-ID": message_id(notification),
        # Out-of-office replies are not sent to automatic messages (RFC 3834).
        "Auto-Submitted": "auto-generated",
    }
    if unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def _address(name, email):
    # A name is typed by a person: line breaks would be a header injection.
    return formataddr((" ".join(str(name).split()), email))


def _progress_url(buddyship):
    if buddyship.user_id is not None:
        return absolute_url(reverse("buddies-progress", args=[buddyship.code]))
    return ""


def _follows_by_link(notification, buddyship):
    """True for an active buddy without an account who has a live private link: no email
    can repeat it (only its hash is kept), so they are pointed to the one that carried it,
    save in that email itself."""
    if (
        buddyship.user_id is not None
        or buddyship.status != Buddyship.Status.ACTIVE
        or notification.kind == Notification.Kind.LINK
    ):
        return False
    live = getattr(buddyship, "has_live_link", None)  # read with the decision (kinds)
    if live is None:
        live = buddyship.links.filter(revoked__isnull=True).exists()
    return live
