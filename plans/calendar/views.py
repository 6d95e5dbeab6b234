"""Calendar feeds: the private .ics a calendar app subscribes to, and the page where the
planner turns feeds on, gives one a new address, or turns it off."""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.http import require_safe

from careerplan.http import require_POST
from careerplan.mail import absolute_url
from plans.access import get_plan_for_owner
from plans.calendar.feed import build_feed
from plans.calendar.models import CalendarFeed
from plans.models import Plan

# The session key that carries a new feed address to the one page view that shows it:
# only the hash is stored, so the address can be shown once, right after it is made.
NEW_ADDRESS = "calendar-new-address"


@require_safe
def feed(request, token):
    """The feed itself: no login (a calendar app has no session), the token authorises.
    A wrong, replaced or turned-off token, or a deactivated owner, is 404."""
    found = CalendarFeed.objects.for_token(token).select_related("owner", "plan").first()
    if found is None:
        raise Http404("No such calendar.")
    found.record_use()
    body = build_feed(found, found.owner.local_today())
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    unchanged = get_conditional_response(request, etag=etag)
    if unchanged is not None:
        return _private(unchanged)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["ETag"] = etag
    response["Content-Disposition"] = 'inline; filename="careerplan.ics"'
    return _private(response)


def _private(response):
    # Private to the person whose calendar fetches it; never indexed, and the token in the
    # URL is not sent on as a Referer.
    patch_cache_control(response, private=True, max_age=300)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def feed_addresses(token):
    """Return the https:// and webcal:// addresses of a feed token."""
    https = absolute_url(reverse("plans-calendar-feed", args=[token]))
    return https, "webcal://" + https.split("://", 1)[1]


@login_required
@require_safe
def calendar_settings(request):
    user = request.user
    feeds = {
        feed.plan_id: feed
        for feed in CalendarFeed.objects.filter(owner=user).only(
            "code", "plan_id", "created", "last_used"
        )
    }
    plans = list(Plan.objects.for_owner(user).active().order_by("-created"))
    new = request.session.pop(NEW_ADDRESS, None)
    rows = [{"key": "", "plan": None, "feed": feeds.get(None)}] + [
        {"key": str(plan.code), "plan": plan, "feed": feeds.get(plan.pk)} for plan in plans
    ]
    for row in rows:
        if new and new["key"] == row["key"] and row["feed"] is not None:
            row["https"], row["webcal"] = feed_addresses(new["token"])
    response = render(request, "plans/calendar/settings.html", {"rows": rows})
    # The page may carry a working feed address: keep it out of every cache.
    response["Cache-Control"] = "private, no-store"
    return response


def _chosen_plan(request):
    code = request.POST.get("plan", "")
    return (code, None) if not code else (code, get_plan_for_owner(request, code))


@login_required
@require_POST
def calendar_issue(request):
    """Turn a feed on, or give it a new address (the old one stops working)."""
    key, plan = _chosen_plan(request)
    existed = CalendarFeed.objects.filter(owner=request.user, plan=plan).exists()
    token = CalendarFeed.issue(request.user, plan)
    request.session[NEW_ADDRESS] = {"key": key, "token": token}
    if existed:
        messages.success(
            request, "The feed has a new address. Calendars that use the old one stop updating."
        )
    else:
        messages.success(request, "The feed is on. Add its address to your calendar app.")
    return redirect(reverse("plans-calendar") + f"#feed-{key or 'all'}")


@login_required
@require_POST
def calendar_off(request):
    _key, plan = _chosen_plan(request)
    deleted, _ = CalendarFeed.objects.filter(owner=request.user, plan=plan).delete()
    if deleted:
        messages.success(
            request, "The feed is off: its address no longer works anywhere it was added."
        )
    return redirect("plans-calendar")
