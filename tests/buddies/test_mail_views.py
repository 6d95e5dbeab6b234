"""Pages reached from an email, with no login: one-click answers and RFC 8058 unsubscribe.
A GET changes nothing; the POST acts once; every bad link is a clear 4xx page."""

import datetime as dt

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse

from buddies import links
from buddies.models import Buddyship, Note, Notification
from buddies.outbox import rows, sender, sweep
from tests.buddies.conftest import make_buddyship
from tests.buddies.pipeline import (
    AFTER,
    make_step,
)


@pytest.fixture
def checkup(step, buddyship):
    with time_machine.travel(AFTER, tick=False):
        sweep.sweep_checkups()
        sender.send_pending()
    return Notification.objects.get(kind=Notification.Kind.CHECKUP)


def action_url(notification, action):
    return reverse("buddies-mail-action", args=[links.action_token(notification, action)])


def unsubscribe_url(buddyship):
    return reverse("buddies-mail-unsubscribe", args=[links.unsubscribe_token(buddyship)])


def assert_private(response):
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "same-origin"


# One-click answers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "heading", "button"),
    [
        ("ask", "Ask Olivia Owner how it went", "Ask how it went"),
        ("cheer", "Send Olivia Owner a cheer", "Send a cheer"),
        ("confirm", "Confirm Olivia Owner has done it", "Confirm it\u2019s done"),
    ],
)
def test_get_shows_what_the_button_will_do_and_changes_nothing(
    client, checkup, action, heading, button
):
    response = client.get(action_url(checkup, action))
    assert response.status_code == 200
    html = response.content.decode()
    assert heading in html
    assert button in html
    assert "Visit three bookshops" in html
    assert "Tuesday 10 March 2026" in html
    assert 'method="post"' in html
    assert "olivia@example.com" not in html
    assert not Note.objects.exists()
    assert_private(response)


@pytest.mark.parametrize(
    ("action", "kind"),
    [("ask", Note.Kind.ASK), ("cheer", Note.Kind.CHEER), ("confirm", Note.Kind.CONFIRM)],
)
def test_post_leaves_the_planner_a_note_about_the_step(
    client, checkup, step, buddyship, action, kind
):
    response = client.post(action_url(checkup, action), {"text": "Go on, you can do it!"})
    assert response.status_code == 200
    note = Note.objects.get()
    assert (note.buddyship, note.step, note.kind, note.text) == (
        buddyship,
        step,
        kind,
        "Go on, you can do it!",
    )
    assert "Olivia Owner will see it on their dashboard" in response.content.decode()
    assert_private(response)


@pytest.mark.parametrize("action", ["ask", "cheer"])
@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("Brilliant, Paula! Keep it up.", "“Brilliant, Paula! Keep it up.”</p>"),
        ("How did it go?", "“How did it go?”</p>"),
        ("Go on", "“Go on”.</p>"),
        ("", "on their dashboard.</p>"),
    ],
)
def test_the_confirmation_ends_with_one_full_stop(client, checkup, action, text, sentence):
    response = client.post(action_url(checkup, action), {"text": text})
    assert sentence in response.content.decode()


def test_a_note_needs_no_words(client, checkup):
    assert client.post(action_url(checkup, "cheer")).status_code == 200
    assert Note.objects.get().text == ""


def test_a_replayed_post_is_refused_and_changes_nothing(client, checkup):
    url = action_url(checkup, "cheer")
    client.post(url, {"text": "Well done"})
    response = client.post(url, {"text": "Well done"})
    assert response.status_code == 409
    assert "Already sent" in response.content.decode()
    assert Note.objects.count() == 1
    # The GET now says it was done, and offers no second button.
    html = client.get(url).content.decode()
    assert "Done: you sent a cheer from this email" in html
    assert 'method="post"' not in html


def test_each_answer_can_be_given_once_from_the_same_email(client, checkup):
    for action in ("ask", "cheer", "confirm"):
        assert client.post(action_url(checkup, action)).status_code == 200
    assert sorted(Note.objects.values_list("kind", flat=True)) == ["ask", "cheer", "confirm"]


