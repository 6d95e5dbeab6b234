"""Load the signed-in pages under production settings and state each as a share of the
stack's limit: a truly bare Django view (no middleware, no database) in the same rounds.

    python bench/pages.py                       # SQLite under var/bench/pages-sqlite/
    python bench/pages.py --db postgres://postgres@127.0.0.1:5432/x   # careerplan_bench_pages
    python bench/pages.py --no-seed --rounds 5 --duration 8

1. Seed a fresh database (bench/seed.py; --steps, default 100,000) with the probe planners
   whose plan has 20 and 200 steps, and collect the static files as production does.
2. Count each page's SQL queries and HTML size in-process with the test client: when
   it is rendered, and when it comes from the page cache (careerplan.pagecache).
3. Serve the app with gunicorn as in production (2 sync workers, DEBUG off, a real
   SECRET_KEY, persistent database connections, Redis for the cache and sessions with
   PostgreSQL) with the app's bare view mounted (BENCH_BARE_VIEW=1: "ok" through the
   whole middleware stack, signed in) and plain-HTTP cookies allowed (INSECURE_HTTP=1);
   beside it, with the same gunicorn configuration, the truly bare view
   (bench/bare_wsgi.py: Django, no middleware, no database): the reference; and, with a
   shared cache, the app once more with PAGE_CACHE=0, where every request renders its
   page: what the first view after a change costs.
4. In rounds, load the truly bare view, the app's signed-in bare view and each page in
   turn with wrk (Debian's package; a small threaded Python client if wrk is missing),
   signed in as a browser is: the session cookie made with Django's session engine and
   the CSRF cookie a first response would have set. Each figure's ratio to both
   references is taken within the same round, then the median over rounds is printed,
   so a busy machine shifts them all.
"""

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from http.client import HTTPConnection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    BASE_DIR,
    child_env,
    database_env,
    free_port,
    load_average,
    machine,
    median,
    percentile,
    save_result,
    setup_django,
)

# Shares of the truly bare view: the middleware, session and user every signed-in
# request pays; the dashboard; and every other main page at 200 steps.
TARGET_SIGNED_IN = 0.50
TARGET_DASHBOARD = 0.20
TARGET_HEAVY = 0.10
MAX_HTML = 100 * 1024
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
# The app's cache and sessions for the production-like run: a Redis database of the
# benchmark's own (the test suites use others).
REDIS_DEFAULT = "redis://127.0.0.1:6379/2"


def redis_for(db, choice):
    """The REDIS_URL a run gives the app: production's PostgreSQL and Redis together by
    default (if Redis answers), the embedded mode's process-local cache with SQLite."""
    if choice is None:
        choice = "none" if db == "sqlite" else os.environ.get("BENCH_REDIS_URL", REDIS_DEFAULT)
        if choice != "none" and not redis_answers(choice):
            print(f"[pages] Redis does not answer at {choice}: running without it")
            choice = "none"
    return "" if choice == "none" else choice


def redis_answers(url):
    import redis

    try:
        return redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        return False


def production_env(db_env, port, redis_url=""):
    """The environment of a production deployment, on plain HTTP on loopback."""
    return {
        **db_env,
        "REDIS_URL": redis_url,
        "DEBUG": "0",
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "INSECURE_HTTP": "1",
        "CONN_MAX_AGE": "600",
        "BENCH_BARE_VIEW": "1",
        "LOG_LEVEL": "WARNING",
    }


