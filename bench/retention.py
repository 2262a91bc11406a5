"""Purging an organization while another is served: ``python -m bench --only retention``.

Needs PostgreSQL, gunicorn and wrk. ``BENCH_DATABASE_URL`` must name a superuser: the database
is dropped and created fresh, migrated, then filled with two organizations:

- the ended one (contract ended 91 days ago, so both its data purge and its log purge are due):
  100,000 users, 1,000,000 practices, 1,000,000 reactions and 5,000,000 access-log events in
  its own chain (sequences 1..N and a head row; the hashes are made up but consistent, link to
  link: the purge checks sequences and the presence of the hash it keeps as the chain's new
  base, it does not recompute them). Generated in SQL as the superuser (``INSERT ... SELECT``
  over ``generate_series``, a million rows per statement, the big tables' secondary indexes
  dropped and rebuilt afterwards, foreign-key triggers off: consistent by construction), then
  ``VACUUM ANALYZE`` (autovacuum may be off);
- the served one: 200 members, 5,000 practices written from the demo's texts and 20,000
  reactions (bench/practices.py's generator), eight logged-in members.

``BENCH_SCALE=small`` divides every figure by ten (about 5 minutes in all).

Served by gunicorn (bench/wsgi.py, 2 sync workers, as the application role: row-level security
on) and loaded with ``wrk -t2 -c4 --latency`` on the served organization's JSON feed
(``/api/practices``, the eight members rotated). Windows of ``--window`` seconds: ``--before``
windows as the baseline, then the purge starts in a subprocess (the real engine,
``grove.retention.purge.run_organization_purge``, ORG_DATA then ORG_LOGS, as the application role,
with ``GROVE_RETENTION_BATCH_SIZE`` / ``GROVE_RETENTION_BATCH_PAUSE`` from ``--batch-size`` /
``--batch-pause`` when given) and windows follow one another until it ends, then ``--after``
windows. Every answer must be a 200 (wrk counts the others: the run stops).

Measures: the purge's wall-clock duration and rows per second (the certificates' rows: deleted,
anonymised and cleared rows plus the access-log events, over the purge's duration); the served
organization's p99 during the purge divided by its p99 before (target at most 2.00), where "during"
pools every window the purge overlapped (each window's latency percentiles from p50 to p100 are
combined, weighted by its requests: a p99 over the whole purge, not a median of windows; the worst
window is reported too, and the p99 during each of the two purges), and its requests per second
during / before. The load average is recorded with each window. ``--sweep 2000:0,500:0.05`` repeats
the purge with each batch size and pause, each on a fresh copy of the generated database (``CREATE
DATABASE ... TEMPLATE``): the trade-off between the purge's duration and the other tenant's latency.
The first configuration gives the reported lines. Results in var/bench/retention.json. ``--keep``
keeps the generated database (untouched: the purges then run on copies); ``--reuse`` uses the one
``--keep`` left.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .common import (
    BenchAborted,
    configure_environment,
    create_app_role,
    database_label,
    database_url,
    drop_database,
    environment,
    login_session,
    report,
    run_wrk,
    scale,
    seed,
    setup_django,
)

RESULT_PATH = Path("var/bench/retention.json")
ROOT = Path(__file__).resolve().parent.parent
TARGET_P99_RATIO = 2.0
FULL = {
    "users": 100_000,
    "practices": 1_000_000,
    "reactions": 1_000_000,
    "events": 5_000_000,
    "other_members": 200,
    "other_practices": 5_000,
    "other_reactions": 20_000,
}
CHUNK = 1_000_000
SEEDED_USERS = 20  # of the ended organization, through the ORM (its manager first); SQL the rest
FEED = "/api/practices"
# Latency percentiles each wrk window reports, to pool windows into one distribution.
PERCENTILES = (50, 75, 90, 95, 97, 98, 98.5, 99, 99.25, 99.5, 99.75, 99.9, 100)


def sizes() -> dict[str, int]:
    if scale() == "small":
        return {k: max(v // 10, 20) for k, v in FULL.items()}
    return dict(FULL)


def parse_args(argv):
    small = scale() == "small"
    parser = argparse.ArgumentParser(
        prog="python -m bench --only retention", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--window", type=int, default=5 if small else 10, help="s per window")
    parser.add_argument("--before", type=int, default=3, help="baseline windows")
    parser.add_argument("--after", type=int, default=2, help="windows after the purge")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--members", type=int, default=8, help="logged-in members rotated")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "8497")))
    parser.add_argument("--app-role", default=os.environ.get("BENCH_APP_ROLE", "grove_bench_app"))
    parser.add_argument("--batch-size", type=int, help="GROVE_RETENTION_BATCH_SIZE of the purge")
    parser.add_argument("--batch-pause", type=float, help="GROVE_RETENTION_BATCH_PAUSE (s)")
    parser.add_argument(
        "--sweep", help="SIZE:PAUSE,... one purge per configuration, each on a fresh copy"
    )
    parser.add_argument("--output", type=Path, default=RESULT_PATH)
    parser.add_argument("--keep", action="store_true", help="keep the generated database")
    parser.add_argument("--reuse", action="store_true", help="use the database --keep left")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--purge-worker", nargs=2, metavar=("ORG", "KINDS"), help=argparse.SUPPRESS)
    return parser.parse_known_args(argv)[0]


# --- The data set ---------------------------------------------------------------------------

USERS_SQL = """
INSERT INTO accounts_user (id, password, email, first_name, last_name, country, organization_id,
    job_type_id, org_role, staff_role, is_active, language, created_at, terms_accepted_at)
