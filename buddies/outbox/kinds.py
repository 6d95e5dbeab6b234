"""What each kind of buddy email does, declared once per kind (KINDS), and the decision
whether a claimed row is still wanted (read_for_decision, why_not_wanted).

For every Notification.Kind one EmailKind says which one-click answers its links offer,
whether it is transactional (sent even to a buddy who unsubscribed, because they asked
for it themselves), the buddyship status it is for, when a claimed row is no longer
wanted, and its template and context. Nothing else branches on the kind: the sender's
re-check (why_not_wanted), the message (messages.build_message) and the page that
answers a one-click link (buddies.views_mail) all read this table.

The decision runs in the sender's hand-over transaction on rows read fresh and locked
(`locked`), so a change that cancels an email either committed first and is seen, or
waits until the hand-over is marked.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.utils import timezone

from buddies.models import Buddyship, Notification
from buddies.outbox import rows
from buddies.outbox.digests import digest_context
from plans.models import Plan, Step


def locked(queryset, of=()):
    """`queryset` with the rows it reads locked until the transaction ends.

    PostgreSQL: FOR NO KEY UPDATE, so a change to a row the decision read (a step marked
    done, a buddy revoked, a plan unshared or archived, an account deactivated) waits for
    the hand-over transaction, or committed before it and is what it reads; rows that only
    refer to these (a new answer row's foreign keys) are not held up. SQLite has no row
    locks: its IMMEDIATE transactions hold the one write lock from BEGIN, which serves the
    same.
    """
    return queryset.select_for_update(no_key=True, of=of)


# The commitments an invitation lists per plan shared.
COMMITMENTS_IN_INVITATION = 10


def always_wanted(notification):
    return ""


def no_context(notification):
    return {}


@dataclass(frozen=True)
class EmailKind:
    """What one kind of email does."""

    # emails/<template>-subject.txt, -body.txt and -body.html
    template: str
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
    # Every live link is locked (there is at most one), so a rotation waits or is seen.
    live = locked(notification.buddyship.links.filter(revoked__isnull=True).order_by("pk"))
    codes = {str(code) for code in live.values_list("code", flat=True)}
    if rows.link_code(notification.key) not in codes:
        return "The private link was rotated or revoked."
    return ""


# Commitment -------------------------------------------------------------------------


def commitment_steps(notification):
    """The steps a commitment email lists: those still open, dated and shared, by date.

    Read once per claimed row, locked with their plans and shares: the check that the
    email is still wanted and the email itself use the same list.
    """
    if not hasattr(notification, "commitment_steps"):
        steps = list(
            locked(
                Step.objects.filter(code__in=notification.payload.get("steps", []))
                .select_related("plan")
                .order_by("pk"),
                of=("self", "plan"),
            )
        )
        shared = shared_plans(notification.buddyship, {step.plan_id for step in steps})
        notification.commitment_steps = sorted(
            (
                step
                for step in steps
                if step.status == Step.Status.OPEN
                and step.due_date is not None
                and step.plan.status == Plan.Status.ACTIVE
                and step.plan_id in shared
            ),
            key=lambda step: (step.due_date, step.plan_id, step.position),
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


# The decision ------------------------------------------------------------------------


def shared_plans(buddyship, plan_ids):
    """The ids among `plan_ids` of the plans shared with the buddy, their shares locked
    (unsharing deletes the share, so it waits or is seen)."""
    shares = Buddyship.plans.through.objects.filter(buddyship=buddyship, plan_id__in=plan_ids)
    return set(locked(shares.order_by("pk")).values_list("plan_id", flat=True))


def read_for_decision(claimed):
    """Re-read a claimed row and what every kind's check reads, locked until the
    transaction ends; return it, or None if the claim is no longer this sender's (its
    lease ran out and another sender claimed the row again).

    1. The row, fenced by its claim (still sending, the same attempt count).
    2. Its buddyship with the planner's account, and the buddy's account if they have one.
    3. The step it is about, with its plan, and whether the plan is shared with the buddy.
    The kind's own rule reads (and locks) the rest as it decides (why_not_wanted).
    Locks are taken in this order, the order the changes that cancel an email take them,
    so the two never wait for each other in a cycle.
    """
    notification = locked(
        Notification.objects.filter(
            pk=claimed.pk, state=Notification.State.SENDING, attempts=claimed.attempts
        )
    ).first()
    if notification is None:
        return None
    if notification.buddyship_id is not None:
        notification.buddyship = locked(
            Buddyship.objects.select_related("planner").filter(pk=notification.buddyship_id),
            of=("self", "planner"),
        ).get()
        if notification.buddyship.user_id is not None:
            notification.buddyship.user = locked(
                get_user_model().objects.filter(pk=notification.buddyship.user_id)
            ).get()
    if notification.step_id is not None:
        step = locked(
            Step.objects.select_related("plan").filter(pk=notification.step_id),
            of=("self", "plan"),
        ).get()
        notification.step = step
        notification.plan_shared = step.plan.status == Plan.Status.ACTIVE and bool(
            shared_plans(notification.buddyship, {step.plan_id})
        )
    return notification


def accounts(notification):
    """The accounts an email is between, by role: the planner's, and the buddy's if the
    buddy has one."""
    found = []
    if notification.buddyship_id is not None:
        found.append(("planner", notification.buddyship.planner))
        if notification.buddyship.user_id is not None:
            found.append(("buddy", notification.buddyship.user))
    return found


def why_not_wanted(notification):
    """Return why a row read by read_for_decision should no longer be sent, or "" if it
    should.

    1. The checks every kind shares: the planner's and the buddy's accounts are still
       active; the buddyship's status is the one the kind is for; the buddy has not
       unsubscribed (unless the kind is transactional); a row about a step is about a plan
       still active and shared with this buddy.
    2. The kind's own rule (KINDS).
    """
    kind = KINDS[notification.kind]
    for role, account in accounts(notification):
        if not account.is_active:
            return f"The {role}'s account is deactivated."
    buddyship = notification.buddyship
    if buddyship.status != kind.status:
        return f"The buddyship is {buddyship.status}."
    if buddyship.unsubscribed and not kind.transactional:
        return "The buddy unsubscribed."
    if notification.step is not None and not notification.plan_shared:
        return "The step's plan is no longer shared with this buddy."
    return kind.unwanted(notification)
