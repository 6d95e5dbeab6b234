"""Fill a fresh benchmark database with realistic careerplan data, fast and repeatably.

    python bench/seed.py --scale 1m --due 10000 --seed 1   # SQLite: var/bench/default/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/careerplan_bench \\
        python bench/seed.py --steps 1000000 --due 10000 --seed 1

What it writes (the same rows for the same --seed, --steps and --due on the same day):
- planners (about one per 200 steps), each with a time zone, a verified address, an active
  plan and often an archived one; each plan has a GROW sheet with obstacles and options,
  a reverse-engineering tree (undated nodes with dated children) and dated steps spread
  from the plan's start to its target date: mostly done in the past, a few dropped, some
  overdue (their check-up already made) and the rest ahead;
- exactly --due open steps whose check-up is due and not yet claimed (what the sweep
  finds), on active plans;
- each step's history (committed, done), journal entries, buddyships (most planners have
  an active buddy, some two, some only an invitation; half of the buddies have an account,
  the others a private link), shared plans, buddies' notes and past notifications;
- two probe planners, probe-20@bench.example and probe-200@bench.example, whose one active
  plan has exactly 20 and 200 steps, each with a signed-in buddy
  (probe-20-buddy@bench.example, ...) who sees that plan and the journal: the pages
  benchmark loads their pages.

Rows are written with PostgreSQL's COPY or SQLite's executemany, with ids assigned here,
so a million steps take seconds, not the minutes that saving models one by one would.
"""

import argparse
import json
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PROTECTED_DATABASES, setup_django

PROBE_SIZES = (20, 200)
STEPS_PER_USER = 200
ZONES = (
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Australia/Sydney",
    "UTC",
)
VERBS = (
    "Email",
    "Call",
    "Read",
    "Write",
    "Update",
    "Book",
    "Ask",
    "Apply to",
    "Finish",
    "Draft",
    "Visit",
    "Practise",
)
OBJECTS = (
    "two people who work in UX research",
    "the careers adviser about a portfolio review",
    "chapter 3 of the course book",
    "my CV for the junior analyst role",
    "a coffee with Sam from the meetup",
    "the evening class on data visualisation",
    "the hiring manager at the local council",
    "three job adverts and note the skills asked",
    "a one-page case study of the budget project",
    "the LinkedIn headline and summary",
    "an informational interview at the museum",
    "the mock interview with Priya",
)
GOALS = (
    "I will be working as a UX researcher in a public-sector team",
    "I will be teaching secondary-school science",
    "I will be running my own bakery two days a week",
    "I will be a junior data analyst at a charity",
    "I will be working as a landscape gardener",
    "I will be a paralegal in a family-law firm",
)
OBSTACLES = (
    ("practical", "Evenings are taken by the children's bedtime"),
    ("people", "My partner worries about the drop in pay"),
    ("myself", "I think I am too old to start again"),
    ("practical", "The course costs more than I have saved"),
)
OPTIONS = (
    ("else", "Study at lunchtime instead of evenings"),
    ("help", "Ask my sister to read my applications"),
    ("someone", "Take a part-time role first"),
    ("else", "Apply for the employer's learning budget"),
)
JOURNAL_TEXTS = (
    "Sent the email I had been putting off for a week. Felt lighter straight away.",
    "Read twenty pages and wrote down three questions for the meetup.",
    "Spoke to Jo about the role: **much** less scary than I thought.",
    "Updated the portfolio with the survey project. Small, but done.",
    "Tired today, but I still booked the course for next month.",
)
MOODS = ("great", "good", "okay", "low", "tough", "")