SELECT md5('b7-user-' || n)::uuid, '!', 'u' || n || '@ended.bench.example',
    'First' || mod(n, 9973), 'Last' || mod(n, 7919), 'FR', %(org)s,
    jobs.ids[1 + mod(n, array_length(jobs.ids, 1))], 'member', '', true,
    CASE WHEN mod(n, 2) = 0 THEN 'fr' ELSE 'en' END, now() - interval '400 days',
    now() - interval '399 days'
FROM generate_series(%(start)s::bigint, %(stop)s::bigint) AS n,
     (SELECT array_agg(id ORDER BY name) AS ids FROM tenancy_jobtype
       WHERE organization_id = %(org)s) AS jobs
"""

TOPICS_SQL = """
INSERT INTO practices_topic (id, organization_id, name, created_at)
SELECT md5('b7-topic-' || n)::uuid, %(org)s, 'Topic ' || n, now() - interval '400 days'
FROM generate_series(1, 8) AS n
"""

BODY = (
    "Before opening, the team checks the shelves together and notes what is missing.\n\n"
    "**How**\n\n- One person reads the list aloud\n- Another ticks it on the tablet\n"
    "- The manager signs the sheet\n\n**Result** Fewer gaps at the first customer's visit.\n"
)
BODY_HTML = (
    "<p>Before opening, the team checks the shelves together and notes what is missing.</p>\n"
    "<p><strong>How</strong></p>\n<ul>\n<li>One person reads the list aloud</li>\n"
    "<li>Another ticks it on the tablet</li>\n<li>The manager signs the sheet</li>\n</ul>\n"
    "<p><strong>Result</strong> Fewer gaps at the first customer's visit.</p>"
)

PRACTICES_SQL = """
INSERT INTO practices_practice (id, organization_id, author_id, topic_id, title, body, body_html,
    language, status, target_countries, created_at, updated_at, published_at, adoption_count,
    useful_count, comment_count, view_count)
