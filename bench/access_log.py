"""What the access log costs: ``python -m bench --only access_log``.

Two measures, on a fresh PostgreSQL database (``BENCH_DATABASE_URL``, dropped and recreated):

``access_log_read_ratio``  Full Django requests (WSGI handler, every middleware, the session,
    ATOMIC_REQUESTS, the application role under RLS, persistent connections) from two concurrent
    clients (``--clients``: the threads of one server process, each with its connection) to a
    view reading one person of the logged-in member's organization (bench/views.py), with the
    read recorded in the access log (``logged``: one more statement, the chained append, and a
    commit that waits for the WAL flush, ``synchronous_commit = local``) and without
    (``unlogged``). Rounds interleave both in a shuffled order; the measure is the median of the
    per-round ratios logged / unlogged. Target 0.70 (issue 5). Every response is checked, and
    afterwards the log holds exactly one event per logged request and verifies. What a logged
    read pays is mostly the commit's wait for the disk (the WAL flush): with one client
    (``--clients 1``) nothing else runs meanwhile, and the ratio falls with a slow or shared disk
    (0.58-0.68 here: a 1.6 ms flush beside a 4 ms read); with two, as a server has, one flush
    overlaps the other request's work and concurrent commits share flushes.

``access_log_verify_events_per_s``  ``manage.py verify_access_log`` as the application role on
    10 million events (1 million with ``BENCH_SCALE=small``) over 21 chains (20 organizations and
    the operator chain), interleaved as production's are. The events are generated here: the
    chain computed in Python with the very functions the application uses
    (grove/audit/hashing.py) and loaded with COPY, the heads written last, then VACUUM ANALYZE
    (a log is verified long after it is written). Events per second of the whole command, wall
    clock; target 20,000 (10 million in under 9 minutes, a nightly job). Its peak memory is
    reported too (``access_log_verify_peak_rss_mb``, target at most 300 MB): the verifier
    streams each chain a chunk at a time, so it does not grow with the log.

Durations on the reference machine (2 vCPUs): about 2 minutes for the requests, 6 to generate
10 million events, 3.5 to verify them; ``BENCH_SCALE=small`` about 1.5 minutes in all. Results,
with every round, go to ``var/bench/access_log.json``. ``--keep`` keeps the database.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import os
import queue
import random
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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
)

RESULT_PATH = Path("var/bench/access_log.json")
TARGET_READ_RATIO = 0.70
TARGET_VERIFY_EVENTS_PER_S = 20_000
TARGET_VERIFY_PEAK_MB = 300
PRODUCTION = {"app_role": True, "wrapper": True, "mode": "prefix", "conn_max_age": 300}
VARIANTS = ("unlogged", "logged")


def parse_args(argv):
    small = scale() == "small"
    parser = argparse.ArgumentParser(
        prog="python -m bench --only access_log", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=5 if small else 15)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per variant")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--clients", type=int, default=2, help="concurrent clients (threads of one server)"
    )
    parser.add_argument("--organizations", type=int, default=20)
    parser.add_argument("--users", type=int, default=500, help="people per organization")
    parser.add_argument(
        "--events",
        type=int,
        default=1_000_000 if small else 10_000_000,
        help="events to generate and verify",
    )
    parser.add_argument("--app-role", default=os.environ.get("BENCH_APP_ROLE", "grove_bench_app"))
    parser.add_argument("--output", type=Path, default=RESULT_PATH)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_known_args(argv)[0]


class PersonRunner(Runner):
    """Reads people of the session's organization in turn, through the logged or unlogged view."""

    def __init__(self, sessions, people_by_org, **kwargs):
        super().__init__(sessions, **kwargs)
        self.people_by_org = people_by_org
        self.logged = True
        self.logged_requests = 0

    def read_person(self, check: bool = False) -> None:
        session_key, organization_id = self.sessions[self.position % len(self.sessions)]
        people = self.people_by_org[organization_id]
        person_id = people[(self.position // len(self.sessions)) % len(people)]
        self.position += 1
        path = f"/bench/people/{person_id}" + ("" if self.logged else "/unlogged")
        status, body = self.get(path, session_key)
        self.logged_requests += self.logged
        if check:
            assert status == "200 OK", (status, body[:200])
            data = json.loads(body)
            assert (data["id"], data["organization"]) == (person_id, organization_id), data


class Clients:
    """Concurrent clients: threads that each keep their own runner and database connection, as
    the threads of a server keep theirs. ``run(job)`` hands ``job(runner)`` to every client."""

    def __init__(self, runners: list[PersonRunner]):
        self.inboxes: list[queue.Queue] = [queue.Queue() for _ in runners]
        self.outbox: queue.Queue = queue.Queue()
        self.threads = [
            threading.Thread(target=self._serve, args=(inbox, runner), daemon=True)
            for inbox, runner in zip(self.inboxes, runners, strict=True)
        ]
        for thread in self.threads:
            thread.start()

    def _serve(self, inbox: queue.Queue, runner: PersonRunner) -> None:
        from django.db import connections

        while (job := inbox.get()) is not None:
            try:
                self.outbox.put(job(runner))
            except BaseException as error:  # noqa: BLE001 -- re-raised by run()
                self.outbox.put(error)
        connections.close_all()
        self.outbox.put(None)

    def run(self, job) -> list:
        for inbox in self.inboxes:
            inbox.put(job)
        results = [self.outbox.get() for _ in self.inboxes]
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return results

    def close(self) -> None:
        for inbox in self.inboxes:
            inbox.put(None)
        for _ in self.inboxes:
            self.outbox.get()


def measure_requests(args, url: str, superuser: str) -> dict:
    from django.db import connection
    from django.db.backends.signals import connection_created

    from grove.audit.models import AuditEvent
    from grove.audit.verify import verify_chains
    from grove.tenancy.context import unscoped

    create_app_role(args.app_role)
    sessions, people_by_org = seed(args.organizations, args.users)
    runners = [
        PersonRunner(sessions, people_by_org, superuser=superuser, app_role=args.app_role)
        for _ in range(args.clients)
    ]
    for number, runner in enumerate(runners):
        runner.position = number * 7919  # each client reads other people
    connection_created.connect(runners[0].on_connection_created, weak=False)
    runners[0].use(PRODUCTION)  # the connection settings every client's connection uses
    clients = Clients(runners)
    try:

        def check(runner: PersonRunner) -> tuple:
            for logged in (False, True):  # both answer right, as the application role
                runner.logged = logged
                for _ in range(len(sessions)):
                    runner.read_person(check=True)
            return runner.database_user()

        for user in clients.run(check):
            assert user == (args.app_role, False), user
        per_client = max(1, args.requests // args.clients)
        start = threading.Barrier(args.clients)

        def timed_requests(runner: PersonRunner) -> tuple[float, float]:
            for _ in range(max(1, args.warmup // args.clients)):
                runner.read_person()
            start.wait()
            began = time.perf_counter()
            for _ in range(per_client):
                runner.read_person()
            return began, time.perf_counter()

        rng = random.Random(args.seed)
        rounds: list[dict[str, float]] = []
        for number in range(1, args.rounds + 1):
            order = list(VARIANTS)
            rng.shuffle(order)
            figures = {}
            for name in order:
                for runner in runners:
                    runner.logged = name == "logged"
                gc.collect()
                spans = clients.run(timed_requests)
                wall = max(end for _, end in spans) - min(began for began, _ in spans)
                figures[name] = per_client * args.clients / wall
            figures["ratio"] = figures["logged"] / figures["unlogged"]
            rounds.append(figures)
            print(
                f"  round {number}/{args.rounds}: unlogged {figures['unlogged']:.0f} req/s, "
                f"logged {figures['logged']:.0f} req/s, ratio {figures['ratio']:.2f}",
                flush=True,
            )
    finally:
        clients.close()
        connection_created.disconnect(runners[0].on_connection_created)
        connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        server_synchronous_commit = cursor.fetchone()[0]
    logged_requests = sum(runner.logged_requests for runner in runners)
    with unscoped("bench: the log holds every logged read"):
        logged_events = AuditEvent.objects.filter(action="data.view").count()
    assert logged_events == logged_requests, (logged_events, logged_requests)
    verified = verify_chains()
    assert verified.ok, verified.problem_lines()[:5]
    ratios = [r["ratio"] for r in rounds]
    return {
        "rounds": rounds,
        "median_unlogged_req_per_s": statistics.median(r["unlogged"] for r in rounds),
        "median_logged_req_per_s": statistics.median(r["logged"] for r in rounds),
        "ratio": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "logged_events": logged_events,
        "server_synchronous_commit": server_synchronous_commit,
        "people_by_org": people_by_org,
    }


# -- 10 million events -------------------------------------------------------------------------

_COLUMNS = (
    "public_id, occurred_at, organization_id, actor_id, actor_role, grant_id, action, "
    "object_type, object_ids, subject_user_id, subject_ref, request_id, ip_prefix, details, "
    "chain_key, sequence, prev_hash, hash"
)
_ACTIONS = ("data.view", "data.view", "data.view", "data.list", "data.search", "auth.login")


def _copy_text(value) -> str:
    # COPY's text format; what is generated here holds no tab, newline or backslash to escape.
    return "\\N" if value is None else str(value)


def generate_events(url: str, count: int, people_by_org: dict, *, batch: int = 20_000) -> float:
    """Write ``count`` chained events (round robin over the chains) with COPY; returns seconds."""
    import psycopg
    from psycopg.copy import QueuedLibpqWriter

    from grove.audit.hashing import GENESIS_HASH, OPERATOR_CHAIN, canonical_content, link_hash

    rng = random.Random(11)
    chains = [uuid.UUID(org) for org in people_by_org] + [OPERATOR_CHAIN]
    people = {key: people_by_org.get(str(key), []) for key in chains}
    staff = [str(uuid.uuid4()) for _ in range(5)]
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    started = time.perf_counter()

    def lines(first: int, last: int, heads: dict) -> str:
        out = []
        for n in range(first, last):
            key = chains[n % len(chains)]
            sequence, prev_hash = heads[key]
            organization = None if key == OPERATOR_CHAIN else str(key)
            pool = people[key] or staff
            actor = pool[n % len(pool)]
            action = _ACTIONS[n % len(_ACTIONS)] if organization else "auth.login_failed"
            objects = [pool[(n * 7 + i) % len(pool)] for i in range(1 + n % 3)]
            details = {"page": n % 5} if action == "data.list" else {}
            occurred = (start + datetime.timedelta(microseconds=n * 2_500_001)).strftime(
                "%Y-%m-%dT%H:%M:%S.%fZ"
            )
            fields = {
                "public_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "occurred_at": occurred,
                "organization": organization,
                "actor_id": actor if organization else None,
                "actor_role": "member" if organization else "",
                "grant_id": None,
                "action": action,
                "object_type": "user" if organization else "",
                "object_ids": objects if organization else [],
                "subject_user_id": objects[0] if action == "data.view" else None,
                "subject_ref": "" if organization else f"{n:064x}",
                "request_id": f"{n:032x}",
                "ip_prefix": "203.0.113.0/24",
                "details": details,
            }
            digest = link_hash(prev_hash, canonical_content(**fields))
            heads[key] = (sequence + 1, digest)
            row = (
                fields["public_id"], occurred, organization, fields["actor_id"],
                fields["actor_role"], None, action, fields["object_type"],
                json.dumps(fields["object_ids"]), fields["subject_user_id"],
                fields["subject_ref"], fields["request_id"], fields["ip_prefix"],
                json.dumps(details), key, sequence + 1, prev_hash, digest,
            )  # fmt: skip
            out.append("\t".join(map(_copy_text, row)))
        return "\n".join(out) + "\n"

    with psycopg.connect(url, autocommit=True) as conn:  # the superuser: RLS does not apply
        # The chains go on from where the requests left them.
        heads = {key: (0, GENESIS_HASH) for key in chains}
        for key, sequence, digest in conn.execute(
            "SELECT chain_key, last_sequence, last_hash FROM audit_auditchainhead"
        ):
            heads[key] = (sequence, digest)
        written = 0
        while written < count:
            # A COPY per million events, sent by a psycopg thread from a queue: the database
            # loads one batch while the next is computed here.
            end = min(count, written + 1_000_000)
            with (
                conn.cursor() as cursor,
                cursor.copy(
                    f"COPY audit_auditevent ({_COLUMNS}) FROM STDIN",
                    writer=QueuedLibpqWriter(cursor),
                ) as copy,
            ):
                for first in range(written, end, batch):
                    copy.write(lines(first, min(end, first + batch), heads))
            written = end
            rate = written / (time.perf_counter() - started)
            print(f"  generated {written:,} events ({rate:,.0f}/s)", flush=True)
        # A bulk load, not the append path: the heads jump forward, past their trigger (which
        # lets them move one link at a time), as only a superuser can.
        with conn.transaction():
            conn.execute("SET LOCAL session_replication_role = replica")
            conn.execute("DELETE FROM audit_auditchainhead")
            with (
                conn.cursor() as cursor,
                cursor.copy(
                    "COPY audit_auditchainhead (chain_key, last_sequence, last_hash, prev_hash, "
                    "base_sequence, base_hash, updated_at) FROM STDIN"
                ) as copy,
            ):
                for key, (sequence, digest) in heads.items():
                    # The head's own prev_hash is not verified; the chain's last link is.
                    copy.write_row((key, sequence, digest, digest, 0, GENESIS_HASH, "now"))
        conn.execute("VACUUM (ANALYZE) audit_auditevent")
    return time.perf_counter() - started


def measure_verify(url: str, app_role: str) -> dict:
    """verify_access_log in a process of its own, as the application role: time and memory."""
    parts = urlsplit(url)
    app_url = urlunsplit(parts._replace(netloc=f"{app_role}@{parts.hostname}:{parts.port or 5432}"))
    env = {**os.environ, "DATABASE_URL": app_url, "DEBUG": "0"}
    env.pop("GROVE_DB_APP_ROLE", None)
    started = time.perf_counter()
    result = subprocess.run(  # noqa: S603 -- our own manage.py, fixed arguments
        [sys.executable, "manage.py", "verify_access_log"],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r"verified: (\d+) events in (\d+) chain", result.stdout)
    assert found, result.stdout
    events = int(found.group(1))
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "events": events,
        "chains": int(found.group(2)),
        "seconds": seconds,
        "events_per_s": events / seconds,
        "peak_rss_mb": peak_kb / 1024,
    }


def main(argv=None) -> bool:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    url = database_url()
    superuser = urlsplit(url).username or "postgres"
    started = time.perf_counter()
    print(
        f"bench access_log: fresh database {urlsplit(url).path.lstrip('/')}, "
        "migrating and seeding..."
    )
    setup_django(url)
    from django.db import connection, connections

    try:
        pg_version = connection.pg_version
        requests = measure_requests(args, url, superuser)
        people_by_org = requests.pop("people_by_org")
        connections.close_all()
        print(f"  generating {args.events:,} chained events...", flush=True)
        generate_seconds = generate_events(url, args.events, people_by_org)
        print("  verifying them with manage.py verify_access_log...", flush=True)
        verify = measure_verify(url, args.app_role)
        assert verify["events"] >= args.events, verify
    finally:
        connections.close_all()
        if not args.keep:
            drop_database(url)

    total_seconds = time.perf_counter() - started
    print()
    print(
        f"Reads of a person, {args.rounds} rounds x {args.requests} requests, "
        f"{args.clients} client(s): "
        f"unlogged {requests['median_unlogged_req_per_s']:.0f} req/s, logged "
        f"{requests['median_logged_req_per_s']:.0f} req/s, ratio {requests['ratio']:.2f} "
        f"({requests['ratio_min']:.2f}-{requests['ratio_max']:.2f}); server synchronous_commit "
        f"= {requests['server_synchronous_commit']}, read events commit with 'local'."
    )
    print(
        f"verify_access_log: {verify['events']:,} events in {verify['chains']} chains in "
        f"{verify['seconds']:.0f} s ({verify['events_per_s']:,.0f} events/s), peak memory "
        f"{verify['peak_rss_mb']:.0f} MB; generating them took {generate_seconds:.0f} s."
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "benchmark": "access_log",
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config": {
            "rounds": args.rounds,
            "requests_per_round": args.requests,
            "warmup": args.warmup,
            "clients": args.clients,
            "organizations": args.organizations,
            "users_per_organization": args.users,
            "events": args.events,
            "database": database_label(url),
            "app_role": args.app_role,
            "scale": scale(),
        },
        "environment": environment(pg_version),
        "requests": requests,
        "verify": verify,
        "generate_seconds": round(generate_seconds, 1),
        "total_seconds": round(total_seconds, 1),
    }
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nbench: results in {args.output} ({total_seconds:.0f} s in all)")
    ok = report("access_log_read_ratio", requests["ratio"], TARGET_READ_RATIO)
    ok &= report(
        "access_log_verify_events_per_s", verify["events_per_s"], TARGET_VERIFY_EVENTS_PER_S
    )
    ok &= report(
        "access_log_verify_peak_rss_mb",
        verify["peak_rss_mb"],
        TARGET_VERIFY_PEAK_MB,
        higher_is_better=False,
    )
    return ok
