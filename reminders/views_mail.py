"""Pages reached from a reminder's links, with no login: "Done" for one step, and the
one-click unsubscribe from one kind of reminder.

A signed token in the path authorises each (reminders.links). A GET only shows what the
button will do; the POST acts. Every refusal is a page that says why, with a 4xx status,
and changes nothing.
"""

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from buddies.links import BadLink
from buddies.views_mail import bad_link_page, nothing_to_unsubscribe, private, problem_page
from reminders import links
from reminders.kinds import more_time_url


@require_http_methods(["GET", "HEAD", "POST"])
def mail_done(request, token):
    """Tick a step off from the morning email: GET asks, POST does it, once."""
    try:
        found = links.read_done_token(token)
    except BadLink as error:
        return bad_link_page(request, error)
    if found is None:
        return problem_page(
            request,
            "This link no longer works",
            "The step it was for, or the account, is gone.",
            410,
        )
    notification, step = found
    refusal = links.done_refusal(notification, step)
    context = {
        "step": step,
        "more_time_url": more_time_url(step, notification.user.local_today()),
        "step_url": reverse("plans-step-detail", args=[step.code]),
    }
    if request.method == "POST" and refusal is None:
        refusal = links.done_from_email(notification, step)
        if refusal == "ticked":
            return private(render(request, "reminders/mail/done.html", {**context, "done": True}))
    if refusal == "closed":
        return problem_page(request, "This link no longer works", "The account is closed.", 410)
    if refusal:
        return _already(request, step, refusal)
    return private(render(request, "reminders/mail/done.html", context))


def _already(request, step, outcome):
    """The 409 page for a link used before, or a step that is no longer open."""
    messages = {
        "used": f"You already ticked “{step.title}” off from this email.",
        "dropped": f"“{step.title}” was dropped, so it was not ticked off. Reopen it from "
        "its page if you still mean to do it.",
    }
    message = messages.get(outcome, f"“{step.title}” is already ticked off. Well done!")
    return problem_page(request, "Already done", message, 409)


@csrf_exempt  # RFC 8058: a mail client POSTs with no cookie; the signed token authorises.
@require_http_methods(["GET", "HEAD", "POST"])
def mail_unsubscribe(request, token):
    """Turn one kind of reminder off: a GET asks, a POST (one click) does it.

    A closed account is sent nothing more, so there is nothing to stop
    (nothing_to_unsubscribe, without the account's details).
    """
    try:
        reminder = links.read_unsubscribe_token(token)
    except BadLink as error:
        return bad_link_page(request, error)
    if reminder is None or not reminder.user.is_active:
        return nothing_to_unsubscribe(
            request,
            "The account is closed: nothing more is sent to it, so there is nothing to "
            "unsubscribe from.",
        )
    done = False
    if request.method == "POST":
        reminder.turn_off()
        done = True
    return private(
        render(request, "reminders/mail/unsubscribe.html", {"reminder": reminder, "done": done})
    )
