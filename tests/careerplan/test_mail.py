"""The mail backends, reached the way every sender reaches them: through MAILERS. The
SMTP backend's lean writer gives what Django's writer gives."""

import email.policy
import socket
from email import message_from_bytes
from email.utils import formataddr

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from careerplan.mail import lean_message


def test_file_mailer_writes_a_readable_copy_of_each_message(settings, tmp_path):
    settings.MAILERS = {
        "default": {
            "BACKEND": "careerplan.mail.FileAndConsoleBackend",
            "OPTIONS": {"file_path": str(tmp_path)},
        }
    }
    message = mail.EmailMultiAlternatives(
        "A check-up", "Plain text with https://example.com/a/link/", to=["bea@example.com"]
    )
    connection = mail.mailers.default
    connection.open()
    assert connection.send_messages([message]) == 1
    connection.close()
    message.send()  # and through the message's own connection

    texts = sorted(tmp_path.glob("*.txt"))
    assert len(texts) == 2
    assert "https://example.com/a/link/" in texts[0].read_text()
    assert "Subject: A check-up" in texts[0].read_text()
    assert len(list(tmp_path.glob("*.eml"))) == 2


def test_file_mailer_writes_list_unsubscribe_as_smtp_sends_it(settings, tmp_path):
    settings.MAILERS = {
        "default": {
            "BACKEND": "careerplan.mail.FileAndConsoleBackend",
            "OPTIONS": {"file_path": str(tmp_path)},
        }
    }
    message = app_message("Your weekly plan", "careerplan", "Bea", "Plain text", "<p>HTML</p>")

    message.send()

    [eml] = tmp_path.glob("*.eml")
    raw = eml.read_bytes()
    assert read(raw) == read(lean_message(message))
    # RFC 2369: the address in angle brackets, never encoded words.
    assert f"\r\nList-Unsubscribe: <{UNSUBSCRIBE}>\r\n".encode() in raw
    assert "Subject: Your weekly plan" in next(tmp_path.glob("*.txt")).read_text()


# The lean SMTP writer -------------------------------------------------------------------

UNSUBSCRIBE = "https://careerplan.example/buddies/m/u/" + "eyJiIjoiM2QyOGU4NWIt" * 8 + "/"


