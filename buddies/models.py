import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone

from buddies import signals
from careerplan import versions
from careerplan.tokens import new_token
from careerplan.validators import validate_one_line_name
from plans.models import Plan, Step, StepEvent

# An invitation link works for two weeks: long enough for a busy friend, short enough
# that a forwarded or forgotten email stops being a key.
INVITATION_LIFETIME = timedelta(days=14)
# A planner invites at most this many people a day: more than any circle of friends needs
# at once, too few for an account to make the site a way of mailing strangers.
INVITATIONS_PER_DAY = 10


def active_between_open_accounts(prefix=""):
    """Active buddyships whose planner's account, and buddy's if they have one, are still
    open, as a filter: a deactivated or closing account counts as gone everywhere (the
    Python twin is Buddyship.is_current). `prefix` is "buddyship__" from a related row."""
    return (
        Q(**{f"{prefix}status": Buddyship.Status.ACTIVE})
        & Q(**{f"{prefix}planner__is_active": True})
        & (Q(**{f"{prefix}user__isnull": True}) | Q(**{f"{prefix}user__is_active": True}))
    )


class BuddyshipQuerySet(models.QuerySet):
    def active(self):
        """Active buddyships between open accounts (active_between_open_accounts)."""
        return self.filter(active_between_open_accounts())

    def live(self):
        """Invited or active: the rows an address may have only one of per planner."""
        return self.filter(status__in=[Buddyship.Status.INVITED, Buddyship.Status.ACTIVE])


# The name a planner's list shows for a buddy whose account was deleted (the purge).
FORMER_BUDDY = "A former buddy"


