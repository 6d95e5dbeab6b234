"""The outbox's figures for an operator: what the workers and beat count (kept as
careerplan.models.Tally rows, since they count in other processes) and what the outbox
table says at scrape time (OutboxCollector, served by careerplan.metrics)."""

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from buddies.models import Notification
from careerplan.models import Tally

SENDS = "outbox_sends"
SWEEPS = "outbox_sweeps"
SWEEP_SECONDS = "outbox_sweep_seconds"
SWEEP_LAST_SECONDS = "outbox_sweep_last_seconds"
# What each sweep counted, by its step (sweep.run_sweep).
SWEEP_COUNTS = {
    "claimed": ("outbox_steps_claimed", "Steps whose check-up the sweep claimed."),
    "checkups": ("outbox_checkups_written", "Check-up rows the sweep wrote."),
    "due": ("outbox_due_after_wait", "Rows the sweep sent when their wait was over."),
    "lost": ("outbox_lost_enqueues", "Rows whose send task never came, sent by the sweep."),
}
RECOVERED = "outbox_recovered"


def count_sends(counts):
    """Add a send task's outcomes ({"sent": 9, "skipped": 1}) to the figures."""
    for outcome, n in counts.items():
        Tally.objects.add(SENDS, n, label=outcome)


def record_sweep(counts, seconds):
    """Add one sweep's counts and duration to the figures."""
    Tally.objects.add(SWEEPS)
    Tally.objects.add(SWEEP_SECONDS, seconds)
    Tally.objects.put(SWEEP_LAST_SECONDS, seconds)
    for key, (name, _) in SWEEP_COUNTS.items():
        if counts.get(key):
            Tally.objects.add(name, counts[key])
    for how, n in counts.get("recovered", {}).items():
        if n:
            Tally.objects.add(RECOVERED, n, label=how)


class OutboxCollector:
    """The outbox's figures, read at scrape time (three queries)."""

    def collect(self, now=None):
        now = now or timezone.now()
        rows = GaugeMetricFamily(
            "careerplan_outbox_rows", "Outbox rows by state and kind.", labels=["state", "kind"]
        )
        by_state_kind = (
            Notification.objects.values_list("state", "kind")
            .annotate(n=Count("pk"))
            .order_by("state", "kind")
        )
        for state, kind, n in by_state_kind:
            rows.add_metric([state, kind], n)
        yield rows

        # Served by the partial index on pending rows' next_attempt.
        oldest = Notification.objects.filter(
            state=Notification.State.PENDING, next_attempt__lte=now
        ).aggregate(oldest=Min("next_attempt"))["oldest"]
        yield GaugeMetricFamily(
            "careerplan_outbox_oldest_due_seconds",
            "How long the oldest pending row whose time has come has waited (0: none).",
            value=(now - oldest).total_seconds() if oldest else 0,
        )

        tallies = {}
        last_sweep = None
        for tally in Tally.objects.filter(name__startswith="outbox_"):
            tallies.setdefault(tally.name, {})[tally.label] = tally.value
            if tally.name == SWEEPS:
                last_sweep = tally.updated
        yield _counter(SENDS, "Rows a sender finished with, by outcome.", tallies, "outcome")
        yield _counter(SWEEPS, "Sweeps run.", tallies)
        yield _counter(SWEEP_SECONDS, "Seconds spent sweeping.", tallies)
        yield GaugeMetricFamily(
            f"careerplan_{SWEEP_LAST_SECONDS}",
            "How long the last sweep took.",
            value=tallies.get(SWEEP_LAST_SECONDS, {}).get("", 0),
        )
        yield GaugeMetricFamily(
            "careerplan_outbox_last_sweep_timestamp_seconds",
            "When the last sweep ended (Unix time; 0: never).",
            value=last_sweep.timestamp() if last_sweep else 0,
        )
        for name, help_text in SWEEP_COUNTS.values():
            yield _counter(name, help_text, tallies)
        yield _counter(
            RECOVERED,
            "Rows whose sender stopped holding them, by what became of them.",
            tallies,
            "how",
        )


def _counter(name, help_text, tallies, label=None):
    counter = CounterMetricFamily(
        f"careerplan_{name}", help_text, labels=[label] if label else None
    )
    values = tallies.get(name, {})
    if label:
        for value, n in sorted(values.items()):
            counter.add_metric([value], n)
    else:
        counter.add_metric([], values.get("", 0))
    return counter
