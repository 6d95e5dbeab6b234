"""What each kind of email does, declared once per kind (KINDS), and the decision
whether a claimed row is still wanted (read_for_decision, why_not_wanted).

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

The decision runs in the sender's hand-over transaction on rows read fresh and locked
(`locked`), so a change that cancels an email either committed first and is seen, or
waits until the hand-over is marked.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from buddies.models import Buddyship, Notification, ShareLink
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


def lists_no_steps(notification):
    return []


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
    # Sent only while both accounts are open. The farewells of a deleted account are
    # the exception: they are written as it closes, to be sent after.
    needs_open_accounts: bool = True
    # Addressed to the planner rather than the buddy (with no unsubscribe link: the
    # buddy's unsubscribe is not the planner's).
    to_planner: bool = False
    # The codes of the steps it lists beyond its row's own step (a commitment's), read
    # and locked for the decision with that step (read_for_decision).
    lists: Callable[[Notification], list[str]] = lists_no_steps
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
    # Every live link is locked (there is at most one), so a rotation waits or is seen.
    live = locked(notification.buddyship.links.filter(revoked__isnull=True).order_by("pk"))
    codes = {str(code) for code in live.values_list("code", flat=True)}
    if rows.link_code(notification.key) not in codes:
        return "The private link was rotated or revoked."
    return ""


# Commitment -------------------------------------------------------------------------


def committed_codes(notification):
    return notification.payload.get("steps", [])


def commitment_steps(notification):
    """The steps a commitment email lists: those still open, dated and in an active plan
    shared with the buddy, by date. Read once per claimed row (read_for_decision): the
    check that the email is still wanted and the email itself use the same list."""
    if not hasattr(notification, "listed"):
        read_steps([notification])
        read_shares([notification])
    return sorted(
        (
            step
            for step in notification.listed
            if step.status == Step.Status.OPEN
            and step.due_date is not None
            and step.plan.status == Plan.Status.ACTIVE
            and step.plan_id in notification.shared
        ),
        key=lambda step: (step.due_date, step.plan_id, step.position),
    )


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


# What the step's state must still be for an answer to be true when it goes (an Undo
# reopens the step; a "more time" answer stays true).
ANSWER_STATUS = {"done": Step.Status.DONE, "dropped": Step.Status.DROPPED}


def answer_taken_back(notification):
    wanted = ANSWER_STATUS.get(notification.payload.get("outcome"))
    if wanted is not None and notification.step.status != wanted:
        return f"The step is {notification.step.status} again."
    return ""


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


# Farewells ---------------------------------------------------------------------------


def buddy_gone(notification):
    user = notification.buddyship.user
    return "The buddy's account is closed." if user is not None and not user.is_active else ""


def planner_gone(notification):
    return "" if notification.buddyship.planner.is_active else "The planner's account is closed."


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
        lists=committed_codes,
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
        unwanted=answer_taken_back,
        context=answer_context,
    ),
    Notification.Kind.DIGEST: EmailKind(
        template="buddy-digest",
        actions=("cheer",),
        unwanted=digest_turned_off,
        context=digest_context,
    ),
    Notification.Kind.FAREWELL: EmailKind(
        template="buddy-farewell",
        # Written when the planner deletes their account, which ends the buddyship.
        status=Buddyship.Status.REVOKED,
        unwanted=buddy_gone,
        needs_open_accounts=False,
    ),
    Notification.Kind.BUDDY_LEFT: EmailKind(
        template="buddy-left",
        # Written when the buddy leaves or deletes their account; it goes to the planner,
        # so the buddy's unsubscribe does not hold it back, nor a closed buddy account.
        status=Buddyship.Status.LEFT,
        unwanted=planner_gone,
        needs_open_accounts=False,
        to_planner=True,
    ),
    Notification.Kind.DECLINED: EmailKind(
        template="buddy-declined",
        # Written when the invited person says no, to the planner.
        status=Buddyship.Status.DECLINED,
        unwanted=planner_gone,
        to_planner=True,
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


# The decision ------------------------------------------------------------------------


def read_for_decision(claimed):
    """Re-read claimed rows and what the decision reads, locked until the transaction
    ends; return them fresh, in id order, leaving out any whose claim is no longer this
    sender's (its lease ran out and another sender claimed the row again).

    Each step reads what all the rows need in one query:
    1. The rows, fenced by their claims (still sending, the same attempt count), with the
       ids of what they refer to.
    2. The plans, then the steps, they are about (read_steps).
    3. The accounts (planners' and buddies'), then the buddyships (read_accounts).
    4. The shares of those plans with the buddies (read_shares).
    The kind's own rule reads (and locks) anything else as it decides (a link's live
    links). This is the order the changes that cancel an email take their locks (a
    plan's steps change under Plan.lock; an account, then its buddyships; a buddyship,
    then its shares and links), and each query locks its rows in id order, so the two
    never wait for each other in a cycle.
    """
    notifications = list(
        locked(Notification.objects.claimed(claimed), of=("self",))
        .annotate(
            plan_ref=F("step__plan_id"),
            planner_ref=F("buddyship__planner_id"),
            buddy_ref=F("buddyship__user_id"),
        )
        .order_by("pk")
    )
    if notifications:
        read_steps(notifications)
        read_accounts(notifications)
        read_shares(notifications)
    return notifications


def read_steps(notifications):
    """Read, locked, the steps the rows are about and the steps their kinds list, with
    their plans (plans first); set each row's `step` and `listed`."""
    codes = {n.pk: {str(code) for code in KINDS[n.kind].lists(n)} for n in notifications}
    listed = set().union(*codes.values())
    plan_ids = (
        set(Step.objects.filter(code__in=listed).values_list("plan_id", flat=True))
        if listed
        else set()
    )
    step_ids = set()
    for notification in notifications:
        if notification.step_id is not None:
            step_ids.add(notification.step_id)
            # A step never moves to another plan, so its plan's id is read unlocked.
            plan_ids.add(getattr(notification, "plan_ref", None) or notification.step.plan_id)
    plans = {plan.pk: plan for plan in locked(Plan.objects.filter(pk__in=plan_ids).order_by("pk"))}
    about = Q(code__in=listed) | Q(pk__in=step_ids)
    steps = list(locked(Step.objects.filter(about).order_by("pk"))) if plan_ids else []
    by_pk = {}
    for step in steps:
        step.plan = plans[step.plan_id]
        by_pk[step.pk] = step
    for notification in notifications:
        if notification.step_id in by_pk:
            notification.step = by_pk[notification.step_id]
        notification.listed = [step for step in steps if str(step.code) in codes[notification.pk]]