class Buddyship(models.Model):
    """A planner's Career Change Buddy: invited by email, sees only the plans shared."""

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        ACTIVE = "active", "Active"
        DECLINED = "declined", "Declined"
        REVOKED = "revoked", "Revoked by the planner"
        LEFT = "left", "Left by the buddy"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    planner = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="buddyships")
    # Set when the buddy accepts with an account; a buddy without one follows by email
    # and a private progress link.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="buddy_of",
    )
    email = models.EmailField("buddy's email address")
    name = models.CharField("buddy's name", max_length=60, validators=[validate_one_line_name])
    message = models.TextField("a personal message", max_length=1000, blank=True)
    plans = models.ManyToManyField(Plan, related_name="buddyships", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED)
    share_journal = models.BooleanField(
        "share my Success Journal", default=False, help_text="Off unless you turn it on."
    )
    celebrations = models.BooleanField("email when a step is done", default=True)
    digest = models.BooleanField("weekly digest", default=False)
    unsubscribed = models.DateTimeField(null=True, blank=True)
    invite_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    invite_expires = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now)
    accepted = models.DateTimeField(null=True, blank=True)
    ended = models.DateTimeField(null=True, blank=True)
    # It ended because the buddy closed their account (not because they left earlier):
    # the planner's list says so, even once the purge has taken their name.
    # (db_default too: rows written in bulk, as bench/seed.py writes them, get it.)
    ended_by_closing = models.BooleanField(
        "ended as the buddy closed their account", default=False, db_default=False
    )

    objects = BuddyshipQuerySet.as_manager()

    class Meta:
        constraints = [
            # One live invitation or buddyship per planner and address.
            models.UniqueConstraint(
                "planner",
                models.functions.Lower("email"),
                name="buddyship_live_email_uniq",
                condition=Q(status__in=["invited", "active"]),
            ),
        ]
        indexes = [
            # Used by the check-up sweep: the active buddies of a plan's planner.
            models.Index(fields=["planner", "status"], name="buddyship_planner_idx"),
        ]

    def __str__(self):
        return f"{self.name} for {self.planner}"

    @property
    def is_live(self):
        return self.status in (Buddyship.Status.INVITED, Buddyship.Status.ACTIVE)

    @property
    def buddy_deleted_account(self):
        """True if it ended because the buddy deleted their account (leave with
        closing=True), whether the account is still being erased or purged."""
        return self.status == Buddyship.Status.LEFT and self.ended_by_closing

    # How the planner's list of earlier buddies says each ended.
    ENDINGS = {
        Status.DECLINED: "declined the invitation",
        Status.REVOKED: "removed by you",
        Status.LEFT: "stopped being your buddy",
    }

    def how_it_ended(self):
        if self.buddy_deleted_account:
            return "deleted their account"
        return self.ENDINGS.get(self.status, self.get_status_display().lower())

    @property
    def addressed_as(self):
        """The buddy's name in what they read (their emails, their pages): their own
        name once they have an account with one, else the name the planner gave them.
        The planner's pages keep the planner's name for them (`name`)."""
        own = self.user.display_name if self.user_id is not None else ""
        return own or self.name

    @property
    def accounts_open(self):
        """True while the planner's account, and the buddy's if they have one, are active."""
        return self.planner.is_active and (self.user_id is None or self.user.is_active)

    @property
    def is_current(self):
        """Active between open accounts (the twin of active_between_open_accounts)."""
        return self.status == Buddyship.Status.ACTIVE and self.accounts_open

    @classmethod
    def invitations_left(cls, planner, now=None):
        """How many more people `planner` may invite now (INVITATIONS_PER_DAY in any 24
        hours, whatever became of the invitations)."""
        now = now or timezone.now()
        sent = cls.objects.filter(planner=planner, created__gt=now - timedelta(days=1)).count()
        return max(0, INVITATIONS_PER_DAY - sent)

    def invite(self, plans, now=None):
        """Save a new invitation sharing `plans` and write its email; return the raw token.

        One transaction: an address invited twice at once (the unique constraint lets one
        in) leaves neither a half-made buddyship nor an email.
        """
        with transaction.atomic():
            self.save()
            self.plans.set(plans)
            return self.issue_invitation(now)

    def issue_invitation(self, now=None):
        """Give the invitation a fresh token and expiry and write its email; return the
        raw token.

        Only the hash is stored, and the raw token reaches the invited person only by that
        email (buddies.receivers writes it on `invitation_issued`, in this transaction). A
        re-sent invitation replaces the token, so the link in an earlier email stops
        working.
        """
        now = now or timezone.now()
        token, digest = new_token()
        with transaction.atomic():
            self.invite_token_hash = digest
            self.invite_expires = now + INVITATION_LIFETIME
            self.save(update_fields=["invite_token_hash", "invite_expires"])
            signals.invitation_issued.send(sender=Buddyship, buddyship=self, token=token)
        return token

    def invitation_sent(self):
        """Return when the current invitation was sent (derived from its expiry)."""
        if self.invite_expires is None:
            return None
        return self.invite_expires - INVITATION_LIFETIME

    def invitation_state(self, now=None):
        """Return "open", "expired", "answered" or "withdrawn" for the invitation page."""
        now = now or timezone.now()
        if self.status == Buddyship.Status.INVITED:
            return "open" if self.invite_expires and self.invite_expires > now else "expired"
        if self.status == Buddyship.Status.REVOKED and self.accepted is None:
            return "withdrawn"
        return "answered"

    def _answer_invitation(self, now, **fields):
        # A conditional UPDATE: of two tabs answering at once, only one wins, and an
        # expired or withdrawn invitation cannot be answered.
        changed = Buddyship.objects.filter(
            pk=self.pk, status=Buddyship.Status.INVITED, invite_expires__gt=now
        ).update(**fields)
        if changed:
            for name, value in fields.items():
                setattr(self, name, value)
            versions.changed(self)
        return bool(changed)

    def accept(self, user, now=None):
        """Make the invited person, signed in as `user`, an active buddy.

        Accepting is asking for the emails, so an earlier unsubscribe (from the invitation
        email, say) is lifted.
        """
        now = now or timezone.now()
        return self._answer_invitation(
            now, status=Buddyship.Status.ACTIVE, user=user, accepted=now, unsubscribed=None
        )

    def follow_without_account(self, now=None):
        """Accept without an account; return the raw token of a new private progress link,
        emailed to the follower (None if the invitation could not be answered)."""
        now = now or timezone.now()
        with transaction.atomic():
            if not self._answer_invitation(
                now, status=Buddyship.Status.ACTIVE, accepted=now, unsubscribed=None
            ):
                return None
            return self.new_link(now)

    def decline(self, now=None):
        """The invited person says no; the planner is told by email (ended_by_buddy)."""
        now = now or timezone.now()
        with transaction.atomic():
            if not self._answer_invitation(now, status=Buddyship.Status.DECLINED, ended=now):
                return False
            signals.ended_by_buddy.send(sender=Buddyship, buddyship=self)
        return True

    def _end(self, status, now, **fields):
        with transaction.atomic():
            changed = (
                Buddyship.objects.live()
                .filter(pk=self.pk)
                .update(status=status, ended=now, **fields)
            )
            # Links die with the buddyship, at once, even if the status changed elsewhere.
            self.revoke_links(now)
        if changed:
            self.status, self.ended = status, now
            for name, value in fields.items():
                setattr(self, name, value)
            versions.changed(self)
        return bool(changed)

    def revoke(self, now=None):
        """The planner ends the buddyship (or withdraws the invitation)."""
        return self._end(Buddyship.Status.REVOKED, now or timezone.now())

    def leave(self, now=None, closing=False):
        """The buddy ends the buddyship, or closes their account (`closing`); the planner
        is told by email (ended_by_buddy), in the same transaction."""
        now = now or timezone.now()
        if self.status != Buddyship.Status.ACTIVE:
            return False
        with transaction.atomic():
            if not self._end(Buddyship.Status.LEFT, now, ended_by_closing=closing):
                return False
            signals.ended_by_buddy.send(sender=Buddyship, buddyship=self)
        return True

    def save_settings(self, plans):
        """Save what this buddy sees and which emails they get (as set on this instance)
        and the plans shared, together. Only those fields are written, so a buddy who
        left meanwhile stays gone."""
        with transaction.atomic():
            self.save(update_fields=["share_journal", "celebrations", "digest"])
            self.plans.set(plans)

    @transaction.atomic
    def unsubscribe(self, now=None):
        """Stop every email but those the buddy asks for. A second call keeps the first
        instant (the update is conditional), so a replayed one-click POST changes nothing."""
        if Buddyship.objects.filter(pk=self.pk, unsubscribed__isnull=True).update(
            unsubscribed=now or timezone.now()
        ):
            versions.changed(self)  # the planner's list says so
        self.refresh_from_db(fields=["unsubscribed"])

    @transaction.atomic
    def resubscribe(self):
        """The buddy (or the invited person) changed their mind: emails go to them again,
        from the next one on (nothing skipped meanwhile is sent late). Only while the
        invitation or buddyship is live."""
        if (
            Buddyship.objects.live()
            .filter(pk=self.pk, unsubscribed__isnull=False)
            .update(unsubscribed=None)
        ):
            versions.changed(self)
        self.refresh_from_db(fields=["unsubscribed"])

    def new_link(self, now=None):
        """Revoke any live private link, make a new one and write the email that carries
        it (buddies.receivers, on `link_issued`), in one transaction; return the raw token."""
        now = now or timezone.now()
        token, digest = new_token()
        with transaction.atomic():
            self.revoke_links(now)
            link = ShareLink.objects.create(buddyship=self, token_hash=digest, created=now)
            signals.link_issued.send(sender=Buddyship, buddyship=self, link=link, token=token)
        return token

    def revoke_links(self, now=None):
        """Revoke every live private link at once; return how many there were."""
        return self.links.filter(revoked__isnull=True).update(revoked=now or timezone.now())