SELECT md5('b7-practice-' || n)::uuid, %(org)s,
    md5('b7-user-' || (1 + mod(n * 7, %(users)s::bigint)))::uuid, topics.ids[1 + mod(n, 8)],
    'Practice ' || n || ': the morning shelf check', %(body)s, %(body_html)s,
    CASE WHEN mod(n, 2) = 0 THEN 'fr' ELSE 'en' END, 'published', '',
    now() - interval '380 days' + n * interval '20 seconds',
    now() - interval '380 days' + n * interval '20 seconds',
    now() - interval '380 days' + n * interval '20 seconds', 0, 0, 0, mod(n, 50)
FROM generate_series(%(start)s::bigint, %(stop)s::bigint) AS n,
     (SELECT array_agg(id ORDER BY name) AS ids FROM practices_topic
       WHERE organization_id = %(org)s) AS topics
"""

# Reaction n: practice 1 + (n-1) mod P, kind by round ((n-1) div P): unique while n <= 3P.
REACTIONS_SQL = """
INSERT INTO practices_reaction (kind, created_at, organization_id, practice_id, user_id)
SELECT (ARRAY['adopted', 'useful', 'bookmark'])[1 + mod((n - 1) / %(practices)s::bigint, 3)],
    now() - interval '300 days' + n * interval '15 seconds', %(org)s,
    md5('b7-practice-' || (1 + mod(n - 1, %(practices)s::bigint)))::uuid,
    md5('b7-user-' || (1 + mod(n * 13, %(users)s::bigint)))::uuid
FROM generate_series(%(start)s::bigint, %(stop)s::bigint) AS n
"""

# Event n of the organization's chain: sequence n, its hash made up from n, its prev_hash the
# hash of n - 1 (the genesis hash for the first).
EVENT_HASH = "md5('b7-hash-' || {n}) || md5('b7-hash2-' || {n})"
EVENTS_SQL = f"""
INSERT INTO audit_auditevent (public_id, occurred_at, organization_id, actor_id, actor_role,
    action, object_type, object_ids, subject_user_id, subject_ref, request_id, ip_prefix,
    details, chain_key, sequence, prev_hash, hash)
SELECT md5('b7-event-' || n)::uuid, now() - interval '400 days' + n * interval '5 seconds',
    %(org)s, md5('b7-user-' || (1 + mod(n * 7, %(users)s::bigint)))::uuid, 'member',
    CASE WHEN mod(n, 5) = 0 THEN 'auth.login' ELSE 'data.view' END,
    CASE WHEN mod(n, 5) = 0 THEN '' ELSE 'practice' END,
    CASE WHEN mod(n, 5) = 0 THEN '[]'::jsonb
         ELSE jsonb_build_array(
             md5('b7-practice-' || (1 + mod(n, %(practices)s::bigint)))::uuid) END,
    NULL, '', md5('b7-request-' || n)::uuid::text, '203.0.113.0/24', '{{}}'::jsonb,
    %(org)s, n,
    CASE WHEN n = 1 THEN %(genesis)s ELSE {EVENT_HASH.format(n="(n - 1)")} END,
    {EVENT_HASH.format(n="n")}
FROM generate_series(%(start)s::bigint, %(stop)s::bigint) AS n
"""

HEAD_SQL = f"""
INSERT INTO audit_auditchainhead (chain_key, last_sequence, last_hash, prev_hash, base_sequence,
    base_hash, updated_at)
SELECT %(org)s, n, {EVENT_HASH.format(n="n")}, {EVENT_HASH.format(n="(n - 1)")}, 0, %(genesis)s,
    now()
