"""A signed-in page from the shared cache while nothing it shows has changed.

Rendering a page is most of what it costs (bench/README.md), and most page views show
what the last one showed. So a page is rendered once and kept under a key that names the
person viewing it (a page is served to no one else) and its address (path and query),
with the viewer's version it was rendered at (careerplan.versions). A page that also
shows another person's rows (a buddy's view of a planner's progress) says so while it
renders (`shows`), and keeps that person's version too. Any change to what those people
own, or to what others send them, moves a version, and a page is read only at the
versions it was rendered at: never after a change.

It is kept only until what it says stops being true with time alone: the next local
midnight of each person whose days it shows ("overdue", "due this week"), or sooner if
something on it says so while it renders (`valid_until`: "3 minutes ago", an
invitation that expires).

What differs per request is left as holes and filled in on the way out: the CSRF token
(one per browser), the CSP nonce (one per response) and the messages (one per request).

Who may see a page is decided by the view's access helper whenever the page is
rendered. A page comes from the cache only for the person it was rendered for, at the
same versions, and every change that could change the helper's answer (a plan deleted,
a buddyship ended, an account deactivated) moves a version of the viewer: so the answer
the cache replays is the one the helper would give now (tests/careerplan/test_pagecache).
"""

import contextvars
import functools
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from careerplan import prefetch, versions

# Markup that no escaped text can contain (it would read "&lt;!--"), so a person's own
# words can never be taken for a hole.
CSRF_HOLE = mark_safe("<!--cp:csrf-->")
NONCE_HOLE = mark_safe("<!--cp:nonce-->")
MESSAGES_HOLE = mark_safe("<!--cp:messages-->")


@dataclass
class _Rendering:
    """What a page being rendered depends on, besides its viewer."""

    deadline: datetime
    others: dict = field(default_factory=dict)


_rendering = contextvars.ContextVar("page_rendering", default=None)


def shows(person):
    """Say, while a page renders, that it shows `person`'s rows and days: call it before
    reading them, so that a change committed meanwhile moves the version kept."""
    rendering = _rendering.get()
    if rendering is not None and person.pk not in rendering.others:
        rendering.others[person.pk] = versions.versions_of(person.pk)[0]
        valid_until(next_midnight(person.zone))


def valid_until(instant):
    """Say, while a page renders, that what it shows stops being true at `instant`."""
    rendering = _rendering.get()
    if rendering is not None and instant < rendering.deadline:
        rendering.deadline = instant


def next_midnight(zone, now=None):
    """The instant the day changes in `zone`: the next local midnight (at a DST gap, the
    moment the clocks jump; the day still changes then)."""
    now = (now or timezone.now()).astimezone(zone)
    tomorrow = now.date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=zone)


def enabled():
    return versions.enabled() and settings.PAGE_CACHE


def render_page(request, template, make_context):
    """Answer a GET of `template` for the signed-in viewer, from the cache if it holds
    the page at the current versions; else from `make_context()`, which finds the page's
    objects through their access helpers (and may raise 404)."""
    if not enabled() or request.htmx or request.method not in ("GET", "HEAD"):
        return render(request, template, make_context())
    user = request.user
    # The viewer's version came with the user (accounts.backends), in the same round trip
    # as the session, and so, usually, did the page (careerplan.prefetch).
    viewer = getattr(user, "version", None) or versions.versions_of(user.pk)[0]
    key = page_key(user.pk, request.path, request.META.get("QUERY_STRING", ""))
    found, entry = prefetch.take(key)
    if not found:
        entry = cache.get(key)
    if entry is not None and _still_true(entry, viewer):
        if settings.PAGE_CACHE_VERIFY:
            _verify(request, template, make_context, entry[3])
        html = entry[3]
    else:
        html = _render_and_keep(request, template, make_context, key, viewer, user.zone)
    return HttpResponse(_fill(request, html))


def page_key(user_id, path, query):
    """A viewer's page at an address, as this release renders it; the entry says at which
    versions it was rendered."""
    # Hashed: a query string can be long, and a cache key has limits.
    address = hashlib.blake2b(f"{path}?{query}".encode(), digest_size=12).hexdigest()
    return f"page:{release()}:{user_id}:{address}"


# What makes a page's markup besides its rows: the apps' code, the templates and the
# static files whose hashed names pages link to.
RELEASE_SOURCES = (
    "accounts",
    "buddies",
    "careerplan",
    "journals",
    "personaldata",
    "plans",
    "reminders",
    "static",
    "templates",
)


@functools.cache
def release():
    """A digest of what this process renders pages with (RELEASE_SOURCES, read once).

    Pages kept by an earlier release are not read after a deploy: they would link to
    static files under names the new release no longer serves, and show old markup.
    """
    digest = hashlib.blake2b(digest_size=6)
    base = settings.BASE_DIR
    for name in RELEASE_SOURCES:
        for path in sorted((base / name).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(base)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def prefetch_key(user_id):
    """The key of the page this request asks for, to be read with its session."""
    request = prefetch.current()
    if request is None or not enabled() or request.htmx:
        return None
    if request.method not in ("GET", "HEAD"):
        return None
    return page_key(user_id, request.path, request.query)


def _still_true(entry, viewer):
    """True if a kept page is what rendering it now would show: its people are at the
    versions it was rendered at, and its time has not run out (checked here as well as
    by the cache's own expiry, which runs on the cache server's clock)."""
    try:
        rendered_for, others, deadline, _html = entry
    except (TypeError, ValueError):  # kept by a release that kept pages in another shape
        return False
    if rendered_for != viewer or timezone.now().timestamp() >= deadline:
        return False
    if not others:
        return True
    ids = [person for person, _version in others]
    return versions.versions_of(*ids) == [version for _person, version in others]


def _render_and_keep(request, template, make_context, key, viewer, zone):
    rendering = _Rendering(deadline=next_midnight(zone))
    token = _rendering.set(rendering)
    try:
        html = _render_holed(request, template, make_context())
    finally:
        _rendering.reset(token)
    deadline = rendering.deadline.timestamp()
    ttl = int(deadline - timezone.now().timestamp())
    if ttl > 0:
        cache.set(key, (viewer, tuple(rendering.others.items()), deadline, html), ttl)
    return html


def _render_holed(request, template, context):
    holes = {"csrf_token": CSRF_HOLE, "csp_nonce": NONCE_HOLE, "messages_hole": MESSAGES_HOLE}
    return render_to_string(template, {**context, **holes}, request)


@functools.cache
def _no_messages():
    return render_to_string("_messages.html", {"messages": ()})


def _fill(request, html):
    messages = get_messages(request)
    if messages:
        shown = render_to_string("_messages.html", {"messages": messages})
    else:
        shown = _no_messages()
    # A LazyNonce is false until it is made: str() makes it, for the page and its header.
    nonce = get_nonce(request)
    return (
        html.replace(CSRF_HOLE, get_token(request))
        .replace(NONCE_HOLE, "" if nonce is None else str(nonce))
        .replace(MESSAGES_HOLE, shown, 1)
    )


class StalePage(AssertionError):
    """A cached page differs from the page rendered now (PAGE_CACHE_VERIFY, in tests)."""


def _verify(request, template, make_context, html):
    """Render the page again and compare: the test suite runs with this on, so any change
    that forgot to move a version fails the test that made it, be it a change to what
    the page shows or to who may see it."""
    address = request.get_full_path()
    try:
        context = make_context()
    except (Http404, PermissionDenied) as refused:
        raise StalePage(f"{address} came from the cache, but the view refuses it") from refused
    if _render_holed(request, template, context) != html:
        raise StalePage(f"The cached page {address} is stale")
