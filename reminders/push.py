"""Web Push: the planner's reminders as notifications in the browsers they turned it on in.

A push message is an outbox row of its own (channel "push", one per browser, beside the
email), so it has the email's delivery semantics: claimed with a lease by the outbox's
claim, re-checked (why_not_wanted) just before hand-over, a hand-over mark, sent at most
once, retried with back-off when the push service cannot be reached or asks to wait.
The payload is encrypted to the browser's keys (RFC 8291, aes128gcm) and signed with the
server's VAPID key (RFC 8292), both by pywebpush. A push service that answers 404 or 410
no longer knows the subscription: it is removed and the row skipped.
"""

import base64
import binascii
import ipaddress
import json
import logging
from functools import cache
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.utils import timezone
from py_vapid import Vapid
from pywebpush import WebPushException, webpush
from urllib3.exceptions import NewConnectionError

from buddies.models import Notification
from buddies.outbox.sender import (
    CLAIM_BATCH,
    after_unknown_outcome,
    backoff,
    claim_batch,
    decide_and_mark,
    record_sent,
    release,
    retry_later,
)
from reminders.kinds import REMINDER_KINDS
from reminders.models import PushSubscription

log = logging.getLogger(__name__)

# How long a push service keeps a message for a browser that is offline: a reminder is
# about one day, so half of one.
TTL_SECONDS = 12 * 60 * 60
# Seconds to wait for a push service (connect, then each read).
TIMEOUT = (5, 10)


def configured():
    """True when the server has a VAPID key, so it can send (and offer) push."""
    return bool(settings.VAPID_PRIVATE_KEY)


@cache
def _vapid(private_key):
    return Vapid.from_string(private_key)


def vapid():
    return _vapid(settings.VAPID_PRIVATE_KEY)


def application_server_key():
    """The VAPID public key as the browser's pushManager.subscribe() wants it: the
    uncompressed P-256 point, base64url without padding ("" when push is off)."""
    if not configured():
        return ""
    point = vapid().public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(point).rstrip(b"=").decode()


# Subscribing -----------------------------------------------------------------------


def _b64url(value):
    value = value.strip()
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def validate_endpoint(url):
    """A push service's endpoint: HTTPS to a named public host. The server POSTs to it,
    so an address on this machine or its network (http://127.0.0.1:6379, a bare IP, a
    single-label intranet name) is refused."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    problem = parts.scheme != "https" or not host or host == "localhost" or "." not in host
    try:
        ipaddress.ip_address(host)
        problem = True
    except ValueError:
        pass
    if problem:
        raise ValidationError("This browser gave an address that is not a push service.")


def validate_keys(p256dh, auth):
    """The browser's public key (a P-256 point) and its 16-byte auth secret."""
    try:
        point, secret = _b64url(p256dh), _b64url(auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except (binascii.Error, ValueError) as error:
        raise ValidationError("This browser gave keys that cannot be used.") from error
    if len(secret) != 16:
        raise ValidationError("This browser gave keys that cannot be used.")


def device_label(user_agent):
    """A name a person recognises for a browser ("Firefox on Android"), from its
    User-Agent; "A browser" when it says nothing we know."""
    browsers = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    systems = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Mac OS", "Mac"),
        ("Windows", "Windows"),
        ("Linux", "Linux"),
    ]
    browser = next((name for mark, name in browsers if mark in user_agent), "A browser")
    system = next((name for mark, name in systems if mark in user_agent), "")
    return f"{browser} on {system}" if system else browser


# Sending ---------------------------------------------------------------------------


def send_pending_push(now=None, limit=100):
    """Send up to `limit` pending push rows whose time has come.

    1. Claim the oldest due push rows (the outbox's claim: a lease, attempts + 1).
    2. Re-check that each is still wanted, and that its browser is still subscribed.
    3. Record the hand-over mark, then POST the encrypted message to the push service.
    4. Record sent, or the failure (push_one).
    If a push service cannot be reached, the rows not yet tried go back untouched and the
    batch ends, as the email sender does. Return a dict counting the outcomes.
    """
    counts = {}
    with requests.Session() as session:
        while sum(counts.values()) < limit:
            claimed = claim_batch(
                now or timezone.now(),
                min(CLAIM_BATCH, limit - sum(counts.values())),
                channel=Notification.Channel.PUSH,
            )
            if not claimed:
                break
            for n, notification in enumerate(claimed):
                outcome = push_one(notification, session, now)
                counts[outcome] = counts.get(outcome, 0) + 1
                if outcome == "retry":
                    release(claimed[n + 1 :])
                    return counts
    return counts