class Writer:
    """Insert tuples into a model's table: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, connection):
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.counts = {}

    def write(self, model, fields, rows):
        table = model._meta.db_table
        columns = [model._meta.get_field(name).column for name in fields]
        quoted = ", ".join(self.connection.ops.quote_name(c) for c in columns)
        count = 0
        with self.connection.cursor() as cursor:
            if self.postgres:
                raw = cursor.cursor
                with raw.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(tuple(_pg(value) for value in row))
                        count += 1
            else:
                marks = ", ".join("?" for _ in columns)
                sql = f"INSERT INTO {table} ({quoted}) VALUES ({marks})"
                batch = []
                for row in rows:
                    batch.append(tuple(_sqlite(value) for value in row))
                    if len(batch) >= 20_000:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
        self.counts[table] = self.counts.get(table, 0) + count
        return count


def _pg(value):
    if isinstance(value, dict):
        return json.dumps(value)
    return value


def _sqlite(value):
    # The same representations Django's SQLite backend stores (UTC, naive, as text).
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, bool):
        return int(value)
    return value


def recreate_database():
    """Start from an empty schema: a new PostgreSQL database, or a new SQLite file."""
    import os

    url = os.environ.get("DATABASE_URL")
    if url:
        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        if name in PROTECTED_DATABASES or not name.startswith("careerplan_bench"):
            raise SystemExit(f"Refusing to drop {name!r}: bench databases are careerplan_bench*")
        import psycopg

        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        from django.conf import settings

        path = Path(settings.DATABASES["default"]["NAME"])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    call_command("migrate", verbosity=0, interactive=False)


def drop_indexes(connection, tables):
    """Drop the tables' secondary indexes (not those behind constraints); return the SQL
    that creates them again."""
    found = []
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                    [table],
                )
            else:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = %s AND sql IS NOT NULL",
                    [table],
                )
            found += cursor.fetchall()
        for name, _sql in found:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [sql for _name, sql in found]


class Ids:
    """Hand out primary keys per model, so foreign keys are known before any insert."""

    def __init__(self):
        self.next = {}

    def take(self, model):
        value = self.next.get(model, 1)
        self.next[model] = value + 1
        return value


def seed(steps=100_000, due=None, seed_number=1, now=None, probes=True):
    """Write the data set described in the module docstring; return counts and timings."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth.hashers import make_password
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from accounts.models import User
    from buddies.models import Buddyship, Note, Notification, ShareLink
    from journals.models import JournalEntry
    from plans.models import GrowSession, Obstacle, Option, Plan, Step, StepEvent, checkup_instant

    started = time.perf_counter()
    rng = random.Random(seed_number)
    now = now or datetime.now(UTC)
    due = steps // 100 if due is None else due
    if due > steps:
        raise SystemExit("--due cannot exceed --steps")
    ids = Ids()
    writer = Writer(connection)
    # Nobody signs in with a password here (the pages benchmark makes sessions), and one
    # real hash would cost seconds of PBKDF2 for nothing.
    password = make_password(None)

    def new_uuid():
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    @cache
    def zone_of(tz):
        import zoneinfo

        return zoneinfo.ZoneInfo(tz)

    @cache
    def checkup(due_date, tz):
        return checkup_instant(due_date, zone_of(tz))

    users, emails, plans, sessions, obstacles, options = [], [], [], [], [], []
    step_rows, events, journal, buddyships, shares, links, notes, notifications = (
        [],
        [],
        [],
        [],
        [],
        [],
        [],
        [],
    )
    active_plans = []  # (plan id, tz, created date, user id)
    plan_meta = {}  # plan id -> [tz, next position, created]

    def add_user(email, tz=None, name=None):
        user_id = ids.take(User)
        tz = tz or rng.choice(ZONES)
        joined = now - timedelta(days=rng.randint(30, 500))
        users.append(
            (user_id, password, None, False, email, False, True, joined, new_uuid(), name or "", tz)
        )
        emails.append((ids.take(EmailAddress), user_id, email, True, True))
        return user_id, tz

    def add_plan(user_id, tz, status, created):
        plan_id = ids.take(Plan)
        target = created.date() + timedelta(days=rng.randint(120, 540))
        plans.append(
            (
                plan_id,
                new_uuid(),
                user_id,
                rng.choice(GOALS),
                "An offer letter, or a first paid piece of work, in the new field.",
                "Work that matches what I care about.",
                target,
                status,
                False,
                created,
                created,
            )
        )
        plan_meta[plan_id] = [tz, 0, created, target]
        session_id = ids.take(GrowSession)
        sessions.append(
            (
                session_id,
                new_uuid(),
                plan_id,
                1,
                "Land a first role in the new field",
                "Ten years in retail management; evenings free twice a week.",
                "I enjoy explaining things and finding patterns.",
                "Finished an online course; spoke to two people in the field.",
                created,
                created,
            )
        )
        for position, (kind, text) in enumerate(rng.sample(OBSTACLES, 3)):
            obstacles.append((ids.take(Obstacle), new_uuid(), session_id, kind, text, position))
        for position, (prompt, text) in enumerate(OPTIONS):
            options.append(
                (ids.take(Option), new_uuid(), session_id, text, prompt, None, None, position)
            )
        if status == "active":
            active_plans.append(plan_id)
        return plan_id

    def add_step(plan_id, *, due_date=None, parent=None, source="direct", force_due=False):
        tz, position, created, _target = plan_meta[plan_id]
        plan_meta[plan_id][1] += 1
        step_id = ids.take(Step)
        today = now.astimezone(zone_of(tz)).date()
        status, completed, checkup_due, claimed = "open", None, None, None
        reward = "a trip to the cinema" if rng.random() < 0.2 else ""
        if force_due:
            # A check-up the sweep will find: date passed, open, not claimed yet.
            due_date = today - timedelta(days=rng.randint(2, 6))
            checkup_due = checkup(due_date, tz)
        elif due_date is not None:
            roll = rng.random()
            if due_date < today:
                if roll < 0.75:
                    status = "done"
                    completed = datetime.combine(
                        due_date - timedelta(days=rng.randint(0, 2)),
                        datetime.min.time(),
                        tzinfo=UTC,
                    ) + timedelta(hours=rng.randint(7, 22))
                elif roll < 0.8:
                    status = "dropped"
                else:
                    checkup_due = checkup(due_date, tz)
                    if checkup_due <= now:
                        claimed = checkup_due + timedelta(seconds=rng.randint(1, 60))
            elif roll < 0.03:
                status = "done"
                completed = now - timedelta(hours=rng.randint(1, 48))
            else:
                checkup_due = checkup(due_date, tz)
        step_created = created + timedelta(minutes=position)
        step_rows.append(
            (
                step_id,
                new_uuid(),
                plan_id,
                parent,
                position,
                f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}",
                "",
                due_date,
                reward,
                None,
                status,
                source,
                step_created,
                completed,
                checkup_due,
                claimed,
            )
        )
        if due_date is not None:
            events.append(
                (ids.take(StepEvent), step_id, "committed", step_created, None, due_date, "")
            )
        if status == "done":
            events.append((ids.take(StepEvent), step_id, "done", completed, None, None, ""))
        elif status == "dropped":
            events.append(
                (ids.take(StepEvent), step_id, "dropped", step_created, None, None, "Not needed")
            )
        return step_id

    def fill_plan(plan_id, count):
        """Give a plan `count` steps: about one in ten an undated tree node."""
        _tz, _position, created, target = plan_meta[plan_id]
        nodes = [
            add_step(plan_id, source="tree") for _ in range(max(1, count // 10) if count else 0)
        ]
        span = max(1, (target - created.date()).days)
        for _ in range(count - len(nodes)):
            day = created.date() + timedelta(days=rng.randint(0, span))
            if nodes and rng.random() < 0.3:
                add_step(plan_id, due_date=day, parent=rng.choice(nodes), source="tree")
            else:
                add_step(plan_id, due_date=day, source=rng.choice(("direct", "direct", "grow")))

    def add_journal(user_id, tz, days):
        today = now.astimezone(zone_of(tz)).date()
        for offset in sorted(rng.sample(range(0, 90), days)):
            day = today - timedelta(days=offset)
            written = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=20)
            journal.append(
                (
                    ids.take(JournalEntry),
                    new_uuid(),
                    user_id,
                    day,
                    rng.choice(MOODS),
                    rng.choice(JOURNAL_TEXTS),
                    written,
                    written,
                )
            )

    def add_buddyship(planner_id, buddy_user_id, email, status, plan_ids, share_journal=False):
        buddyship_id = ids.take(Buddyship)
        created = now - timedelta(days=rng.randint(5, 200))
        active = status == "active"
        buddyships.append(
            (
                buddyship_id,
                new_uuid(),
                planner_id,
                buddy_user_id,
                email,
                rng.choice(("Sam", "Priya", "Jo", "Alex", "Chris", "Mo")),
                "Would you check in on me now and then?",
                status,
                share_journal,
                True,
                rng.random() < 0.3,
                None,
                None if active else uuid.UUID(int=rng.getrandbits(128)).hex * 2,
                None if active else now + timedelta(days=7),
                created,
                created + timedelta(days=1) if active else None,
                None,
            )
        )
        if not active:
            return buddyship_id
        for plan_id in plan_ids:
            shares.append((ids.take(Buddyship.plans.through), buddyship_id, plan_id))
        if buddy_user_id is None:
            links.append(
                (
                    ids.take(ShareLink),
                    new_uuid(),
                    buddyship_id,
                    uuid.UUID(int=rng.getrandbits(128)).hex * 2,
                    created,
                    None,
                    None,
                )
            )
        for index in range(rng.randint(0, 3)):
            notes.append(
                (
                    ids.take(Note),
                    new_uuid(),
                    buddyship_id,
                    None,
                    "cheer",
                    "Well done, keep going!",
                    created + timedelta(days=index + 2),
                    None,
                )
            )
        for index in range(rng.randint(2, 8)):
            sent = created + timedelta(days=index + 1)
            notifications.append(
                (
                    ids.take(Notification),
                    new_uuid(),
                    rng.choice(("commitment", "celebration", "checkup")),
                    "email",
                    buddyship_id,
                    None,
                    f"history:{index}",
                    {},
                    "sent",
                    sent,
                    None,
                    sent,
                    1,
                    sent,
                    0,
                    sent,
                    f"<{uuid.UUID(int=rng.getrandbits(128))}@bench.example>",
                    "",
                )
            )
        return buddyship_id

    # 1. Planners, plans and their steps (all but the due ones).
    user_count = max(2, round(steps / STEPS_PER_USER))
    planners = []
    for index in range(user_count):
        user_id, tz = add_user(f"planner-{index}@bench.example", name=f"Planner {index}")
        created = now - timedelta(days=rng.randint(10, 400))
        owned = [add_plan(user_id, tz, "active", created)]
        if rng.random() < 0.3:
            owned.append(add_plan(user_id, tz, "archived", created - timedelta(days=300)))
        planners.append((user_id, tz, owned, rng.random()))
    all_plans = [plan_id for _, _, owned, _ in planners for plan_id in owned]
    weights = [rng.uniform(0.2, 1.8) for _ in all_plans]
    normal = steps - due
    total_weight = sum(weights)
    counts = [int(normal * w / total_weight) for w in weights]
    for index in range(normal - sum(counts)):
        counts[index % len(counts)] += 1
    for plan_id, count in zip(all_plans, counts, strict=True):
        fill_plan(plan_id, count)
    # 2. Exactly `due` check-ups waiting for the sweep, on the active plans of planners
    #    with one active buddy (most of them), so that every scale writes one outbox row
    #    per due step and sweeps of different table sizes compare like with like.
    active = set(active_plans)
    one_buddy = [
        plan_id
        for _, _, owned, roll in planners
        if 0.1 <= roll < 0.85
        for plan_id in owned
        if plan_id in active
    ] or active_plans
    for _ in range(due):
        add_step(rng.choice(one_buddy), force_due=True)
    # 3. Journals and buddies: most planners have an active buddy, who is another
    #    planner (with an account) or someone following by email and a private link.
    for index, (user_id, tz, owned, roll) in enumerate(planners):
        add_journal(user_id, tz, rng.randint(0, 25))
        active_owned = [p for p in owned if p in active]
        buddies = 2 if roll < 0.1 else 1 if roll < 0.85 else 0
        for number in range(buddies):
            if rng.random() < 0.5:
                other = planners[(index + 1 + number) % len(planners)][0]
                email = f"planner-{(index + 1 + number) % len(planners)}@bench.example"
            else:
                other, email = None, f"friend-{index}-{number}@bench.example"
            add_buddyship(user_id, other, email, "active", active_owned, rng.random() < 0.3)
        if 0.85 <= roll < 0.95:
            add_buddyship(user_id, None, f"invited-{index}@bench.example", "invited", [])
    # 4. The probe planners the pages benchmark loads.
    if probes:
        for size in PROBE_SIZES:
            user_id, tz = add_user(f"probe-{size}@bench.example", "Europe/London", f"Probe {size}")
            buddy_id, _ = add_user(f"probe-{size}-buddy@bench.example", "Europe/London", "Sam")
            created = now - timedelta(days=120)
            plan_id = add_plan(user_id, tz, "active", created)
            fill_plan(plan_id, size)
            archived = add_plan(user_id, tz, "archived", created - timedelta(days=400))
            fill_plan(archived, 20)
            add_journal(user_id, tz, 30)
            add_buddyship(
                user_id, buddy_id, f"probe-{size}-buddy@bench.example", "active", [plan_id], True
            )
    generated = time.perf_counter()

    # 5. Write everything, parents first, in one transaction; the two big tables get
    #    their secondary indexes back afterwards (building an index once is faster than
    #    updating it a million times).
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            # A crash mid-seed loses nothing of value: the next seed starts afresh.
            cursor.execute("PRAGMA journal_mode = OFF")
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -500000")
    dropped = drop_indexes(connection, [Step._meta.db_table, StepEvent._meta.db_table])
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL synchronous_commit = off")
                cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        writer.write(
            User,
            [
                "id",
                "password",
                "last_login",
                "is_superuser",
                "email",
                "is_staff",
                "is_active",
                "date_joined",
                "code",
                "display_name",
                "tz",
            ],
            users,
        )
        writer.write(EmailAddress, ["id", "user_id", "email", "verified", "primary"], emails)
        writer.write(
            Plan,
            [
                "id",
                "code",
                "owner_id",
                "goal",
                "measure",
                "relevance",
                "target_date",
                "status",
                "is_example",
                "created",
                "updated",
            ],
            plans,
        )
        writer.write(
            GrowSession,
            [
                "id",
                "code",
                "plan_id",
                "number",
                "goal",
                "reality",
                "discoveries",
                "steps_taken",
                "created",
                "updated",
            ],
            sessions,
        )
        writer.write(Obstacle, ["id", "code", "session_id", "kind", "text", "position"], obstacles)
        writer.write(
            Option,
            ["id", "code", "session_id", "text", "prompt", "obstacle_id", "step_id", "position"],
            options,
        )
        writer.write(
            Step,
            [
                "id",
                "code",
                "plan_id",
                "parent_id",
                "position",
                "title",
                "notes",
                "due_date",
                "reward",
                "reward_enjoyed",
                "status",
                "source",
                "created",
                "completed",
                "checkup_due",
                "checkup_claimed",
            ],
            step_rows,
        )
        writer.write(
            StepEvent,
            ["id", "step_id", "kind", "created", "old_date", "new_date", "reason"],
            events,
        )
        writer.write(
            JournalEntry,
            ["id", "code", "owner_id", "date", "mood", "text", "created", "updated"],
            journal,
        )
        writer.write(
            Buddyship,
            [
                "id",
                "code",
                "planner_id",
                "user_id",
                "email",
                "name",
                "message",
                "status",
                "share_journal",
                "celebrations",
                "digest",
                "unsubscribed",
                "invite_token_hash",
                "invite_expires",
                "created",
                "accepted",
                "ended",
            ],
            buddyships,
        )
        writer.write(Buddyship.plans.through, ["id", "buddyship_id", "plan_id"], shares)
        writer.write(
            ShareLink,
            ["id", "code", "buddyship_id", "token_hash", "created", "revoked", "last_used"],
            links,
        )
        writer.write(
            Note,
            ["id", "code", "buddyship_id", "step_id", "kind", "text", "created", "seen"],
            notes,
        )
        writer.write(
            Notification,
            [
                "id",
                "code",
                "kind",
                "channel",
                "buddyship_id",
                "step_id",
                "key",
                "payload",
                "state",
                "created",
                "lease_until",
                "next_attempt",
                "attempts",
                "handed_over",
                "resends",
                "sent_at",
                "message_id",
                "last_error",
            ],
            notifications,
        )
        models = [
            User,
            EmailAddress,
            Plan,
            GrowSession,
            Obstacle,
            Option,
            Step,
            StepEvent,
            JournalEntry,
            Buddyship,
            Buddyship.plans.through,
            ShareLink,
            Note,
            Notification,
        ]
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(sql)
            if connection.vendor == "postgresql":
                # Foreign keys are checked at commit; an index cannot be built while
                # those checks are pending, so run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for sql in dropped:
                cursor.execute(sql)
    written = time.perf_counter()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # As autovacuum would have done to a table this size: without it the first
            # sweep sets every row's hint bits and reads no visibility map.
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    connection.close()
    finished = time.perf_counter()
    return {
        "steps": len(step_rows),
        "due": due,
        "rows": writer.counts,
        "generate_s": generated - started,
        "write_s": written - generated,
        "analyze_s": finished - written,  # VACUUM ANALYZE on PostgreSQL
        "total_s": finished - started,
    }


def parse_count(text):
    """Read 1000000, 1,000,000, 100k or 1m."""
    text = text.strip().lower().replace(",", "").replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * factor)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--steps",
        "--scale",
        type=parse_count,
        default=100_000,
        help="steps in all: 1000000, 1m, 100k (default 100k)",
    )
    parser.add_argument("--due", type=int, default=None, help="check-ups due (default steps/100)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--no-probes", action="store_true", help="leave out the probe planners")
    args = parser.parse_args(argv)
    setup_django()
    from django.db import connection

    recreate_database()
    result = seed(args.steps, args.due, args.seed, probes=not args.no_probes)
    print(
        f"Seeded {connection.vendor} with {result['steps']:,} steps ({result['due']:,} due) "
        f"in {result['total_s']:.1f} s (generate {result['generate_s']:.1f} s, "
        f"write {result['write_s']:.1f} s, analyze {result['analyze_s']:.1f} s)"
    )
    for table, count in sorted(result["rows"].items()):
        print(f"  {table:32} {count:>10,}")
    return result


if __name__ == "__main__":
    main()
