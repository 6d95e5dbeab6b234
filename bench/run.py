"""Run every benchmark and print one table: what `make bench` runs.

    python bench/run.py                 # SQLite and PostgreSQL (if reachable), full scale
    python bench/run.py --quick         # smaller tables and shorter loads, for a first look
    python bench/run.py --only sweep    # or --only pages, --only reminders
    python bench/run.py --table         # print the table of the last results only
    python bench/run.py --tag mine      # the sweep and reminder databases and results
                                        # suffixed, beside another person's run

PostgreSQL is reached through BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/...); each benchmark makes its own careerplan_bench_*
database there and touches no other. Results go to var/bench/results/ as JSON, and the
table to var/bench/results/latest.md.
"""

import argparse
import os
import platform
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PG_DEFAULT, RESULTS, load_result, run_python

SWEEP_DUE = 10_000
SWEEP_TARGET_S = 2.0
SWEEP_SCALE_TARGET = 1.2
SEND_TARGET = 300
# The reminder pass: 100,000 planners (400,000 reminders), 1,000 of them due.
REMINDER_PLANNERS = 100_000
REMINDER_DUE = 1_000


def postgres_reachable(url):
    try:
        from urllib.parse import urlsplit, urlunsplit

        import psycopg

        admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
        with psycopg.connect(admin, connect_timeout=3):
            return True
    except Exception as error:  # any failure means: skip PostgreSQL, say why
        print(f"[bench] PostgreSQL not reachable ({error}); running SQLite only")
        return False


def machine():
    cores = os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.machine()}, {cores} cores, Python {platform.python_version()}, load {load:.1f}"
    )


def sweep_rows(big, small, label):
    rows = []
    if big is None:
        return rows
    ratio = big["sweep_s"] / small["sweep_s"] if small else float("nan")
    verdict = "met" if big["sweep_s"] <= SWEEP_TARGET_S else f"MISSED (> {SWEEP_TARGET_S:g} s)"
    rows.append(
        f"| {label} | sweep, {big['steps']:,} steps, {big['due']:,} due | "
        f"{big['sweep_s']:.2f} s (first {big['sweep_first_s']:.2f} s; "
        f"CPU here {big.get('sweep_cpu_s', float('nan')):.2f} s), "
        f"{big['rows_written']:,} outbox rows | <= 2 s | {verdict} |"
    )
    if small:
        verdict = "met" if ratio <= SWEEP_SCALE_TARGET else "MISSED"
        rows.append(
            f"| {label} | sweep, {small['steps']:,} steps, {small['due']:,} due | "
            f"{small['sweep_s']:.2f} s; 1M / 10k = {ratio:.2f}x | <= 1.2x | {verdict} |"
        )
    index = "yes" if big["uses_index"] else "NO"
    if small:
        index += " / " + ("yes" if small["uses_index"] else "NO")
    plan = big["explain"].strip().splitlines()
    line = next((line for line in plan if "step_checkup_sweep_idx" in line), plan[0])
    rows.append(
        f"| {label} | EXPLAIN uses step_checkup_sweep_idx (1M / 10k) | {index}: "
        f"`{line.strip()[:90]}` | index | {'met' if 'NO' not in index else 'MISSED'} |"
    )
    for send in big.get("send", []):
        target = SEND_TARGET if send["workers"] == 2 else None
        verdict = ""
        if target:
            verdict = "met" if send["per_second"] >= target else f"MISSED (< {target}/s)"
        rows.append(
            f"| {label} | send to SMTP sink, {send['workers']} worker(s) | "
            f"{send['per_second']:.0f} emails/s ({send['sent']:,} in {send['seconds']:.1f} s) | "
            f"{'>= 300/s' if target else ''} | {verdict} |"
        )
    dwell = big.get("dwell")
    if dwell:
        rows.append(
            f"| {label} | dwell checkup_due -> hand-over, sweep every {dwell['interval_s']:g} s | "
            f"p50 {dwell['p50_s']:.1f} s, p99 {dwell['p99_s']:.1f} s (after the claim: "
            f"p50 {dwell['after_claim_p50_s']:.2f} s, p99 {dwell['after_claim_p99_s']:.2f} s) "
            f"| | |"
        )
    return rows


