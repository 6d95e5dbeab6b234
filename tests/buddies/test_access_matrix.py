"""Who gets what, over every plan, journal and buddy URL.

Roles: the owner; an active buddy of the plan; a buddy of another plan of the same
planner; a buddy of another planner; a revoked buddy; a stranger; anonymous; the holder
of a private progress link; the holder of a revoked link; a deactivated buddy (an active
buddy of the plan whose account was then deactivated); a deactivated planner (another
planner, deactivated, with a buddy still active and a live private link) and that
planner's buddy. A deactivated account counts as gone: its session signs no one in, and
nothing of a deactivated planner is shown to their buddies or through their links.

Plan and journal URLs are found by walking the URL configuration, so a page added later
is covered without editing this file: every one is owner-only, and for everyone else a
GET or a forged POST (full page or htmx) is 404 (or 405 for a method the view does not
take), and the owner's data is left exactly as it was.
"""

import datetime
import re
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from buddies import links
from buddies.models import Buddyship, Note, Notification
from journals.models import JournalEntry
from plans.models import GrowSession, Obstacle, Option, Plan, Step, StepEvent
from tests.buddies.conftest import client_for, make_buddyship, make_link
from tests.factories import (
    GrowSessionFactory,
    ObstacleFactory,
    OptionFactory,
    PlanFactory,
    StepFactory,
    UserFactory,
)

LOGGED_IN_OUTSIDERS = [
    "buddy",
    "other_plan_buddy",
    "other_planner_buddy",
    "revoked_buddy",
    "stranger",
    "deactivated_planners_buddy",
]
# A deactivated account's session is a signed-out one.
DEACTIVATED = ["deactivated_buddy", "deactivated_planner"]
ANONYMOUS = ["anonymous", "link_holder", "revoked_link_holder", *DEACTIVATED]
ALL_BUT_OWNER = LOGGED_IN_OUTSIDERS + ANONYMOUS
EVERYONE = [*ALL_BUT_OWNER, "owner"]

# Which object a `code` in a path names, by the path's leading segments.
CODE_KINDS = [
    (r"^plans/<uuid:code>/", "plan"),
    (r"^steps/<uuid:code>/", "step"),
    (r"^tree/<uuid:code>/", "step"),
    (r"^grow/obstacles/<uuid:code>/", "obstacle"),
    (r"^grow/options/<uuid:code>/", "option"),
    (r"^grow/<uuid:code>/", "grow"),
    (r"^journal/<uuid:code>/", "journal"),
]


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern.name, pattern.callback.__module__


TOKEN_URLS = []


def owner_urls():
    """(name, route, kind) of every plans and journals URL; kind None if it has no code."""
    found = []
    for route, name, module in walk(get_resolver().url_patterns):
        if not module.startswith(("plans.", "journals.")):
            continue
        if "<str:token>" in route:
            # A feed addressed by its secret token, not by an owner's session: the token
            # is the key (tests/plans/test_calendar_feed.py covers who it opens to).
            TOKEN_URLS.append(name)
            continue
        kind = None
        if "<" in route:
            kind = next((k for regex, k in CODE_KINDS if re.match(regex, route)), "unknown")
        found.append((name, route, kind))
    return sorted(found)


OWNER_URLS = owner_urls()
CODE_URLS = [(name, kind) for name, route, kind in OWNER_URLS if kind]
PLAIN_URLS = [name for name, route, kind in OWNER_URLS if not kind]


def test_the_matrix_covers_the_plan_pages_being_built():
    assert TOKEN_URLS == ["plans-calendar-feed"]
    names = {name for name, kind in CODE_URLS}
    assert {"plans-detail", "plans-wallchart", "plans-tree", "plans-grow-list"} <= names
    assert not [name for name, kind in CODE_URLS if kind == "unknown"], (
        "A plan or journal URL takes a code this matrix cannot place: add it to CODE_KINDS."
    )


@dataclass
class World:
    owner: object
    plan: object
    objects: dict
    clients: dict
    buddyships: dict
    link: str
    revoked_link: str
    gone_link: str
    secret_text: str