def read_accounts(notifications):
    """Read, locked, the accounts the rows are between (a planner's own row: theirs; a
    buddy row: the planner's and the buddy's), then the buddyships."""
    User = get_user_model()
    refs = set()
    for notification in notifications:
        refs |= {notification.user_id, notification.planner_ref, notification.buddy_ref}
    refs.discard(None)
    users = {user.pk: user for user in locked(User.objects.filter(pk__in=refs).order_by("pk"))}
    buddyship_ids = {n.buddyship_id for n in notifications if n.buddyship_id is not None}
    # Whether a follower's email can point to the private link they were sent
    # (messages.build_message), read here with the rest rather than once per email.
    live_link = ShareLink.objects.filter(buddyship=OuterRef("pk"), revoked__isnull=True)
    buddyships = locked(
        Buddyship.objects.filter(pk__in=buddyship_ids)
        .annotate(has_live_link=Exists(live_link))
        .order_by("pk")
    )
    buddyships = {buddyship.pk: buddyship for buddyship in buddyships}
    # Accepted with an account between the two reads.
    late = {b.user_id for b in buddyships.values() if b.user_id is not None} - set(users)
    if late:
        users |= {user.pk: user for user in locked(User.objects.filter(pk__in=late).order_by("pk"))}
    for buddyship in buddyships.values():
        buddyship.planner = users[buddyship.planner_id]
        if buddyship.user_id is not None:
            buddyship.user = users[buddyship.user_id]
    for notification in notifications:
        if notification.user_id is not None:
            notification.user = users[notification.user_id]
        if notification.buddyship_id is not None:
            notification.buddyship = buddyships[notification.buddyship_id]


def read_shares(notifications):
    """Set each row's `shared`: the ids of the plans its steps belong to that are shared
    with its buddy, the shares locked (unsharing deletes a share, so it waits or is
    seen)."""
    plans_of = {}
    wanted = Q()
    for notification in notifications:
        plan_ids = {step.plan_id for step in notification.listed}
        if notification.step is not None:
            plan_ids.add(notification.step.plan_id)
        plans_of[notification.pk] = plan_ids
        if plan_ids and notification.buddyship_id is not None:
            wanted |= Q(buddyship_id=notification.buddyship_id, plan_id__in=plan_ids)
    shares = Buddyship.plans.through.objects.filter(wanted).order_by("pk")
    found = set(locked(shares).values_list("buddyship_id", "plan_id")) if wanted else set()
    for notification in notifications:
        notification.shared = {
            plan_id
            for plan_id in plans_of[notification.pk]
            if (notification.buddyship_id, plan_id) in found
        }


def accounts(notification):
    """The accounts an email is between, by role: the planner's, and the buddy's if the
    buddy has one (a planner's own reminder is between the planner and no one else)."""
    found = []
    if notification.user_id is not None:
        found.append(("planner", notification.user))
    if notification.buddyship_id is not None:
        found.append(("planner", notification.buddyship.planner))
        if notification.buddyship.user_id is not None:
            found.append(("buddy", notification.buddyship.user))
    return found


def why_not_wanted(notification):
    """Return why a row read by read_for_decision should no longer be sent, or "" if it
    should.

    1. The checks every kind shares: the accounts it is between are still active (but
       for the farewells of a closed account).
    2. The checks every kind of its audience shares. The planner's: their address is
       verified. A buddy's: the buddyship's status is the one the kind is for; the
       buddy has not unsubscribed (unless the kind is transactional or goes to the
       planner, whose address must then be verified); a row about a step is about a
       plan still active and shared with this buddy.
    3. The kind's own rule (KINDS).
    """
    kind = KINDS[notification.kind]
    if kind.needs_open_accounts:
        for role, account in accounts(notification):
            if not account.is_active:
                return f"The {role}'s account is deactivated."
    if kind.audience == Audience.PLANNER:
        return _address_unverified(notification.user) or kind.unwanted(notification)
    buddyship = notification.buddyship
    if buddyship.status != kind.status:
        return f"The buddyship is {buddyship.status}."
    if kind.to_planner and (unverified := _address_unverified(buddyship.planner)):
        return unverified
    if buddyship.unsubscribed and not (kind.transactional or kind.to_planner):
        return "The buddy unsubscribed."
    step = notification.step
    if step is not None and not (
        step.plan.status == Plan.Status.ACTIVE and step.plan_id in notification.shared
    ):
        return "The step's plan is no longer shared with this buddy."
    return kind.unwanted(notification)


def _address_unverified(user):
    """Why no email goes to this planner, or "": the address they log in with must be
    one they have shown is theirs (read in the decision's transaction)."""
    verified = EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True)
    return "" if verified.exists() else "The planner's address is not verified."
