"""The embedded mail backend, reached the way every sender reaches it: through MAILERS."""

from django.core import mail


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
