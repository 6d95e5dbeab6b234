import re

import pytest
from django.test import Client
from django.utils import timezone

from careerplan.models import Heartbeat
from careerplan.tasks import heartbeat
from tests.factories import UserFactory


def test_every_page_carries_a_csp_with_a_nonce_and_no_unsafe_inline(client, db):
    response = client.get("/")
    policy = response["Content-Security-Policy"]
    assert "'nonce-" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    nonce = policy.split("'nonce-")[1].split("'")[0]
    body = response.content.decode()
    # Every <script> tag is a file from static/ or carries this response's nonce.
    for tag in re.findall(r"<script[^>]*>", body):
        assert "src=" in tag or f'nonce="{nonce}"' in tag, tag
    assert " style=" not in body


def test_unknown_page_is_a_styled_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "find that page" in response.content.decode()


def test_heartbeat_records_each_run(db):
    heartbeat()
    heartbeat()
    beat = Heartbeat.objects.get(name="heartbeat")
    assert beat.runs == 2
    assert (timezone.now() - beat.last_run).total_seconds() < 60


def test_two_first_heartbeats_at_once_count_two(db, monkeypatch):
    """Another worker makes the row between this one's UPDATE (which found none) and its
    own insert: both runs are counted."""
    make = Heartbeat.objects.bulk_create

    def other_worker_first(rows, **kwargs):
        Heartbeat.objects.create(name="heartbeat", last_run=timezone.now(), runs=1)
        return make(rows, **kwargs)

    monkeypatch.setattr(Heartbeat.objects, "bulk_create", other_worker_first)
    heartbeat()
    assert Heartbeat.objects.get(name="heartbeat").runs == 2


@pytest.mark.parametrize(("is_staff", "status"), [(True, 200), (False, 302)])
def test_status_page_is_for_staff_only(db, is_staff, status):
    client = Client()
    client.force_login(UserFactory(is_staff=is_staff))
    response = client.get("/status/")
    assert response.status_code == status


def test_status_page_shows_the_last_heartbeat_broker_and_database(db):
    heartbeat()
    client = Client()
    client.force_login(UserFactory(is_staff=True))
    body = client.get("/status/").content.decode()
    assert "1 run" in body
    assert "Broker" in body
    assert "Database" in body


def test_status_page_rejects_post(db):
    client = Client()
    client.force_login(UserFactory(is_staff=True))
    assert client.post("/status/").status_code == 405