def test_too_many_words_are_refused_and_kept(client, checkup):
    words = "x" * 501
    response = client.post(action_url(checkup, "cheer"), {"text": words})
    assert response.status_code == 422
    html = response.content.decode()
    assert words in html
    assert "Ensure this value has at most 500 characters" in html
    assert not Note.objects.exists()


def test_control_characters_are_refused_as_in_a_cheer(client, checkup):
    response = client.post(action_url(checkup, "cheer"), {"text": "Go on\x07 you can"})
    assert response.status_code == 422
    assert "Plain text only, please." in response.content.decode()
    assert not Note.objects.exists()


def test_an_altered_link_is_a_clear_400(client, checkup):
    url = action_url(checkup, "cheer")
    response = client.get(url[:-3] + "xx/")
    assert response.status_code == 400
    assert "This link doesn\u2019t work" in response.content.decode()
    assert client.post(url[:-3] + "xx/").status_code == 400
    assert not Note.objects.exists()


def test_an_expired_link_is_a_clear_410(client, checkup):
    url = action_url(checkup, "cheer")
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(days=31)):
        response = client.post(url)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert not Note.objects.exists()


@pytest.mark.parametrize("end", ["revoke", "leave"])
def test_a_buddy_no_longer_active_cannot_answer(client, checkup, buddyship, end):
    url = action_url(checkup, "cheer")
    getattr(buddyship, end)()
    for response in (client.get(url), client.post(url, {"text": "Hi"})):
        assert response.status_code == 410
        assert "You are no longer Olivia Owner\u2019s buddy" in response.content.decode()
    assert not Note.objects.exists()


@pytest.mark.parametrize("action", ["ask", "cheer"])
def test_an_answer_after_the_planners_account_was_deleted_is_a_410(client, checkup, owner, action):
    url = action_url(checkup, action)
    owner.delete()
    for response in (client.get(url), client.post(url, {"text": "Hi"})):
        assert response.status_code == 410
        html = response.content.decode()
        assert "This link no longer works" in html
        assert "the account was closed" in html
        assert "cut short" not in html
        assert_private(response)
    assert not Note.objects.exists()


def test_an_answer_about_a_plan_no_longer_shared_is_refused(client, checkup, buddyship):
    url = action_url(checkup, "cheer")
    buddyship.plans.clear()
    response = client.post(url)
    assert response.status_code == 410
    assert "no longer shares this plan with you" in response.content.decode()
    assert not Note.objects.exists()


def test_an_answer_the_email_did_not_offer_is_refused(client, plan, buddyship):
    celebration = rows.enqueue(Notification.Kind.CELEBRATION, buddyship, "k", step=make_step(plan))
    assert client.post(action_url(celebration, "cheer")).status_code == 200
    response = client.post(action_url(celebration, "confirm"))
    assert response.status_code == 400
    assert Note.objects.count() == 1


def test_a_commitment_cheer_is_about_no_single_step(client, plan, buddyship):
    commitment = rows.enqueue(Notification.Kind.COMMITMENT, buddyship, "k", payload={})
    assert client.post(action_url(commitment, "cheer")).status_code == 200
    assert Note.objects.get().step is None


def test_answer_page_needs_a_csrf_token_like_every_form(checkup):
    client = Client(enforce_csrf_checks=True)
    url = action_url(checkup, "cheer")
    assert client.post(url).status_code == 403
    client.get(url)
    token = client.cookies["csrftoken"].value
    assert client.post(url, {"csrfmiddlewaretoken": token}).status_code == 200


def test_answer_page_refuses_other_methods(client, checkup):
    assert client.put(action_url(checkup, "cheer")).status_code == 405


def test_a_link_checker_s_head_request_changes_nothing(client, checkup, buddyship):
    """Mail scanners and link previews send HEAD: it answers like GET and acts on nothing."""
    assert client.head(action_url(checkup, "cheer")).status_code == 200
    assert client.head(unsubscribe_url(buddyship)).status_code == 200
    assert not Note.objects.exists()
    buddyship.refresh_from_db()
    assert buddyship.is_live
    assert buddyship.unsubscribed is None