FROM (SELECT %(events)s::bigint AS n) AS last
"""


def _chunks(total: int):
    for start in range(1, total + 1, CHUNK):
        yield start, min(total, start + CHUNK - 1)


def generate_ended(url: str, org_id: str, size: dict) -> dict:
    """The ended organization's users, practices, reactions and access-log chain, in SQL."""
    import psycopg
    from django.db import connection

    from grove.audit.hashing import GENESIS_HASH

    from .rights import indexes_rebuilt_after

    users = size["users"] - SEEDED_USERS
    params = {
        "org": org_id,
        "users": users,
        "practices": size["practices"],
        "events": size["events"],
        "genesis": GENESIS_HASH,
        "body": BODY,
        "body_html": BODY_HTML,
    }
    seconds = {}
    plan = [
        ("accounts_user", USERS_SQL, users),
        ("practices_topic", TOPICS_SQL, 0),
        ("practices_practice", PRACTICES_SQL, size["practices"]),
        ("practices_reaction", REACTIONS_SQL, size["reactions"]),
        ("audit_auditevent", EVENTS_SQL, size["events"]),
    ]
    with psycopg.connect(url) as conn:  # the superuser: RLS does not apply
        for table, sql, rows in plan:
            started = time.perf_counter()
            # indexes_rebuilt_after drops and rebuilds on Django's connection (autocommit).
            with indexes_rebuilt_after(table, rows):
                conn.execute("SET session_replication_role = replica")  # no FK triggers
                if rows == 0:
                    conn.execute(sql, params)
                for start, stop in _chunks(rows):
                    conn.execute(sql, {**params, "start": start, "stop": stop})
                    conn.commit()
                    conn.execute("SET session_replication_role = replica")
                conn.commit()
            seconds[table] = round(time.perf_counter() - started, 1)
            print(f"  {table}: {rows:,} rows in {seconds[table]:.0f} s", flush=True)
        conn.execute("SET session_replication_role = DEFAULT")
        conn.execute(HEAD_SQL, params)
        from django.utils import timezone

        today = timezone.localdate()
        contract_end = today - datetime.timedelta(days=91)
        conn.execute(
            "UPDATE tenancy_organization SET status = 'ended', contract_start = %s, "
            "contract_end = %s, ended_at = %s, end_reason = 'end_date', end_notice_sent_at = %s, "
            "purge_warning_sent_at = %s WHERE id = %s",
            [
                contract_end - datetime.timedelta(days=400),
                contract_end,
                datetime.datetime.combine(
                    contract_end + datetime.timedelta(days=1), datetime.time(2), datetime.UTC
                ),
                datetime.datetime.combine(
                    contract_end + datetime.timedelta(days=1), datetime.time(2), datetime.UTC
                ),
                datetime.datetime.combine(
                    contract_end + datetime.timedelta(days=23), datetime.time(2), datetime.UTC
                ),
                org_id,
            ],
        )
        conn.commit()
    connection.close()
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    seconds["vacuum_analyze"] = round(time.perf_counter() - started, 1)
    return seconds


def build(url: str, size: dict, args) -> tuple[str, str, dict]:
    """A fresh database with both organizations; returns (ended id, served id, seconds)."""
    from django.db import connections

    from .practices import generate

    setup_django(url)
    create_app_role(args.app_role)
    _sessions, people_by_org = seed(2, [SEEDED_USERS, size["other_members"]])
    ended_id, served_id = list(people_by_org)
    connections.close_all()
    generate(
        url,
        {served_id: people_by_org[served_id]},
        {
            "big_practices": size["other_practices"],
            "big_reactions": size["other_reactions"],
            "practices": 0,
            "reactions": 0,
        },
        args.seed,
    )
    connections.close_all()
    return ended_id, served_id, generate_ended(url, ended_id, size)


def organization_ids() -> tuple[str, str]:
    from grove.tenancy.context import unscoped
    from grove.tenancy.models import Organization

    with unscoped("bench: the two organizations"):
        return (
            str(Organization.objects.get(slug="bench-0").pk),
            str(Organization.objects.get(slug="bench-1").pk),
        )


def member_sessions(organization_id: str, count: int) -> list[str]:
    """Logged-in sessions of ``count`` members of the served organization."""
    from grove.accounts.models import OrgRole, User
    from grove.tenancy.context import unscoped

    with unscoped("bench: log members in"):
        members = User.objects.filter(
            organization_id=organization_id, org_role=OrgRole.MEMBER
        ).order_by("email")[:count]
        return [login_session(member) for member in members]


