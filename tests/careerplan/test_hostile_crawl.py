"""A crawl of every page a planner and a buddy can reach, and every form on them sent
with hostile input: no server error anywhere."""

import datetime
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from buddies.models import Buddyship
from buddies.outbox import sender, sweep
from journals.models import JournalEntry
from plans.example import load_example_plan
from reminders.models import Reminder
from reminders.sweep import run_pass
from tests.buddies.conftest import make_buddyship, make_link
from tests.factories import StepFactory, UserFactory

SKIP = ("logout", "/static/", "delete", "/admin/", "export", "download", "feed.ics", ".ics")
# Forms that would end the session or the buddyships the rest of the crawl walks through.
DESTRUCTIVE = ("logout", "delete", "/leave/", "revoke", "/archive/")
# By the kind of control: what each could be sent that its page never offers.
PAYLOADS = {
    "date": ["", "9999-12-31", "0001-01-01", "2026-02-31", "a\x00b"],
    "number": ["", "-99999999999999999999", "a\x00b"],
    "choice": ["", "x" * 5000, "a\x00b"],
    "text": ["", "x" * 5000, "9999-12-31", "-99999999999999999999", "a\x00b"],
}
KINDS = {
    "date": "date",
    "number": "number",
    "select": "choice",
    "checkbox": "choice",
    "radio": "choice",
}
# Sent as htmx requests too: the fragments have their own error paths.
HTMX_PAYLOADS = ("9999-12-31", "a\x00b")
CODE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.forms, self._form = [], [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form":
            self._form = {
                "method": (attrs.get("method") or "get").lower(),
                "action": attrs.get("action") or "",
                "fields": {},
                "kinds": {},
            }
            self.forms.append(self._form)
        elif self._form is not None and tag in ("input", "textarea", "select"):
            name = attrs.get("name")
            if not name:
                return
            kind = "select" if tag == "select" else attrs.get("type", "text")
            self._form["kinds"][name] = KINDS.get(kind, "text")
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                self._form["fields"].setdefault(name, None)
                if kind == "radio" and self._form["fields"][name] is None:
                    self._form["fields"][name] = attrs.get("value", "on")
                return
            self._form["fields"][name] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def parse(response):
    page = Page()
    page.feed(response.content.decode("utf-8", "replace"))
    return page


def crawl(client, starts, errors, limit=250):
    seen, queue, forms, queries = set(), deque(starts), [], set()
    while queue and len(seen) < limit:
        url = queue.popleft()
        path = urlsplit(url).path
        shape = CODE.sub("<code>", url)
        if shape in seen or any(word in url for word in SKIP):
            continue
        seen.add(shape)
        response = client.get(url)
        if response.status_code >= 500:
            errors.append(("GET", url, response.status_code))
        if response.status_code in (301, 302):
            queue.append(response["Location"])
            continue
        if "html" not in response.get("Content-Type", ""):
            continue
        page = parse(response)
        for href in page.links:
            href = urljoin(url, href).split("#")[0]
            if href.startswith("/") or href.startswith("http://testserver"):
                href = href.replace("http://testserver", "")
                if href not in seen:
                    queue.append(href)
            if "?" in href and not href.startswith("/accounts/"):
                queries.add(href)
        for form in page.forms:
            action = urljoin(url, form["action"] or path)
            forms.append((url, action, form["method"], form["fields"], form["kinds"]))
    for href in {
        CODE.sub("<code>", href): href for href in queries
    }.values():  # every query parameter a link carries, with hostile values
        path, query = href.split("?", 1)
        params = dict(parse_qsl(query))
        for name in params:
            for payload in dict.fromkeys(PAYLOADS["text"] + PAYLOADS["date"]):
                response = client.get(path, {**params, name: payload})
                if response.status_code >= 500:
                    errors.append(("GET", path, name, payload[:20]))
    return seen, forms


def attack(client, forms, errors):
    done = set()
    for origin, action, method, fields, kinds in forms:
        key = (CODE.sub("<code>", action), tuple(sorted(fields)))
        if key in done or any(word in action for word in DESTRUCTIVE):
            continue
        done.add(key)
        base = {name: value for name, value in fields.items() if value is not None}
        for name in fields:
            if name == "csrfmiddlewaretoken":
                continue
            for payload in PAYLOADS[kinds.get(name, "text")]:
                data = {**base, name: payload}
                htmx = {"HX-Request": "true", "HX-Current-URL": origin}
                for headers in ({}, htmx) if payload in HTMX_PAYLOADS else ({},):
                    send = client.post if method == "post" else client.get
                    response = send(action, data, headers=headers)
                    if response.status_code >= 500:
                        errors.append((method, action, name, payload[:20], headers != {}))


@pytest.fixture
def world(db, owner, settings):
    settings.DEBUG = False
    settings.PAGE_CACHE = False  # every answer rendered, once: what is under test is the view
    plan, _ = load_example_plan(owner)
    yesterday = owner.local_today() - datetime.timedelta(days=1)
    StepFactory(plan=plan, title="Ring the landlord", due_date=yesterday - datetime.timedelta(1))
    JournalEntry.objects.create(owner=owner, date=yesterday, text="Rang the bank")
    buddy = UserFactory(display_name="Bea Buddy", email="bea@example.com")
    make_buddyship(owner, [plan], user=buddy)
    follower = make_buddyship(owner, [plan], email="fern@example.com", name="Fern")
    invited = Buddyship.objects.create(
        planner=owner, email="ivy@example.com", name="Ivy", status=Buddyship.Status.INVITED
    )
    invited.plans.set([plan])
    invited.issue_invitation()
    link = make_link(follower)
    Reminder.objects.filter(user=owner).update(next_due=timezone.now())
    run_pass()
    sweep.sweep_checkups()
    while sender.send_pending():
        pass
    return plan, buddy, link


def signed_in(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_no_page_or_form_answers_a_server_error(world, owner):
    plan, buddy, link = world
    errors = []
    client = signed_in(owner)
    seen, forms = crawl(client, ["/", "/dashboard/", f"/plans/{plan.code}/"], errors)
    attack(client, forms, errors)
    buddy_client = signed_in(buddy)
    buddy_seen, buddy_forms = crawl(buddy_client, ["/", "/dashboard/"], errors)
    attack(buddy_client, buddy_forms, errors)
    links = re.findall(r"https?://[^/\s]+(/[^\s\"'<>]*)", "".join(m.body for m in mail.outbox))
    anon = Client(raise_request_exception=False)
    anon_seen, anon_forms = crawl(
        anon, ["/", "/accounts/signup/", f"/buddies/p/{link}/", *links], errors
    )
    attack(anon, anon_forms, errors)
    assert errors == []
    # The crawl reached the pages that matter, so a change to the links cannot quietly
    # shrink it to the home page.
    reached = " ".join([*seen, *buddy_seen, *anon_seen])
    for page in ("/steps/", "/tree/", "/wall-chart/", "/journal/", "/grow/", "/reminders/"):
        assert page in reached
    for page in (
        "/buddies/b/",
        "/buddies/p/",
        "/buddies/m/a/",
        "/buddies/m/u/",
        "/buddies/invitation/",
    ):
        assert page in reached
