"""A worker that stops consuming exits, so that its supervisor starts it again.

kombu can leave a Celery worker up but consuming nothing: a broker connection lost
without an error (a half-open TCP connection), or an ack racing a broker outage. Such a
worker answers no task and nothing restarts it, since its process is alive. The watchdog
is a thread in the worker's main process that

1. sends a probe task to the worker's own queue (`worker_direct`) every sixth of the
   limit, from a thread of its own (a publish may hang on a dead connection), so an idle
   worker that consumes has something to consume;
2. notes every task message the worker's consumer receives (Celery's `task_received`);
3. every second, if no task is running and nothing was received for
   WORKER_WATCHDOG_SECONDS, logs why and exits with status 1 at once (a wedged worker may
   not shut down cleanly; prefork's pool processes die with it, and rows they held are
   recovered when their lease runs out). docker-compose's restart policy and `make run`
   start it again.

A running task counts as consuming: it holds the worker's prefetch, so the probe waits
behind it. With the default of 90 s a wedged worker is consuming again within two
minutes. WORKER_ALIVE_FILE, if set, is touched while the worker is consuming, for a
health check to read.

`BaseWatchdog` (the thread, the limit, the exit and the alive file) serves beat's watchdog
too (careerplan.beat).
"""

import logging
import os
import threading
import time
from pathlib import Path

from celery.signals import task_received, worker_ready
from celery.utils.nodenames import worker_direct
from celery.worker import state

log = logging.getLogger(__name__)

PROBE_TASK = "careerplan.tasks.probe"


class BaseWatchdog:
    """A thread that exits the process with status 1 once it has stalled past the limit.

    A subclass says how long the process has stalled (`stalled_for`) and why it exits
    (`stalled_message`); `watch` is the thread's round, once a second. While the process
    is not stalled, the alive file (if any) is touched, for a health check to read.
    """

    name = "watchdog"
    stalled_message = "Stalled for %.0f s (limit %s s): exiting to be restarted."

    def __init__(self, limit, alive_file="", exit=os._exit):
        self.limit = limit
        self.alive_file = Path(alive_file) if alive_file else None
        self.exit = exit
        self.thread = None

    def stalled_for(self, now=None):
        raise NotImplementedError

    def check(self, now=None):
        """Exit if the process has stalled past the limit; else note that it is alive."""
        stalled = self.stalled_for(now)
        if stalled > self.limit:
            log.critical(self.stalled_message, stalled, self.limit)
            logging.shutdown()
            self.exit(1)
        elif self.alive_file is not None:
            self.alive_file.touch()

    def watch(self):
        self.check()

    def run(self):
        while True:
            self.watch()
            time.sleep(1)

    def start(self):
        self.thread = threading.Thread(target=self.run, name=self.name, daemon=True)
        self.thread.start()


class Watchdog(BaseWatchdog):
    stalled_message = "Worker consumed nothing for %.0f s (limit %s s): exiting to be restarted."

    def __init__(self, app, hostname, limit, alive_file="", exit=os._exit):
        super().__init__(limit, alive_file, exit)
        self.app = app
        self.queue = worker_direct(hostname)
        self.probe_every = max(1.0, limit / 6)
        self.last_consumed = time.monotonic()
        self.prober = None
        self.next_probe = 0.0

    def consumed(self, **kwargs):
        self.last_consumed = time.monotonic()

    def stalled_for(self, now=None):
        """Seconds the worker has been idle without consuming (0 while a task runs)."""
        now = time.monotonic() if now is None else now
        if state.active_requests:
            self.last_consumed = now
        return now - self.last_consumed

    def probe(self):
        try:
            self.app.send_task(PROBE_TASK, queue=self.queue, expires=self.limit, retry=False)
        except Exception as error:
            # The broker may be down: then nothing is consumed either, and the limit decides.
            log.warning("Watchdog probe not sent: %r", error)

    def watch(self):
        now = time.monotonic()
        if now >= self.next_probe and (self.prober is None or not self.prober.is_alive()):
            # In a thread of its own: a publish on a dead connection may hang, and the
            # check below must go on.
            self.next_probe = now + self.probe_every
            self.prober = threading.Thread(target=self.probe, name="watchdog-probe", daemon=True)
            self.prober.start()
        self.check()

    def start(self):
        task_received.connect(self.consumed, weak=False)
        super().start()


_watchdog = None


@worker_ready.connect
def start_watchdog(sender, **kwargs):
    """Start the watchdog once per worker (worker_ready is sent again after a reconnect)."""
    global _watchdog
    from django.conf import settings

    if _watchdog is not None or not settings.WORKER_WATCHDOG_SECONDS:
        return
    _watchdog = Watchdog(
        sender.app,
        sender.hostname,
        settings.WORKER_WATCHDOG_SECONDS,
        settings.WORKER_ALIVE_FILE,
    )
    _watchdog.start()