def targets():
    """Return [(label, url, user email, kind)] for the two references and the pages."""
    from django.urls import reverse

    from accounts.models import User
    from buddies.models import Buddyship
    from plans.models import Plan

    rows = [
        ("truly bare Django view", "/bench/bare/", "probe-20@bench.example", "reference"),
        ("signed-in bare view", "/bench/bare/", "probe-20@bench.example", "signed-in"),
    ]
    for size in (20, 200):
        owner = User.objects.get(email=f"probe-{size}@bench.example")
        plan = Plan.objects.get(owner=owner, status=Plan.Status.ACTIVE)
        buddyship = Buddyship.objects.get(planner=owner, user__isnull=False)
        buddy = f"probe-{size}-buddy@bench.example"
        rows += [
            (f"dashboard, {size} steps", reverse("plans-dashboard"), owner.email, "dashboard"),
            (f"plan page, {size} steps", plan.get_absolute_url(), owner.email, "heavy"),
            (
                f"wall chart, {size} steps",
                reverse("plans-wallchart", args=[plan.code]),
                owner.email,
                "heavy",
            ),
            (
                f"buddy progress, {size} steps",
                reverse("buddies-progress", args=[buddyship.code]),
                buddy,
                "heavy",
            ),
            (f"journal, {size}-step planner", reverse("journals-today"), owner.email, "heavy"),
            (f"tree, {size} steps", reverse("plans-tree", args=[plan.code]), owner.email, "heavy"),
        ]
    return rows


def rendered_rows(rows):
    """The 200-step pages again, served with PAGE_CACHE=0: rendered on every request."""
    pages = [row for row in rows if row[3] in ("dashboard", "heavy") and "200" in row[0]]
    return [(f"{label}, rendered", url, email, "rendered") for label, url, email, _ in pages]


def browser_cookies(email):
    """The Cookie header of a browser signed in as `email`: its session, and the CSRF
    cookie the first page it saw set (without one, every page makes a new secret)."""
    from django.conf import settings
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.utils.crypto import get_random_string

    csrf = get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)
    return (
        f"{settings.SESSION_COOKIE_NAME}={session_cookie(email)}; "
        f"{settings.CSRF_COOKIE_NAME}={csrf}"
    )


def session_cookie(email):
    """Sign `email` in through Django's own session engine; return the session key."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from accounts.models import User

    user = User.objects.get(email=email)
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def measure_in_process(rows, cookies):
    """Return [(status, html bytes, queries rendered, queries cached)] for each row,
    through the test client, signed in as the load is."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    def get(client, url):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        return response, len(queries)

    found = []
    for _label, url, email, kind in rows:
        if kind == "reference":
            found.append((200, 2, 0, 0))  # served by bench/bare_wsgi.py: no database at all
            continue
        client = Client(HTTP_COOKIE=cookies[email])
        client.get(url)  # warm caches (templates, zone data) as a running server has them
        with override_settings(PAGE_CACHE=False):
            response, rendered = get(client, url)
        client.get(url)
        _cached, cached = get(client, url)
        found.append((response.status_code, len(response.content), rendered, cached))
    return found


def start_gunicorn(env, port, app="careerplan.wsgi:application", ready="/healthz"):
    """Serve `app` as production does (the same for the app and the truly bare view)."""
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn),
        app,
        f"--workers={WORKERS}",
        "--worker-class=sync",
        f"--bind=127.0.0.1:{port}",
        "--log-level=warning",
        "--timeout=60",
    ]
    process = subprocess.Popen(command, env=child_env(env), cwd=BASE_DIR)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready}", timeout=2) as reply:
                if reply.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit(f"gunicorn did not answer {ready} within 30 s")


WRK_LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(url, cookies, duration, connections):
    """Return (req/s, p50 ms, p99 ms, errors) from one wrk run."""
    output = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout=30s",
            "--latency",
            "-H",
            f"Cookie: {cookies}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {int(p): float(v) * UNIT[u] for p, v, u in WRK_LATENCY.findall(output)}
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return rate, latency.get(50, float("nan")), latency.get(99, float("nan")), errors


