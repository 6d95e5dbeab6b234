import uuid
import zoneinfo
from datetime import time, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from buddies.models import Notification
from reminders.schedule import first_occurrence, first_open_day, next_occurrence


class Kind(models.TextChoices):
    """The planner's reminders: each is a kind of outbox row (Notification.Kind)."""

    WEEKLY = Notification.Kind.WEEKLY.value, "Weekly plan"
    MORNING = Notification.Kind.MORNING.value, "Morning email"
    NEXT_STEP = Notification.Kind.NEXT_STEP.value, "“What\u2019s your next small step?” nudge"
    JOURNAL = Notification.Kind.JOURNAL.value, "Journal nudge"


# What a planner starts with: the weekly plan on Monday morning and the morning email on
# days something is due; the two nudges wait until the planner asks for them.
DEFAULTS = {
    Kind.WEEKLY: {"enabled": True, "at": time(8, 0), "weekday": 0},
    Kind.MORNING: {"enabled": True, "at": time(7, 30)},
    Kind.NEXT_STEP: {"enabled": False, "at": time(9, 0)},
    Kind.JOURNAL: {"enabled": False, "at": time(20, 0)},
}


class ReminderQuerySet(models.QuerySet):
    def due(self, now):
        """Reminders whose moment has come. The filter matches the partial index
        `reminder_due_idx`, so the pass reads the due rows, not the table."""
        return self.filter(next_due__isnull=False, next_due__lte=now)

    def create_defaults(self, user, now=None):
        """Give a new planner their reminders with the defaults (DEFAULTS)."""
        now = now or timezone.now()
        reminders = [Reminder(user=user, kind=kind, **fields) for kind, fields in DEFAULTS.items()]
        for reminder in reminders:
            reminder.next_due = reminder.compute_next_due(now)
        return self.bulk_create(reminders, ignore_conflicts=True)

    def recompute(self, now=None):
        """Recompute `next_due` for these reminders (the planner's zone changed)."""
        now = now or timezone.now()
        reminders = list(self.select_related("user"))
        for reminder in reminders:
            reminder.next_due = reminder.compute_next_due(now)
        self.model.objects.bulk_update(reminders, ["next_due"])
        return len(reminders)


class Reminder(models.Model):
    """One of a planner's reminders: on or off, at a wall-clock time in their zone (on a
    weekday, for the weekly plan), and the next instant it falls due, in UTC."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    enabled = models.BooleanField(default=False)
    at = models.TimeField("time")
    # 0 is Monday; only the weekly plan has a day.
    weekday = models.PositiveSmallIntegerField(null=True, blank=True)
    # The next instant this reminder is due (None while it is off). Recomputed whenever
    # the time, the day, the switch or the planner's zone changes, and moved on by the
    # pass each time it fires.
    next_due = models.DateTimeField(null=True, blank=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="reminder_user_kind_uniq"),
        ]
        indexes = [
            # Used by the reminder pass (ReminderQuerySet.due): only reminders that are on
            # are in the index, ordered by when they fall due.
            models.Index(
                fields=["next_due"],
                name="reminder_due_idx",
                condition=Q(next_due__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.user}"

    def compute_next_due(self, now):
        """The next instant this reminder falls due after `now` (None while it is off)."""
        if not self.enabled:
            return None
        return next_occurrence(now, self._zone(), self.at, self._weekday())

    def next_due_after_day(self, day, now):
        """Where the pass moves a reminder that fired for the local `day`: its time on the
        next day it applies to, or, if the pass fell behind (beat was down), on the first
        day that is not over yet, so a missed day costs one reminder, not a backlog."""
        zone = self._zone()
        start = max(day + timedelta(days=1), first_open_day(zone, now))
        return first_occurrence(start, zone, self.at, self._weekday())

    def _weekday(self):
        return self.weekday if self.kind == Kind.WEEKLY else None

    def _zone(self):
        # The zone from `tz` as it is now (not User.zone, which an instance keeps once
        # read): a new planner's zone may still be changing in the same request.
        return zoneinfo.ZoneInfo(self.user.tz)

    @transaction.atomic
    def change(self, enabled, at, weekday=None, now=None):
        """Save the planner's choice and when it next falls due.

        A reminder already sent today is not sent again by moving its time later: the
        outbox's key is the local day (once per day), whatever the time says.
        """
        self.enabled, self.at = enabled, at
        if self.kind == Kind.WEEKLY:
            self.weekday = weekday
        self.next_due = self.compute_next_due(now or timezone.now())
        self.save(update_fields=["enabled", "at", "weekday", "next_due"])

    def turn_off(self):
        """Turn the reminder off (one click from its email); return False if it was off."""
        changed = Reminder.objects.filter(pk=self.pk, enabled=True).update(
            enabled=False, next_due=None
        )
        self.enabled, self.next_due = False, None
        return bool(changed)


class PushSubscription(models.Model):
    """One browser that takes the planner's reminders as Web Push notifications: its
    push service's endpoint and the keys the payload is encrypted to (RFC 8291)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="push_subscriptions"
    )
    # A browser has one subscription per site; the latest person to turn push on in it
    # owns it (a shared computer), so the endpoint is unique.
    endpoint = models.URLField(max_length=500, unique=True)
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=50)
    # What the person sees to tell their devices apart ("Chrome on Android").
    label = models.CharField(max_length=100, blank=True)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Push to {self.service} for {self.user}"

    @classmethod
    def subscribe(cls, user, endpoint, p256dh, auth, label=""):
        """Record that this browser takes `user`'s reminders (in place of whoever it took
        them for before); return the subscription."""
        subscription, _ = cls.objects.update_or_create(
            endpoint=endpoint,
            defaults={
                "user": user,
                "p256dh": p256dh,
                "auth": auth,
                "label": label[:100],
                "created": timezone.now(),
            },
        )
        return subscription

    @property
    def service(self):
        return urlsplit(self.endpoint).hostname or ""

    def as_subscription_info(self):
        """The subscription as the browser gave it (what pywebpush encrypts to)."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}
