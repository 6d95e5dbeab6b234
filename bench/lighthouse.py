"""Lighthouse's mobile scores for the main pages, served as in production.

    npm i -E lighthouse@12.2.3 --prefix /tmp/lh     # once, outside the project
    python bench/lighthouse.py --lighthouse /tmp/lh/node_modules/.bin/lighthouse \\
        --db postgres://postgres@127.0.0.1:5432/x --tag mine

Not part of `make bench` or CI: it needs Node, Lighthouse and Chromium. It uses the
database bench/pages.py seeded (same --db and --tag), collects the static files
(compressed and fingerprinted, served by WhiteNoise), serves the app with gunicorn
under production settings (DEBUG off, plain HTTP on loopback) and runs Lighthouse's
default mobile audit (performance and accessibility) on the home page (signed out) and,
signed in through a session cookie, the dashboard, plan page, wall chart, journal and
tree of the 200-step probe planner and their buddy's progress page. Each page is loaded
once before it is measured, as a person's second visit finds it in the page cache.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import database_env, free_port, setup_django
from bench.pages import production_env, redis_for, session_cookie, start_gunicorn, targets

PAGES = (
    ("home", None),
    ("dashboard", "dashboard, 200 steps"),
    ("plan page", "plan page, 200 steps"),
    ("wall chart", "wall chart, 200 steps"),
    ("progress page", "buddy progress, 200 steps"),
    ("journal", "journal, 200-step planner"),
    ("tree", "tree, 200 steps"),
)
CATEGORIES = ("performance", "accessibility")
AUDITS = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lighthouse", required=True, help="the lighthouse executable")
    parser.add_argument("--chrome", default="/usr/bin/chromium")
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--tag", default="")
    parser.add_argument("--redis", default=None)
    args = parser.parse_args(argv)
    name = ("pages-sqlite" if args.db == "sqlite" else "pages-pg") + (
        f"-{args.tag}" if args.tag else ""
    )
    port = free_port()
    env = production_env(database_env(args.db, name), port, redis_for(args.db, args.redis))
    setup_django(env)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("collectstatic", interactive=False, verbosity=0)
    urls = {label: (url, email) for label, url, email, _kind in targets()}
    cookie = settings.SESSION_COOKIE_NAME
    pages = []
    for page, label in PAGES:
        if label is None:
            pages.append((page, "/", ""))
        else:
            url, email = urls[label]
            pages.append((page, url, f"{cookie}={session_cookie(email)}"))
    connection.close()
    server = start_gunicorn(env, port)
    base = f"http://127.0.0.1:{port}"
    print(
        "| page | performance | accessibility | first contentful paint "
        "| largest contentful paint | total blocking time |"
    )
    print("|---|---:|---:|---:|---:|---:|", flush=True)
    try:
        with tempfile.TemporaryDirectory() as folder:
            for page, url, cookies in pages:
                # Loopback http only: the address is built above.
                warm = urllib.request.Request(base + url, headers={"Cookie": cookies})  # noqa: S310
                urllib.request.urlopen(warm, timeout=30).close()  # noqa: S310
                report = Path(folder) / "report.json"
                subprocess.run(
                    [
                        args.lighthouse,
                        base + url,
                        "--quiet",
                        f"--only-categories={','.join(CATEGORIES)}",
                        f"--chrome-path={args.chrome}",
                        "--chrome-flags=--headless=new --no-sandbox",
                        f"--extra-headers={json.dumps({'Cookie': cookies} if cookies else {})}",
                        "--output=json",
                        f"--output-path={report}",
                    ],
                    check=True,
                    capture_output=True,
                )
                data = json.loads(report.read_text())
                scores = " | ".join(
                    f"{data['categories'][category]['score'] * 100:.0f}" for category in CATEGORIES
                )
                figures = " | ".join(data["audits"][audit]["displayValue"] for audit in AUDITS)
                print(f"| {page} | {scores} | {figures} |", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