def reminder_rows(big, small, label):
    """Table rows for the reminder pass at 100,000 planners against one where every
    planner is due (the same work, a table 100 times smaller)."""
    if big is None:
        return []
    rows = [
        f"| {label} | reminder pass, {big['planners']:,} planners, {big['due']:,} due | "
        f"{big['pass_s']:.3f} s (CPU here {big['pass_cpu_s']:.3f} s), "
        f"{big['rows_written']:,} outbox rows; nothing due: {big['idle_s'] * 1000:.1f} ms | | |"
    ]
    if small:
        ratio = big["pass_s"] / small["pass_s"]
        verdict = "met" if ratio <= SWEEP_SCALE_TARGET else "MISSED"
        rows.append(
            f"| {label} | reminder pass, {small['planners']:,} planners, {small['due']:,} due | "
            f"{small['pass_s']:.3f} s; {big['planners']:,} / {small['planners']:,} = "
            f"{ratio:.2f}x | <= 1.2x | {verdict} |"
        )
    plan = big["explain"].strip().splitlines()
    line = next((line for line in plan if "reminder_due_idx" in line), plan[0])
    rows.append(
        f"| {label} | EXPLAIN uses reminder_due_idx | "
        f"{'yes' if big['uses_index'] else 'NO'}: `{line.strip()[:90]}` | index | "
        f"{'met' if big['uses_index'] else 'MISSED'} |"
    )
    return rows


def table(tag=""):
    from bench.pages import format_table

    tag = f"-{tag}" if tag else ""

    lines = [f"Benchmarks, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()}", ""]
    sweep_lines = []
    for vendor, label in (("sqlite", "SQLite"), ("pg", "PostgreSQL")):
        big = load_result(f"sweep-{vendor}-1000000{tag}") or load_result(
            f"sweep-{vendor}-100000{tag}"
        )
        small = load_result(f"sweep-{vendor}-{SWEEP_DUE}{tag}") or load_result(
            f"sweep-{vendor}-1000{tag}"
        )
        sweep_lines += sweep_rows(big, small, label)
    if sweep_lines:
        lines += [
            "Check-up pipeline (buddies.outbox)",
            "",
            "| database | measure | figure | target | |",
            "|---|---|---|---|---|",
            *sweep_lines,
            "",
        ]
    reminder_lines = []
    for vendor, label in (("sqlite", "SQLite"), ("pg", "PostgreSQL")):
        big = load_result(f"reminders-{vendor}-{REMINDER_PLANNERS}{tag}")
        small = load_result(f"reminders-{vendor}-{REMINDER_DUE}{tag}")
        reminder_lines += reminder_rows(big, small, label)
    if reminder_lines:
        lines += [
            "Reminder pass (reminders.sweep)",
            "",
            "| database | measure | figure | target | |",
            "|---|---|---|---|---|",
            *reminder_lines,
            "",
        ]
    for name in ("pages-sqlite", "pages-sqlite-reconnect", "pages-pg"):
        data = load_result(name)
        if data:
            lines += [format_table(data), ""]
    text = "\n".join(lines)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.md").write_text(text + "\n")
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=("sweep", "pages", "reminders"))
    parser.add_argument("--table", action="store_true", help="print the last results only")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--tag", default="", help="suffix of the sweep and reminder databases")
    args = parser.parse_args(argv)
    if args.table:
        print(table(args.tag))
        return
    tagged = ["--tag", args.tag] if args.tag else []
    started = time.monotonic()
    pg = os.environ.get("BENCH_DATABASE_URL", PG_DEFAULT)
    databases = ["sqlite"]
    if not args.no_postgres and postgres_reachable(pg):
        databases.append(pg)
    big = 100_000 if args.quick else 1_000_000
    due = 1_000 if args.quick else SWEEP_DUE
    if not shutil.which("wrk"):
        print("[bench] wrk not found (apt-get install wrk): using the Python load generator")
    RESULTS.mkdir(parents=True, exist_ok=True)
    for stale in RESULTS.glob("*.json"):
        stale.unlink()
    for db in databases:
        if args.only in (None, "sweep"):
            small = ["--db", db, "--steps", str(due), "--due", str(due), "--no-send"]
            run_python("sweep.py", [*small, *tagged], {})
            rows, live = ("1000", "300") if args.quick else ("3000", "500")
            full = ["--db", db, "--steps", str(big), "--due", str(due), "--repeat", "3"]
            full += ["--send-rows", rows, "--live", live, "--window", "10", "--interval", "5"]
            run_python("sweep.py", [*full, *tagged], {})
        if args.only in (None, "reminders"):
            for planners in (REMINDER_DUE, REMINDER_PLANNERS):
                reminders = ["--db", db, "--planners", str(planners), "--due", str(REMINDER_DUE)]
                run_python("reminders.py", [*reminders, *tagged], {})
        if args.only in (None, "pages"):
            pages = ["--db", db, "--rounds", "2" if args.quick else "3", "--duration", "3"]
            if args.quick:
                pages += ["--steps", "20000"]
            run_python("pages.py", pages, {})
            if db == "sqlite":
                # The same pages with a new SQLite connection per request (CONN_MAX_AGE=0):
                # shows what keeping connections open saves.
                run_python("pages.py", [*pages, "--no-seed", "--reconnect"], {})
    print()
    print(table(args.tag))
    print(f"\n[bench] all done in {(time.monotonic() - started) / 60:.1f} min")


if __name__ == "__main__":
    main()
