"""Time the reminder pass: it should cost what is due, not what is stored.

    python bench/reminders.py --planners 100000 --due 1000        # SQLite, var/bench/...
    python bench/reminders.py --db postgres://postgres@127.0.0.1:5432/x --planners 100000

Everything runs the pass's own function (reminders.sweep.run_pass), never a copy:

1. Seed a fresh database with --planners planners, each with a verified address, a time
   zone, an active plan with two steps (one done, one ahead) and the four reminders as a
   new planner has them (weekly plan and morning email on, their next instants spread
   over the coming week; the two nudges off). Exactly --due planners have their morning
   email due now and a step due today, so each pass writes --due outbox rows whatever
   the table's size.
2. EXPLAIN the pass's query and look for the partial index `reminder_due_idx`.
3. Time run_pass() --repeat times (the due reminders and their rows are put back between
   runs; PostgreSQL is vacuumed), then a pass with nothing due.
"""

import argparse
import os
import random
import secrets
import sys
import time
import uuid
import zoneinfo
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import database_env, median, save_result, setup_django
from bench.seed import ZONES as BASE_ZONES

INDEX = "reminder_due_idx"
# The seed's zones, and one whose clocks move by half an hour.
ZONES = (*BASE_ZONES, "Australia/Lord_Howe")


def seed(planners, due, seed_number, now):
    """Write the planners, their plans, steps and reminders; return seconds taken."""
    from allauth.account.models import EmailAddress
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from accounts.models import User
    from bench.seed import Writer
    from plans.models import Plan, Step
    from reminders.models import DEFAULTS, Reminder
    from reminders.schedule import local_day

    started = time.perf_counter()
    rng = random.Random(seed_number)
    users, emails, plans, steps, reminders = [], [], [], [], []
    due_users = set(rng.sample(range(1, planners + 1), due))
    reminder_id = step_id = 0
    for user_id in range(1, planners + 1):
        tz = rng.choice(ZONES)
        zone = zoneinfo.ZoneInfo(tz)
        today = local_day(now, zone)
        email = f"planner-{user_id}@bench.example"
        joined = now - timedelta(days=rng.randint(1, 400))
        users.append(
            (user_id, "!", None, False, email, False, True, joined, uuid.uuid4(), "Planner", tz)
        )
        emails.append((user_id, user_id, email, True, True))
        plans.append(
            (
                user_id,
                uuid.uuid4(),
                user_id,
                "I will be teaching secondary-school science",
                "",
                "",
                None,
                "active",
                False,
                joined,
                joined,
            )
        )
        # One step done, one ahead, and for the due planners one due today.
        dated = [("done", today - timedelta(days=3)), ("open", today + timedelta(days=9))]
        if user_id in due_users:
            dated.append(("open", today))
        for status, due_date in dated:
            step_id += 1
            completed = now - timedelta(days=2) if status == "done" else None
            steps.append(
                (step_id, uuid.uuid4(), user_id, None, step_id, "Email two people in UX", "",
                 due_date, "", status, "direct", joined, completed)
            )  # fmt: skip
        for kind, fields in DEFAULTS.items():
            reminder_id += 1
            next_due = None
            if fields["enabled"]:
                next_due = now + timedelta(seconds=rng.randint(60, 7 * 24 * 3600))
                if kind == "morning" and user_id in due_users:
                    next_due = now - timedelta(seconds=rng.randint(1, 50))
            at = fields["at"].isoformat()
            reminders.append(
                (reminder_id, user_id, kind, fields["enabled"], at, fields.get("weekday"), next_due)
            )
    writer = Writer(connection)
    with transaction.atomic():
        user_fields = ["id", "password", "last_login", "is_superuser", "email", "is_staff"]
        user_fields += ["is_active", "date_joined", "code", "display_name", "tz"]
        writer.write(User, user_fields, users)
        writer.write(EmailAddress, ["id", "user_id", "email", "verified", "primary"], emails)
        plan_fields = ["id", "code", "owner_id", "goal", "measure", "relevance", "target_date"]
        plan_fields += ["status", "is_example", "created", "updated"]
        writer.write(Plan, plan_fields, plans)
        step_fields = ["id", "code", "plan_id", "parent_id", "position", "title", "notes"]
        step_fields += ["due_date", "reward", "status", "source", "created", "completed"]
        writer.write(Step, step_fields, steps)
        reminder_fields = ["id", "user_id", "kind", "enabled", "at", "weekday", "next_due"]
        writer.write(Reminder, reminder_fields, reminders)
        with connection.cursor() as cursor:
            models = [User, EmailAddress, Plan, Step, Reminder]
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
    analyze()
    return time.perf_counter() - started