def table_counts(url: str, org_id: str) -> dict[str, int]:
    import psycopg

    counts = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for table in (
            "accounts_user",
            "practices_practice",
            "practices_reaction",
            "audit_auditevent",
        ):
            counts[table] = conn.execute(
                f"SELECT count(*) FROM {table} WHERE organization_id = %s",  # noqa: S608
                [org_id],
            ).fetchone()[0]
    return counts


def checkpoint(url: str) -> None:
    """Write the generation's (or the copy's) dirty pages out before the baseline: otherwise the
    checkpointer writes gigabytes during the baseline windows and makes them look slow."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def copy_database(url: str, name: str) -> str:
    """A copy of ``url``'s database named ``name`` (a file copy: fast); returns its URL."""
    import psycopg

    parts = urlsplit(url)
    source = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}" STRATEGY FILE_COPY')
    return urlunsplit(parts._replace(path=f"/{name}"))


# --- The purge, in its own process ----------------------------------------------------------


def purge_worker(org_id: str, kinds: str) -> bool:
    """Runs in the subprocess: the engine's purges of the organization, one kind after the other;
    prints one RESULT line of JSON."""
    import django

    django.setup()
    from django.utils import timezone

    from grove.retention.certificates import verify_certificate
    from grove.retention.purge import run_organization_purge
    from grove.tenancy.context import unscoped
    from grove.tenancy.models import Organization

    results = []
    today = timezone.localdate()
    for kind in kinds.split(","):
        with unscoped("bench: the ended organization"):
            organization = Organization.objects.get(pk=org_id)
        started = time.perf_counter()
        # As the daily run (grove/retention/enforce.py) calls it: inside its unscoped block.
        with unscoped("bench: the purge of the ended organization"):
            certificate = run_organization_purge(
                organization=organization,
                kind=kind,
                rule="bench",
                due_on=today,
                run_by="bench retention",
            )
        seconds = time.perf_counter() - started
        results.append(
            {
                "kind": kind,
                "seconds": round(seconds, 2),
                "total_rows": certificate.total_rows,
                "status": certificate.status,
                "verified": verify_certificate(certificate),
                "vacuum": certificate.vacuum,
                "models": certificate.progress.get("models", certificate.progress),
            }
        )
        print(f"purged {kind}: {certificate.total_rows} rows in {seconds:.1f} s", flush=True)
    print("RESULT " + json.dumps(results, default=str), flush=True)
    return True


