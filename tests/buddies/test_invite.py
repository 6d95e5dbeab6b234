"""The planner's buddies page: inviting, re-sending, revoking, links, sharing settings."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.formats import date_format

from buddies import links
from buddies.models import INVITATIONS_PER_DAY, Buddyship, Notification, ShareLink
from buddies.outbox import sender
from careerplan.tokens import hash_token
from tests.buddies.conftest import make_buddyship, make_link
from tests.buddies.pipeline import html_of
from tests.factories import PlanFactory
from tests.refusals import message_beside

LIST = reverse("buddies-list")
INVITE = reverse("buddies-invite")


def invite_data(plan, **overrides):
    return {
        "name": "Bea Buddy",
        "email": "bea@example.com",
        "message": "Keep me honest, please!\nSee you soon.",
        "plans": [str(plan.code)],
        "celebrations": "on",
        **overrides,
    }


def test_buddies_page_offers_the_planners_own_active_plans(owner_client, plan, other_plan):
    archived = PlanFactory(owner=plan.owner, goal="An archived goal", status="archived")
    PlanFactory(goal="Someone else's goal")

    response = owner_client.get(LIST)

    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.fields["plans"].queryset) == {plan, other_plan}
    assert archived.goal not in response.text
    assert "Someone else's goal" not in response.text
    assert form.initial.get("share_journal") in (None, False)
    assert form["celebrations"].value() is True
    assert form["digest"].value() is False


def test_buddies_page_without_plans_asks_for_a_plan_first(owner_client):
    response = owner_client.get(LIST)

    assert "Write a plan first" in response.text
    assert 'id="invite-form"' not in response.text


def test_buddies_page_redirects_anonymous_to_login(client):
    response = client.get(LIST)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_invite_get_leads_to_the_invite_form_on_the_buddies_page(owner_client, plan):
    response = owner_client.get(INVITE)

    assert response.status_code == 302
    assert response.url == LIST + "#invite"
    page = owner_client.get(response.url).text
    assert page.index('id="invite"') < page.index('id="invite-form"')
    assert owner_client.head(INVITE).status_code == 302


def test_invite_rejects_other_methods(owner_client):
    assert owner_client.put(INVITE).status_code == 405
    assert owner_client.delete(INVITE).status_code == 405


def test_invite_get_redirects_anonymous_to_login(client):
    response = client.get(INVITE)

    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_invite_creates_an_invitation_with_a_hashed_single_use_token(owner, owner_client, plan):
    with time_machine.travel(
        datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.UTC), tick=False
    ):
        response = owner_client.post(INVITE, invite_data(plan))

    assert response.status_code == 302
    assert response.url == LIST
    buddyship = Buddyship.objects.get(planner=owner)
    assert buddyship.status == Buddyship.Status.INVITED
    assert buddyship.name == "Bea Buddy"
    assert buddyship.message == "Keep me honest, please!\nSee you soon."
    assert list(buddyship.plans.all()) == [plan]
    assert buddyship.share_journal is False
    assert buddyship.celebrations is True
    assert buddyship.digest is False
    assert buddyship.invite_expires == datetime.datetime(2026, 12, 8, 12, 0, tzinfo=datetime.UTC)
    notification = Notification.objects.get(buddyship=buddyship)
    assert notification.kind == Notification.Kind.INVITATION
    token = notification.payload["secret"]
    # At least 128 random bits, and only the hash is stored on the buddyship.
    assert len(token) >= 43
    assert buddyship.invite_token_hash == hash_token(token)
    assert token not in buddyship.invite_token_hash


def test_invitation_email_lists_the_plans_and_what_is_committed_to_from_today(
    owner, owner_client, plan
):
    today = owner.local_today()
    plan.add_step("Call Ana about the shop", today + datetime.timedelta(days=4))
    plan.add_step("Undated idea")
    plan.add_step("Ring the bank", today + datetime.timedelta(days=2)).mark_done()
    plan.add_step("Visit the fair", today - datetime.timedelta(days=1))

    owner_client.post(INVITE, invite_data(plan))
    assert sender.send_pending() == {"sent": 1}

    [message] = mail.outbox
    for body in (message.body, html_of(message)):
        assert f"Their goal: {plan.goal}" in body.replace("<strong>", "").replace("</strong>", "")
        assert f"target date: {date_format(plan.target_date, 'j F Y')}" in body
        assert (
            "Call Ana about the shop, by "
            + date_format(today + datetime.timedelta(days=4), "l j F Y")
            in body
        )
        for left_out in ("Undated idea", "Ring the bank", "Visit the fair"):
            assert left_out not in body


def assert_refused(response, field, message):
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert message in response.text
    assert not Buddyship.objects.exists()
    assert not Notification.objects.exists()


def test_invite_refuses_an_invalid_email_and_keeps_what_was_typed(owner_client, plan):
    response = owner_client.post(INVITE, invite_data(plan, email="bea-at-example"))

    assert_refused(response, "email", "Enter a valid email address.")
    assert 'value="bea-at-example"' in response.text
    # The form is under the list of buddies: the page opens with the cursor in it.
    [field] = re.findall(r"<input[^>]*name=\"email\"[^>]*>", response.text)
    assert "autofocus" in field
    assert 'value="Bea Buddy"' in response.text
    assert "Keep me honest, please!" in response.text


def test_invite_refuses_the_planners_own_address_in_any_case(owner_client, plan):
    response = owner_client.post(INVITE, invite_data(plan, email="OLIVIA@example.com"))

    assert_refused(response, "email", "That is your own address")


@pytest.mark.parametrize(
    ("status", "says"),
    [
        (Buddyship.Status.INVITED, "You have already invited Bea: re-send the invitation"),
        (Buddyship.Status.ACTIVE, "Bea is already your buddy: change what they see"),
    ],
)
def test_invite_refuses_an_address_already_invited_or_active(
    owner, owner_client, plan, status, says
):
    make_buddyship(owner, [plan], email="bea@example.com", name="Bea", status=status)

    response = owner_client.post(INVITE, invite_data(plan, email="Bea@Example.com"))

    assert response.status_code == 422
    assert says in response.text
    assert Buddyship.objects.count() == 1
    assert not Notification.objects.exists()


def test_invite_accepts_an_address_whose_earlier_buddyship_ended(owner, owner_client, plan):
    make_buddyship(owner, [plan], email="bea@example.com", status=Buddyship.Status.REVOKED)

    response = owner_client.post(INVITE, invite_data(plan))

    assert response.status_code == 302
    assert Buddyship.objects.live().count() == 1


def test_a_planner_invites_at_most_ten_people_a_day(owner_client, plan):
    start = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        for number in range(INVITATIONS_PER_DAY):
            response = owner_client.post(INVITE, invite_data(plan, email=f"f{number}@example.com"))
            assert response.status_code == 302

        response = owner_client.post(INVITE, invite_data(plan, email="one-more@example.com"))
        assert response.status_code == 422
        assert "You have invited 10 people in the last 24 hours" in " ".join(
            response.context["form"].errors["email"]
        )
        assert 'value="one-more@example.com"' in response.text
        assert Buddyship.objects.count() == INVITATIONS_PER_DAY
        assert Notification.objects.count() == INVITATIONS_PER_DAY

        clock.shift(datetime.timedelta(days=1))
        response = owner_client.post(INVITE, invite_data(plan, email="one-more@example.com"))
        assert response.status_code == 302


def test_same_address_can_be_buddy_to_several_planners(owner_client, stranger, plan):
    make_buddyship(stranger, [PlanFactory(owner=stranger)], email="bea@example.com")

    response = owner_client.post(INVITE, invite_data(plan))

    assert response.status_code == 302
    assert Buddyship.objects.filter(email="bea@example.com").count() == 2


@pytest.mark.parametrize(
    "name",
    [
        "Bea\r\nBcc: victim@example.com",
        "Bea\nBuddy",
        "Bea\x0bBuddy",
        "Bea \u202eyddub",
        "Bea\u2066x",
    ],
)
def test_invite_refuses_line_breaks_in_a_name(owner_client, plan, name):
    response = owner_client.post(INVITE, invite_data(plan, name=name))

    assert_refused(response, "name", "A name is one line")


def test_invite_refuses_header_injection_in_the_email(owner_client, plan):
    response = owner_client.post(
        INVITE, invite_data(plan, email="bea@example.com\nBcc: victim@example.com")
    )

    assert response.status_code == 422
    assert "email" in response.context["form"].errors
    assert not Buddyship.objects.exists()


def test_invite_keeps_line_breaks_in_the_message_as_body_text(owner, owner_client, plan):
    message = "Hi Bea,\r\nSubject: not a header\r\nBcc: nobody@example.com"

    owner_client.post(INVITE, invite_data(plan, message=message))

    buddyship = Buddyship.objects.get(planner=owner)
    assert buddyship.message == "Hi Bea,\nSubject: not a header\nBcc: nobody@example.com"


def test_invite_refuses_control_characters_in_the_message(owner_client, plan):
    response = owner_client.post(INVITE, invite_data(plan, message="Hi\x1b[31m"))

    assert_refused(response, "message", "special characters")


def test_invite_refuses_another_persons_plan(owner_client, plan, stranger):
    theirs = PlanFactory(owner=stranger)

    response = owner_client.post(INVITE, invite_data(plan, plans=[str(theirs.code)]))

    assert_refused(response, "plans", "Choose among your own plans.")


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("name", "Give your buddy's name, so your emails can greet them."),
        ("email", "Give your buddy's email address: the invitation goes there."),
    ],
)
def test_invite_asks_for_a_missing_name_or_address_in_words(owner_client, plan, field, message):
    response = owner_client.post(INVITE, invite_data(plan, **{field: ""}))

    assert response.status_code == 422
    assert message_beside(response.text, field) == message
    assert "This field is required." not in response.text
    assert not Buddyship.objects.exists()


def test_invite_refuses_a_garbled_plan_code(owner_client, plan):
    response = owner_client.post(INVITE, invite_data(plan, plans=["not-a-uuid"]))

    assert_refused(response, "plans", "Choose among your own plans.")


def test_invite_needs_at_least_one_plan(owner_client, plan):
    response = owner_client.post(INVITE, invite_data(plan, plans=[]))

    assert_refused(response, "plans", "Choose at least one plan to share.")


def test_invite_refuses_without_csrf_token(owner, plan):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)

    response = client.post(INVITE, invite_data(plan))

    assert response.status_code == 403
    assert not Buddyship.objects.exists()


def test_resend_replaces_the_token_so_the_old_link_stops_working(owner, owner_client, plan):
    start = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        owner_client.post(INVITE, invite_data(plan))
    buddyship = Buddyship.objects.get()
    old = Notification.objects.get().payload["secret"]

    with time_machine.travel(start + datetime.timedelta(days=3), tick=False):
        response = owner_client.post(reverse("buddies-resend", args=[buddyship.code]))

    assert response.status_code == 302
    assert Notification.objects.filter(kind=Notification.Kind.INVITATION).count() == 2
    buddyship.refresh_from_db()
    assert buddyship.invite_token_hash != hash_token(old)
    assert buddyship.invite_expires == start + datetime.timedelta(days=17)
    assert owner_client.get(reverse("buddies-invitation", args=[old])).status_code == 404


def test_resend_a_moment_later_sends_nothing_more(owner, owner_client, plan):
    owner_client.post(INVITE, invite_data(plan))
    buddyship = Buddyship.objects.get()

    response = owner_client.post(reverse("buddies-resend", args=[buddyship.code]), follow=True)

    assert Notification.objects.count() == 1
    assert "was sent less than 2 minutes ago: you can send it again after that" in response.text


def test_resend_to_someone_who_unsubscribed_keeps_their_link_and_says_why(
    owner, owner_client, plan
):
    start = datetime.datetime(2026, 11, 24, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        owner_client.post(INVITE, invite_data(plan))
    buddyship = Buddyship.objects.get()
    token = Notification.objects.get().payload["secret"]
    unsubscribe = reverse("buddies-mail-unsubscribe", args=[links.unsubscribe_token(buddyship)])

    with time_machine.travel(start + datetime.timedelta(days=1), tick=False):
        page = Client().get(unsubscribe)
        assert "has invited you to be their Career Change Buddy" in page.text
        assert "still works until 8 December 2026" in page.text
        Client().post(unsubscribe)
        listing = owner_client.get(reverse("buddies-list"))
        assert "none: they asked for no emails about you" in listing.text
        response = owner_client.post(reverse("buddies-resend", args=[buddyship.code]), follow=True)

    assert "asked for no more emails from careerplan about you" in response.text
    assert "works until 8 December 2026" in response.text
    assert Notification.objects.filter(kind=Notification.Kind.INVITATION).count() == 1
    # The link they have still opens the invitation.
    assert Client().get(reverse("buddies-invitation", args=[token])).status_code == 200

    # Opened again, the page still speaks of the invitation, not of check-ups.
    again = Client().get(unsubscribe).text
    assert "Nothing more about Olivia Owner\u2019s invitation will be sent" in again
    assert "check-ups" not in again.lower()

    # They change their mind: the emails are on again, and a re-send goes out.
    on = Client().post(unsubscribe, {"resubscribe": "1"}).text
    assert "Olivia Owner can send the invitation to" in on
    buddyship.refresh_from_db()
    assert buddyship.unsubscribed is None


def test_withdrawing_an_invitation_says_so(owner, owner_client, plan):
    invited = make_buddyship(owner, [plan], name="Fay", status=Buddyship.Status.INVITED)
    invited.issue_invitation()

    response = owner_client.post(reverse("buddies-revoke", args=[invited.code]), follow=True)

    assert "Invitation to Fay withdrawn: its link no longer works." in response.text
    assert "no longer your buddy" not in response.text


def test_resend_of_an_accepted_invitation_sends_nothing(owner_client, buddyship):
    owner_client.post(reverse("buddies-resend", args=[buddyship.code]))

    assert not Notification.objects.exists()


def test_revoke_asks_first_then_ends_the_buddyship_and_its_links(owner_client, owner, plan):
    follower = make_buddyship(owner, [plan])
    token = make_link(follower)
    url = reverse("buddies-revoke", args=[follower.code])

    confirm = owner_client.get(url)
    assert confirm.status_code == 200
    assert "Remove Fern Follower as your buddy?" in confirm.text
    follower.refresh_from_db()
    assert follower.status == Buddyship.Status.ACTIVE

    response = owner_client.post(url)

    assert response.status_code == 302
    follower.refresh_from_db()
    assert follower.status == Buddyship.Status.REVOKED
    assert follower.ended is not None
    assert ShareLink.objects.get().revoked is not None
    assert Client().get(reverse("buddies-link-progress", args=[token])).status_code == 410


def test_rotate_link_kills_the_old_one_and_mails_the_new(owner_client, owner, plan):
    follower = make_buddyship(owner, [plan])
    old = make_link(follower)

    response = owner_client.post(reverse("buddies-link-rotate", args=[follower.code]))

    assert response.status_code == 302
    notification = Notification.objects.get(kind=Notification.Kind.LINK)
    new = notification.payload["secret"]
    assert new != old
    anonymous = Client()
    assert anonymous.get(reverse("buddies-link-progress", args=[old])).status_code == 410
    assert anonymous.get(reverse("buddies-link-progress", args=[new])).status_code == 200
    assert ShareLink.objects.filter(buddyship=follower, revoked__isnull=True).count() == 1
    # The new link's email says the old one stopped working; a first link's does not.
    assert notification.payload["replaces"] is True


def test_a_first_link_s_email_mentions_no_earlier_link(owner, plan):

    follower = make_buddyship(owner, [plan])
    follower.new_link()
    notification = Notification.objects.get(kind=Notification.Kind.LINK)
    assert notification.payload["replaces"] is False
    sender.send_pending()
    [message] = mail.outbox
    assert "earlier link" not in message.body
    assert "earlier link" not in html_of(message)


def test_revoke_link_turns_it_off(owner_client, owner, plan):
    follower = make_buddyship(owner, [plan])
    token = make_link(follower)

    owner_client.post(reverse("buddies-link-revoke", args=[follower.code]))

    assert Client().get(reverse("buddies-link-progress", args=[token])).status_code == 410
    follower.refresh_from_db()
    assert follower.status == Buddyship.Status.ACTIVE


def test_edit_changes_what_a_buddy_sees(owner_client, buddyship, plan, other_plan):
    url = reverse("buddies-edit", args=[buddyship.code])

    response = owner_client.post(
        url, {"plans": [str(other_plan.code)], "share_journal": "on", "celebrations": ""}
    )

    assert response.status_code == 302
    buddyship.refresh_from_db()
    assert list(buddyship.plans.all()) == [other_plan]
    assert buddyship.share_journal is True
    assert buddyship.celebrations is False


def test_edit_refuses_another_persons_plan_and_saves_nothing(owner_client, buddyship, stranger):
    theirs = PlanFactory(owner=stranger)

    response = owner_client.post(
        reverse("buddies-edit", args=[buddyship.code]),
        {"plans": [str(theirs.code)], "share_journal": "on"},
    )

    assert response.status_code == 422
    assert "Choose among your own plans." in response.text
    buddyship.refresh_from_db()
    assert buddyship.share_journal is False


@pytest.mark.parametrize(
    "name", ["buddies-edit", "buddies-revoke", "buddies-resend", "buddies-link-rotate"]
)
def test_planner_actions_are_404_for_a_stranger(stranger_client, buddyship, name):
    response = stranger_client.post(reverse(name, args=[buddyship.code]))

    assert response.status_code == 404
    buddyship.refresh_from_db()
    assert buddyship.status == Buddyship.Status.ACTIVE


def test_edit_with_nothing_ticked_asks_for_a_plan(owner_client, buddyship, plan):
    response = owner_client.post(reverse("buddies-edit", args=[buddyship.code]), {})

    assert response.status_code == 422
    assert "Choose at least one plan to share." in response.text
    assert list(buddyship.plans.all()) == [plan]


@pytest.mark.parametrize("count", [3, 60])
def test_buddies_page_query_count_is_fixed(
    owner, owner_client, plan, django_assert_max_num_queries, count
):
    for n in range(count):
        buddyship = make_buddyship(owner, [plan], email=f"b{n}@example.com", status="invited")
        make_link(buddyship)
    for n in range(count):
        make_buddyship(owner, [plan], email=f"old{n}@example.com", status="declined")

    with django_assert_max_num_queries(14):
        response = owner_client.get(LIST)

    assert response.status_code == 200
    assert len(response.context["live"]) == count


def test_a_single_plan_comes_ticked(owner_client, plan):
    response = owner_client.get(LIST)

    assert response.context["form"]["plans"].value() == [plan.code]
