"""Time the check-up pipeline: the sweep, the sender and the dwell from due to hand-over.

    python bench/sweep.py --steps 1000000 --due 10000            # SQLite, var/bench/sweep-.../
    python bench/sweep.py --db postgres://postgres@127.0.0.1:5432/x --steps 10000 --due 10000
    python bench/sweep.py --tag mine ...    # its own database (careerplan_bench_sweep-pg-...-mine)

Everything runs the pipeline's own functions (buddies.outbox.sweep and .sender), never a
copy:

1. Seed a fresh database (bench/seed.py) with --steps steps of which exactly --due have a
   check-up due and unclaimed, on plans with active buddies.
2. EXPLAIN the sweep's query and look for the partial index `step_checkup_sweep_idx`.
3. Time `sweep_checkups()` claiming every due step and writing the outbox rows, --repeat
   times (the claims and rows are undone between runs; PostgreSQL is vacuumed so dead
   rows do not pile up in the index).
4. Unless --no-send: start an SMTP sink (aiosmtpd on loopback), then time 1 and 2 sender
   processes running `send_pending()` until --send-rows rows are handed over (each sends
   WARM_UP first, off the clock), with the CPU per email of the senders, their database
   server processes and the sink.
5. Unless --no-send: dwell. --live steps fall due over --window seconds; a sweeper
   process runs `sweep_checkups()` every --interval seconds (beat runs it every 60 s in
   production) while 2 senders poll the outbox; dwell is hand-over (sent_at) minus
   checkup_due, and the part after the sweep claimed the step is shown too.
"""

import argparse
import multiprocessing
import os
import secrets
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    cpu_seconds,
    database_env,
    free_port,
    median,
    percentile,
    save_result,
    setup_django,
)

INDEX = "step_checkup_sweep_idx"


class SinkHandler:
    """Accept every message and count it."""

    def __init__(self, counter):
        self.counter = counter

    async def handle_DATA(self, server, session, envelope):
        with self.counter.get_lock():
            self.counter.value += 1
        return "250 OK"


