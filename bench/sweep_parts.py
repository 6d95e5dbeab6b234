"""The check-up sweep timed by part (reading the batches, claiming, writing the rows) on a
database `sweep.py` seeded, to see which part grows with the table.

    python bench/sweep_parts.py --steps 1000000 --db postgres://postgres@127.0.0.1:5432/x --tag mine
    python bench/sweep_parts.py --steps 10000 --db postgres://... --tag mine

Every sweep since the seed is undone first, and each run is undone (and PostgreSQL
vacuumed) before the next, as `sweep.py` does. Wall-clock seconds, summed over the
batches; "total" is `sweep_checkups` itself, commits included.
"""

import argparse
import sys
import time
from pathlib import Path
from secrets import token_urlsafe

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import database_env, setup_django


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite")
    parser.add_argument("--tag", default="")
    parser.add_argument("--repeat", type=int, default=4)
    args = parser.parse_args(argv)
    vendor = "sqlite" if args.db == "sqlite" else "pg"
    name = f"sweep-{vendor}-{args.steps}" + (f"-{args.tag}" if args.tag else "")
    # As sweep.py: DEBUG off (no query log kept) and a key of the run's own.
    setup_django({**database_env(args.db, name), "DEBUG": "0", "SECRET_KEY": token_urlsafe(50)})
    from django.utils import timezone

    from bench.sweep import reset_due, undo_sweep
    from buddies.outbox import sweep

    reset_due()
    parts = {"read": "due_batch", "claim": "claim", "write": "write_checkups"}
    spent = dict.fromkeys(parts, 0.0)
    for part, function in parts.items():
        # Each part of sweep.sweep_checkups, timed where it calls it (a module global).
        setattr(sweep, function, timed(getattr(sweep, function), spent, part))
    for run in range(1, args.repeat + 1):
        now = timezone.now()
        spent.update(dict.fromkeys(parts, 0.0))
        started = time.perf_counter()
        sweep.sweep_checkups(now)
        total = time.perf_counter() - started
        figures = ", ".join(f"{part} {seconds:.3f} s" for part, seconds in spent.items())
        print(f"[sweep parts] {name} run {run}: {figures}, total {total:.3f} s", flush=True)
        undo_sweep(now)


def timed(function, spent, part):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[part] += time.perf_counter() - started

    return wrapper


if __name__ == "__main__":
    main()
