"""Email helpers shared by every app: absolute links, multipart messages from templates,
and the development backend that writes each message where a person can read it."""

import re
import sys
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
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


class FileAndConsoleBackend(BaseEmailBackend):
    """Write every message to var/mail/ as .eml (raw) and .txt (readable), and say so.

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
            raw = message.message()
            base.with_suffix(".eml").write_bytes(raw.as_bytes())
            readable = [f"{h}: {raw[h]}" for h in ("From", "To", "Subject", "Date") if raw[h]]
            base.with_suffix(".txt").write_text("\n".join(readable) + "\n\n" + message.body)
            print(
                f"[mail] to {', '.join(message.to)}: {message.subject!r} -> {base}.txt",
                file=sys.stderr,
                flush=True,
            )
        return len(email_messages)
