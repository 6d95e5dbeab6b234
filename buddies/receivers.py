"""Turn what happens to steps into buddy emails, through the outbox.

Each receiver runs inside the planner's transaction (plans.signals are sent there), so
the outbox row commits or rolls back with the change it reports; the send task is asked
for only after commit (outbox.enqueue uses transaction.on_commit).
"""

from datetime import timedelta

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from buddies import outbox
from buddies.models import Buddyship, Notification
from plans import signals
from plans.models import Plan, Step, StepEvent

# A commitment email waits this long for more: committing to five options on a GROW
# sheet is one email, not five.
COMMITMENT_GATHER = timedelta(minutes=5)

# States in which the buddy may have read the check-up, so they hear the answer.
CHECKUP_REACHED = [Notification.State.SENT, Notification.State.AMBIGUOUS]


def buddies_to_tell(plan):
    """The active, subscribed buddies who share this plan (none for an archived plan)."""
    if plan.status != Plan.Status.ACTIVE:
        return Buddyship.objects.none()
    return Buddyship.objects.active().filter(plans=plan, unsubscribed__isnull=True)


@receiver(signals.step_committed, sender=Step, dispatch_uid="buddies-commitment")
def tell_commitment(sender, step, **kwargs):
    now = timezone.now()
    for buddyship in buddies_to_tell(step.plan):
        gather_commitment(buddyship, step, now)


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
        return outbox.enqueue(
            Notification.Kind.COMMITMENT,
            buddyship,
            outbox.checkup_key(step),
            payload={"steps": [code]},
            not_before=now + COMMITMENT_GATHER,
        )


def _checkup_readers(step, key):
    return set(
        Notification.objects.filter(
            kind=Notification.Kind.CHECKUP, step=step, key=key, state__in=CHECKUP_REACHED
        ).values_list("buddyship_id", flat=True)
    )


@receiver(signals.step_done, sender=Step, dispatch_uid="buddies-step-done")
def tell_done(sender, step, **kwargs):
    """A buddy who got the check-up hears the answer; the others get a celebration,
    unless they turned celebrations off."""
    key = outbox.checkup_key(step)
    readers = _checkup_readers(step, key)
    for buddyship in buddies_to_tell(step.plan):
        if buddyship.pk in readers:
            outbox.enqueue(
                Notification.Kind.ANSWER,
                buddyship,
                f"{key}:done",
                step=step,
                payload={"outcome": "done"},
            )
        elif buddyship.celebrations:
            outbox.enqueue(Notification.Kind.CELEBRATION, buddyship, key, step=step)


@receiver(signals.step_rescheduled, sender=Step, dispatch_uid="buddies-step-rescheduled")
def tell_rescheduled(sender, step, old_date=None, reason="", **kwargs):
    if old_date is None:
        return
    key = outbox.checkup_key(step, old_date)
    _tell_answer(
        step,
        key,
        "rescheduled",
        {"old_date": old_date.isoformat(), "new_date": step.due_date.isoformat(), "reason": reason},
    )


@receiver(signals.step_dropped, sender=Step, dispatch_uid="buddies-step-dropped")
def tell_dropped(sender, step, **kwargs):
    if step.due_date is None:
        return
    event = step.events.filter(kind=StepEvent.Kind.DROPPED).order_by("-created", "-pk").first()
    _tell_answer(
        step, outbox.checkup_key(step), "dropped", {"reason": event.reason if event else ""}
    )


def _tell_answer(step, key, outcome, payload):
    readers = _checkup_readers(step, key)
    if not readers:
        return
    for buddyship in buddies_to_tell(step.plan).filter(pk__in=readers):
        outbox.enqueue(
            Notification.Kind.ANSWER,
            buddyship,
            f"{key}:{outcome}",
            step=step,
            payload={"outcome": outcome, **payload},
        )
