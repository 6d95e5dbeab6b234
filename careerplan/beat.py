"""A beat that stops ticking exits, so that its supervisor starts it again.

Beat publishes the whole schedule (the check-up sweep, the reminder pass, the tidy): a
beat that is up but publishes nothing means no check-up or reminder is ever sent, and
nothing restarts it, since its process is alive. Its publish can hang for good: kombu
waits without a timeout on a broker connection that accepts and never answers (a
half-open TCP connection, a broker that is wedged). So

1. beat runs `Scheduler` (CELERY_BEAT_SCHEDULER), which tells the watchdog each time one
   of its ticks has completed and how long beat will sleep before the next;
2. the watchdog, a thread in beat's process started on Celery's `beat_init`, checks every
   second; when no tick has completed for BEAT_WATCHDOG_SECONDS past the moment the next
   one was due, it logs why and exits with status 1 at once (a hung publish may not let
   beat shut down cleanly). docker-compose's restart policy and `make run` start it again.

Counting from the moment the next tick was due, an idle beat sleeping until its next
entry is never taken for a hung one, whatever the schedule. With the default of 90 s a
hung beat is publishing again within two minutes. A restarted beat sends at once what
its schedule file (saved every few minutes) says is due; every scheduled task is safe to
run early or twice, as it is with two beats. BEAT_ALIVE_FILE, if set, is touched while
beat ticks, for a health check to read.
"""

import logging
import os
import time

from celery import beat
from celery.signals import beat_init

from careerplan.watchdog import BaseWatchdog

log = logging.getLogger(__name__)


class BeatWatchdog(BaseWatchdog):
    name = "beat-watchdog"
    stalled_message = (
        "Beat completed no tick for %.0f s after one was due (limit %s s): exiting to be restarted."
    )

    def __init__(self, limit, alive_file="", exit=os._exit):
        super().__init__(limit, alive_file, exit)
        self.next_tick = time.monotonic()

    def ticked(self, interval, now=None):
        """Note a completed tick, after which beat sleeps `interval` seconds."""
        now = time.monotonic() if now is None else now
        self.next_tick = now + max(interval or 0, 0)

    def stalled_for(self, now=None):
        """Seconds since the next tick was due without one completing (negative before)."""
        now = time.monotonic() if now is None else now
        return now - self.next_tick


class Scheduler(beat.PersistentScheduler):
    """Beat's scheduler (a shelve file, as Celery's own), telling its watchdog of every
    completed tick."""

    watchdog = None

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        if self.watchdog is not None:
            self.watchdog.ticked(interval)
        return interval


_watchdog = None


@beat_init.connect
def start_watchdog(sender, **kwargs):
    """Start the watchdog once per beat, on the scheduler beat runs."""
    global _watchdog
    from django.conf import settings

    if _watchdog is not None or not settings.BEAT_WATCHDOG_SECONDS:
        return
    scheduler = sender.scheduler
    if not isinstance(scheduler, Scheduler):
        log.warning(
            "Beat runs %s, which tells no watchdog of its ticks: no beat watchdog.",
            type(scheduler).__name__,
        )
        return
    _watchdog = BeatWatchdog(settings.BEAT_WATCHDOG_SECONDS, settings.BEAT_ALIVE_FILE)
    scheduler.watchdog = _watchdog
    _watchdog.start()