def analyze(tables=()):
    """VACUUM ANALYZE `tables` (all of them if none), as autovacuum would have done."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in tables or ("",):
                cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")


def explain_pass(now):
    """Return the plan of the pass's query, as the pass runs it."""
    from django.db import transaction

    from reminders.sweep import PASS_BATCH, due_query

    with transaction.atomic():
        return due_query(now)[:PASS_BATCH].explain()


def time_passes(repeat, now):
    """Time run_pass(now) `repeat` times, putting the due reminders back in between."""
    from buddies.models import Notification
    from reminders.models import Reminder
    from reminders.sweep import run_pass

    due = list(Reminder.objects.due(now).values_list("pk", "next_due"))
    runs = []
    for number in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        written = run_pass(now)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        runs.append({"seconds": elapsed, "cpu": cpu, "rows": written["email"]})
        print(
            f"[reminders] run {number + 1}: {len(due):,} due, wrote {written['email']:,} rows "
            f"in {elapsed:.3f} s ({cpu:.3f} s of this process's CPU)",
            flush=True,
        )
        Notification.objects.filter(user__isnull=False).delete()
        for pk, next_due in due:
            Reminder.objects.filter(pk=pk).update(next_due=next_due)
        analyze(("reminders_reminder", "buddies_notification"))
    started = time.perf_counter()
    run_pass(now - timedelta(minutes=10))
    idle = time.perf_counter() - started
    print(f"[reminders] a pass with nothing due: {idle * 1000:.1f} ms", flush=True)
    return runs, idle


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", help="sqlite (default) or a postgres:// URL")
    parser.add_argument("--planners", type=int, default=100_000)
    parser.add_argument("--due", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tag", default="", help="suffix of the database and result names")
    args = parser.parse_args(argv)

    vendor = "sqlite" if args.db == "sqlite" else "pg"
    name = f"reminders-{vendor}-{args.planners}" + (f"-{args.tag}" if args.tag else "")
    env = {
        **database_env(args.db, name),
        # As in production: DEBUG off (no query log kept per query) and a real key.
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        "SITE_URL": "https://careerplan.example",
    }
    setup_django(env)
    from django.db import connection

    from bench import seed as base_seed

    label = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    now = datetime.now(UTC).replace(microsecond=0)
    base_seed.recreate_database()
    seconds = seed(args.planners, args.due, args.seed, now)
    print(
        f"[reminders] seeded {label}: {args.planners:,} planners "
        f"({args.planners * 4:,} reminders), {args.due:,} due, in {seconds:.1f} s",
        flush=True,
    )
    plan = explain_pass(now)
    print(f"[reminders] EXPLAIN on {label}:\n{plan}", flush=True)
    runs, idle = time_passes(args.repeat, now)
    result = {
        "database": label,
        "planners": args.planners,
        "due": args.due,
        "explain": plan,
        "uses_index": INDEX in plan,
        "runs": runs,
        "pass_s": median([run["seconds"] for run in runs]),
        "pass_cpu_s": median([run["cpu"] for run in runs]),
        "rows_written": runs[0]["rows"],
        "idle_s": idle,
        "seed_s": seconds,
    }
    save_result(name, result)
    print(
        f"[reminders] {label}, {args.planners:,} planners, {args.due:,} due: "
        f"median {result['pass_s']:.3f} s; index used: {result['uses_index']}",
        flush=True,
    )


if __name__ == "__main__":
    main()
