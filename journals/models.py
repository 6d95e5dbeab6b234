import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

# Long enough for a page of thoughts, short enough that an entry stays an entry (and a
# pasted novel cannot bloat exports and searches).
TEXT_MAX_LENGTH = 10_000

PROMPT = "What did you achieve today, however small?"


def long_date(day):
    return date_format(day, "l j F Y")


@dataclass(frozen=True)
class Streaks:
    """Runs of consecutive journaled days: the one still alive and the longest ever."""

    current: int
    longest: int
    written_today: bool


def compute_streaks(dates, today):
    """Return the current and longest runs of consecutive dates.

    Streaks are counted on local dates, never on instants: an entry belongs to the day the
    planner wrote it on, in their zone at the time. Moving east or west therefore cannot
    split one day in two or merge two days (a day written "tomorrow" before a westward
    move still joins the run). The current streak is still alive if the last journaled day
    is today or yesterday: nobody loses a streak at one minute past midnight.
    """
    days = sorted(set(dates))
    longest = run = 0
    previous = None
    for day in days:
        run = run + 1 if previous is not None and day == previous + timedelta(days=1) else 1
        longest = max(longest, run)
        previous = day
    alive = bool(days) and days[-1] >= today - timedelta(days=1)
    return Streaks(current=run if alive else 0, longest=longest, written_today=today in days)


class JournalEntryQuerySet(models.QuerySet):
    def for_owner(self, user):
        """The planner's own entries: the only door to a journal (buddies go through it too)."""
        return self.filter(owner=user)

    def between(self, start=None, end=None):
        """Entries from `start` to `end`, both local dates and both included (None: open)."""
        if start is not None:
            self = self.filter(date__gte=start)
        if end is not None:
            self = self.filter(date__lte=end)
        return self

    def search(self, text):
        return self.filter(text__icontains=text) if text else self

    def dates(self):
        """All journaled dates, oldest first (one narrow query: streaks and the calendar)."""
        return list(self.order_by("date").values_list("date", flat=True))

    def codes_by_date(self):
        """Map each journaled date to its entry's code, oldest first (for the calendar)."""
        return dict(self.order_by("date").values_list("date", "code"))

    def streaks(self, today):
        return compute_streaks(self.dates(), today)

    def write(self, owner, date, text, mood=""):
        """Write the entry for `date`; if that day already has one, add to it.

        Returns (entry, created), or raises ValidationError if the day's entry and `text`
        together would pass TEXT_MAX_LENGTH. A second entry for the same day (another tab, a form
        submitted twice, two devices) never overwrites the first: its text is appended,
        so nothing anyone typed is lost. The unique constraint settles a race between two
        first writes; the loser appends.
        """
        with transaction.atomic():
            entry = self.select_for_update().filter(owner=owner, date=date).first()
            if entry is None:
                try:
                    with transaction.atomic():
                        return self.create(owner=owner, date=date, text=text, mood=mood), True
                except IntegrityError:
                    entry = self.select_for_update().get(owner=owner, date=date)
            # Checked again under the lock: two first writes at once both passed the form.
            if error := entry.too_long_with(text):
                raise error
            entry.add_text(text, mood)
            return entry, False


class JournalEntry(models.Model):
    """What a planner achieved on one of their local days: at most one entry a day."""

    class Mood(models.TextChoices):
        GREAT = "great", "Great"
        GOOD = "good", "Good"
        OKAY = "okay", "Okay"
        LOW = "low", "Low"
        TOUGH = "tough", "Tough"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="journal_entries"
    )
    # The planner's local date when they wrote about it, not a UTC instant: "today" is
    # theirs, and a later change of zone must not move the entry to another day.
    date = models.DateField("day")
    mood = models.CharField(max_length=10, choices=Mood.choices, blank=True)
    text = models.TextField("what you achieved", max_length=TEXT_MAX_LENGTH)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    objects = JournalEntryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "journal entries"
        constraints = [
            # One entry per planner and local day; also the index every journal page uses
            # (an owner's entries by date: the list, streaks, the calendar, search ranges).
            models.UniqueConstraint(fields=["owner", "date"], name="journalentry_owner_date_uniq"),
        ]

    def __str__(self):
        return f"Journal entry for {self.date:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("journals-entry", args=[self.code])

    def with_text_added(self, text):
        """The entry's text with a second piece of writing for the same day after it,
        unless that is already there."""
        text = text.strip()
        if not text or text in self.text:
            return self.text
        return f"{self.text.rstrip()}\n\n{text}" if self.text.strip() else text

    def too_long_with(self, text):
        """The ValidationError if `text` added to this entry would pass the limit, or None."""
        if len(self.with_text_added(text)) <= TEXT_MAX_LENGTH:
            return None
        return ValidationError(
            "You have already written %(existing)s characters about %(day)s, and this "
            "would be added to it: together they pass %(max)s. Shorten this, or edit that "
            "day's entry instead.",
            code="max_length",
            params={
                "existing": f"{len(self.text):,}",
                "day": long_date(self.date),
                "max": f"{TEXT_MAX_LENGTH:,}",
            },
        )

    def add_text(self, text, mood=""):
        """Append a second piece of writing for the same day, unless it is already there."""
        self.text = self.with_text_added(text)
        if mood:
            self.mood = mood
        self.save(update_fields=["text", "mood", "updated"])