@pytest.fixture
def world(db):
    owner = UserFactory(display_name="Olivia Owner", email="olivia@example.com")
    plan = PlanFactory(owner=owner, goal="I will be running a bookshop, the shared plan")
    other_plan = PlanFactory(owner=owner, goal="I will be teaching pottery, not shared")
    step = StepFactory(plan=plan, title="Visit three bookshops")
    session = GrowSessionFactory(plan=plan)
    entry, _ = JournalEntry.objects.write(owner, owner.local_today(), "A private journal line")

    buddy = UserFactory(email="bea@example.com")
    other_plan_buddy = UserFactory(email="otto@example.com")
    other_planner_buddy = UserFactory(email="pia@example.com")
    revoked_buddy = UserFactory(email="rex@example.com")
    elsewhere = UserFactory(email="elsewhere@example.com")
    buddyships = {
        "buddy": make_buddyship(owner, [plan], user=buddy),
        "other_plan_buddy": make_buddyship(owner, [other_plan], user=other_plan_buddy),
        "other_planner_buddy": make_buddyship(
            elsewhere, [PlanFactory(owner=elsewhere)], user=other_planner_buddy
        ),
        "revoked_buddy": make_buddyship(owner, [plan], user=revoked_buddy),
        "link_holder": make_buddyship(owner, [plan], email="fern@example.com"),
        "revoked_link_holder": make_buddyship(owner, [plan], email="ruth@example.com"),
    }
    buddyships["revoked_buddy"].revoke()
    deactivated_buddy = UserFactory(email="dee@example.com")
    buddyships["deactivated_buddy"] = make_buddyship(owner, [plan], user=deactivated_buddy)
    gone = UserFactory(email="gone@example.com")
    gone_plan = PlanFactory(owner=gone, goal="I will be a deactivated planner's potter")
    gones_buddy = UserFactory(email="gus@example.com")
    buddyships["deactivated_planner"] = make_buddyship(gone, [gone_plan], user=gones_buddy)
    gone_follower = make_buddyship(gone, [gone_plan], email="gia@example.com")
    gone_link = make_link(gone_follower)
    link = make_link(buddyships["link_holder"])
    revoked_link = make_link(buddyships["revoked_link_holder"])
    buddyships["revoked_link_holder"].revoke_links()

    clients = {
        "owner": client_for(owner),
        "buddy": client_for(buddy),
        "other_plan_buddy": client_for(other_plan_buddy),
        "other_planner_buddy": client_for(other_planner_buddy),
        "revoked_buddy": client_for(revoked_buddy),
        "stranger": client_for(UserFactory(email="sam@example.com")),
        "anonymous": Client(),
        "link_holder": Client(),
        "revoked_link_holder": Client(),
        "deactivated_buddy": client_for(deactivated_buddy),
        "deactivated_planner": client_for(gone),
        "deactivated_planners_buddy": client_for(gones_buddy),
    }
    # Signed in, then deactivated (by an operator, or closing their account).
    type(gone).objects.filter(pk__in=[gone.pk, deactivated_buddy.pk]).update(is_active=False)
    # The link holders have opened their link: whatever that leaves in their session
    # must not open anything else.
    assert (
        clients["link_holder"].get(reverse("buddies-link-progress", args=[link])).status_code == 200
    )
    clients["revoked_link_holder"].get(reverse("buddies-link-progress", args=[revoked_link]))
    return World(
        owner=owner,
        plan=plan,
        objects={
            "plan": plan,
            "step": step,
            "grow": session,
            "obstacle": ObstacleFactory(session=session),
            "option": OptionFactory(session=session),
            "journal": entry,
        },
        clients=clients,
        buddyships=buddyships,
        link=link,
        revoked_link=revoked_link,
        gone_link=gone_link,
        secret_text="A private journal line",
    )


def fingerprint(owner):
    """Everything of the owner's that a request could change."""
    return [
        list(Plan.objects.filter(owner=owner).order_by("pk").values()),
        list(Step.objects.filter(plan__owner=owner).order_by("pk").values()),
        list(StepEvent.objects.filter(step__plan__owner=owner).order_by("pk").values()),
        list(GrowSession.objects.filter(plan__owner=owner).order_by("pk").values()),
        list(Obstacle.objects.filter(session__plan__owner=owner).order_by("pk").values()),
        list(Option.objects.filter(session__plan__owner=owner).order_by("pk").values()),
        list(JournalEntry.objects.filter(owner=owner).order_by("pk").values()),
        list(Buddyship.objects.filter(planner=owner).order_by("pk").values()),
    ]


def forged_post_data(world):
    """A POST that names the owner's objects wherever a form might take one."""
    return {
        "title": "Forged",
        "goal": "Forged goal",
        "text": "Forged",
        "due_date": (world.owner.local_today() + datetime.timedelta(days=3)).isoformat(),
        "plan": str(world.plan.code),
        "step": str(world.objects["step"].code),
        "answer": "done",
        "reason": "forged",
    }


def sent_to_sign_in(response):
    """True if the answer takes the browser to the sign-in page: a redirect, or for htmx
    a full navigation (careerplan.htmx.SignInAgainMiddleware) with no content."""
    login = reverse("account_login")
    if "HX-Redirect" in response:
        return response["HX-Redirect"].startswith(login) and response.content == b""
    return response.status_code == 302 and response.url.startswith(login)