class ShareLink(models.Model):
    """A private progress link for a buddy: revocable, rotatable, stored as a hash."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    buddyship = models.ForeignKey(Buddyship, models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now)
    revoked = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Link for {self.buddyship}"


# What answers a buddy's question about a step: the planner checked it off, gave it a new
# date or dropped it (on the check-up answer page or from their own pages alike).
ANSWERING_EVENTS = [StepEvent.Kind.DONE, StepEvent.Kind.RESCHEDULED, StepEvent.Kind.DROPPED]


def _boolean(condition):
    return ExpressionWrapper(condition, output_field=BooleanField())


class NoteQuerySet(models.QuerySet):
    def for_planner(self, planner):
        """The notes the planner's buddies sent them."""
        return self.filter(buddyship__planner=planner)

    def with_state(self):
        """Annotate each note's state, the one rule of every page that shows notes:

        - `answered`: a question (any note but a cheer) about a step the planner has
          answered since it was asked (ANSWERING_EVENTS at or after the note);
        - `is_new`: neither seen nor answered;
        - `awaits_answer`: a question about an open step, not answered yet.
        """
        answer_since = StepEvent.objects.filter(
            step=OuterRef("step"), kind__in=ANSWERING_EVENTS, created__gte=OuterRef("created")
        )
        question = Q(step__isnull=False) & ~Q(kind=Note.Kind.CHEER)
        return self.annotate(answered=_boolean(question & Exists(answer_since))).annotate(
            is_new=_boolean(Q(seen__isnull=True, answered=False)),
            awaits_answer=_boolean(question & Q(step__status=Step.Status.OPEN, answered=False)),
        )

    def mark_seen(self, now=None):
        """Mark the unseen ones seen (one UPDATE); return how many there were."""
        unseen = self.filter(seen__isnull=True)
        # Read first: the planner's and the buddies' pages say which were seen.
        notes = list(unseen.select_related("buddyship"))
        count = unseen.filter(pk__in=[note.pk for note in notes]).update(seen=now or timezone.now())
        versions.changed(*notes)
        return count


