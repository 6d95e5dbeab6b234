"""Profile one benchmarked piece with pyinstrument, on a database a benchmark seeded.

    python bench/profile.py page "wall chart, 200 steps"        # after bench/pages.py
    python bench/profile.py sweep --steps 1000000               # after bench/sweep.py
    python bench/profile.py send --steps 1000000 --rows 300     # after bench/sweep.py

`page` renders the page 30 times in-process under the production settings the pages
benchmark uses; `sweep` undoes and repeats one sweep; `send` sends --rows check-ups to an
SMTP sink from this process. Add --db postgres://... for the PostgreSQL database.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import database_env, setup_django


def profile_page(label, times):
    from django.conf import settings
    from django.test import Client

    from bench.pages import session_cookie, targets

    for row_label, url, email, _kind in targets():
        if row_label == label:
            client = Client()
            client.cookies[settings.SESSION_COOKIE_NAME] = session_cookie(email)
            client.get(url)
            return lambda: [client.get(url) for _ in range(times)]
    raise SystemExit(f"No page called {label!r}; see bench/pages.py targets()")


def profile_sweep():
    from django.utils import timezone

    from bench.sweep import reset_due
    from buddies.outbox import sweep

    reset_due()  # every step the seed made due is due again, unclaimed
    return lambda: sweep.sweep_checkups(timezone.now())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("page", "sweep", "send"))
    parser.add_argument("label", nargs="?", default="dashboard, 200 steps")
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=300)
    parser.add_argument("--times", type=int, default=30)
    parser.add_argument("--reconnect", action="store_true", help="CONN_MAX_AGE=0")
    parser.add_argument("--tag", default="", help="the --tag the benchmark was run with")
    parser.add_argument("--redis", default=None, help="the pages benchmark's --redis")
    parser.add_argument("--all", action="store_true", help="show library frames too")
    args = parser.parse_args(argv)
    vendor = "sqlite" if args.db == "sqlite" else "pg"
    tag = f"-{args.tag}" if args.tag else ""
    if args.what == "page":
        from bench.pages import production_env, redis_for

        name = f"pages-{vendor}{tag}"
        env = production_env(database_env(args.db, name), 8000, redis_for(args.db, args.redis))
        if args.reconnect:
            env["CONN_MAX_AGE"] = "0"
    else:
        from bench.common import free_port

        port = free_port()
        env = {
            **database_env(args.db, f"sweep-{vendor}-{args.steps}{tag}"),
            "DEBUG": "0",
            "SECRET_KEY": "bench-profile-" + "k" * 40,
            "EMAIL_URL": f"smtp://127.0.0.1:{port}",
            "SITE_URL": "https://careerplan.example",
        }
    setup_django(env)
    from pyinstrument import Profiler

    if args.what == "page":
        work = profile_page(args.label, args.times)
    elif args.what == "sweep":
        work = profile_sweep()
    else:
        from bench.sweep import Sink, prepare_send
        from buddies.outbox import sender

        sink = Sink(port).__enter__()
        prepare_send(20)
        while sender.send_pending(limit=100):  # warm up: imports, templates, URL resolver
            pass
        prepare_send(args.rows)

        def work():
            while sender.send_pending(limit=100):
                pass

    profiler = Profiler(interval=0.001)
    profiler.start()
    work()
    profiler.stop()
    if args.what == "send":
        sink.__exit__(None, None, None)
    print(profiler.output_text(unicode=False, color=False, show_all=args.all))


if __name__ == "__main__":
    main()