def push_one(notification, session, now=None):
    """Send one claimed push row; return the outcome.

    The same steps and semantics as an email (buddies.outbox.sender): the decision and
    the hand-over mark in one transaction on fresh, locked rows; a refusal for now backs
    off; an unknown outcome goes again with the same Topic, as an email with the same
    Message-ID, at most MAX_RESENDS times.
    """
    now = now or timezone.now()
    mine = Notification.objects.filter(
        pk=notification.pk, state=Notification.State.SENDING, attempts=notification.attempts
    )
    subscriptions = {}

    def push_message(fresh):
        subscription = PushSubscription.objects.filter(
            code=fresh.payload.get("subscription"), user_id=fresh.user_id
        ).first()
        if subscription is None:
            raise NotWanted("The browser no longer takes push notifications.")
        if not configured():
            raise NotWanted("Push is not set up on this server (VAPID_PRIVATE_KEY).")
        subscriptions["found"] = subscription
        message = {**REMINDER_KINDS[fresh.kind].push(fresh), "tag": fresh.kind}
        # The Topic lets a push service replace a copy it still holds for an offline
        # browser, as a stable Message-ID lets a mail system drop a repeat.
        return message, f"push:{fresh.code.hex}"

    try:
        message, outcome = decide_and_mark(notification, build=push_message)
    except NotWanted as reason:
        mine.update(state=Notification.State.SKIPPED, lease_until=None, last_error=str(reason))
        return "skipped"
    except DatabaseError:
        log.warning("Could not decide push notification %s", notification.code, exc_info=True)
        release([notification])
        return "released"
    except Exception as error:
        log.exception("Could not build push notification %s", notification.code)
        mine.update(state=Notification.State.FAILED, lease_until=None, last_error=repr(error))
        return "failed"
    if message is None:
        return outcome
    subscription = subscriptions["found"]
    topic = notification.code.hex
    try:
        webpush(
            subscription.as_subscription_info(),
            json.dumps(message),
            vapid_private_key=vapid(),
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            ttl=TTL_SECONDS,
            timeout=TIMEOUT,
            headers={"Topic": topic, "Urgency": "normal"},
            requests_session=session,
        )
    except WebPushException as error:
        status = error.status_code
        if status in (404, 410):
            # The browser unsubscribed, or the push service dropped it: stop sending there.
            subscription.delete()
            mine.update(
                state=Notification.State.SKIPPED,
                lease_until=None,
                handed_over=None,
                last_error=f"The push service no longer knows this browser ({status}); "
                "its subscription is removed.",
            )
            return "gone"
        if status == 429 or (status or 0) >= 500:
            retry_later(mine, notification, now, f"The push service asked to wait: {status}")
            return "retry-refused"
        mine.update(
            state=Notification.State.FAILED,
            lease_until=None,
            handed_over=None,
            last_error=str(error),
        )
        return "failed"
    except requests.RequestException as error:
        if _never_connected(error):
            retry_later(mine, notification, now, f"Could not reach the push service: {error!r}")
            return "retry"
        # The request may have reached the push service: it goes again with the same
        # Topic (the push service keeps one copy), while resends are left.
        resent, _ = after_unknown_outcome(
            mine,
            f"The push request broke: {error!r}",
            retry_at=now + backoff(notification.attempts),
        )
        return "resend" if resent else "ambiguous"
    record_sent(mine, notification)
    return "sent"


class NotWanted(Exception):
    """The browser or the server can no longer take this push message."""


def _never_connected(error):
    """True if the request failed before a connection was made (nothing was sent)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(error, requests.ConnectionError) and isinstance(reason, NewConnectionError)
