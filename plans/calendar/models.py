import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from careerplan.tokens import hash_token, new_token

# How often a feed's last use is written: enough to show the planner the feed is read,
# rarely enough that a calendar polling every few minutes is not a write each time.
LAST_USED_RESOLUTION = timedelta(hours=1)


class CalendarFeedQuerySet(models.QuerySet):
    def for_token(self, token):
        """The live feed behind a token whose owner's account is active (else nothing)."""
        if not token or len(token) > 100:
            return self.none()
        return self.filter(token_hash=hash_token(token), owner__is_active=True)


class CalendarFeed(models.Model):
    """A private calendar subscription to a planner's dated steps: of all their active
    plans (`plan` None) or of one plan. The token in its URL is shown once; only its hash
    is stored, so a new address replaces it and turning the feed off deletes the row."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="calendar_feeds"
    )
    plan = models.ForeignKey(
        "plans.Plan", models.CASCADE, null=True, blank=True, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now)
    last_used = models.DateTimeField(null=True, blank=True)

    objects = CalendarFeedQuerySet.as_manager()

    class Meta:
        constraints = [
            # One feed of everything per person, and one per plan.
            models.UniqueConstraint(
                fields=["owner"], condition=Q(plan__isnull=True), name="calendarfeed_owner_uniq"
            ),
            models.UniqueConstraint(
                fields=["owner", "plan"],
                condition=Q(plan__isnull=False),
                name="calendarfeed_plan_uniq",
            ),
        ]

    def __str__(self):
        return f"Calendar feed of {self.plan or 'all plans'} for {self.owner}"

    @classmethod
    @transaction.atomic
    def issue(cls, owner, plan=None):
        """Turn the feed on, or give it a new address; return the raw token.

        The old address stops working at once: its hash is replaced in the same row, so a
        calendar subscribed to it gets 404 from now on.
        """
        token, digest = new_token()
        feed = cls.objects.select_for_update().filter(owner=owner, plan=plan).first()
        if feed is None:
            cls.objects.create(owner=owner, plan=plan, token_hash=digest)
        else:
            feed.token_hash, feed.created, feed.last_used = digest, timezone.now(), None
            feed.save(update_fields=["token_hash", "created", "last_used"])
        return token

    def record_use(self, now=None):
        now = now or timezone.now()
        if self.last_used is None or self.last_used < now - LAST_USED_RESOLUTION:
            CalendarFeed.objects.filter(pk=self.pk).update(last_used=now)