def assert_refused(response, role, method, name):
    where = f"{role} {method} {name}"
    if role in ANONYMOUS:
        assert sent_to_sign_in(response) or response.status_code == 405, where
    else:
        assert response.status_code in (404, 405), f"{where}: {response.status_code}"


@pytest.mark.parametrize(("name", "kind"), CODE_URLS, ids=[name for name, kind in CODE_URLS])
def test_plan_and_journal_pages_are_the_owners_alone(world, name, kind):
    url = reverse(name, args=[world.objects[kind].code])
    before = fingerprint(world.owner)

    owner = world.clients["owner"].get(url)
    assert owner.status_code not in (403, 404), f"owner GET {name}: {owner.status_code}"

    for role in ALL_BUT_OWNER:
        client = world.clients[role]
        for headers in ({}, {"HX-Request": "true"}):
            assert_refused(client.get(url, headers=headers), role, "GET", name)
            response = client.post(url, forged_post_data(world), headers=headers)
            assert_refused(response, role, "POST", name)
    assert fingerprint(world.owner) == before


@pytest.mark.parametrize("name", PLAIN_URLS)
def test_pages_without_a_code_show_others_nothing_of_the_owner(world, name):
    url = reverse(name)
    before = fingerprint(world.owner)

    for role in ALL_BUT_OWNER:
        client = world.clients[role]
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            text = response.content.decode(errors="replace")
            assert world.plan.goal not in text, f"{role} GET {name}"
            assert world.secret_text not in text, f"{role} GET {name}"
            client.post(url, forged_post_data(world), headers=headers)
    assert fingerprint(world.owner) == before


# The buddies pages: each role's expected status, by URL. A role not listed gets 404.
def progress_expectations():
    return {
        # (url name, whose code or token, method): {role: status}
        ("buddies-progress", "buddy", "get"): {"buddy": 200},
        ("buddies-progress", "buddy", "post"): dict.fromkeys([*LOGGED_IN_OUTSIDERS, "owner"], 405),
        # An ended buddyship says so to its own buddy (410) and is 404 to anyone else; a
        # dead link says so to whoever holds it.
        ("buddies-progress", "revoked_buddy", "get"): {"revoked_buddy": 410},
        # A cheer is the one thing a buddy may write: a note to the planner (the htmx
        # form gets its panel back, the plain one a redirect).
        ("buddies-cheer", "buddy", "post"): {"buddy": (302, 200)},
        ("buddies-cheer", "revoked_buddy", "post"): {"revoked_buddy": 410},
        ("buddies-leave", "other_plan_buddy", "get"): {"other_plan_buddy": 200},
        ("buddies-link-progress", "link", "get"): dict.fromkeys([*ALL_BUT_OWNER, "owner"], 200),
        ("buddies-link-progress", "revoked_link", "get"): dict.fromkeys(EVERYONE, 410),
        ("buddies-link-progress", "link", "post"): dict.fromkeys([*ALL_BUT_OWNER, "owner"], 405),
        ("buddies-link-cheer", "revoked_link", "post"): dict.fromkeys(EVERYONE, 410),
        ("buddies-link-leave", "revoked_link", "post"): dict.fromkeys(EVERYONE, 410),
        # A deactivated buddy sees and writes nothing; nor does anyone, about a
        # deactivated planner, signed in or through a link: they are gone (404).
        ("buddies-progress", "deactivated_buddy", "get"): {},
        ("buddies-cheer", "deactivated_buddy", "post"): {},
        ("buddies-progress", "deactivated_planner", "get"): {},
        ("buddies-cheer", "deactivated_planner", "post"): {},
        ("buddies-leave", "deactivated_planner", "get"): {},
        ("buddies-link-progress", "gone_link", "get"): {},
        ("buddies-link-cheer", "gone_link", "post"): {},
    }


PROGRESS_CASES = list(progress_expectations().items())


@pytest.mark.parametrize(
    ("case", "expected"), PROGRESS_CASES, ids=["-".join(case) for case, _ in PROGRESS_CASES]
)
def test_buddy_pages_open_only_to_their_buddy(world, case, expected):
    name, whose, method = case
    if whose == "link":
        url = reverse(name, args=[world.link])
    elif whose == "revoked_link":
        url = reverse(name, args=[world.revoked_link])
    elif whose == "gone_link":
        url = reverse(name, args=[world.gone_link])
    else:
        url = reverse(name, args=[world.buddyships[whose].code])
    before = fingerprint(world.owner)

    for role, client in world.clients.items():
        for headers in ({}, {"HX-Request": "true"}):
            response = getattr(client, method)(url, headers=headers)
            want = expected.get(role)
            if want is None:
                want = 302 if role in ANONYMOUS and "/b/" in url else 404
            if isinstance(want, tuple):
                want = want[1] if headers else want[0]
            if want == 302 and role in ANONYMOUS:
                assert sent_to_sign_in(response), f"{role} {method} {name}"
                continue
            assert response.status_code == want, f"{role} {method} {name}: {response.status_code}"
            if response.status_code == 200:
                assert world.owner.email not in response.content.decode()
    assert fingerprint(world.owner) == before


