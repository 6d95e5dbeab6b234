"""A HEAD request (uptime checks, link previews) answers like a GET, without the body."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "buddies", "careerplan", "journals", "personaldata", "plans", "reminders"]

pytestmark = pytest.mark.django_db


def test_head_of_the_home_page_answers_200(client):
    response = client.head("/")
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize(
    "name", ["plans-dashboard", "plans-list", "journals-today", "journals-calendar"]
)
def test_head_of_a_signed_in_page_answers_200(owner_client, name):
    assert owner_client.head(reverse(name)).status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/privacy/", "/accounts/profile/", "/accounts/data/", "/reminders/", "/plans/new/"],
)
def test_head_of_a_page_that_also_takes_a_form_answers_200(owner_client, url):
    response = owner_client.head(url)
    assert response.status_code == 200
    assert response.content == b""


def test_every_view_that_answers_get_answers_head():
    """require_GET and a method list with GET but not HEAD answer HEAD with 405."""
    wrong = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            for match in re.finditer(r"require_http_methods\((\[[^\]]*\])\)", source):
                if '"GET"' in match.group(1) and '"HEAD"' not in match.group(1):
                    wrong.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
            if re.search(r"\brequire_GET\b", source):
                wrong.append(f"{path.relative_to(ROOT)}: require_GET (use require_safe)")
    assert wrong == []
