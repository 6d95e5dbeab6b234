"""The buddies pages: the planner's list and invitations, the invitation a buddy answers,
the read-only progress page, and the planner's answer to a check-up.

Pages reached from an email's one-click links live in views_mail (urls_mail).
"""

import math
from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.contrib.humanize.templatetags.humanize import apnumber
from django.db import IntegrityError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_http_methods, require_safe

from accounts.adapter import forget_invitation, remember_invitation
from buddies.access import (
    Ended,
    get_buddyship_for_buddy,
    get_buddyship_for_link,
    get_buddyship_for_planner,
    get_invitation,
    invitations_for,
    shared_plans,
    supported_by,
)
from buddies.forms import CheckupAnswerForm, CheerForm, InviteForm, ShareSettingsForm
from buddies.models import Buddyship, Note, ShareLink
from buddies.progress import build_progress
from buddies.receivers import buddies_told, wait_before_telling
from buddies.templatetags.buddy_tags import buddy_notes_context
from buddies.views_mail import private
from careerplan.access import get_by_code
from careerplan.forms import posted
from careerplan.htmx import page_update
from careerplan.http import require_POST
from careerplan.pagecache import render_page, shows
from plans.access import get_step_for_owner
from plans.models import Step, step_state

# A planner may re-send an invitation once in this window: a double click or an
# impatient second try does not mail the same person twice.
RESEND_INTERVAL = timedelta(minutes=2)
# How many cheers a buddy may send in an hour: plenty for a friend, a ceiling for a
# leaked link.
CHEERS_PER_HOUR = 30
# Ended buddyships listed under the live ones (older ones stay in the database).
ENDED_SHOWN = 10


def _owns_address(user, email):
    """True if `email` is the account's address or one of its verified addresses."""
    if user.email.lower() == email.lower():
        return True
    return user.emailaddress_set.filter(email__iexact=email, verified=True).exists()


# The planner's side ---------------------------------------------------------------


def _render_list(request, form, status=200):
    planner = request.user
    live_links = Prefetch(
        "links",
        queryset=ShareLink.objects.filter(revoked__isnull=True).order_by("-created"),
        to_attr="live_links",
    )
    shared = Prefetch("plans", to_attr="shared_plans")
    mine = Buddyship.objects.filter(planner=planner).prefetch_related(shared, live_links)
    live = list(mine.live().order_by("status", "name", "pk"))
    # Ended rows show a name, an address, how and when (buddyship fields only): none of
    # the prefetches.
    ended = list(
        Buddyship.objects.filter(planner=planner)
        .exclude(status__in=[Buddyship.Status.INVITED, Buddyship.Status.ACTIVE])
        .order_by("-ended", "-pk")[:ENDED_SHOWN]
    )
    supporting = list(supported_by(planner))
    invitations = list(invitations_for(planner).order_by("-invite_expires", "pk"))
    now = timezone.now()
    for buddyship in live:
        buddyship.invitation_expired = (
            buddyship.status == Buddyship.Status.INVITED
            and buddyship.invitation_state(now) == "expired"
        )
    context = {
        "form": form,
        "live": live,
        "ended": ended,
        "supporting": supporting,
        "invitations": invitations,
        "has_plans": form.has_plans,
    }
    return render(request, "buddies/buddy_list.html", context, status=status)


