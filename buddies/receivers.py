"""Turn what happens to steps and buddyships into buddy emails, through the outbox.

Each receiver runs inside the transaction of the change it reports (plans.signals and
buddies.signals are sent there), so the outbox row commits or rolls back with it; the
send task is asked for only after commit (rows.enqueue uses transaction.on_commit).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.dispatch import receiver
from django.utils import timezone

from buddies import signals as buddy_signals
from buddies.models import Buddyship, Notification
from buddies.outbox import rows
from buddies.outbox.kinds import ANSWER_STATUS
from plans import signals
from plans.models import Plan, Step

# A commitment email waits this long for more: committing to five options on a GROW
# sheet is one email, not five.
COMMITMENT_GATHER = timedelta(minutes=5)


@receiver(buddy_signals.invitation_issued, sender=Buddyship, dispatch_uid="buddies-invitation")
def send_invitation(sender, buddyship, token, **kwargs):
    """The invitation email carries the raw token (`secret`, erased once it is sent)."""
    rows.enqueue(
        Notification.Kind.INVITATION,
        buddyship,
        rows.invitation_key(buddyship),
        payload={"secret": token},
    )


@receiver(buddy_signals.link_issued, sender=Buddyship, dispatch_uid="buddies-link")
def send_link(sender, buddyship, link, token, **kwargs):
    """The private-link email carries the raw token (`secret`, erased once it is sent),
    and says whether it replaces an earlier link."""
    replaces = buddyship.links.exclude(pk=link.pk).exists()
    payload = {"secret": token, "replaces": replaces}
    rows.enqueue(Notification.Kind.LINK, buddyship, rows.link_key(link), payload=payload)


# The email that tells the planner how a buddyship ended on the buddy's side.
PLANNER_TOLD = {
    Buddyship.Status.LEFT: Notification.Kind.BUDDY_LEFT,
    Buddyship.Status.DECLINED: Notification.Kind.DECLINED,
}


@receiver(buddy_signals.ended_by_buddy, sender=Buddyship, dispatch_uid="buddies-ended")
def tell_planner(sender, buddyship, **kwargs):
    """The planner counts on their buddy: when the buddy stops, or says no, they hear it
    (while their own account is open), and can ask someone else."""
    if buddyship.planner.is_active:
        rows.enqueue(PLANNER_TOLD[buddyship.status], buddyship, rows.farewell_key())


def buddies_to_tell(plan):
    """The active, subscribed buddies who share this plan (none for an archived plan)."""
    if plan.status != Plan.Status.ACTIVE:
        return Buddyship.objects.none()
    return Buddyship.objects.active().filter(plans=plan, unsubscribed__isnull=True)


@receiver(signals.step_committed, sender=Step, dispatch_uid="buddies-commitment")
def tell_commitment(sender, step, **kwargs):
    """Gather the step into each buddy's commitment email; return how many buddies."""
    now = timezone.now()
    buddyships = list(buddies_to_tell(step.plan))
    for buddyship in buddyships:
        gather_commitment(buddyship, step, now)
    return len(buddyships)


def gather_commitment(buddyship, step, now=None):
    """Add the step to the buddy's commitment email still waiting to go, or start one
    that waits COMMITMENT_GATHER for more. Return the row."""
    now = now or timezone.now()
    code = str(step.code)
    with transaction.atomic():
        # Lock the buddyship so two commitments at once cannot both start an email, and
        # the waiting row so a sender cannot claim it half-updated (a sender that claimed
        # it first leaves it non-pending, and this step starts the next email).
        Buddyship.objects.select_for_update().filter(pk=buddyship.pk).exists()
        waiting = (
            Notification.objects.select_for_update()
            .filter(
                kind=Notification.Kind.COMMITMENT,
                buddyship=buddyship,
                state=Notification.State.PENDING,
            )
            .order_by("created")
            .first()
        )
        if waiting is not None:
            steps = waiting.payload.get("steps", [])
            if code not in steps:
                waiting.payload = {**waiting.payload, "steps": [*steps, code]}
                waiting.save(update_fields=["payload"])
            return waiting
        return rows.enqueue(
            Notification.Kind.COMMITMENT,
            buddyship,
            rows.commitment_key(step),
            payload={"steps": [code]},
            not_before=now + COMMITMENT_GATHER,
        )


