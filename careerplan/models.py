from django.db import models
from django.db.models import F
from django.utils import timezone


class Heartbeat(models.Model):
    """One row per beat-scheduled job name: when it last ran, and where."""

    name = models.CharField(max_length=50, unique=True)
    last_run = models.DateTimeField()
    runs = models.PositiveBigIntegerField(default=0)
    hostname = models.CharField(max_length=255, blank=True)

    def __str__(self):
        return f"{self.name} at {self.last_run:%Y-%m-%d %H:%M:%S}"


class TallyQuerySet(models.QuerySet):
    def add(self, name, amount=1, label=""):
        """Add `amount` to a counter (created at zero the first time), in one UPDATE, so
        any number of processes may count at once."""
        now = timezone.now()
        counter = self.filter(name=name, label=label)
        if not counter.update(value=F("value") + amount, updated=now):
            self.bulk_create([Tally(name=name, label=label, updated=now)], ignore_conflicts=True)
            counter.update(value=F("value") + amount, updated=now)

    def put(self, name, value, label=""):
        """Set a gauge to `value`."""
        self.update_or_create(
            name=name, label=label, defaults={"value": value, "updated": timezone.now()}
        )


class Tally(models.Model):
    """A figure counted or measured by a worker or beat and read by the metrics scrape:
    those processes are elsewhere, so what they count is kept here (careerplan.metrics)."""

    name = models.CharField(max_length=80)
    # The value of the figure's one label ("" if it has none), e.g. an outcome.
    label = models.CharField(max_length=40, blank=True)
    value = models.FloatField(default=0)
    updated = models.DateTimeField()

    objects = TallyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "label"], name="tally_name_label_uniq"),
        ]

    def __str__(self):
        return f"{self.name}{{{self.label}}} = {self.value:g}"
