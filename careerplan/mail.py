"""Email helpers shared by every app: absolute links, multipart messages from templates,
the SMTP backend that writes them lean, and the development backend that writes each
message where a person can read it."""

import binascii
import re
import secrets
import smtplib
import sys
from base64 import b64encode
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import format_datetime, formataddr, getaddresses, make_msgid
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends import smtp
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.utils import DNS_NAME
from django.template.loader import render_to_string
from django.utils import timezone


def absolute_url(path):
    """Return SITE_URL joined with a path from reverse() (emails have no request)."""
    return settings.SITE_URL + path


def build_email(name, context, to, *, headers=None, reply_to=None):
    """Return a text and HTML message from emails/<name>-subject.txt, -body.txt, -body.html."""
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"emails/{name}-subject.txt", context)
    # A subject is one line: template newlines would otherwise be a header injection.
    subject = " ".join(subject.split())
    text = render_to_string(f"emails/{name}-body.txt", context)
    html = render_to_string(f"emails/{name}-body.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=to, headers=headers or {}, reply_to=reply_to
    )
    message.attach_alternative(html, "text/html")
    return message


class SMTPBackend(smtp.EmailBackend):
    """Django's SMTP backend, writing the messages build_email makes (a text body and an
    HTML alternative, plain headers) straight to bytes (lean_message).

    Django's writer builds each header through the email package's header registry,
    parses it back and folds it: that was a third of the outbox sender's time. Any
    other message (attachments, copies, a non-ASCII address, a header it does not
    expect) goes through Django's own writer, as does every check Django makes there.
    """

    def _send(self, email_message):
        lean = _lean(email_message)
        if lean is None:
            return super()._send(email_message)
        try:
            self.connection.sendmail(*lean)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True


# The headers lean_message writes itself or copies as they are; any other makes the
# message go through Django's writer.
_LEAN_HEADERS = {"message-id", "auto-submitted", "list-unsubscribe", "list-unsubscribe-post"}


def lean_message(message):
    """The bytes of a message of the shape build_email makes (RFC 5322 and MIME, both
    bodies quoted-printable UTF-8), or None if it has any other shape.

    What a reader sees is what was written, bodies as Django's writer gives them
    (tests/careerplan/test_mail.py); the structured headers (List-Unsubscribe) are left
    unencoded, as RFC 2369 wants, where Django's writer folds a long one into encoded
    words.
    """
    lean = _lean(message)
    return lean[2] if lean else None


def _lean(message):
    """(sender, recipients, bytes) of a message lean_message writes, or None."""
    if not (
        isinstance(message, EmailMultiAlternatives)
        and message.recipients()
        and not (message.cc or message.reply_to or message.attachments)
        and message.content_subtype == "plain"
        and message.encoding in (None, "utf-8")
        and [alternative.mimetype for alternative in message.alternatives] == ["text/html"]
        and isinstance(message.body, str)
        and message.body
        and isinstance(message.alternatives[0].content, str)
        and all(
            name.lower() in _LEAN_HEADERS and _plain(value)
            for name, value in message.extra_headers.items()
        )
        and "\n" not in message.subject
        and "\r" not in message.subject
    ):
        return None
    sender = _address(message.from_email)
    to = [_address(address) for address in message.to]
    bcc = [_addr_spec(address) for address in message.bcc]
    if sender is None or None in to or None in bcc:
        return None
    text, html = message.body, message.alternatives[0].content
    boundary = "=_" + secrets.token_hex(16)  # "=" never starts a quoted-printable line
    zone = timezone.get_current_timezone() if settings.EMAIL_USE_LOCALTIME else UTC
    headers = {
        "MIME-Version": "1.0",
        "Content-Type": f'multipart/alternative; boundary="{boundary}"',
        "Subject": _subject(str(message.subject)),
        "From": sender[1],
        "To": ", ".join(header for _, header in to),
        "Date": format_datetime(datetime.now(zone)),
    }
    extra = {name: str(value) for name, value in message.extra_headers.items()}
    if not any(name.lower() == "message-id" for name in extra):
        headers["Message-ID"] = make_msgid(domain=DNS_NAME)
    headers.update(extra)
    raw = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    for body, subtype in ((text, "plain"), (html, "html")):
        # Each part's text ends with its line end; the CRLF before a boundary is the
        # boundary's own.
        raw += (
            f"\r\n--{boundary}\r\n"
            f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        ) + _quoted_printable(body)
    raw += f"\r\n--{boundary}--\r\n"
    return sender[0], [spec for spec, _ in to] + bcc, raw.encode("ascii")


def _plain(value):
    """A header value written as it is: printable ASCII on one line, not too long."""
    value = str(value)
    return value.isascii() and value.isprintable() and len(value) < 900


def _addr_spec(address):
    """The bare address of `address` ("Name <a@b>" or "a@b") if it is one plain ASCII
    address with one @ (Django's own parser is left to judge any other)."""
    parsed = _parsed(address)
    return parsed[1] if parsed else None