@login_required
@require_safe
def buddy_list(request):
    return _render_list(request, InviteForm(planner=request.user))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def buddy_invite(request):
    if request.method != "POST":
        # The form lives on the buddies page: an address typed or bookmarked leads there.
        return redirect(reverse("buddies-list") + "#invite")
    form = InviteForm(request.POST, planner=request.user)
    if form.is_valid():
        buddyship = form.save(commit=False)
        buddyship.planner = request.user
        try:
            buddyship.invite(form.cleaned_data["plans"])
        except IntegrityError:
            # Two tabs inviting the same address at once: the constraint let one in.
            form.add_error("email", "You have already invited this person.")
        else:
            messages.success(
                request,
                f"Invitation sent to {buddyship.name}. It works for 14 days; "
                "you can re-send it from this page.",
            )
            return redirect("buddies-list")
    return _render_list(request, form, status=422)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def buddy_edit(request, code):
    buddyship = get_buddyship_for_planner(request, code)
    if not buddyship.is_live:
        messages.info(request, f"{buddyship.name} is no longer your buddy.")
        return redirect("buddies-list")
    data = posted(request)
    form = ShareSettingsForm(data, instance=buddyship, planner=request.user)
    if request.method == "POST":
        if form.is_valid():
            buddyship.save_settings(form.cleaned_data["plans"])
            messages.success(request, f"Saved what {buddyship.name} can see.")
            return redirect("buddies-list")
        status = 422
    else:
        status = 200
    return render(
        request, "buddies/buddy_edit.html", {"form": form, "buddyship": buddyship}, status=status
    )