class Note(models.Model):
    """Something a buddy sent the planner: a cheer, a question, a confirmation."""

    class Kind(models.TextChoices):
        CHEER = "cheer", "Sent a cheer"
        ASK = "ask", "Asked how it went"
        CONFIRM = "confirm", "Confirmed it's done"
        COMMENT = "comment", "Wrote a comment"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    buddyship = models.ForeignKey(Buddyship, models.CASCADE, related_name="buddy_notes")
    step = models.ForeignKey(
        Step, models.CASCADE, null=True, blank=True, related_name="buddy_notes"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.CharField(max_length=500, blank=True)
    # What the note did, with the step's title in it ("confirmed “Ring Sam” is done").
    ABOUT_STEP = {
        Kind.CHEER: "sent a cheer about “{}”",
        Kind.ASK: "asked how “{}” went",
        Kind.CONFIRM: "confirmed “{}” is done",
        Kind.COMMENT: "wrote about “{}”",
    }
    # The link under a note that waits for the planner's answer (a cheer asks nothing).
    ANSWER_PROMPT = {
        Kind.ASK: "Answer: how did it go?",
        Kind.CONFIRM: "Answer: is it done?",
        Kind.COMMENT: "Answer: how did it go?",
    }
    created = models.DateTimeField(default=timezone.now)
    seen = models.DateTimeField(null=True, blank=True)

    objects = NoteQuerySet.as_manager()

    class Meta:
        indexes = [
            # Used by the planner's dashboard: unseen notes, newest first.
            models.Index(fields=["buddyship", "-created"], name="note_buddyship_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} from {self.buddyship.name}"

    def what_it_did(self):
        """The note as a phrase after the buddy's name, lower case: "sent a cheer", or
        with its step, "asked how “Ring Sam” went"."""
        if self.step is None:
            return self.get_kind_display().lower()
        return self.ABOUT_STEP[self.kind].format(self.step.title)

    @property
    def answer_prompt(self):
        return self.ANSWER_PROMPT.get(self.kind, "")


class NotificationQuerySet(models.QuerySet):
    def claimed(self, claims):
        """The rows of these claims (rows a sender claimed, with the attempt count each
        claim set): still sending and on that attempt. A row whose lease ran out and that
        another sender claimed again is not among them, so nothing done through this
        queryset touches it."""
        by_attempts = {}
        for row in claims:
            by_attempts.setdefault(row.attempts, []).append(row.pk)
        if not by_attempts:
            return self.none()
        fence = Q()
        for attempts, pks in by_attempts.items():
            fence |= Q(pk__in=pks, attempts=attempts)
        return self.filter(fence, state=Notification.State.SENDING)

    def maybe_delivered(self):
        """Rows whose message may have reached its recipient: handed over to the mail
        server (sent, being sent, or its outcome unknown), or sent again after an attempt
        whose outcome was unknown."""
        return self.filter(Q(handed_over__isnull=False) | Q(resends__gt=0))


class Notification(models.Model):
    """The outbox: one row per message to send, written in the same transaction as the
    event that causes it, claimed by a sender with a lease, decided and handed over in one
    locked transaction, and delivered at least once (docs/decisions.md, "Delivery
    semantics").

    A row goes to a buddy (`buddyship`) or to the planner themselves (`user`), never
    both; which one a kind is for is declared with the kind (buddies.outbox.kinds).
    """

    class Kind(models.TextChoices):
        # To a buddy.
        INVITATION = "invitation", "Invitation"
        COMMITMENT = "commitment", "Commitment note"
        CHECKUP = "checkup", "Check-up"
        CELEBRATION = "celebration", "Celebration"
        DIGEST = "digest", "Weekly digest"
        ANSWER = "answer", "Planner's answer to a check-up"
        LINK = "link", "Private progress link"
        FAREWELL = "farewell", "The planner deleted their account"
        BUDDY_LEFT = "buddy_left", "The buddy stopped being a buddy (to the planner)"
        DECLINED = "declined", "The invited buddy said no (to the planner)"
        # To the planner: declared by the reminders app, which registers them.
        MORNING = "morning", "Morning reminder"
        WEEKLY = "weekly", "Weekly plan"
        NEXT_STEP = "next_step", "Next small step nudge"
        JOURNAL = "journal", "Journal nudge"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        PUSH = "push", "Web Push"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped (no longer relevant)"
        FAILED = "failed", "Failed"
        AMBIGUOUS = "ambiguous", "Maybe sent (outcome unknown on every attempt)"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    buddyship = models.ForeignKey(
        Buddyship, models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
    )
    # How the row is delivered: an email (every buddy row), or a Web Push message to one
    # of the planner's browsers (its own row beside the email, with its own state).
    channel = models.CharField(max_length=5, choices=Channel.choices, default=Channel.EMAIL)
    step = models.ForeignKey(
        Step, models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    # What makes this email unique for its kind and buddy (e.g. the step and its date
    # for a check-up), so a second sweep or a retried request inserts nothing.
    key = models.CharField(max_length=100)
    payload = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    # Not sent before this instant: the back-off after a failed connection, or the short
    # wait that lets a burst of commitments gather into one email.
    next_attempt = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The hand-over mark: when the current attempt decided the email is still wanted and
    # handed it to the mail server. A row still `sending` with the mark and its lease run
    # out may or may not have reached the server; a refusal clears it (nothing was taken).
    handed_over = models.DateTimeField(null=True, blank=True)
    # How often the message went again, with the same Message-ID, after an attempt whose
    # outcome was unknown (a crash or a connection broken mid-message).
    resends = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The Message-ID, written at the first hand-over; the same on every attempt.
    message_id = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "buddyship", "key"], name="notification_once_uniq"
            ),
            # The same for the planner's own rows (NULLs are distinct, so each constraint
            # only ever compares rows of its own audience).
            models.UniqueConstraint(
                fields=["kind", "user", "key"], name="notification_user_once_uniq"
            ),
            models.CheckConstraint(
                condition=Q(buddyship__isnull=False, user__isnull=True)
                | Q(buddyship__isnull=True, user__isnull=False),
                name="notification_one_recipient",
            ),
        ]
        indexes = [
            # Used by the sender's pick-up sweep: pending rows, and sending rows whose
            # lease ran out, oldest first.
            models.Index(
                fields=["state", "created"],
                name="notification_todo_idx",
                condition=Q(state__in=["pending", "sending"]),
            ),
            # Used by the sender's claim: the next pending row whose time has come.
            models.Index(
                fields=["next_attempt"],
                name="notification_next_idx",
                condition=Q(state="pending"),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.recipient_email} ({self.state})"

    @property
    def recipient_email(self):
        return self.buddyship.email if self.buddyship_id else self.user.email

    # The note each one-click answer from an email leaves the planner.
    ANSWER_NOTES = {"ask": Note.Kind.ASK, "cheer": Note.Kind.CHEER, "confirm": Note.Kind.CONFIRM}

    class Refusal(models.TextChoices):
        """Why a buddy's one-click answer from an email is not recorded."""

        ENDED = "ended", "The buddy is no longer an active buddy, or an account was closed"
        NOT_SHARED = "not_shared", "The planner no longer shares the step's plan"
        ARCHIVED = "archived", "The planner archived the step's plan"
        STALE = "stale", "The step moved on so that the answer no longer fits"
        ANSWERED = "answered", "This answer was given from this email already"

    class AnswerRefused(Exception):
        def __init__(self, refusal):
            super().__init__(refusal.label)
            self.refusal = refusal

    @staticmethod
    def answer_fits(action, step):
        """False when the step has moved on so that `action` no longer makes sense: a
        dropped (or deleted) step cannot be confirmed done. Asking how it went and
        cheering still fit whatever became of it."""
        if action != "confirm":
            return True
        return step is not None and step.status != Step.Status.DROPPED

    def answer_refusal(self, action):
        """Why the buddy's one-click `action` from this email cannot be recorded, as a
        Refusal, or None if it can: the one rule for the answer page and for
        record_answer, which asks again under its lock on the rows as they are then."""
        buddyship = self.buddyship
        if not buddyship.is_current:
            return self.Refusal.ENDED
        step = self.step
        if step is not None:
            if not buddyship.plans.filter(pk=step.plan_id).exists():
                return self.Refusal.NOT_SHARED
            if step.plan.is_archived:
                return self.Refusal.ARCHIVED
        if not self.answer_fits(action, step):
            return self.Refusal.STALE
        return None

    def answered(self, action):
        """When this answer was given from this email (an ISO date-time), or None."""
        return self.payload.get("answered", {}).get(action)

    def record_answer(self, action, text, now=None):
        """Leave the planner the buddy's one-click answer to this email, once per email and
        answer, and return the note; raise AnswerRefused if it cannot be recorded
        (answer_refusal, on the rows as they are under the lock, or already answered: a
        replayed POST, a second tab)."""
        now = now or timezone.now()
        with transaction.atomic():
            # Lock the row so two POSTs at once cannot both see "not answered yet", and
            # read the buddyship, step and plan afresh, as they are now.
            locked = (
                Notification.objects.select_for_update(of=("self",))
                .select_related("buddyship__planner", "buddyship__user", "step__plan")
                .get(pk=self.pk)
            )
            if locked.answered(action):
                raise self.AnswerRefused(self.Refusal.ANSWERED)
            if refusal := locked.answer_refusal(action):
                raise self.AnswerRefused(refusal)
            note = Note.objects.create(
                buddyship_id=locked.buddyship_id,
                step_id=locked.step_id,
                kind=self.ANSWER_NOTES[action],
                text=text,
                created=now,
            )
            answered = locked.payload.get("answered", {})
            locked.payload = {**locked.payload, "answered": {**answered, action: now.isoformat()}}
            locked.save(update_fields=["payload"])
        self.payload = locked.payload
        return note