def buddies_told(step, outcome, due_date=None, readers=None):
    """The buddies who hear of the planner's answer ("done", "rescheduled", "dropped"):
    those the step's check-up for `due_date` (its date) may have reached (`readers`, if
    already read) and, for a step done, the others who want celebrations."""
    if readers is None:
        readers = _checkup_readers(step, due_date)
    told = Q(pk__in=readers)
    if outcome == "done":
        told |= Q(celebrations=True)
    return buddies_to_tell(step.plan).filter(told)


def wait_before_telling(outcome):
    """How long the buddies' email about this answer waits for an Undo (none for "more
    time", which has no Undo: the answers an Undo takes back are those only true while the
    step stays done or dropped, kinds.ANSWER_STATUS)."""
    return settings.OUTBOX_CHANGE_OF_MIND if outcome in ANSWER_STATUS else timedelta(0)


def _checkup_readers(step, due_date=None):
    """The buddies who may have read the step's check-up for `due_date` (its date): its
    hand-over was marked (being sent, sent, or its outcome unknown), or it went again
    after an unknown outcome.

    Read in the transaction of the change, after the step's row is written: a sender
    deciding on that check-up holds the step locked, so the check-up was marked before
    this read or will be skipped as no longer wanted. Either way the buddy hears about
    the step once: an answer to the check-up they got, or a celebration.
    """
    return set(
        Notification.objects.filter(
            kind=Notification.Kind.CHECKUP, step=step, key=rows.checkup_key(step, due_date)
        )
        .maybe_delivered()
        .values_list("buddyship_id", flat=True)
    )


@receiver(signals.step_done, sender=Step, dispatch_uid="buddies-step-done")
def tell_done(sender, step, note="", **kwargs):
    """A buddy whose check-up may have reached them hears the answer; the others get a
    celebration, unless they turned celebrations off. Both carry the planner's words, if
    they gave some."""
    readers = _checkup_readers(step)
    not_before = timezone.now() + wait_before_telling("done")
    for buddyship in buddies_told(step, "done", readers=readers):
        if buddyship.pk in readers:
            rows.enqueue(
                Notification.Kind.ANSWER,
                buddyship,
                rows.answer_key(step, "done"),
                step=step,
                payload={"outcome": "done", "reason": note},
                not_before=not_before,
            )
        else:
            rows.enqueue(
                Notification.Kind.CELEBRATION,
                buddyship,
                rows.celebration_key(step),
                step=step,
                payload={"reason": note},
                not_before=not_before,
            )


@receiver(signals.step_reopened, sender=Step, dispatch_uid="buddies-step-reopened")
def take_back(sender, step, **kwargs):
    """An Undo takes back the celebration or answer its check-off or drop wrote, while it
    still waits (OUTBOX_CHANGE_OF_MIND): the row goes, so checking the step off again later
    writes a new one. A row a sender has claimed is decided on the step as it is now
    (kinds: no longer wanted once the step is open again)."""
    Notification.objects.filter(step=step, state=Notification.State.PENDING).filter(
        Q(kind=Notification.Kind.CELEBRATION)
        | Q(kind=Notification.Kind.ANSWER, payload__outcome__in=list(ANSWER_STATUS))
    ).delete()


@receiver(signals.step_rescheduled, sender=Step, dispatch_uid="buddies-step-rescheduled")
def tell_rescheduled(sender, step, old_date=None, reason="", **kwargs):
    if old_date is None:
        return
    _tell_answer(
        step,
        "rescheduled",
        {"old_date": old_date.isoformat(), "new_date": step.due_date.isoformat(), "reason": reason},
        due_date=old_date,
    )


@receiver(signals.step_dropped, sender=Step, dispatch_uid="buddies-step-dropped")
def tell_dropped(sender, step, reason="", **kwargs):
    if step.due_date is None:
        return
    _tell_answer(step, "dropped", {"reason": reason})


def _tell_answer(step, outcome, payload, due_date=None):
    """Tell the buddies who got the check-up for `due_date` (the step's date) the answer."""
    wait = wait_before_telling(outcome)
    not_before = timezone.now() + wait if wait else None
    for buddyship in buddies_told(step, outcome, due_date):
        rows.enqueue(
            Notification.Kind.ANSWER,
            buddyship,
            rows.answer_key(step, outcome, due_date),
            step=step,
            payload={"outcome": outcome, **payload},
            not_before=not_before,
        )