def app_message(subject, sender_name, to_name, text, html, **headers):
    """A message as careerplan.mail.build_email and the outbox make them."""
    message = mail.EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=formataddr((" ".join(sender_name.split()), "careerplan@localhost")),
        to=[formataddr((" ".join(to_name.split()), "bea@example.com"))],
        headers={
            "Message-ID": "<3d28e85b-2616-4cd8-957b-da9ecef913c9@careerplan.example>",
            "Auto-Submitted": "auto-generated",
            "List-Unsubscribe": f"<{UNSUBSCRIBE}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            **headers,
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def read(raw):
    """What a mail client reads from a message's bytes."""
    parsed = message_from_bytes(raw, policy=email.policy.default)
    headers = {
        name: str(parsed[name])
        for name in ("Subject", "Message-ID", "Auto-Submitted", "List-Unsubscribe")
    }
    for name in ("From", "To"):
        [address] = parsed[name].addresses
        headers[name] = (address.display_name, address.addr_spec)
    return headers, bodies_of(raw)


def bodies_of(raw):
    """The text and HTML a mail client reads from a message's bytes."""
    parsed = message_from_bytes(raw, policy=email.policy.default)
    return [
        parsed.get_body((kind,)).get_content().replace("\r\n", "\n") for kind in ("plain", "html")
    ]


def django_bytes(message):
    return message.message(policy=email.policy.SMTP).as_bytes()


@examples(max_examples=150, deadline=None)
@given(
    subject=st.text(max_size=200) | st.sampled_from(["=?utf-8?q?Hi?=", "a" * 100 + " b"]),
    sender_name=st.text(max_size=60),
    to_name=st.text(max_size=60),
    text=st.text(min_size=1, max_size=600),
    html=st.text(max_size=600),
)
def test_the_lean_writer_reads_back_as_written_and_as_djangos_bodies(
    subject, sender_name, to_name, text, html
):
    message = app_message(subject, sender_name, to_name, text, html)
    raw = lean_message(message)
    if raw is None:
        # Only names Django would refuse or change (control characters) are left to it.
        assert not all(name.isprintable() for name in (sender_name, to_name))
        return
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"\n" not in raw.replace(b"\r\n", b"")
    headers, bodies = read(raw)
    assert headers == {
        "Subject": " ".join(subject.split()),
        "From": (" ".join(sender_name.split()), "careerplan@localhost"),
        "To": (" ".join(to_name.split()), "bea@example.com"),
        "Message-ID": message.extra_headers["Message-ID"],
        "Auto-Submitted": "auto-generated",
        "List-Unsubscribe": f"<{UNSUBSCRIBE}>",
    }
    # Line ends as Django's writer makes them (one at the end, CR and CRLF as LF). Only
    # the bodies are compared: Django's writer drops the quotes around some names with a
    # comma ("é ," comes out as two addresses), which the lean writer keeps.
    assert bodies == bodies_of(django_bytes(message))


def test_the_lean_writer_keeps_list_unsubscribe_a_plain_address():
    message = app_message("Check-up", "Olivia Owner", "Bea Buddy", "Hello", "<p>Hello</p>")
    assert f"List-Unsubscribe: <{UNSUBSCRIBE}>\r\n".encode() in lean_message(message)


@pytest.mark.parametrize(
    "change",
    [
        {"cc": ["carl@example.com"]},
        {"to": ["Zoë <zoë@exämple.com>"]},
        {"headers": {"X-Other": "1"}},
        {"headers": {"Bcc": "eve@example.com"}},
        {"to": ["bea@example.com, eve@example.com"]},
    ],
)
def test_any_other_message_goes_through_djangos_writer(change):
    message = app_message("Hello", "Olivia", "Bea", "text", "<p>html</p>")
    for name, value in change.items():
        if name == "headers":
            message.extra_headers.update(value)
        else:
            setattr(message, name, value)
    assert lean_message(message) is None


class Relay:
    """An SMTP server on loopback that keeps what it is given."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def relay(settings):
    handler = Relay()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "careerplan.mail.SMTPBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port},
        }
    }
    yield handler
    controller.stop()


def test_the_smtp_backend_sends_the_app_s_emails_lean_and_any_other_through_django(relay):
    lean = app_message("Check-up: “Visit”", "Olivia Owner", "Bea Buddy", "Hello ✓", "<p>✓</p>")
    lean.bcc = ["copy@example.com"]
    other = mail.EmailMessage("Files", "See the file.", to=["carl@example.com"])
    other.attach("notes.txt", "notes", "text/plain")
    connection = mail.mailers.default
    assert connection.send_messages([lean, other]) == 2
    connection.close()

    [(sender, envelope, raw), (_, other_envelope, other_raw)] = relay.received
    assert (sender, envelope) == ("careerplan@localhost", ["bea@example.com", "copy@example.com"])
    assert read(raw) == read(django_bytes(lean))
    assert b"Bcc" not in raw
    assert other_envelope == ["carl@example.com"]
    assert message_from_bytes(other_raw).get_filename() is None  # multipart, the file inside
    assert [part.get_filename() for part in message_from_bytes(other_raw).walk()][-1] == "notes.txt"


@pytest.mark.parametrize("name", ["é ,", "Zoë , Smith", "\x80 ,"])
def test_a_name_with_a_comma_stays_one_address(name):
    """Django's own writer gives "é, bea@example.com" (two addresses); ours quotes it."""
    message = app_message("Check-up", "Olivia Owner", name, "Hello", "<p>Hello</p>")
    headers, _bodies = read(lean_message(message))
    assert headers["To"] == (" ".join(name.split()), "bea@example.com")
