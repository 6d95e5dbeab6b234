"""A planner's steps as an iCalendar feed (RFC 5545), built with icalendar.

Each dated step is an all-day event on its completion date. A completion date is a date
in the planner's own zone, and an all-day event is a floating date: it stays on that day
whatever zone the calendar app is in, across DST changes and after the planner moves, so
the feed needs no VTIMEZONE.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from icalendar import Calendar, Event, vDuration

from careerplan.dates import EARLIEST, LATEST
from careerplan.mail import absolute_url
from careerplan.templatetags.code_urls import code_url_for
from plans.models import Plan, Step

# Done steps stay in the calendar for a year after their date: a record of what was done,
# without a long-standing planner's feed growing for ever.
DONE_KEPT = timedelta(days=365)
# How often a calendar app should fetch the feed again.
REFRESH = timedelta(hours=1)
PRODID = "-//careerplan//Steps//EN"


def feed_steps(feed, today):
    """The steps a feed shows: dated, not dropped, in active plans; done ones for a year."""
    steps = Step.objects.filter(plan__owner=feed.owner, plan__status=Plan.Status.ACTIVE)
    if feed.plan_id is not None:
        steps = steps.filter(plan_id=feed.plan_id)
    return (
        steps.dated()
        # A date outside the range the app computes with has no day a calendar can show.
        .filter(due_date__range=(EARLIEST, LATEST))
        .exclude(status=Step.Status.DROPPED)
        .exclude(status=Step.Status.DONE, due_date__lt=today - DONE_KEPT)
        .select_related("plan")
        .order_by("due_date", "plan_id", "position", "pk")
    )


def step_event(step, domain, link, zone):
    """One step as an all-day event; its UID is fixed by the step, so a calendar updates
    the event when the date or title changes instead of adding a second one."""
    done = step.status == Step.Status.DONE
    event = Event()
    event.add("uid", f"step-{step.code}@{domain}")
    # DTSTAMP is required; the step's own last event (done, or added) keeps the feed's
    # bytes, and so its ETag, the same between fetches when nothing changed.
    stamp = step.completed or step.created
    event.add("dtstamp", stamp)
    event.add("dtstart", step.due_date)
    event.add("dtend", step.due_date + timedelta(days=1))
    event.add("summary", f"Done: {step.title}" if done else step.title)
    lines = [f"Goal: {step.plan.goal}"]
    if step.reward:
        lines.append(f"Reward: {step.reward}")
    if done:
        lines.append(f"Done on {step.completed.astimezone(zone):%A %-d %B %Y}.")
    lines.append(link)
    event.add("description", "\n".join(lines))
    event.add("url", link)
    event.add("status", "CONFIRMED")
    # A step is a deadline, not an appointment: it does not make the day busy.
    event.add("transp", "TRANSPARENT")
    event.add("categories", ["careerplan"])
    return event


def build_feed(feed, today):
    """Return the feed's calendar as bytes."""
    name = f"careerplan: {feed.plan.goal}" if feed.plan is not None else "careerplan: your steps"
    return build_calendar(name, feed_steps(feed, today), feed.owner.zone)


def build_calendar(name, steps, zone):
    """Return a calendar named `name` with one all-day event per step, as bytes (steps
    with their plan loaded; the data export writes one of every dated step)."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    # An X- property is written as its value says: a plain timedelta would come out as
    # "1:00:00", which Outlook cannot read; RFC 5545 writes a duration as PT1H.
    calendar.add("x-published-ttl", vDuration(REFRESH))
    step_url = code_url_for("plans-step-detail")
    for step in steps:
        link = absolute_url(step_url(step.code))
        calendar.add_component(step_event(step, domain, link, zone))
    return calendar.to_ical()