@login_required
@require_safe
def buddy_preview(request, code):
    """Show the planner their progress page exactly as this buddy sees it."""
    buddyship = get_buddyship_for_planner(request, code)
    if not buddyship.is_live or not buddyship.accounts_open:
        messages.info(request, f"{buddyship.name} is no longer your buddy.")
        return redirect("buddies-list")
    context = build_progress(buddyship)
    context["preview"] = True
    return render(request, "buddies/progress.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def buddy_revoke(request, code):
    buddyship = get_buddyship_for_planner(request, code)
    if request.method == "POST":
        invited = buddyship.status == Buddyship.Status.INVITED
        if buddyship.revoke():
            messages.success(
                request,
                f"Invitation to {buddyship.name} withdrawn: its link no longer works."
                if invited
                else f"{buddyship.name} is no longer your buddy and can no longer see "
                "your progress.",
            )
        else:
            messages.info(request, f"{buddyship.name} was no longer your buddy.")
        return redirect("buddies-list")
    if not buddyship.is_live:
        messages.info(request, f"{buddyship.name} is no longer your buddy.")
        return redirect("buddies-list")
    return render(request, "buddies/buddy_revoke.html", {"buddyship": buddyship})


@login_required
@require_POST
def buddy_resend(request, code):
    buddyship = get_buddyship_for_planner(request, code)
    if buddyship.status != Buddyship.Status.INVITED:
        messages.info(request, f"{buddyship.name} has already answered the invitation.")
        return redirect("buddies-list")
    if buddyship.unsubscribed:
        # Not sent, and the link they have keeps working: a new token would only
        # replace it with one they never receive.
        messages.info(
            request,
            f"{buddyship.name} asked for no more emails from careerplan about you, so the "
            "invitation was not sent again. The link they already have works until "
            f"{date_format(timezone.localtime(buddyship.invite_expires), 'j F Y')}.",
        )
        return redirect("buddies-list")
    sent = buddyship.invitation_sent()
    if sent and timezone.now() - sent < RESEND_INTERVAL:
        minutes = int(RESEND_INTERVAL.total_seconds() // 60)
        messages.info(
            request,
            f"The invitation to {buddyship.name} was sent less than {minutes} minutes ago: "
            "you can send it again after that.",
        )
        return redirect("buddies-list")
    buddyship.issue_invitation()
    messages.success(
        request, f"Invitation re-sent to {buddyship.name}. The earlier link no longer works."
    )
    return redirect("buddies-list")


@login_required
@require_POST
def buddy_link_rotate(request, code):
    buddyship = get_buddyship_for_planner(request, code)
    if buddyship.status != Buddyship.Status.ACTIVE or buddyship.user_id is not None:
        messages.info(request, f"{buddyship.name} signs in to see your progress: no link needed.")
        return redirect("buddies-list")
    buddyship.new_link()
    messages.success(
        request, f"{buddyship.name}'s old link stopped working; a new one is on its way to them."
    )
    return redirect("buddies-list")


@login_required
@require_POST
def buddy_link_revoke(request, code):
    buddyship = get_buddyship_for_planner(request, code)
    if buddyship.revoke_links():
        messages.success(
            request,
            f"{buddyship.name}'s private link stopped working. Send a new one whenever you like.",
        )
    return redirect("buddies-list")


@login_required
@require_POST
def notes_seen(request):
    Note.objects.for_planner(request.user).mark_seen()
    if request.htmx:
        return render(request, "buddies/_notes.html", buddy_notes_context(request.user))
    return redirect("plans-dashboard")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def checkup_answer(request, code):
    step = get_step_for_owner(request, code)
    today = request.user.local_today()
    data = posted(request)
    form = CheckupAnswerForm(data, step=step, today=today)
    status = 200
    if request.method == "POST":
        closed = step.status != Step.Status.OPEN
        if not closed and form.is_valid():
            outcome, checked_up = _apply_answer(step, form.cleaned_data)
            if outcome:
                Note.objects.filter(step=step).mark_seen()
                told = buddies_told(step, outcome, checked_up).count()
                messages.success(request, _answer_thanks(told, wait_before_telling(outcome)))
                if not request.htmx:
                    return redirect("plans-dashboard")
                return _render_answer(request, step, today, form, answered=True)
            # Closed in another tab between reading the step and answering.
            step.refresh_from_db()
            closed = True
        if closed:
            status = 409
            messages.info(request, "This step is already closed.")
        else:
            status = 422
    return _render_answer(request, step, today, form, status=status)


def _apply_answer(step, answer):
    """Act on a valid check-up answer through the step's own methods; return the outcome
    and the date the check-up was about ("rescheduled" only), or (None, None) if the step
    had closed meanwhile and nothing changed."""
    if answer["answer"] == CheckupAnswerForm.Answer.DONE:
        changed = step.mark_done(note=answer["reason"])
        outcome, checked_up = "done", None
    elif answer["answer"] == CheckupAnswerForm.Answer.MORE_TIME:
        old_date = step.due_date
        changed = step.reschedule(answer["new_date"], answer["reason"])
        outcome, checked_up = "rescheduled", old_date
    else:
        changed = step.mark_dropped(answer["reason"])
        outcome, checked_up = "dropped", None
    return (outcome, checked_up) if changed else (None, None)


def _answer_thanks(told, wait):
    """Thank the planner and say truly when their buddies hear of the answer: `told` of
    them, after `wait` (the time an Undo has to take it back)."""
    if not told:
        return "Thank you for answering."
    who = "Your buddy hears" if told == 1 else "Your buddies hear"
    if not wait:
        return f"Thank you for answering. {who} about it now."
    minutes = math.ceil(wait.total_seconds() / 60)
    when = "a minute" if minutes == 1 else f"{apnumber(minutes)} minutes"
    return (
        f"Thank you for answering. {who} about it in {when}; reopen the step before then "
        "and they hear nothing."
    )


def _render_answer(request, step, today, form, status=200, answered=False):
    """The check-up answer page; with htmx, the part of it the answer changed."""
    notes = list(
        Note.objects.filter(step=step, buddyship__planner=request.user)
        .select_related("buddyship")
        .order_by("-created")[:10]
    )
    context = {
        "step": step,
        "state": step_state(step, today),
        "form": form,
        "notes": notes,
        "answered": answered,
    }
    template = "buddies/checkup_answer.html"
    if request.htmx and request.method == "POST":
        focus = "#answer-result" if answered else "#answer-body .is-invalid"
        return page_update(request, template, ["answer-body"], context, focus=focus, status=status)
    return render(request, template, context, status=status)


# The invitation -------------------------------------------------------------------


def _invitation_problem(request, state, buddyship=None, status=410):
    return private(
        render(
            request,
            "buddies/invitation_problem.html",
            {"state": state, "buddyship": buddyship},
            status=status,
        )
    )


def _open_invitation(request, token):
    """Return (buddyship, None) for an invitation that can be answered, or (None, a
    response explaining why not)."""
    buddyship = get_invitation(token)
    if buddyship is None:
        forget_invitation(request)
        return None, _invitation_problem(request, "unknown", status=404)
    state = buddyship.invitation_state()
    if state != "open":
        forget_invitation(request)
        if (
            state == "answered"
            and buddyship.status == Buddyship.Status.ACTIVE
            and request.user.is_authenticated
            and buddyship.user_id == request.user.pk
        ):
            return None, redirect("buddies-progress", buddyship.code)
        return None, _invitation_problem(request, state, buddyship)
    return buddyship, None


@require_http_methods(["GET", "HEAD", "POST"])
def invitation(request, token):
    buddyship, problem = _open_invitation(request, token)
    if problem:
        return problem
    user = request.user
    if user.is_authenticated and (
        user.pk == buddyship.planner_id or not _owns_address(user, buddyship.email)
    ):
        return private(
            render(
                request,
                "buddies/invitation_wrong_account.html",
                {"buddyship": buddyship},
                status=403,
            )
        )
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect_to_login(request.path)
        if buddyship.accept(user):
            forget_invitation(request)
            messages.success(
                request,
                f"You are now {buddyship.planner.display_name}'s Career Change Buddy. "
                "Here is their progress.",
            )
            return redirect("buddies-progress", buddyship.code)
        return _invitation_problem(request, buddyship.invitation_state(), buddyship)
    if not user.is_authenticated:
        # The emailed link proves the address: signing up with it needs no second
        # verification, and signing up or logging in leads back here.
        remember_invitation(request, token, buddyship.email)
    plans = list(buddyship.plans.filter(owner_id=buddyship.planner_id).order_by("-created"))
    return private(
        render(
            request,
            "buddies/invitation.html",
            {"buddyship": buddyship, "plans": plans, "token": token},
        )
    )


@require_http_methods(["GET", "HEAD", "POST"])
def invitation_decline(request, token):
    buddyship, problem = _open_invitation(request, token)
    if problem:
        return problem
    if request.method == "POST":
        buddyship.decline()
        forget_invitation(request)
        return private(
            render(request, "buddies/invitation_declined.html", {"buddyship": buddyship})
        )
    return private(
        render(request, "buddies/invitation_decline.html", {"buddyship": buddyship, "token": token})
    )


@require_http_methods(["GET", "HEAD", "POST"])
def invitation_follow(request, token):
    buddyship, problem = _open_invitation(request, token)
    if problem:
        return problem
    if request.method == "POST":
        link_token = buddyship.follow_without_account()
        forget_invitation(request)
        if link_token is None:
            return _invitation_problem(request, buddyship.invitation_state(), buddyship)
        messages.success(
            request,
            "You're following along. This page is your private link: bookmark it. "
            "We have emailed it to you too.",
        )
        return redirect("buddies-link-progress", link_token)
    return private(
        render(request, "buddies/invitation_follow.html", {"buddyship": buddyship, "token": token})
    )


@login_required
@require_POST
def invitation_answer(request, code, answer):
    """Accept or decline, signed in, an invitation sent to one of your verified addresses."""
    buddyship = get_by_code(invitations_for(request.user), code=code)
    planner = buddyship.planner.display_name
    if answer == "accept":
        if buddyship.accept(request.user):
            messages.success(
                request,
                f"You are now {planner}'s Career Change Buddy. Here is their progress.",
            )
            return redirect("buddies-progress", buddyship.code)
    elif buddyship.decline():
        messages.success(request, f"You declined {planner}'s invitation; we have let them know.")
        return redirect("buddies-list")
    messages.info(request, f"{planner}'s invitation can no longer be answered.")
    return redirect("buddies-list")


# The buddy's side -----------------------------------------------------------------


def buddy_page(view):
    """A buddy's page: an ended buddyship or a dead private link gets a page saying what
    happened (410), anything else unknown a 404 that is true of both a wrong link and one
    whose planner closed their account (their rows are gone, so the two look alike).
    Both are rendered here, so DEBUG's technical page never shows a buddy a stack of URL
    patterns."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Ended as ended:
            context = {"buddyship": ended.buddyship, "link": ended.link}
            return private(render(request, "buddies/gone.html", context, status=410))
        except Http404:
            return private(render(request, "buddies/nowhere.html", status=404))

    return wrapper


def _progress_context(buddyship, *, token=None, form=None, sent=False):
    shows(buddyship.planner)  # the planner's rows and days, on the buddy's page
    context = build_progress(buddyship)
    context["token"] = token
    context["sent"] = sent
    context["cheer_form"] = form or CheerForm(
        plans=[p.plan for p in context["plans"]], today=context["today"]
    )
    if token:
        context["cheer_url"] = reverse("buddies-link-cheer", args=[token])
        context["leave_url"] = reverse("buddies-link-leave", args=[token])
    else:
        context["cheer_url"] = reverse("buddies-cheer", args=[buddyship.code])
        context["leave_url"] = reverse("buddies-leave", args=[buddyship.code])
    return context


def _render_progress(request, buddyship, *, token=None, form=None, status=200, sent=False):
    context = _progress_context(buddyship, token=token, form=form, sent=sent)
    template = "buddies/progress.html"
    if request.htmx and sent:
        # The cheer in the list of what was sent, and the form ready for another.
        response = page_update(
            request,
            template,
            ["sent-notes"],
            context,
            main="cheer-panel",
            focus="#cheer-panel textarea",
        )
        return private(response)
    if request.htmx and status != 200:
        template += "#cheer-panel"
    return private(render(request, template, context, status=status))


@buddy_page
@login_required
@require_safe
def progress(request, code):
    if request.htmx:
        return _render_progress(request, get_buddyship_for_buddy(request, code))
    return private(
        render_page(
            request,
            "buddies/progress.html",
            lambda: _progress_context(get_buddyship_for_buddy(request, code)),
        )
    )


@buddy_page
@require_safe
def link_progress(request, token):
    return _render_progress(request, get_buddyship_for_link(token), token=token)


def _cheer(request, buddyship, token=None):
    form = CheerForm(
        request.POST, plans=shared_plans(buddyship), today=buddyship.planner.local_today()
    )
    since = timezone.now() - timedelta(hours=1)
    if buddyship.buddy_notes.filter(created__gte=since).count() >= CHEERS_PER_HOUR:
        form.add_error(None, "That's a lot of cheering for one hour: try again a little later.")
        return _render_progress(request, buddyship, token=token, form=form, status=429)
    if not form.is_valid():
        return _render_progress(request, buddyship, token=token, form=form, status=422)
    Note.objects.create(
        buddyship=buddyship,
        kind=Note.Kind.CHEER,
        step=form.cleaned_data["step"],
        text=form.cleaned_data["text"],
    )
    planner = buddyship.planner.display_name
    messages.success(request, f"Cheer sent! {planner} will see it on their dashboard.")
    if request.htmx:
        return _render_progress(request, buddyship, token=token, sent=True)
    if token:
        return redirect("buddies-link-progress", token)
    return redirect("buddies-progress", buddyship.code)


@buddy_page
@login_required
@require_POST
def cheer(request, code):
    return _cheer(request, get_buddyship_for_buddy(request, code))


@buddy_page
@require_POST
def link_cheer(request, token):
    return _cheer(request, get_buddyship_for_link(token), token=token)


def _leave(request, buddyship, token=None):
    if request.method == "POST":
        buddyship.leave()
        return private(render(request, "buddies/left.html", {"buddyship": buddyship}))
    return private(render(request, "buddies/leave.html", {"buddyship": buddyship, "token": token}))


@buddy_page
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def leave(request, code):
    return _leave(request, get_buddyship_for_buddy(request, code))


@buddy_page
@require_http_methods(["GET", "HEAD", "POST"])
def link_leave(request, token):
    return _leave(request, get_buddyship_for_link(token), token=token)