def run_python_load(url, cookies, duration, connections):
    """A small threaded load generator with http.client, for machines without wrk."""
    parts = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    host, port, path = parts.group(1), int(parts.group(2)), parts.group(3)
    latencies, errors = [], [0]
    stop = time.monotonic() + duration

    def worker():
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                conn = HTTPConnection(host, port, timeout=30)
                conn.request("GET", path, headers={"Cookie": cookies})
                reply = conn.getresponse()
                reply.read()
                conn.close()
                if reply.status >= 400:
                    errors[0] += 1
            except OSError:
                errors[0] += 1
                continue
            latencies.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    rate = len(latencies) / elapsed
    return rate, percentile(latencies, 0.5), percentile(latencies, 0.99), errors[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite", help="sqlite (default) or a postgres:// URL")
    parser.add_argument("--steps", type=int, default=100_000, help="steps seeded in all")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-seed", action="store_true", help="reuse the last seeded database")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=5, help="seconds per page per round")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--loader", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument(
        "--reconnect",
        action="store_true",
        help="open a new database connection for every request (CONN_MAX_AGE=0)",
    )
    parser.add_argument("--tag", default="", help="suffix of the database and result names")
    parser.add_argument(
        "--only", default="", help="load only the pages whose name has this (and the references)"
    )
    parser.add_argument(
        "--redis",
        default=None,
        help="REDIS_URL for the app (cache and sessions); default: "
        f"{REDIS_DEFAULT} (BENCH_REDIS_URL) with PostgreSQL, none with SQLite; 'none' for none",
    )
    args = parser.parse_args(argv)

    name = "pages-sqlite" if args.db == "sqlite" else "pages-pg"
    if args.tag:
        name = f"{name}-{args.tag}"
    port = free_port()
    redis_url = redis_for(args.db, args.redis)
    env = production_env(database_env(args.db, name), port, redis_url)
    result_name = name
    if args.reconnect:
        env["CONN_MAX_AGE"] = "0"
        result_name = f"{name}-reconnect"
    setup_django(env)
    from django.core.management import call_command
    from django.db import connection

    from bench import seed

    label = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    label += f" and Redis (db {redis_url.rsplit('/', 1)[-1]})" if redis_url else ", no Redis"
    if args.reconnect:
        label += ", a new connection per request"
    if not args.no_seed:
        seed.recreate_database()
        info = seed.seed(args.steps, None, args.seed)
        print(f"[pages] seeded {label}: {info['steps']:,} steps in {info['total_s']:.1f} s")
        # The seed wrote rows in bulk, with ids a previous seed also used: nothing cached
        # for them may outlive it (a database restored from a backup is the same case).
        from django.core.cache import cache

        cache.clear()
    call_command("collectstatic", interactive=False, verbosity=0)
    rows = targets()
    if redis_url:
        rows += rendered_rows(rows)
    if args.only:
        rows = [row for row in rows if row[3] in ("reference", "signed-in") or args.only in row[0]]
    cookies = {email: browser_cookies(email) for email in {row[2] for row in rows}}
    sizes = measure_in_process(rows, cookies)
    connection.close()

    loader = args.loader
    if loader == "auto":
        loader = "wrk" if shutil.which("wrk") else "python"
    load = run_wrk if loader == "wrk" else run_python_load
    server = start_gunicorn(env, port)
    bare_port = free_port()
    bare_server = start_gunicorn(env, bare_port, "bench.bare_wsgi:application", "/bench/bare/")
    servers = [server, bare_server]
    ports = {"reference": bare_port}
    if redis_url:
        ports["rendered"] = free_port()
        servers.append(start_gunicorn({**env, "PAGE_CACHE": "0"}, ports["rendered"]))
    bases = {kind: f"http://127.0.0.1:{ports.get(kind, port)}" for *_, kind in rows}
    count = len(rows)
    rates, ratios, signed_ratios, p50s, p99s = ([[] for _ in rows] for _ in range(5))
    errors = [0] * count
    load_before = load_average()
    try:
        for _label, url, email, kind in rows:  # warm each worker's caches
            load(bases[kind] + url, cookies[email], 1, args.connections)
        for number in range(args.rounds):
            reference = signed_in = None
            for index, (row_label, url, email, kind) in enumerate(rows):
                rate, p50, p99, failed = load(
                    bases[kind] + url, cookies[email], args.duration, args.connections
                )
                reference = reference or rate
                if kind == "signed-in":
                    signed_in = rate
                rates[index].append(rate)
                ratios[index].append(rate / reference)
                signed_ratios[index].append(rate / signed_in if signed_in else float("nan"))
                p50s[index].append(p50)
                p99s[index].append(p99)
                errors[index] += failed
                print(
                    f"[pages] {label} round {number + 1}/{args.rounds} {row_label:32} "
                    f"{rate:8.1f} req/s  {rate / reference:6.1%} of truly bare",
                    flush=True,
                )
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=30)

    results = []
    for index, (row_label, url, _email, kind) in enumerate(rows):
        status, html, queries, cached_queries = sizes[index]
        ratio = median(ratios[index])
        if kind in ("reference", "rendered"):
            verdict = ""
        elif kind == "signed-in":
            verdict = "met" if ratio >= TARGET_SIGNED_IN else f"MISSED (< {TARGET_SIGNED_IN:.0%})"
        elif kind == "dashboard":
            verdict = "met" if ratio >= TARGET_DASHBOARD else f"MISSED (< {TARGET_DASHBOARD:.0%})"
        else:
            heavy = "200" in row_label
            misses = []
            if heavy and ratio < TARGET_HEAVY:
                misses.append(f"< {TARGET_HEAVY:.0%}")
            if heavy and html > MAX_HTML:
                misses.append("> 100 KB")
            verdict = ("MISSED (" + ", ".join(misses) + ")") if misses else ("met" if heavy else "")
        results.append(
            {
                "page": row_label,
                "url": url,
                "status": status,
                "req_s": median(rates[index]),
                "ratio": ratio,
                "signed_in_ratio": median(signed_ratios[index]),
                "p50_ms": median(p50s[index]),
                "p99_ms": median(p99s[index]),
                "html_kb": html / 1024,
                "queries": queries,
                "cached_queries": cached_queries,
                "errors": errors[index],
                "verdict": verdict,
            }
        )
    data = {
        "database": label,
        "loader": f"wrk -t1 -c{args.connections}" if loader == "wrk" else "python threads",
        "rounds": args.rounds,
        "duration_s": args.duration,
        "workers": WORKERS,
        "steps_seeded": args.steps,
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "machine": machine(),
        "results": results,
        "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    save_result(result_name, data)
    print(format_table(data))
    return data


def format_table(data):
    lines = [
        f"Pages on {data['database']}, {data['finished']}, {data.get('machine', '')}: "
        f"gunicorn, {data['workers']} sync workers, DEBUG off; "
        f"{data['loader']}, {data['rounds']} rounds x {data['duration_s']} s; "
        f"load average {data['load_average_before']:.1f} -> {data['load_average_after']:.1f}",
        "",
        "| page | req/s | of truly bare | of signed-in bare | p50 ms | p99 ms | HTML KB "
        "| queries (rendered / cached) | target |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in data["results"]:
        flag = f" ({row['errors']} errors)" if row["errors"] else ""
        signed = row.get("signed_in_ratio", float("nan"))
        signed = "" if signed != signed else f"{signed:.1%}"
        queries = row["queries"]
        if not row["page"].endswith(", rendered"):  # served with PAGE_CACHE=0: no cached view
            queries = f"{queries} / {row.get('cached_queries', '')}"
        lines.append(
            f"| {row['page']} | {row['req_s']:.0f} | {row['ratio']:.1%} | {signed} | "
            f"{row['p50_ms']:.1f} | "
            f"{row['p99_ms']:.1f} | {row['html_kb']:.1f} | {queries} | "
            f"{row['verdict']}{flag} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
