"""What row-level security costs a request: ``make bench`` (``python -m bench``).

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
``--keep`` keeps the database.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/grove_bench"
RESULT_PATH = Path("var/bench/rls.json")

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
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per variant")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--organizations", type=int, default=20)
    parser.add_argument("--users", type=int, default=500, help="people per organization")
    parser.add_argument("--app-role", default=os.environ.get("BENCH_APP_ROLE", "grove_bench_app"))
    parser.add_argument("--output", type=Path, default=RESULT_PATH)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def configure_environment(url: str) -> None:
    """Settings come from the environment: point them at the benchmark database."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grove.settings")
    os.environ["DEBUG"] = "0"  # no query log, production middleware
    os.environ.setdefault("SECRET_KEY", "bench-only-secret")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["SECURE_SSL_REDIRECT"] = "0"
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.pop("GROVE_DB_APP_ROLE", None)


def recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


def seed(organizations: int, users_per_org: int) -> list[tuple[str, str]]:
    """Organizations, job types and people; returns (session key, organization id) pairs."""
    import datetime

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.utils import timezone

    from grove.accounts.models import OrgRole, User
    from grove.tenancy.context import unscoped
    from grove.tenancy.models import JobType, Organization

    rng = random.Random(7)
    today = timezone.now().date()
    sessions = []
    with unscoped("bench: seed every organization"):
        orgs = Organization.objects.bulk_create(
            Organization(
                name=f"Bench client {n}",
                slug=f"bench-{n}",
                contract_start=today - datetime.timedelta(days=30),
                contract_end=today + datetime.timedelta(days=365),
                data_region="eu-west",
            )
            for n in range(organizations)
        )
        for org in orgs:
            jobs = JobType.objects.bulk_create(
                JobType(organization=org, name=f"Job {j}") for j in range(8)
            )
            people = []
            for n in range(users_per_org):
                user = User(
                    email=f"p{n}@{org.slug}.example",
                    first_name=f"First{rng.randrange(10_000)}",
                    last_name=f"Last{rng.randrange(10_000)}",
                    organization=org,
                    job_type=rng.choice(jobs),
                    org_role=OrgRole.MANAGER if n == 0 else OrgRole.MEMBER,
                    country="FR",
                )
                user.set_unusable_password()  # no Argon2 for 10,000 people
                people.append(user)
            User.objects.bulk_create(people, batch_size=1000)
            member = people[0]
            store = SessionStore()
            store[SESSION_KEY] = str(member.pk)
            store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
            store[HASH_SESSION_KEY] = member.get_session_auth_hash()
            store.create()
            sessions.append((store.session_key, str(org.pk)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return sessions


def create_app_role(app_role: str) -> None:
    from django.db import connection

    from grove.tenancy.roles import setup_roles_sql

    statements = setup_roles_sql(database=connection.settings_dict["NAME"], app_role=app_role)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


class Runner:
    """Calls the WSGI handler directly, as a server would (request_started/finished fire)."""

    def __init__(self, sessions, superuser: str, app_role: str):
        from django.core.handlers.wsgi import WSGIHandler

        self.handler = WSGIHandler()
        self.sessions = sessions
        self.superuser = superuser
        self.app_role = app_role
        self.wrapper_enabled = True
        self.position = 0

    def use(self, variant: dict) -> None:
        from django.conf import settings
        from django.db import connections

        connection = connections["default"]
        connection.close()
        connection.settings_dict["USER"] = self.app_role if variant["app_role"] else self.superuser
        connection.settings_dict["CONN_MAX_AGE"] = variant["conn_max_age"]
        settings.GROVE_RLS_SET_MODE = variant["mode"]
        self.wrapper_enabled = variant["wrapper"]

    def on_connection_created(self, sender, connection, **kwargs) -> None:
        # Runs after grove.tenancy.db's receiver, which installs the wrapper on each connection.
        from grove.tenancy.db import rls_execute_wrapper

        if not self.wrapper_enabled and rls_execute_wrapper in connection.execute_wrappers:
            connection.execute_wrappers.remove(rls_execute_wrapper)
        elif self.wrapper_enabled and rls_execute_wrapper not in connection.execute_wrappers:
            connection.execute_wrappers.append(rls_execute_wrapper)

    def request(self, check: bool = False) -> None:
        session_key, organization_id = self.sessions[self.position % len(self.sessions)]
        self.position += 1
        status = []
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/bench/users",
            "QUERY_STRING": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "443",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "testserver",
            "HTTP_COOKIE": f"sessionid={session_key}",
            "wsgi.url_scheme": "https",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        response = self.handler(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            body = b"".join(response)
        finally:
            response.close()  # request_finished: closes the connection when CONN_MAX_AGE=0
        if check:
            assert status == ["200 OK"], (status, body[:200])
            data = json.loads(body)
            assert data["organization"] == organization_id, data["organization"]
            assert len(data["users"]) == 20, len(data["users"])
            assert {u["organization"] for u in data["users"]} == {organization_id}

    def database_user(self) -> tuple[str, bool]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_user, rolbypassrls FROM pg_roles WHERE rolname = current_user"
            )
            return cursor.fetchone()


def measure(runner: Runner, variant: dict, requests: int, warmup: int) -> float:
    runner.use(variant)
    for _ in range(warmup):
        runner.request()
    gc.collect()
    started = time.perf_counter()
    for _ in range(requests):
        runner.request()
    return requests / (time.perf_counter() - started)


def main(argv=None) -> int:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        print("bench: BENCH_DATABASE_URL must be a PostgreSQL URL", file=sys.stderr)
        return 2
    superuser = urlsplit(url).username or "postgres"
    configure_environment(url)
    started = time.perf_counter()
    print(f"bench: fresh database {urlsplit(url).path.lstrip('/')}, migrating and seeding...")
    recreate_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.backends.signals import connection_created

    settings.ROOT_URLCONF = "bench.urls"
    try:
        call_command("migrate", verbosity=0, interactive=False)
        pg_version = connection.pg_version
        create_app_role(args.app_role)
        sessions = seed(args.organizations, args.users)
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
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop_database(url)

    results = summarize(rounds)
    print_table(results, args)
    write_json(args, url, results, rounds, setup_seconds, time.perf_counter() - started, pg_version)
    return 0


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
    import django

    parts = urlsplit(url)
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
            "database": f"{parts.hostname}:{parts.port or 5432}/{parts.path.lstrip('/')}",
            "app_role": args.app_role,
        },
        "environment": {
            "python": platform.python_version(),
            "django": django.get_version(),
            "postgresql": pg_version,
            "machine": platform.machine(),
        },
        "variants": {name: VARIANTS[name] for name in VARIANTS},
        "results": results,
        "rounds": rounds,
        "setup_seconds": round(setup_seconds, 1),
        "total_seconds": round(total_seconds, 1),
    }
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nbench: results in {args.output} ({total_seconds:.0f} s in all)")


if __name__ == "__main__":
    sys.exit(main())
