"""Pages reached from an email's links, with no login: one-click answers and unsubscribe.

A signed token in the path authorises each (buddies.links). A GET only shows what the
button will do; the POST acts. Every refusal is a page that says why, with a 4xx status,
and changes nothing.
"""

from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from buddies import links
from buddies.forms import NoteTextForm
from buddies.models import Notification
from buddies.outbox.kinds import KINDS
from careerplan.forms import posted


def private(response):
    """Pages addressed by a secret token: never cached by a shared cache, never indexed,
    and the token never leaks to another site through the Referer header.

    "same-origin", not "no-referrer": under no-referrer browsers send `Origin: null`
    with the page's own form POSTs, and Django's CSRF check rightly refuses those.
    """
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def problem_page(request, title, message, status):
    """A page that says why a link from an email did nothing (the reminders app uses it
    for its links too)."""
    return private(
        render(
            request,
            "buddies/mail/problem.html",
            {"title": title, "message": message},
            status=status,
        )
    )


def nothing_to_unsubscribe(request, message):
    """The answer to an unsubscribe link once nothing more is sent (an ended buddyship, a
    closed account): a GET says so (410); a POST changes nothing and answers 200, so a
    mail client that posts late (RFC 8058) does not retry."""
    status = 200 if request.method == "POST" else 410
    return problem_page(request, "This link no longer works", message, status)


def bad_link_page(request, error):
    """The page for an altered or expired signed link (buddies.links.BadLink)."""
    if error.expired:
        return problem_page(
            request,
            "This link has expired",
            "Links in our emails work for a limited time. A newer email has fresh ones.",
            410,
        )
    return problem_page(
        request,
        "This link doesn\u2019t work",
        "It may have been cut short or changed on its way. Try copying the whole link "
        "from the email.",
        400,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def mail_action(request, token):
    """Ask how it went, send a cheer, or confirm a step is done, from an email."""
    try:
        notification, action = links.read_action_token(token)
    except links.BadLink as error:
        return bad_link_page(request, error)
    if notification is None:
        # An intact link whose email is gone: deleted with the planner's account.
        return problem_page(
            request,
            "This link no longer works",
            "This buddyship has ended or the account was closed, so nothing was sent.",
            410,
        )
    if action not in KINDS[notification.kind].actions:
        return problem_page(
            request, "This link doesn\u2019t work", "This email offers no such answer.", 400
        )
    if refusal := notification.answer_refusal(action):
        return _refused(request, notification, refusal)
    form = NoteTextForm(posted(request))
    status = 200
    if request.method == "POST":
        if not form.is_valid():
            status = 422
        else:
            try:
                note = notification.record_answer(action, form.cleaned_data["text"])
            except Notification.AnswerRefused as error:
                return _refused(request, notification, error.refusal)
            return private(
                render(
                    request,
                    "buddies/mail/action_done.html",
                    _context(notification, action, note=note),
                )
            )
    return private(
        render(
            request,
            "buddies/mail/action.html",
            _context(notification, action, form=form, answered=notification.answered(action)),
            status=status,
        )
    )


def _refused(request, notification, refusal):
    """The page for an answer the model refused (Notification.answer_refusal)."""
    display_name = notification.buddyship.planner.display_name
    name = display_name or "Your friend"
    Refusal = Notification.Refusal
    title, message, status = {
        Refusal.ENDED: (
            "This link no longer works",
            f"You are no longer {display_name or 'your friend'}\u2019s buddy, so nothing was sent.",
            410,
        ),
        Refusal.NOT_SHARED: (
            "This link no longer works",
            f"{name} no longer shares this plan with you, so nothing was sent.",
            410,
        ),
        Refusal.ARCHIVED: (
            "This plan is put aside",
            f"{name} has archived this plan, so nothing was sent. Their progress page "
            "shows what they are working on now.",
            410,
        ),
        Refusal.STALE: (
            "Nothing to confirm",
            f"{name} dropped this step, so there is nothing to confirm, and nothing was sent.",
            409,
        ),
        Refusal.ANSWERED: (
            "Already sent",
            "You already answered this way from this email, so nothing more was sent. Thank you!",
            409,
        ),
    }[refusal]
    return problem_page(request, title, message, status)


def _context(notification, action, **extra):
    return {
        "planner_name": notification.buddyship.planner.display_name or "your friend",
        "step": notification.step,
        "action": action,
        **extra,
    }


def _ended(buddyship):
    """True if nothing more is sent about this buddyship: it is gone, it ended (declined,
    revoked, left), or the planner's or the buddy's account is closed."""
    return buddyship is None or not (buddyship.is_live and buddyship.accounts_open)


@csrf_exempt  # RFC 8058: a mail client POSTs with no cookie; the signed token authorises.
@require_http_methods(["GET", "HEAD", "POST"])
def mail_unsubscribe(request, token):
    """Stop every reminder to this buddy: a GET asks, a POST (one click) does it; once
    stopped, the page offers to turn them back on (a POST with `resubscribe`).

    Once the invitation or buddyship has ended, or an account was closed, nothing more is
    sent and there is nothing to stop (nothing_to_unsubscribe, without the buddyship's
    details).
    """
    try:
        buddyship = links.read_unsubscribe_token(token)
    except links.BadLink as error:
        return bad_link_page(request, error)
    if _ended(buddyship):
        # A deleted account's name is gone with it.
        about = (buddyship.planner.display_name or "your friend") if buddyship else "them"
        return nothing_to_unsubscribe(
            request,
            f"Nothing more is sent to you about {about}, so there is nothing to unsubscribe from.",
        )
    done = resubscribed = False
    if request.method == "POST" and "resubscribe" in request.POST:
        # The buddy changed their mind (the page offers it once they are unsubscribed).
        buddyship.resubscribe()
        resubscribed = True
    elif request.method == "POST":
        buddyship.unsubscribe()
        done = True
    return private(
        render(
            request,
            "buddies/mail/unsubscribe.html",
            {
                "buddyship": buddyship,
                "planner_name": buddyship.planner.display_name or "your friend",
                "done": done,
                "resubscribed": resubscribed,
            },
        )
    )