def serve_sink(port, counter, ready, stop):
    from aiosmtpd.controller import Controller

    controller = Controller(SinkHandler(counter), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


class Sink:
    """An SMTP server on loopback (aiosmtpd) in its own process, so that it never shares
    an interpreter lock with a sender; it accepts every message and counts it."""

    def __init__(self, port):
        context = multiprocessing.get_context("spawn")
        self.counter = context.Value("i", 0)
        self.ready, self.stop = context.Event(), context.Event()
        self.process = context.Process(
            target=serve_sink, args=(port, self.counter, self.ready, self.stop)
        )

    @property
    def received(self):
        return self.counter.value

    def __enter__(self):
        self.process.start()
        if not self.ready.wait(30):
            raise SystemExit("The SMTP sink did not start")
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.process.join(timeout=10)


def explain_sweep():
    """Return the plan of the sweep's query, as the sweep runs it."""
    from django.db import connection, transaction
    from django.utils import timezone

    from buddies.outbox.sweep import SWEEP_BATCH
    from plans.models import Step

    query = Step.objects.checkup_due(timezone.now()).order_by("checkup_due", "pk")
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            query = query.select_for_update(skip_locked=True, of=("self",))
        fields = ("pk", "code", "plan_id", "due_date", "checkup_due")
        query = query.values_list(*fields, named=True)[:SWEEP_BATCH]
        return query.explain()


def undo_sweep(now):
    """Put the due steps back as they were before a sweep at `now` and drop its rows."""
    from django.db import connection

    from buddies.models import Notification
    from plans.models import Step

    Notification.objects.filter(kind=Notification.Kind.CHECKUP, created=now).delete()
    Step.objects.filter(checkup_claimed=now).update(checkup_claimed=None)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE plans_step")
            cursor.execute("VACUUM ANALYZE buddies_notification")


def reset_due():
    """Undo every sweep since the seed: its claims and its check-up rows (the seed's own
    past notifications are keyed history:N and stay)."""
    from django.db import connection
    from django.db.models import Min

    from buddies.models import Notification
    from plans.models import Step

    rows = Notification.objects.filter(kind=Notification.Kind.CHECKUP).exclude(
        key__startswith="history:"
    )
    since = rows.aggregate(first=Min("created"))["first"]
    if since is None:
        return
    Step.objects.filter(checkup_claimed__gte=since).update(checkup_claimed=None)
    rows.delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE plans_step")
            cursor.execute("VACUUM ANALYZE buddies_notification")


def time_sweeps(repeat):
    from django.utils import timezone

    from buddies.outbox import sweep

    runs = []
    for number in range(repeat):
        now = timezone.now()
        started, cpu = time.perf_counter(), time.process_time()
        written = sweep.sweep_checkups(now)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        from plans.models import Step

        claimed = Step.objects.filter(checkup_claimed=now).count()
        runs.append(
            {"seconds": elapsed, "cpu": cpu, "claimed": claimed, "rows": written, "now": now}
        )
        print(
            f"[sweep] run {number + 1}: claimed {claimed:,} steps, wrote {written:,} rows "
            f"in {elapsed:.2f} s ({cpu:.2f} s of this process's CPU)",
            flush=True,
        )
        if number < repeat - 1:
            undo_sweep(now)
    return runs


# Emails each sender process sends before the clock starts: what a worker pays once
# (templates compiled, the URL resolver built, connections opened) is not part of a
# running worker's pace.
WARM_UP = 30


def send_worker(start, results, stop_when_empty=True, stop=None, ready=None):
    """A sender process: send_pending() in batches until the outbox has nothing due.
    With `ready`, first send WARM_UP emails and say so. Report when it finished, what it
    sent, its CPU time and its database server process's (PostgreSQL on this machine)."""
    setup_django()
    from django.db import connection

    from buddies.outbox import sender

    connection.ensure_connection()
    if ready is not None:
        sender.send_pending(limit=WARM_UP)
        ready.put(True)
    server = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            server = cursor.fetchone()[0]
    start.wait()
    cpu, server_cpu = time.process_time(), cpu_seconds(server) if server else None
    sent = 0
    while True:
        counts = sender.send_pending(limit=100)
        sent += counts.get("sent", 0)
        if not counts:
            if stop_when_empty and stop is None:
                break
            if stop is not None and stop.is_set():
                break
            time.sleep(0.2)
    if server_cpu is not None:
        server_cpu = cpu_seconds(server) - server_cpu
    results.put((time.time(), sent, time.process_time() - cpu, server_cpu))


def sweeper(start, stop, interval):
    """A beat stand-in: run the real sweep every `interval` seconds until stopped."""
    setup_django()
    from buddies.outbox import sweep

    start.wait()
    while not stop.is_set():
        sweep.sweep_checkups()
        stop.wait(interval)


def time_sending(workers, rows, sink):
    """Send `rows` pending check-ups (and WARM_UP more per process before the clock
    starts) with `workers` processes; return emails per second."""
    from django.db import connection
    from django.utils import timezone

    from buddies.models import Notification

    rows = prepare_send(rows + workers * WARM_UP) - workers * WARM_UP
    context = multiprocessing.get_context("spawn")
    start, results, ready = context.Event(), context.Queue(), context.Queue()
    processes = [
        context.Process(target=send_worker, args=(start, results, True, None, ready))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    connection.close()
    for _ in processes:
        ready.get(timeout=120)
    before, sink_cpu = sink.received, cpu_seconds(sink.process.pid)
    began = time.time()
    start.set()
    finished = [results.get(timeout=600) for _ in processes]
    sink_cpu = cpu_seconds(sink.process.pid) - sink_cpu if sink_cpu is not None else None
    for process in processes:
        process.join()
    elapsed = max(at for at, *_ in finished) - began
    sent = sum(count for _, count, *_ in finished)
    received = sink.received - before
    servers = [server for *_, server in finished]
    per_email = {
        "senders": sum(cpu for _, _, cpu, _ in finished),
        "database": sum(servers) if None not in servers else None,
        "sink": sink_cpu,
    }
    now = timezone.now()
    stuck = Notification.objects.filter(
        kind=Notification.Kind.CHECKUP, state=Notification.State.PENDING, next_attempt__lte=now
    ).count()
    return {
        "workers": workers,
        "sent": sent,
        "received": received,
        "seconds": elapsed,
        "per_second": sent / elapsed if elapsed else 0,
        "left_pending": stuck,
        "expected": rows,
        # Milliseconds of CPU per email sent, by process: the machine's two cores serve
        # all three, so their sum bounds what two senders can reach here.
        "cpu_ms_per_email": {
            name: round(1000 * value / sent, 2) if value is not None and sent else None
            for name, value in per_email.items()
        },
    }


def prepare_send(rows):
    """Leave `rows` check-up rows due and pending; hold back the others for a day."""
    from django.db import transaction
    from django.utils import timezone

    from buddies.models import Notification

    now = timezone.now()
    # The sweep's own rows: the seed's past notifications (history:N) are about no step
    # and would fail rather than send.
    checkups = Notification.objects.filter(kind=Notification.Kind.CHECKUP).exclude(
        key__startswith="history:"
    )
    with transaction.atomic():
        checkups.update(
            state=Notification.State.PENDING,
            attempts=0,
            sent_at=None,
            handed_over=None,
            resends=0,
            message_id="",
            lease_until=None,
            last_error="",
            next_attempt=now + timedelta(days=1),
        )
        chosen = list(checkups.order_by("pk").values_list("pk", flat=True)[:rows])
        for start in range(0, len(chosen), 5000):
            Notification.objects.filter(pk__in=chosen[start : start + 5000]).update(
                next_attempt=now - timedelta(seconds=1)
            )
    return len(chosen)


def measure_dwell(live, window, interval):
    """Let `live` steps fall due over `window` seconds and time each until hand-over."""
    from django.db import connection, transaction
    from django.utils import timezone

    from buddies.models import Notification
    from plans.models import Step

    Notification.objects.filter(kind=Notification.Kind.CHECKUP).update(
        state=Notification.State.SKIPPED, next_attempt=timezone.now()
    )
    steps = list(
        Step.objects.filter(checkup_claimed__isnull=False, status=Step.Status.OPEN)
        .filter(notifications__kind=Notification.Kind.CHECKUP)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()[:live]
    )
    context = multiprocessing.get_context("spawn")
    start, stop, results = context.Event(), context.Event(), context.Queue()
    senders = [
        context.Process(target=send_worker, args=(start, results, False, stop)) for _ in range(2)
    ]
    beat = context.Process(target=sweeper, args=(start, stop, interval))
    for process in [*senders, beat]:
        process.start()
    time.sleep(3)
    began = timezone.now() + timedelta(seconds=1)
    with transaction.atomic():
        Notification.objects.filter(step_id__in=steps, kind=Notification.Kind.CHECKUP).delete()
        for index, pk in enumerate(steps):
            Step.objects.filter(pk=pk).update(
                checkup_claimed=None,
                checkup_due=began + timedelta(seconds=window * index / max(1, len(steps))),
            )
    connection.close()
    start.set()
    expected = None
    deadline = time.monotonic() + window + interval + 120
    while time.monotonic() < deadline:
        time.sleep(1)
        rows = Notification.objects.filter(step_id__in=steps, kind=Notification.Kind.CHECKUP)
        total = rows.count()
        done = rows.filter(state=Notification.State.SENT).count()
        claimed = Step.objects.filter(pk__in=steps, checkup_claimed__isnull=False).count()
        connection.close()
        if claimed == len(steps):
            expected = total
            if done >= total:
                break
    stop.set()
    for process in [*senders, beat]:
        process.join(timeout=60)
    sent = list(
        Notification.objects.filter(
            step_id__in=steps, kind=Notification.Kind.CHECKUP, state=Notification.State.SENT
        ).values_list("step__checkup_due", "created", "sent_at")
    )
    dwell = [(sent_at - due).total_seconds() for due, _created, sent_at in sent]
    after_claim = [(sent_at - created).total_seconds() for _due, created, sent_at in sent]
    return {
        "steps": len(steps),
        "rows": expected,
        "sent": len(sent),
        "interval_s": interval,
        "window_s": window,
        "p50_s": percentile(dwell, 0.5),
        "p99_s": percentile(dwell, 0.99),
        "after_claim_p50_s": percentile(after_claim, 0.5),
        "after_claim_p99_s": percentile(after_claim, 0.99),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", help="sqlite (default) or a postgres:// URL")
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-seed", action="store_true", help="reuse the last seeded database")
    parser.add_argument("--repeat", type=int, default=3, help="timed sweeps (default 3)")
    parser.add_argument("--no-send", action="store_true", help="time the sweep only")
    parser.add_argument("--send-rows", type=int, default=3000, help="emails per send run")
    parser.add_argument("--live", type=int, default=1000, help="steps falling due for dwell")
    parser.add_argument("--window", type=float, default=20, help="seconds they fall due over")
    parser.add_argument("--interval", type=float, default=5, help="seconds between sweeps")
    parser.add_argument("--tag", default="", help="suffix of the database and result names")
    args = parser.parse_args(argv)

    vendor = "sqlite" if args.db == "sqlite" else "pg"
    name = f"sweep-{vendor}-{args.steps}" + (f"-{args.tag}" if args.tag else "")
    smtp_port = free_port()
    env = {
        **database_env(args.db, name),
        # As in production: DEBUG off (no query log kept per query) and a real key.
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "SITE_URL": "https://careerplan.example",
    }
    setup_django(env)
    from django.db import connection

    from bench import seed

    label = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    result = {"database": label, "steps": args.steps, "due": args.due}
    if not args.no_seed:
        seed.recreate_database()
        info = seed.seed(args.steps, args.due, args.seed, probes=False)
        result["seed_s"] = info["total_s"]
        print(
            f"[sweep] seeded {label}: {info['steps']:,} steps, {args.due:,} due, "
            f"in {info['total_s']:.1f} s",
            flush=True,
        )
    else:
        reset_due()
    plan = explain_sweep()
    result["explain"] = plan
    result["uses_index"] = INDEX in plan
    print(f"[sweep] EXPLAIN on {label}:\n{plan}", flush=True)
    runs = time_sweeps(args.repeat)
    result["sweeps"] = [{k: v for k, v in run.items() if k != "now"} for run in runs]
    result["sweep_s"] = median([run["seconds"] for run in runs])
    result["sweep_first_s"] = runs[0]["seconds"]
    result["sweep_cpu_s"] = median([run["cpu"] for run in runs])
    result["rows_written"] = runs[0]["rows"]
    if not args.no_send:
        with Sink(smtp_port) as sink:
            result["send"] = []
            for workers in (1, 2):
                outcome = time_sending(workers, args.send_rows, sink)
                result["send"].append(outcome)
                cpu = ", ".join(
                    f"{name} {ms}" for name, ms in outcome["cpu_ms_per_email"].items() if ms
                )
                print(
                    f"[sweep] {workers} sender(s): {outcome['sent']:,} emails in "
                    f"{outcome['seconds']:.1f} s = {outcome['per_second']:.0f}/s "
                    f"(the sink received {outcome['received']:,}; CPU ms per email: {cpu})",
                    flush=True,
                )
            result["dwell"] = measure_dwell(args.live, args.window, args.interval)
        dwell = result["dwell"]
        print(
            f"[sweep] dwell, sweep every {args.interval:g} s: p50 {dwell['p50_s']:.1f} s, "
            f"p99 {dwell['p99_s']:.1f} s; after the claim p50 {dwell['after_claim_p50_s']:.2f} s,"
            f" p99 {dwell['after_claim_p99_s']:.2f} s ({dwell['sent']:,} emails)",
            flush=True,
        )
    result["finished"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    save_result(name, result)
    return result


if __name__ == "__main__":
    main()
