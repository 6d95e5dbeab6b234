"""The outbox in the admin: an operator sees what needs a person and can send it again,
never a link's raw token."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from buddies.models import Notification
from buddies.outbox import sender, sweep
from tests.buddies.pipeline import (
    AFTER,
    make_step,
)
from tests.factories import UserFactory


@pytest.fixture
def rows(plan, buddyship):
    make_step(plan)
    sweep.sweep_checkups(now=AFTER)
    checkup = Notification.objects.get()
    Notification.objects.filter(pk=checkup.pk).update(
        state=Notification.State.AMBIGUOUS, message_id=f"<{checkup.code}@127.0.0.1>"
    )
    token = buddyship.new_link()
    link = Notification.objects.get(kind=Notification.Kind.LINK)
    return checkup, link, token


def test_operator_lists_the_outbox_by_state(admin_client, rows):
    response = admin_client.get(
        reverse("admin:buddies_notification_changelist"), {"state": "ambiguous"}
    )
    assert response.status_code == 200
    assert "Bea Buddy &lt;bea@example.com&gt;" in response.content.decode()


def test_operator_never_sees_a_raw_token(admin_client, rows):
    _, link, token = rows
    response = admin_client.get(reverse("admin:buddies_notification_change", args=[link.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert token not in html
    assert "(hidden)" in html


def test_send_again_resends_only_failed_and_ambiguous_rows(admin_client, rows):
    checkup, link, _ = rows
    Notification.objects.filter(pk=link.pk).update(state=Notification.State.SENT)
    response = admin_client.post(
        reverse("admin:buddies_notification_changelist"),
        {"action": "send_again", "_selected_action": [checkup.pk, link.pk]},
    )
    assert response.status_code == 302
    checkup.refresh_from_db()
    assert (checkup.state, checkup.attempts, checkup.handed_over) == ("pending", 0, None)
    # Sent again after an unknown outcome: the step's answer still reaches the buddy.
    assert checkup.resends == 1
    link.refresh_from_db()
    assert link.state == Notification.State.SENT
    assert sender.send_pending() == {"sent": 1}
    checkup.refresh_from_db()
    assert checkup.message_id == f"<{checkup.code}@127.0.0.1>"


def test_rows_cannot_be_added_or_edited_in_the_admin(admin_client, rows):
    checkup, _, _ = rows
    assert admin_client.get(reverse("admin:buddies_notification_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:buddies_notification_change", args=[checkup.pk]), {"state": "sent"}
    )
    assert response.status_code == 403
    checkup.refresh_from_db()
    assert checkup.state == Notification.State.AMBIGUOUS


def test_an_operator_who_may_only_view_the_outbox_cannot_send_again(rows):
    checkup, _, _ = rows
    viewer = UserFactory(email="viewer@example.com", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_notification"))
    client = Client()
    client.force_login(viewer)
    changelist = reverse("admin:buddies_notification_changelist")
    assert client.get(changelist).status_code == 200
    client.post(changelist, {"action": "send_again", "_selected_action": [checkup.pk]})
    checkup.refresh_from_db()
    assert checkup.state == Notification.State.AMBIGUOUS
