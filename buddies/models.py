import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from plans.models import Plan, Step


def new_token():
    """Return (token, sha256 hex): 256 random bits for the link, only the hash is stored."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


class BuddyshipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status=Buddyship.Status.ACTIVE)


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
    name = models.CharField("buddy's name", max_length=60)
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
    created = models.DateTimeField(default=timezone.now)
    seen = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # Used by the planner's dashboard: unseen notes, newest first.
            models.Index(fields=["buddyship", "-created"], name="note_buddyship_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} from {self.buddyship.name}"


class Notification(models.Model):
    """The outbox: one row per email to send, written in the same transaction as the
    event that causes it, claimed by a sender with a lease, and sent at most once."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", "Invitation"
        COMMITMENT = "commitment", "Commitment note"
        CHECKUP = "checkup", "Check-up"
        CELEBRATION = "celebration", "Celebration"
        DIGEST = "digest", "Weekly digest"
        ANSWER = "answer", "Planner's answer to a check-up"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped (no longer relevant)"
        FAILED = "failed", "Failed"
        AMBIGUOUS = "ambiguous", "Maybe sent (crash after hand-over)"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    buddyship = models.ForeignKey(Buddyship, models.CASCADE, related_name="notifications")
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
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "buddyship", "key"], name="notification_once_uniq"
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
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.buddyship.email} ({self.state})"