class PurgeProcess:
    def __init__(self, url: str, app_role: str, org_id: str, config: dict):
        parts = urlsplit(url)
        env = {
            **os.environ,
            "DATABASE_URL": urlunsplit(
                parts._replace(netloc=f"{app_role}@{parts.hostname}:{parts.port or 5432}")
            ),
            "DJANGO_SETTINGS_MODULE": "grove.settings",
            "DEBUG": "0",
            "LOG_LEVEL": "WARNING",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        }
        env.pop("GROVE_DB_APP_ROLE", None)
        env.pop("BREVO_API_KEY", None)
        if config["batch_size"] is not None:
            env["GROVE_RETENTION_BATCH_SIZE"] = str(config["batch_size"])
        if config["batch_pause"] is not None:
            env["GROVE_RETENTION_BATCH_PAUSE"] = str(config["batch_pause"])
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 -- closed by result()
        self.started = time.perf_counter()
        self.process = subprocess.Popen(  # noqa: S603 -- this module, fixed arguments
            [
                sys.executable,
                "-m",
                "bench.retention",
                "--purge-worker",
                org_id,
                "org_data,org_logs",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.seconds: float | None = None

    def running(self) -> bool:
        if self.process.poll() is None:
            return True
        if self.seconds is None:
            self.seconds = time.perf_counter() - self.started
        return False

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def result(self) -> list[dict]:
        self.process.wait()
        self.running()
        output = self.output()
        self.log.close()
        lines = [line for line in output.splitlines() if line.startswith("RESULT ")]
        if self.process.returncode != 0 or not lines:
            raise BenchAborted(f"the purge failed ({self.process.returncode}):\n{output[-4000:]}")
        return json.loads(lines[-1][len("RESULT ") :])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


# --- Load and latency -----------------------------------------------------------------------


def wrk_window(base: str, sessions: list[str], args, seconds: int) -> dict:
    """One window of load on the feed; its requests, req/s and latency percentiles (ms)."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    result = run_wrk(
        base,
        [FEED],
        sessions,
        threads=args.threads,
        connections=args.connections,
        seconds=seconds,
        percentiles=PERCENTILES,
        socket_timeout="30s",  # a slow answer is latency to measure, not a socket error
    )
    latency = result["latency_ms"]
    return {
        "started_s": round(started, 2),
        "requests": result["requests"],
        "req_per_s": result["req_per_s"],
        "p50_ms": latency[50.0],
        "p99_ms": latency[99.0],
        "max_ms": latency[100.0],
        "percentiles_ms": result["percentiles_ms"],
        "load_average": round((load_before + os.getloadavg()[0]) / 2, 2),
    }


def _share_slower(points: list[tuple[float, float]], value: float) -> float:
    """Share of a window's requests slower than ``value`` ms, interpolated on its percentiles."""
    if value < points[0][1]:
        return 1 - points[0][0] / 100
    for (p0, l0), (p1, l1) in zip(points, points[1:], strict=False):
        if value < l1:
            fraction = (value - l0) / (l1 - l0) if l1 > l0 else 1.0
            return 1 - (p0 + fraction * (p1 - p0)) / 100
    return 0.0


def pooled_percentile(windows: list[dict], q: float) -> float:
    """The ``q`` percentile of all the windows' requests together (weighted by requests)."""
    total = sum(w["requests"] for w in windows)
    allowed = (1 - q / 100) * total

    def slower(value):
        return sum(w["requests"] * _share_slower(w["percentiles_ms"], value) for w in windows)

    candidates = sorted({ms for w in windows for _, ms in w["percentiles_ms"]})
    previous = candidates[0]
    for value in candidates:
        if slower(value) <= allowed:
            if value == previous:
                return value
            high, low = slower(previous), slower(value)  # linear between the two candidates
            return previous + (value - previous) * (high - allowed) / max(high - low, 1e-9)
        previous = value
    return candidates[-1]


def summarize_windows(windows: list[dict]) -> dict:
    return {
        "windows": len(windows),
        "requests": sum(w["requests"] for w in windows),
        "req_per_s": statistics.mean(w["req_per_s"] for w in windows),
        "p50_ms": statistics.median(w["p50_ms"] for w in windows),  # median of windows
        "p99_ms": pooled_percentile(windows, 99),
        "worst_window_p99_ms": max(w["p99_ms"] for w in windows),
        "load_average": statistics.mean(w["load_average"] for w in windows),
    }


def measure(run_url: str, org_ids: tuple[str, str], sessions: list[str], config: dict, args):
    """Serve the other organization, take the baseline, purge while loading, then after."""
    from .practices import Server

    ended_id, served_id = org_ids
    checkpoint(run_url)
    counts_before = table_counts(run_url, ended_id)
    served_before = table_counts(run_url, served_id)
    server = Server(run_url, args.app_role, args.port, args.workers, wrapper=True)
    purge = None
    try:
        status, content_type, body = server.get(FEED, sessions[0])
        if status != 200 or "json" not in content_type or len(json.loads(body)["items"]) != 20:
            raise BenchAborted(f"GET {FEED}: {status} {content_type} {body[:300]!r}")
        wrk_window(server.base, sessions, args, 3)  # warm every worker
        before = []
        for _ in range(args.before):
            before.append(wrk_window(server.base, sessions, args, args.window))
            _print_window("before", before[-1])
        started = time.perf_counter()
        purge = PurgeProcess(run_url, args.app_role, ended_id, config)
        during = []
        while purge.running():
            window = wrk_window(server.base, sessions, args, args.window)
            window["purge_running_at_end"] = purge.running()
            window["started_s"] = round(window["started_s"] - started, 1)
            during.append(window)
            _print_window("during", window)
        results = purge.result()
        after = []
        for _ in range(args.after):
            after.append(wrk_window(server.base, sessions, args, args.window))
            _print_window("after", after[-1])
    finally:
        if purge is not None:
            purge.stop()
        server.stop()
    counts_after = table_counts(run_url, ended_id)
    served_after = table_counts(run_url, served_id)
    if served_after["practices_practice"] != served_before["practices_practice"]:
        raise BenchAborted(f"the served organization lost rows: {served_before} {served_after}")
    if not during:
        raise BenchAborted("the purge ended before the first window: nothing measured")
    if any(counts_after.values()) or not all(r["verified"] for r in results):
        raise BenchAborted(f"the purge left rows {counts_after} or a certificate that fails")
    seconds = purge.seconds
    rows = sum(r["total_rows"] for r in results)
    base, load = summarize_windows(before), summarize_windows(during)
    # Which purge each window fell in (by its middle): the log purge is the last one's seconds.
    logs_from = seconds - results[-1]["seconds"]
    phases = {}
    for kind, windows in (
        ("org_data", [w for w in during if w["started_s"] + args.window / 2 < logs_from]),
        ("org_logs", [w for w in during if w["started_s"] + args.window / 2 >= logs_from]),
    ):
        if windows:
            phase = summarize_windows(windows)
            phase["p99_ratio"] = phase["p99_ms"] / base["p99_ms"]
            phases[kind] = phase
    return {
        "config": config,
        "purge": results,
        "purge_seconds": round(seconds, 1),
        "purge_rows": rows,
        "rows_per_s": rows / seconds,
        "ended_org_rows_before": counts_before,
        "ended_org_rows_after": counts_after,
        "before": base,
        "during": load,
        "after": summarize_windows(after) if after else None,
        "p99_ratio": load["p99_ms"] / base["p99_ms"],
        "worst_window_p99_ratio": load["worst_window_p99_ms"] / base["p99_ms"],
        "req_per_s_ratio": load["req_per_s"] / base["req_per_s"],
        # Against the windows after the purge: a check on the baseline (the machine may change).
        "p99_ratio_vs_after": load["p99_ms"] / summarize_windows(after)["p99_ms"]
        if after
        else None,
        "phases": phases,
        "windows": {"before": before, "during": during, "after": after},
    }


def _print_window(label: str, window: dict) -> None:
    print(
        f"    {label}: {window['req_per_s']:.0f} req/s, p50 {window['p50_ms']:.0f} ms, "
        f"p99 {window['p99_ms']:.0f} ms, load {window['load_average']:.1f}",
        flush=True,
    )


def configurations(args) -> list[dict]:
    if not args.sweep:
        return [{"batch_size": args.batch_size, "batch_pause": args.batch_pause}]
    configs = []
    for item in args.sweep.split(","):
        size, _, pause = item.partition(":")
        configs.append({"batch_size": int(size), "batch_pause": float(pause or 0)})
    return configs


def print_run(run: dict) -> None:
    config = run["config"]
    b, d = run["before"], run["during"]
    print(
        f"  batch {config['batch_size'] or 'default'}, pause {config['batch_pause'] or 0} s: "
        f"purge {run['purge_seconds']:.0f} s, {run['purge_rows']:,} rows "
        f"({run['rows_per_s']:,.0f}/s); feed p99 {b['p99_ms']:.0f} -> {d['p99_ms']:.0f} ms "
        f"(x{run['p99_ratio']:.2f}, worst window x{run['worst_window_p99_ratio']:.2f}), "
        f"{b['req_per_s']:.0f} -> {d['req_per_s']:.0f} req/s (x{run['req_per_s_ratio']:.2f}); "
        f"load {b['load_average']:.1f} / {d['load_average']:.1f}",
        flush=True,
    )
    if run["after"]:
        print(
            f"    after the purge: p99 {run['after']['p99_ms']:.0f} ms, "
            f"{run['after']['req_per_s']:.0f} req/s "
            f"(during / after: x{run['p99_ratio_vs_after']:.2f})",
            flush=True,
        )
    for kind, phase in run["phases"].items():
        print(
            f"    {kind}: {phase['windows']} windows, p99 {phase['p99_ms']:.0f} ms "
            f"(x{phase['p99_ratio']:.2f}), {phase['req_per_s']:.0f} req/s",
            flush=True,
        )


def main(argv=None) -> bool:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    if args.purge_worker:
        return purge_worker(*args.purge_worker)
    url = database_url()
    size = sizes()
    configs = configurations(args)
    copies = args.keep or args.reuse or len(configs) > 1
    started = time.perf_counter()
    generation: dict = {}
    runs = []
    try:
        if args.reuse:
            print("bench retention: using the database a --keep run left", flush=True)
            configure_environment(url)
            import django

            django.setup()
            org_ids = organization_ids()
        else:
            print(
                f"bench retention: fresh database {urlsplit(url).path.lstrip('/')}: the ended "
                f"organization with {size['users']:,} users, {size['practices']:,} practices, "
                f"{size['reactions']:,} reactions, {size['events']:,} access-log events; the "
                f"served one with {size['other_practices']:,} practices; generating...",
                flush=True,
            )
            *org_ids, generation["seconds_by_table"] = build(url, size, args)
            generation["seconds"] = round(time.perf_counter() - started, 1)
            print(f"  data ready in {generation['seconds']:.0f} s", flush=True)
        from django.db import connection, connections

        pg_version = connection.pg_version
        sessions = member_sessions(org_ids[1], args.members)
        connections.close_all()
        for number, config in enumerate(configs):
            run_url = url
            if copies:
                run_url = copy_database(url, f"{urlsplit(url).path.lstrip('/')}_run")
            try:
                run = measure(run_url, org_ids, sessions, config, args)
            finally:
                if copies:
                    drop_database(run_url)
            runs.append(run)
            print(f"  purge {number + 1}/{len(configs)}:", end="")
            print_run(run)
    except BenchAborted as error:
        print(f"bench retention: aborted: {error}", file=sys.stderr)
        return False
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep and not args.reuse:
            drop_database(url)

    total = time.perf_counter() - started
    args.output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "retention",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": {
            "scale": scale(),
            **size,
            "window_s": args.window,
            "wrk": f"-t{args.threads} -c{args.connections} --latency",
            "gunicorn_workers": args.workers,
            "endpoint": FEED,
            "members_rotated": len(sessions),
            "database": database_label(url),
            "app_role": args.app_role,
        },
        "environment": environment(pg_version),
        "generation": generation,
        "runs": runs,
        "total_seconds": round(total, 1),
    }
    args.output.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(f"bench: results in {args.output} ({total:.0f} s in all)")
    headline = runs[0]
    print(f"bench retention_purge_seconds {headline['purge_seconds']:.0f} target - ok")
    print(f"bench retention_purge_rows_per_s {headline['rows_per_s']:.0f} target - ok")
    ratio = headline["req_per_s_ratio"]
    print(f"bench retention_other_tenant_req_per_s_ratio {ratio:.2f} target - ok")
    return report(
        "retention_other_tenant_p99_ratio",
        headline["p99_ratio"],
        TARGET_P99_RATIO,
        higher_is_better=False,
    )


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