def test_a_dropped_step_cannot_be_confirmed_done_from_an_old_email(client, checkup, step):
    step.mark_dropped("Not for me after all")
    confirm = action_url(checkup, "confirm")
    for response in (client.get(confirm), client.post(confirm, {"text": "well done"})):
        assert response.status_code == 409
        assert "dropped this step, so there is nothing to confirm" in response.text
    assert not Note.objects.exists()
    # A cheer, or asking how it went, still fits a dropped step.
    assert client.post(action_url(checkup, "cheer"), {"text": "Onwards"}).status_code == 200


def test_an_answer_about_an_archived_plan_is_refused(client, checkup, plan):
    plan.archive()
    for action in ("ask", "cheer", "confirm"):
        response = client.post(action_url(checkup, action), {"text": "Hello?"})
        assert response.status_code == 410
        assert "has archived this plan, so nothing was sent" in response.text
    assert not Note.objects.exists()


def test_a_drop_between_the_page_and_the_press_is_seen_under_the_lock(checkup, step):
    """The rule is checked again inside record_answer's transaction, on the step as it
    is then, not as the page loaded it."""
    step.mark_dropped()
    with pytest.raises(Notification.AnswerRefused) as refused:
        checkup.record_answer("confirm", "well done")
    assert refused.value.refusal == Notification.Refusal.STALE
    assert checkup.record_answer("ask", "How did it go?") is not None


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (lambda buddyship, plan: buddyship.revoke(), Notification.Refusal.ENDED),
        (lambda buddyship, plan: buddyship.plans.clear(), Notification.Refusal.NOT_SHARED),
        (lambda buddyship, plan: plan.archive(), Notification.Refusal.ARCHIVED),
        (
            lambda buddyship, plan: (
                type(plan.owner).objects.filter(pk=plan.owner_id).update(is_active=False)
            ),
            Notification.Refusal.ENDED,
        ),
    ],
    ids=["revoked", "unshared", "archived", "planner-deactivated"],
)
def test_every_refusal_is_seen_again_under_the_lock(checkup, buddyship, plan, change, refusal):
    """A change committed between the answer page and the press is seen by record_answer:
    the page's copy of the rows is not what decides."""
    assert checkup.answer_refusal("cheer") is None
    change(buddyship, plan)
    with pytest.raises(Notification.AnswerRefused) as refused:
        checkup.record_answer("cheer", "Go on")
    assert refused.value.refusal == refusal
    assert not Note.objects.exists()


def test_answer_page_works_for_a_signed_in_stranger_too(stranger_client, checkup):
    # The link, not the session, authorises: a buddy may open it on a shared computer.
    assert stranger_client.post(action_url(checkup, "ask")).status_code == 200


# Unsubscribe ----------------------------------------------------------------------------


def test_unsubscribe_get_asks_and_changes_nothing(client, buddyship):
    response = client.get(unsubscribe_url(buddyship))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stop the emails about Olivia Owner?" in html
    assert '<button type="submit"' in html
    buddyship.refresh_from_db()
    assert buddyship.unsubscribed is None
    assert_private(response)


