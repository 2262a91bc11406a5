"""What row-level security costs a request: ``python -m bench --only rls``.

Needs PostgreSQL. ``BENCH_DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/grove_bench``) must name a superuser: the database is
dropped and created fresh, migrated, and seeded with 20 organizations of 500 people each (with
job types) and one logged-in session per organization. An application role
(``grove_bench_app`` by default, LOGIN, NOSUPERUSER, NOBYPASSRLS) gets the grants
``manage.py setup_db_roles`` gives in production.

What is measured: full Django requests through the WSGI handler (every middleware, the session
and user look-ups, ATOMIC_REQUESTS) to a view listing 20 people of the logged-in person's
organization (``bench/views.py``), cycling over the 20 organizations, one thread. Variants:

``baseline``   the superuser (table owner, RLS never applies) and no execute wrapper: no
               set_config at all. The ORM's tenant filter is the only wall, as it would be
               without RLS. Persistent connection.
``rls_prefix`` the application role, RLS on, the tenant sent with set_config as a prefix of the
               first statement of each transaction (one round trip): the production set-up.
``rls_statement`` the same with ``GROVE_RLS_SET_MODE = "statement"``: set_config is its own
               statement, one extra round trip per transaction.
``rls_new_connection`` ``rls_prefix`` with ``CONN_MAX_AGE = 0``: a new connection (and SET-up)
               for every request, what persistent connections save.

To fight noise, variants are interleaved: each round runs every variant (in a shuffled order)
for a warm-up and then ``--requests`` timed requests; the table shows each variant's median
requests per second over the rounds and its ratio to the baseline (the median of the per-round
ratios: each round's variants ran under close conditions; short rounds, many of them, keep
them close on a shared machine). Every response is checked: 200,
20 people, all of the session's organization. Results, with every round's figures, go to
``var/bench/rls.json``. ``BENCH_ARGS="--rounds 30"`` for a longer run;
``--keep`` keeps the database; ``BENCH_SCALE=small`` runs 5 rounds. The measure line compares
the production set-up (``rls_prefix``) with the baseline: target 0.85.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from .common import (
    Runner,
    create_app_role,
    database_label,
    database_url,
    drop_database,
    environment,
    report,
    scale,
    seed,
    setup_django,
    timed,
)

RESULT_PATH = Path("var/bench/rls.json")
TARGET_RATIO = 0.85  # the feed with RLS on vs off (issue 3)

VARIANTS = {
    "baseline": {"app_role": False, "wrapper": False, "mode": "prefix", "conn_max_age": 300},
    "rls_prefix": {"app_role": True, "wrapper": True, "mode": "prefix", "conn_max_age": 300},
    "rls_statement": {
        "app_role": True,
        "wrapper": True,
        "mode": "statement",
        "conn_max_age": 300,
    },
    "rls_new_connection": {"app_role": True, "wrapper": True, "mode": "prefix", "conn_max_age": 0},
}


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="python -m bench --only rls", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=5 if scale() == "small" else 15)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per variant")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--organizations", type=int, default=20)
    parser.add_argument("--users", type=int, default=500, help="people per organization")
    parser.add_argument("--app-role", default=os.environ.get("BENCH_APP_ROLE", "grove_bench_app"))
    parser.add_argument("--output", type=Path, default=RESULT_PATH)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_known_args(argv)[0]


def measure(runner: Runner, variant: dict, requests: int, warmup: int) -> float:
    runner.use(variant)
    return timed(runner.request, requests, warmup)


def main(argv=None) -> bool:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    url = database_url()
    superuser = urlsplit(url).username or "postgres"
    started = time.perf_counter()
    print(f"bench rls: fresh database {urlsplit(url).path.lstrip('/')}, migrating and seeding...")
    setup_django(url)
    from django.db import connection
    from django.db.backends.signals import connection_created

    runner = None
    try:
        pg_version = connection.pg_version
        create_app_role(args.app_role)
        sessions, _people = seed(args.organizations, args.users)
        runner = Runner(sessions, superuser=superuser, app_role=args.app_role)
        connection_created.connect(runner.on_connection_created, weak=False)
        setup_seconds = time.perf_counter() - started

        roles = {}
        for name, variant in VARIANTS.items():  # every variant answers right, as the right role
            runner.use(variant)
            for _ in range(len(sessions)):
                runner.request(check=True)
            roles[name] = runner.database_user()
        assert roles["baseline"] == (superuser, True), roles["baseline"]
        for name in VARIANTS:
            if name != "baseline":
                assert roles[name] == (args.app_role, False), roles[name]

        rng = random.Random(args.seed)
        rounds: list[dict[str, float]] = []
        for number in range(1, args.rounds + 1):
            order = list(VARIANTS)
            rng.shuffle(order)
            figures = {
                name: measure(runner, VARIANTS[name], args.requests, args.warmup) for name in order
            }
            rounds.append(figures)
            print(
                f"  round {number}/{args.rounds}: "
                + ", ".join(f"{name} {figures[name]:.0f}" for name in VARIANTS)
            )
        connection.close()
    finally:
        from django.db import connections

        if runner is not None:
            connection_created.disconnect(runner.on_connection_created)
        connections.close_all()
        if not args.keep:
            drop_database(url)

    results = summarize(rounds)
    print_table(results, args)
    write_json(args, url, results, rounds, setup_seconds, time.perf_counter() - started, pg_version)
    return report(
        "rls_prefix_vs_baseline", results["rls_prefix"]["ratio_vs_baseline"], TARGET_RATIO
    )


def summarize(rounds: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    results = {}
    for name in VARIANTS:
        values = [r[name] for r in rounds]
        ratios = [r[name] / r["baseline"] for r in rounds]
        results[name] = {
            "median_req_per_s": statistics.median(values),
            "min_req_per_s": min(values),
            "max_req_per_s": max(values),
            "median_ms_per_request": 1000 / statistics.median(values),
            "ratio_vs_baseline": statistics.median(ratios),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
        }
    return results


def print_table(results, args) -> None:
    print()
    print(
        f"Requests per second, {args.rounds} rounds x {args.requests} requests, "
        f"{args.organizations} organizations x {args.users} people, one thread:"
    )
    print(f"{'variant':<20} {'req/s':>8} {'ms/req':>8} {'vs baseline':>12} {'ratio range':>16}")
    for name, r in results.items():
        print(
            f"{name:<20} {r['median_req_per_s']:>8.0f} {r['median_ms_per_request']:>8.2f} "
            f"{r['ratio_vs_baseline']:>11.2f}x {r['ratio_min']:>7.2f}-{r['ratio_max']:.2f}x"
        )


def write_json(args, url, results, rounds, setup_seconds, total_seconds, pg_version) -> None:
    args.output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "rls",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": {
            "rounds": args.rounds,
            "requests_per_round": args.requests,
            "warmup": args.warmup,
            "organizations": args.organizations,
            "users_per_organization": args.users,
            "database": database_label(url),
            "app_role": args.app_role,
        },
        "environment": environment(pg_version),
        "variants": {name: VARIANTS[name] for name in VARIANTS},
        "results": results,
        "rounds": rounds,
        "setup_seconds": round(setup_seconds, 1),
        "total_seconds": round(total_seconds, 1),
    }
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nbench: results in {args.output} ({total_seconds:.0f} s in all)")
