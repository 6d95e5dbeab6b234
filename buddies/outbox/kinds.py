"""What each kind of email does, declared once per kind (KINDS).

For every Notification.Kind one EmailKind says who it is for (a buddy, or the planner
themselves), which one-click answers its links offer, whether it is transactional (sent
even to a buddy who unsubscribed, because they asked for it themselves), the buddyship
status it is for, when a claimed row is no longer wanted, and its template and context.
Nothing else branches on the kind: the sender's re-check (why_not_wanted), the message
(messages.build_message) and the page that answers a one-click link (buddies.views_mail)
all read this table.

The buddy kinds are declared here. The planner's own reminders are declared by the
reminders app, which sits above this one and adds its kinds with `register` when it is
ready; nothing here imports it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from allauth.account.models import EmailAddress
from django.db.models import Exists, OuterRef
from django.utils import timezone

from buddies.models import Buddyship, Notification
from buddies.outbox import rows
from buddies.outbox.digests import digest_context
from plans.models import Plan, Step

# The commitments an invitation lists per plan shared.
COMMITMENTS_IN_INVITATION = 10


def always_wanted(notification):
    return ""


def no_context(notification):
    return {}


class Audience:
    BUDDY = "buddy"  # rows with a buddyship
    PLANNER = "planner"  # rows with a user: the planner's own reminders


@dataclass(frozen=True)
class EmailKind:
    """What one kind of email does."""

    # emails/<template>-subject.txt, -body.txt and -body.html
    template: str
    # Who it goes to: a buddy (the row's buddyship) or the planner (the row's user).
    audience: str = Audience.BUDDY
    # The one-click answers its links offer (among buddies.links.ACTION_NAMES).
    actions: tuple[str, ...] = ()
    # Sent even after the buddy unsubscribed: they asked for it themselves.
    transactional: bool = False
    # The buddyship's status for which the email is still wanted.
    status: str = Buddyship.Status.ACTIVE
    # Why a claimed row of this kind is no longer wanted ("" if it is), once the checks
    # every kind shares have passed (why_not_wanted).
    unwanted: Callable[[Notification], str] = always_wanted
    # The template context beyond what every email has (messages.build_message).
    context: Callable[[Notification], dict] = no_context
    # Planner kinds: the one-click (RFC 8058) address that turns this kind off. Buddy
    # kinds share the buddyship's unsubscribe link.
    unsubscribe_url: Callable[[Notification], str] | None = None


# Invitation -------------------------------------------------------------------------


def invitation_replaced(notification):
    buddyship = notification.buddyship
    if not (
        buddyship.invite_token_hash
        and notification.key == rows.invitation_key(buddyship)
        and buddyship.invite_expires
        and buddyship.invite_expires > timezone.now()
    ):
        return "The invitation was sent again or has expired; this link no longer works."
    return ""


def invitation_context(notification):
    """The plans the invitation shares, each with its next commitments (from today, in
    the planner's zone), as they stand when it is sent."""
    buddyship = notification.buddyship
    today = buddyship.planner.local_today()
    return {
        "shared": [
            {
                "goal": plan.goal,
                "target_date": plan.target_date,
                "steps": list(
                    plan.steps.upcoming(today).order_by("due_date", "position")[
                        :COMMITMENTS_IN_INVITATION
                    ]
                ),
            }
            for plan in buddyship.plans.order_by("-created")
        ]
    }


# Private link -----------------------------------------------------------------------


def link_replaced(notification):
    live = notification.buddyship.links.filter(revoked__isnull=True)
    if not live.filter(code=rows.link_code(notification.key)).exists():
        return "The private link was rotated or revoked."
    return ""


# Commitment -------------------------------------------------------------------------


def commitment_steps(notification):
    """The steps a commitment email lists: those still open, dated and shared, by date.

    Read once per claimed row: the check that the email is still wanted and the email
    itself use the same list.
    """
    if not hasattr(notification, "commitment_steps"):
        notification.commitment_steps = list(
            Step.objects.filter(
                code__in=notification.payload.get("steps", []),
                plan__status=Plan.Status.ACTIVE,
                plan__buddyships=notification.buddyship,
            )
            .open()
            .dated()
            .select_related("plan")
            .order_by("due_date", "plan_id", "position")
        )
    return notification.commitment_steps


def nothing_left_committed(notification):
    if not commitment_steps(notification):
        return "None of the steps committed to is still open and shared."
    return ""


def commitment_context(notification):
    return {"steps": commitment_steps(notification)}


# Check-up ---------------------------------------------------------------------------


def checkup_answered(notification):
    step = notification.step
    if step.status != Step.Status.OPEN:
        return f"The step is {step.status}."
    if rows.checkup_key(step) != notification.key:
        return "The step has a new date."
    return ""


# Celebration ------------------------------------------------------------------------


def celebration_unwanted(notification):
    if not notification.buddyship.celebrations:
        return "The buddy turned celebrations off."
    if notification.step.status != Step.Status.DONE:
        return "The step is no longer done."
    return ""


# Answer -----------------------------------------------------------------------------


def answer_context(notification):
    """The dates of a "more time" answer (the payload holds them as ISO strings)."""
    payload = notification.payload
    return {
        name: date.fromisoformat(payload[name])
        for name in ("old_date", "new_date")
        if payload.get(name)
    }


# Digest -----------------------------------------------------------------------------


def digest_turned_off(notification):
    return "" if notification.buddyship.digest else "The buddy turned the digest off."


KINDS = {
    Notification.Kind.INVITATION: EmailKind(
        template="buddy-invitation",
        # Wanted while the invitation is open. Not transactional: a re-sent invitation
        # is the planner's doing, so it respects the unsubscribe.
        status=Buddyship.Status.INVITED,
        unwanted=invitation_replaced,
        context=invitation_context,
    ),
    Notification.Kind.LINK: EmailKind(
        template="buddy-link",
        # The buddy's own private link: unsubscribing stops what others send them, not
        # answers to their requests.
        transactional=True,
        unwanted=link_replaced,
    ),
    Notification.Kind.COMMITMENT: EmailKind(
        template="buddy-commitment",
        actions=("cheer",),
        unwanted=nothing_left_committed,
        context=commitment_context,
    ),
    Notification.Kind.CHECKUP: EmailKind(
        template="buddy-checkup",
        actions=("ask", "cheer", "confirm"),
        unwanted=checkup_answered,
    ),
    Notification.Kind.CELEBRATION: EmailKind(
        template="buddy-celebration",
        actions=("cheer",),
        unwanted=celebration_unwanted,
    ),
    Notification.Kind.ANSWER: EmailKind(
        template="buddy-answer",
        actions=("cheer",),
        context=answer_context,
    ),
    Notification.Kind.DIGEST: EmailKind(
        template="buddy-digest",
        actions=("cheer",),
        unwanted=digest_turned_off,
        context=digest_context,
    ),
}


def register(kind, declaration):
    """Declare a kind from an app above the outbox (the planner's reminders), once."""
    if kind in KINDS and KINDS[kind] is not declaration:
        raise ValueError(f"The email kind {kind!r} is declared twice.")
    KINDS[kind] = declaration


def address_verified(user="user"):
    """An expression: the person named by the field `user` has verified the address
    they log in with (no email at all goes to an address that is not theirs)."""
    return Exists(
        EmailAddress.objects.filter(
            user=OuterRef(user), email__iexact=OuterRef(f"{user}__email"), verified=True
        )
    )


def why_not_wanted(notification):
    """Return why a claimed row should no longer be sent, or "" if it should.

    1. The checks every kind of its audience shares. A buddy's: the buddyship's status is
       the one the kind is for; the buddy has not unsubscribed (unless the kind is
       transactional); a row about a step is about a plan still active and shared with
       this buddy. The planner's: their account is active and their address verified.
    2. The kind's own rule (KINDS).
    """
    kind = KINDS[notification.kind]
    if kind.audience == Audience.PLANNER:
        return _planner_unwanted(notification) or kind.unwanted(notification)
    buddyship = notification.buddyship
    if buddyship.status != kind.status:
        return f"The buddyship is {buddyship.status}."
    if buddyship.unsubscribed and not kind.transactional:
        return "The buddy unsubscribed."
    if notification.step is not None and not _plan_shared(notification):
        return "The step's plan is no longer shared with this buddy."
    return kind.unwanted(notification)


def _plan_shared(notification):
    # The sender's claim reads this with the row (annotation `plan_shared`).
    shared = getattr(notification, "plan_shared", None)
    if shared is None:
        plan = notification.step.plan
        shared = (
            plan.status == Plan.Status.ACTIVE
            and notification.buddyship.plans.filter(pk=plan.pk).exists()
        )
    return shared


def _planner_unwanted(notification):
    user = notification.user
    if not user.is_active:
        return "The planner's account is deactivated."
    # The sender's claim reads this with the row (annotation `address_verified`).
    verified = getattr(notification, "address_verified", None)
    if verified is None:
        verified = EmailAddress.objects.filter(
            user=user, email__iexact=user.email, verified=True
        ).exists()
    if not verified:
        return "The planner's address is not verified."
    return ""