PLANNER_URLS = [
    ("buddies-edit", "post"),
    ("buddies-edit", "get"),
    ("buddies-preview", "get"),
    ("buddies-revoke", "post"),
    ("buddies-revoke", "get"),
    ("buddies-resend", "post"),
    ("buddies-link-rotate", "post"),
    ("buddies-link-revoke", "post"),
]


@pytest.mark.parametrize(("name", "method"), PLANNER_URLS)
def test_planner_pages_are_404_to_everyone_but_the_planner(world, name, method):
    before = fingerprint(world.owner)
    for whose in ("buddy", "link_holder"):
        url = reverse(name, args=[world.buddyships[whose].code])
        for role in ALL_BUT_OWNER:
            for headers in ({}, {"HX-Request": "true"}):
                response = getattr(world.clients[role], method)(
                    url, {"plans": [str(world.plan.code)], "share_journal": "on"}, headers=headers
                )
                if role in ANONYMOUS:
                    assert sent_to_sign_in(response), f"{role} {name}"
                else:
                    assert response.status_code == 404, f"{role} {name}"
    assert fingerprint(world.owner) == before
    assert (
        world.clients["owner"]
        .get(reverse("buddies-edit", args=[world.buddyships["buddy"].code]))
        .status_code
        == 200
    )


def test_checkup_answer_is_the_planners_alone(world):
    url = reverse("buddies-checkup-answer", args=[world.objects["step"].code])
    before = fingerprint(world.owner)

    for role in ALL_BUT_OWNER:
        for headers in ({}, {"HX-Request": "true"}):
            client = world.clients[role]
            assert_refused(client.get(url, headers=headers), role, "GET", "answer")
            response = client.post(url, {"answer": "done"}, headers=headers)
            assert_refused(response, role, "POST", "answer")
    assert fingerprint(world.owner) == before
    assert world.clients["owner"].get(url).status_code == 200


def test_buddies_list_shows_others_nothing_of_the_owners_buddies(world):
    for role in ALL_BUT_OWNER:
        response = world.clients[role].get(reverse("buddies-list"))
        assert "fern@example.com" not in response.content.decode(), role


def test_notes_seen_touches_only_ones_own_notes(world):
    note = Note.objects.create(buddyship=world.buddyships["buddy"], kind=Note.Kind.CHEER)

    for role in ALL_BUT_OWNER:
        world.clients[role].post(reverse("buddies-notes-seen"))

    note.refresh_from_db()
    assert note.seen is None


@pytest.mark.parametrize("whose", DEACTIVATED)
def test_one_click_email_links_of_a_deactivated_account_act_no_more(world, client, whose):
    """The probe's finding: a deactivated buddy's "send a cheer" link wrote a note."""
    buddyship = world.buddyships[whose]
    notification = Notification.objects.create(
        kind=Notification.Kind.CELEBRATION,
        buddyship=buddyship,
        step=buddyship.plans.get().steps.create(title="Done thing"),
        key="k",
    )
    url = reverse("buddies-mail-action", args=[links.action_token(notification, "cheer")])

    assert client.get(url).status_code == 410
    assert client.post(url, {"text": "Well done!"}).status_code == 410
    assert not Note.objects.filter(buddyship=buddyship).exists()
    with pytest.raises(Notification.AnswerRefused):
        notification.record_answer("cheer", "Well done!")


def test_the_planner_s_preview_treats_a_deactivated_buddy_as_gone(world):
    url = reverse("buddies-preview", args=[world.buddyships["deactivated_buddy"].code])
    response = world.clients["owner"].get(url)
    assert response.status_code == 302
    assert response.url == reverse("buddies-list")
    live = reverse("buddies-preview", args=[world.buddyships["buddy"].code])
    assert world.clients["owner"].get(live).status_code == 200


def test_an_invitation_from_a_deactivated_planner_finds_nothing(world, client):
    gone = world.buddyships["deactivated_planner"].planner
    invited = make_buddyship(gone, [], email="ida@example.com", status="invited")
    token = invited.issue_invitation()
    assert client.get(reverse("buddies-invitation", args=[token])).status_code == 404
    ida = client_for(UserFactory(email="ida@example.com"))
    assert gone.display_name not in ida.get(reverse("buddies-list")).content.decode()