def _address(address):
    """(the bare address, the address as a To or From header writes it) for `address`,
    the name encoded if it is not ASCII; None if it is not one plain address."""
    parsed = _parsed(address)
    if parsed is None or not parsed[0].isprintable():
        return None
    name, spec = parsed
    if name.isascii():
        # As given: formataddr writes a name that is not ASCII as encoded words.
        return spec, formataddr((name, spec))
    return spec, f"{_encoded_words(name)} <{spec}>"


def _parsed(address):
    """(name, bare address) of one plain address, or None."""
    pairs = getaddresses([str(address)])
    if len(pairs) != 1:
        return None
    name, spec = pairs[0]
    if not (_plain(spec) and spec.count("@") == 1) or any(c in spec for c in ' "()<>,;:\\[]'):
        return None
    return name, spec


def _subject(text):
    """The Subject header's value: printable ASCII folded at spaces, anything else as
    RFC 2047 encoded words."""
    if _readable(text) and all(len(word) <= 76 for word in text.split(" ")):
        return _fold(text, len("Subject: "))
    return _encoded_words(text)


def _readable(text):
    """True if header text can go as it is: printable ASCII that a reader would not
    take for encoded words."""
    return text.isascii() and text.isprintable() and "=?" not in text


def _encoded_words(text):
    """`text` as RFC 2047 encoded words, each of whole characters, one to a line."""
    words, word = [], ""
    for char in text:
        if len((word + char).encode()) > 42:  # 56 characters in base64, 68 with its frame
            words.append(word)
            word = ""
        word += char
    words.append(word)
    return "\r\n ".join(f"=?utf-8?b?{b64encode(word.encode()).decode()}?=" for word in words)


def _fold(text, used, width=78):
    """Text folded at spaces so that lines keep to `width` where they can (`used`: what
    the first line already holds)."""
    lines = []
    for token in text.split(" "):
        if lines and lines[-1].strip() and used + len(lines[-1]) + 1 + len(token) > width:
            used = 0
            lines.append(token)
        elif lines:
            lines[-1] += " " + token
        else:
            lines.append(token)
    return "\r\n ".join(lines)


def _quoted_printable(body):
    """A body in UTF-8 as quoted-printable, with CRLF line ends and one at the end (as
    the email package writes a text part)."""
    data = b"\r\n".join(body.encode("utf-8").splitlines()) + b"\r\n"
    return binascii.b2a_qp(data, istext=True).decode("ascii")


def file_bytes(message):
    """The bytes the SMTP backend would send for `message`: lean_message's where it
    writes the message, Django's writer's otherwise."""
    return lean_message(message) or message.message().as_bytes()


class FileAndConsoleBackend(BaseEmailBackend):
    """Write every message to var/mail/ as .eml (the bytes SMTP would send, file_bytes)
    and .txt (readable), and say so.

    The .txt file carries the headers and the plain-text body decoded, so a verification
    link can be copied from it as it is (the raw message may be quoted-printable).
    """

    def __init__(self, file_path, **kwargs):
        # Pass fail_silently on only if given: a mailer built from MAILERS must not
        # receive options it was not configured with.
        super().__init__(**kwargs)
        self.path = Path(file_path)
        self.path.mkdir(parents=True, exist_ok=True)

    def send_messages(self, email_messages):
        for n, message in enumerate(email_messages):
            stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
            slug = re.sub(r"[^a-z0-9]+", "-", message.subject.lower()).strip("-")[:50]
            base = self.path / f"{stamp}-{n}-{slug}"
            raw = file_bytes(message)
            base.with_suffix(".eml").write_bytes(raw)
            headers = BytesHeaderParser(policy=default_policy).parsebytes(raw)
            readable = [
                f"{h}: {headers[h]}" for h in ("From", "To", "Subject", "Date") if headers[h]
            ]
            base.with_suffix(".txt").write_text("\n".join(readable) + "\n\n" + message.body)
            print(
                f"[mail] to {', '.join(message.to)}: {message.subject!r} -> {base}.txt",
                file=sys.stderr,
                flush=True,
            )
        return len(email_messages)

    @classmethod
    def forget(cls, message_ids, addresses):
        """Delete the written messages with one of `message_ids`, or sent to or from one
        of `addresses` (an account's deletion: nothing of the person left under var/).

        Only the folders of mailers that are this backend: mail handed to SMTP or a
        provider has left the server.
        """
        backend = f"{cls.__module__}.{cls.__qualname__}"
        folders = [
            Path(mailer["OPTIONS"]["file_path"])
            for mailer in settings.MAILERS.values()
            if mailer.get("BACKEND") == backend
        ]
        message_ids = set(message_ids)
        addresses = {address.lower() for address in addresses if address}
        forgotten = 0
        for eml in (eml for folder in folders for eml in folder.glob("*.eml")):
            headers = BytesHeaderParser(policy=default_policy).parsebytes(eml.read_bytes())
            named = {
                address.lower()
                for _, address in getaddresses(
                    [str(headers[h]) for h in ("From", "To", "Cc", "Reply-To") if headers[h]]
                )
            }
            if str(headers["Message-ID"] or "").strip() in message_ids or named & addresses:
                eml.unlink(missing_ok=True)
                eml.with_suffix(".txt").unlink(missing_ok=True)
                forgotten += 1
        return forgotten
