"""A HEAD request (uptime checks, link previews) answers like a GET, without the body."""

import pytest
from django.urls import reverse

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
