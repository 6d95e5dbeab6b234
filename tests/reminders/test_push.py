"""Web Push, delivered to a push service on loopback that decrypts what it receives with
the browser's keys (RFC 8291) and checks the server's VAPID signature (RFC 8292)."""

import base64
import datetime as dt
import json
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid02

from buddies.models import Notification
from buddies.outbox import sender
from reminders import push
from reminders.models import Kind, PushSubscription
from reminders.sweep import PUSH_TASK, run_pass
from reminders.tasks import reminder_pass
from tests.reminders.conftest import MONDAY, due_step, utc

MORNING = utc(2026, 3, 9, 7, 30)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Browser:
    """What a browser keeps for a push subscription: its key pair and auth secret."""

    def __init__(self):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        point = self.key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        self.p256dh = b64url(point)

    def decrypt(self, body):
        return http_ece.decrypt(
            body, private_key=self.key, auth_secret=self.auth, version="aes128gcm"
        )


class PushService:
    """A push service on loopback: answers every POST with `status` and keeps each
    request (path, headers, body)."""

    def __init__(self):
        self.status = 201
        self.received = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {name.lower(): value for name, value in self.headers.items()}
                service.received.append((self.path, headers, body))
                self.send_response(service.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def service():
    running = PushService()
    yield running
    running.close()


@pytest.fixture
def browser():
    return Browser()


@pytest.fixture
def subscription(planner, browser, service, vapid):
    # Made directly: the Reminders page accepts only HTTPS push services on public hosts.
    return PushSubscription.objects.create(
        user=planner,
        endpoint=f"{service.url}/push/phone",
        p256dh=browser.p256dh,
        auth=b64url(browser.auth),
        label="Firefox on Android",
    )


@pytest.fixture
def push_row(subscription, active_plan, clock):
    due_step(active_plan, MONDAY, title="Visit three bookshops")
    clock.move_to(MORNING)
    assert run_pass() == {"email": 1, "push": 1}
    return Notification.objects.get(channel="push")


def state_of(notification):
    notification.refresh_from_db()
    return notification.state


def test_the_push_service_gets_the_reminder_encrypted_to_the_browser_and_signed(
    push_row, service, browser, subscription
):
    assert push.send_pending_push() == {"sent": 1}
    [(path, headers, body)] = service.received
    assert path == "/push/phone"
    message = json.loads(browser.decrypt(body))
    assert message == {
        "title": "Your steps: 1 due today",
        "body": "Visit three bookshops",
        "url": "/dashboard/",
        "tag": "morning",
    }
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["ttl"] == str(push.TTL_SECONDS)
    assert headers["topic"] == push_row.code.hex
    # Signed with the server's VAPID key, for this push service, by this server.
    assert Vapid02.verify(headers["authorization"])
    assert f"k={push.application_server_key()}" in headers["authorization"]
    push_row.refresh_from_db()
    assert (push_row.state, push_row.sent_at) == ("sent", MORNING)
    assert push_row.message_id == f"push:{push_row.code.hex}"


def test_the_email_goes_too_and_each_row_is_sent_once(push_row, service):
    assert sender.send_pending() == {"sent": 1}
    assert push.send_pending_push() == {"sent": 1}
    assert push.send_pending_push() == {}
    assert sender.send_pending() == {}
    assert len(service.received) == 1


@pytest.mark.parametrize("status", [404, 410])
def test_a_subscription_the_push_service_no_longer_knows_is_removed(
    push_row, service, subscription, status, clock
):
    service.status = status
    assert push.send_pending_push() == {"gone": 1}
    assert not PushSubscription.objects.filter(pk=subscription.pk).exists()
    assert state_of(push_row) == Notification.State.SKIPPED
    assert f"({status})" in push_row.last_error
    # The next reminder goes by email only.
    clock.move_to(MORNING + dt.timedelta(days=1))
    assert run_pass() == {"email": 1, "push": 0}


@pytest.mark.parametrize("status", [429, 503])
def test_a_push_service_that_asks_to_wait_is_tried_again_with_backoff(push_row, service, status):
    service.status = status
    assert push.send_pending_push() == {"retry-refused": 1}
    push_row.refresh_from_db()
    assert (push_row.state, push_row.attempts) == ("pending", 1)
    assert push_row.next_attempt == MORNING + dt.timedelta(minutes=1)
    # Nothing was taken: the hand-over mark is cleared (the Topic stays the row's own).
    assert push_row.handed_over is None


def test_a_refused_message_fails_and_is_not_tried_again(push_row, service):
    service.status = 400
    assert push.send_pending_push() == {"failed": 1}
    assert state_of(push_row) == Notification.State.FAILED


def test_an_unreachable_push_service_is_tried_again_later(push_row, subscription, clock):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    PushSubscription.objects.filter(pk=subscription.pk).update(
        endpoint=f"http://127.0.0.1:{port}/push/phone"
    )
    assert push.send_pending_push() == {"retry": 1}
    push_row.refresh_from_db()
    assert (push_row.state, push_row.handed_over) == ("pending", None)
    assert "Could not reach the push service" in push_row.last_error


def test_a_push_for_a_reminder_turned_off_meanwhile_is_not_sent(push_row, planner, service):
    from tests.reminders.conftest import set_reminder

    set_reminder(planner, Kind.MORNING, enabled=False)
    assert push.send_pending_push() == {"skipped": 1}
    assert service.received == []


def test_a_push_to_a_browser_removed_meanwhile_is_not_sent(push_row, subscription, service):
    subscription.delete()
    assert push.send_pending_push() == {"skipped": 1}
    push_row.refresh_from_db()
    assert push_row.last_error == "The browser no longer takes push notifications."
    assert service.received == []


def test_the_pass_sends_push_rows_a_lost_enqueue_left_waiting(push_row, send_requests, clock):
    clock.move_to(MORNING + dt.timedelta(minutes=1))
    reminder_pass()
    assert send_requests == [PUSH_TASK]


def test_the_pass_and_a_full_push_batch_end_even_when_the_broker_is_down(
    push_row, refusing_broker, monkeypatch, service, clock
):
    from reminders import tasks

    clock.move_to(MORNING + dt.timedelta(minutes=1))
    reminder_pass()
    monkeypatch.setattr(tasks, "SEND_BATCH", 1)
    assert tasks.send_push() == {"sent": 1}
    assert refusing_broker == [PUSH_TASK, PUSH_TASK]
    push_row.refresh_from_db()
    assert push_row.state == Notification.State.SENT