def test_one_click_unsubscribe_needs_no_cookie_or_csrf_token(buddyship):
    # What a mail client sends (RFC 8058): a bare POST with this body.
    client = Client(enforce_csrf_checks=True)
    with time_machine.travel(AFTER, tick=False):
        response = client.post(
            unsubscribe_url(buddyship),
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 200
    assert "You won\u2019t get more emails about Olivia Owner" in response.content.decode()
    buddyship.refresh_from_db()
    assert buddyship.unsubscribed == AFTER


def test_a_buddy_who_unsubscribed_can_turn_the_emails_back_on(client, buddyship, owner_client):
    url = unsubscribe_url(buddyship)
    client.post(url)
    # The planner's list says so at once (the page is not served stale from the cache).
    assert "they asked for no emails about you" in owner_client.get(reverse("buddies-list")).text
    page = client.get(url).text
    assert "Send me the emails again" in page
    response = client.post(url, {"resubscribe": "1"})
    assert response.status_code == 200
    assert "The emails about Olivia Owner are on again" in response.text
    buddyship.refresh_from_db()
    assert buddyship.unsubscribed is None
    assert (
        "they asked for no emails about you" not in owner_client.get(reverse("buddies-list")).text
    )


def test_a_replayed_unsubscribe_is_harmless(client, buddyship):
    url = unsubscribe_url(buddyship)
    with time_machine.travel(AFTER, tick=False):
        client.post(url)
    with time_machine.travel(AFTER + dt.timedelta(days=1), tick=False):
        response = client.post(url)
    assert response.status_code == 200
    buddyship.refresh_from_db()
    assert buddyship.unsubscribed == AFTER


def test_unsubscribed_buddy_gets_no_more_checkups(client, plan, buddyship):
    client.post(unsubscribe_url(buddyship))
    make_step(plan)
    with time_machine.travel(AFTER, tick=False):
        assert sweep.sweep_checkups() == 0
        assert sender.send_pending() == {}


def test_a_bad_unsubscribe_link_is_a_clear_400(client, buddyship):
    url = unsubscribe_url(buddyship)
    response = client.post(url[:-3] + "xx/")
    assert response.status_code == 400
    assert "This link doesn\u2019t work" in response.content.decode()
    buddyship.refresh_from_db()
    assert buddyship.unsubscribed is None


def test_an_answer_link_does_not_unsubscribe(client, checkup, buddyship):
    token = links.action_token(checkup, "cheer")
    response = client.post(reverse("buddies-mail-unsubscribe", args=[token]))
    assert response.status_code == 400
    assert not Buddyship.objects.filter(unsubscribed__isnull=False).exists()


def deactivate(user):
    user.is_active = False
    user.save(update_fields=["is_active"])


ENDINGS = {
    "revoked by the planner": lambda buddyship: buddyship.revoke(),
    "left by the buddy": lambda buddyship: buddyship.leave(),
    "invitation declined": lambda buddyship: Buddyship.objects.filter(pk=buddyship.pk).update(
        status=Buddyship.Status.DECLINED
    ),
    "planner's account closed": lambda buddyship: deactivate(buddyship.planner),
    "buddy's account closed": lambda buddyship: deactivate(buddyship.user),
    "planner's account deleted": lambda buddyship: buddyship.planner.delete(),
}


@pytest.mark.parametrize("ending", ENDINGS.values(), ids=ENDINGS.keys())
def test_unsubscribe_after_the_buddyship_ended_is_a_410_without_its_details(
    client, buddyship, ending
):
    url = unsubscribe_url(buddyship)
    ending(buddyship)
    response = client.get(url)
    assert response.status_code == 410
    html = response.content.decode()
    assert "This link no longer works" in html
    assert "nothing to unsubscribe from" in html
    assert "Career Change Buddy" not in html
    assert buddyship.email not in html
    assert '<button type="submit"' not in html
    assert_private(response)


@pytest.mark.parametrize("ending", ENDINGS.values(), ids=ENDINGS.keys())
def test_one_click_unsubscribe_after_the_buddyship_ended_is_a_harmless_200(buddyship, ending):
    """A mail client that posts late gets a 2xx (RFC 8058), so it does not retry."""
    url = unsubscribe_url(buddyship)
    ending(buddyship)
    client = Client(enforce_csrf_checks=True)
    for _ in range(2):
        response = client.post(
            url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 200
        assert buddyship.email not in response.content.decode()
    assert not Buddyship.objects.filter(unsubscribed__isnull=False).exists()


def test_an_invitations_unsubscribe_link_works_before_it_is_answered(client, owner, plan):
    invited = make_buddyship(owner, [plan], status=Buddyship.Status.INVITED)
    url = unsubscribe_url(invited)
    assert client.get(url).status_code == 200
    assert client.post(url).status_code == 200
    invited.refresh_from_db()
    assert invited.unsubscribed is not None


def test_unsubscribe_refuses_other_methods(client, buddyship):
    assert client.delete(unsubscribe_url(buddyship)).status_code == 405


def test_a_forged_unsubscribe_for_another_buddyship_is_refused(client, buddyship):
    token = links.unsubscribe_token(buddyship)
    _, stamp, signature = token.split(":")
    forged = signing.dumps({"b": "00000000-0000-0000-0000-000000000000"}).split(":")[0]
    response = client.post(
        reverse("buddies-mail-unsubscribe", args=[f"{forged}:{stamp}:{signature}"])
    )
    assert response.status_code == 400
