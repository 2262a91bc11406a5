"""``make bench`` (``python -m bench``): every benchmark, or the ones named with ``--only``.

Needs PostgreSQL. ``BENCH_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/grove_bench``) must name a superuser: each benchmark drops
and recreates that database. Each prints one line per measure,
``bench <name> <value> target <target> ok|short``, and writes var/bench/<name>.json.
``BENCH_SCALE=small`` runs the quick version of each. Other arguments go to the benchmarks
(``BENCH_ARGS="--rounds 30"``); each module's docstring says what it measures:

``rls``         the cost of row-level security per request (bench/rls.py), about 1.5 minutes;
``access_log``  logged reads vs unlogged, and verify_access_log on 10 million events
                (bench/access_log.py), about 10 minutes (1.5 with BENCH_SCALE=small);
``practices``   the feed (JSON API, HTML page) and search under wrk against gunicorn beside a
                trivial view, RLS on vs off, on 100,000 practices and 1,000,000 reactions of one
                organization among 50 (bench/practices.py);
``onboarding`` the user-list import of 100,000 rows vs raw COPY of the same rows, and its peak
                memory (bench/onboarding.py), median of 5 interleaved rounds, about 3 minutes;
``rights``      one person's personal-data export at 1,000,000 users and 10,000,000 access-log
                events vs 10,000 and 100,000 (bench/rights.py), mostly loading the events
                (BENCH_SCALE=small: 100,000 and 1,000,000 vs 1,000 and 10,000);
``retention``   purging an organization of 100,000 users, 1,000,000 practices and reactions and
                5,000,000 access-log events while another organization's feed is served under
                wrk: its p99 during the purge vs before, the purge's duration and rows/s
                (bench/retention.py).

The exit status is 0 when every measure meets its target, 1 otherwise.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .common import database_url

BENCHMARKS = ("rls", "access_log", "practices", "onboarding", "rights", "retention")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", add_help=False)
    parser.add_argument("--only", help=f"comma-separated, among: {', '.join(BENCHMARKS)}")
    parser.add_argument("-h", "--help", action="store_true")
    args, rest = parser.parse_known_args(argv if argv is not None else sys.argv[1:])
    if args.help:
        print(__doc__)
        return 0
    names = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"bench: unknown benchmark(s) {unknown}; known: {BENCHMARKS}", file=sys.stderr)
        return 2
    if not database_url().startswith(("postgres://", "postgresql://")):
        print("bench: BENCH_DATABASE_URL must be a PostgreSQL URL", file=sys.stderr)
        return 2
    ok = True
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        ok = module.main(rest) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
