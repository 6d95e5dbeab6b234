from django.db import models
from django.db.models import F
from django.utils import timezone


class CountingQuerySet(models.QuerySet):
    def count_in(self, first, **changes):
        """Apply `changes` (counting expressions such as `F("runs") + 1`) to the one row
        this queryset matches, in one UPDATE, so any number of processes may count at
        once. The first time there is no row: `first` (at zero) is made, its unique key
        keeping one if another process makes it at the same moment, and counted in."""
        if not self.update(**changes):
            self.model._default_manager.bulk_create([first], ignore_conflicts=True)
            self.update(**changes)


class HeartbeatQuerySet(CountingQuerySet):
    def beat(self, name, hostname, now):
        """Record a run of `name` on `hostname` at `now`."""
        self.filter(name=name).count_in(
            Heartbeat(name=name, last_run=now, hostname=hostname),
            last_run=now,
            runs=F("runs") + 1,
            hostname=hostname,
        )


class Heartbeat(models.Model):
    """One row per beat-scheduled job name: when it last ran, and where."""

    name = models.CharField(max_length=50, unique=True)
    last_run = models.DateTimeField()
    runs = models.PositiveBigIntegerField(default=0)
    hostname = models.CharField(max_length=255, blank=True)

    objects = HeartbeatQuerySet.as_manager()

    def __str__(self):
        return f"{self.name} at {self.last_run:%Y-%m-%d %H:%M:%S}"


class TallyQuerySet(CountingQuerySet):
    def add(self, name, amount=1, label=""):
        """Add `amount` to a counter (created at zero the first time)."""
        now = timezone.now()
        self.filter(name=name, label=label).count_in(
            Tally(name=name, label=label, updated=now), value=F("value") + amount, updated=now
        )

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
