"""allauth's pages speak as the rest of the site does (locale/en/LC_MESSAGES): sentence
case, and no "contact us" the site does not offer."""

import gettext
import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import UserFactory

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES"

pytestmark = pytest.mark.django_db


def test_sign_in_and_sign_up(client):
    login = client.get(reverse("account_login")).text
    assert ">Sign in<" in login.replace("\n", "").replace("  ", "")
    assert "Keep me signed in" in login
    for words in ("Sign In", "Remember Me", "then please"):
        assert words not in login
    signup = client.get(reverse("account_signup")).text
    assert "Sign Up" not in signup
    assert "Already have an account?" in signup


def test_password_reset_promises_no_contact(client):
    page = client.get(reverse("account_reset_password")).text
    assert "Reset your password" in page
    assert "Send me a reset link" in page
    assert "contact us" not in page.lower()
    done = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert "contact us" not in client.get(done["Location"]).text.lower()


def test_reauthentication_asks_in_plain_words(client):
    client.force_login(UserFactory())
    page = client.get(reverse("account_reauthenticate")).text
    assert "Confirm it\u2019s you" in page
    assert "reauthenticate" not in page.replace("/reauthenticate/", "")


def test_the_compiled_words_match_their_source():
    """django.mo is committed beside django.po (`msgfmt -o django.mo django.po`): every
    entry of the source is in the compiled file, word for word."""
    source = (LOCALE / "django.po").read_text(encoding="utf-8")
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', source, flags=re.MULTILINE)
    assert len(pairs) > 10
    with (LOCALE / "django.mo").open("rb") as compiled:
        words = gettext.GNUTranslations(compiled)
    for msgid, msgstr in pairs:
        assert words.gettext(msgid) == msgstr
