"""The personal-data export at scale: ``python -m bench --only rights``.

Needs PostgreSQL (``BENCH_DATABASE_URL``, a superuser; that database and a second one named after
it with ``_base`` are dropped and created fresh). One measure, ``rights_export_1m_vs_10k``: the
time to build one person's export (the whole ZIP: ``write_export_zip``, i.e. the data-map walk, the
CSVs, the HTML summary, data.json) when the database holds 1,000,000 users and 10,000,000
access-log events, divided by the time for the same person when it holds 10,000 users and 100,000
events. Target at most 2.00: the export finds the person's rows through indexes, so its cost
follows the person's data, not the size of the tables. ``BENCH_SCALE=small``: 100,000 users and
1,000,000 events against 1,000 and 10,000 (the same factor of 100).

The person is the same at both sizes: a member with 20 practices (2 photo attachments each),
40 comments, 60 reactions, 10 notifications, an access request, and 200 access-log events by
them or about them (staff reads included), all written through the ORM first. The rest is
filler generated in SQL (``INSERT … SELECT`` over ``generate_series``, in chunks), spread over
100 organizations: people with deterministic ids (``md5``-derived UUIDs) and access-log events
whose actor and subject are those people. The filler's hash-chain columns (``chain_key``,
``sequence``, ``prev_hash``, ``hash``) hold consistent but made-up values (one chain per
organization, sequences unique, hashes that are not the real chain): the export does not verify
the chain, and verifying it is bench/access_log.py's business. A large load drops the table's
secondary indexes and unique constraints and builds them again afterwards from their own
definitions; ``VACUUM ANALYZE`` after each load.

Both sizes live side by side, in two databases, so that the rounds can alternate between them
(in a shuffled order): the machine's other work then weighs on both alike. In each round, each
database gets one untimed export and one timed export, as the application role (row-level
security on, inside ``unscoped``), in this process; the measure is the median of the rounds'
ratios (``--rounds``, 7). At the large size, every statement the export ran is explained
(``EXPLAIN (ANALYZE, BUFFERS)``): the plans go to the JSON file and the run fails if one reads a
large table (users, access log) by a sequential scan. Figures and plans go to
var/bench/rights.json. ``--keep`` keeps the databases.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from .common import create_app_role, database_url, report, scale, setup_django

RESULT_PATH = Path("var/bench/rights.json")
TARGET_RATIO = 2.0
ORGANIZATIONS = 100
CHUNK = 1_000_000
BULK_LOAD = 500_000  # rows from which a load drops the indexes and builds them after
LARGE_TABLES = ("accounts_user", "audit_auditevent")


def parse_args(argv):
    small = scale() == "small"
    parser = argparse.ArgumentParser(prog="python -m bench --only rights")
    parser.add_argument("--base-users", type=int, default=1_000 if small else 10_000)
    parser.add_argument("--base-events", type=int, default=10_000 if small else 100_000)
    parser.add_argument("--large-users", type=int, default=100_000 if small else 1_000_000)
    parser.add_argument("--large-events", type=int, default=1_000_000 if small else 10_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--app-role", default=os.environ.get("BENCH_APP_ROLE", "grove_bench_app"))
    parser.add_argument("--output", type=Path, default=RESULT_PATH)
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_known_args(argv)[0]


def seed_organizations() -> list:
    import datetime

    from django.utils import timezone

    from grove.tenancy.context import unscoped
    from grove.tenancy.models import Organization

    today = timezone.now().date()
    with unscoped("bench: organizations"):
        return Organization.objects.bulk_create(
            Organization(
                name=f"Bench client {n}",
                slug=f"bench-{n}",
                contract_start=today - datetime.timedelta(days=30),
                contract_end=today + datetime.timedelta(days=365),
                data_region="eu-west",
            )
            for n in range(ORGANIZATIONS)
        )


def seed_person(organization):
    """The person whose data is exported, and what they did: the same at both sizes."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from grove.audit.events import record_event
    from grove.audit.models import AuditAction
    from grove.core.testing.factories import (
        UNUSABLE_PASSWORD,
        CommentFactory,
        PracticeFactory,
        ReactionFactory,
        StaffUserFactory,
        UserFactory,
    )
    from grove.notifications.models import Notification
    from grove.practices.models import Attachment
    from grove.rights.models import DataSubjectRequest
    from grove.tenancy.context import unscoped

    person = UserFactory(
        organization=organization, email="subject@bench.example", password=UNUSABLE_PASSWORD
    )
    colleague = UserFactory(
        organization=organization, email="colleague@bench.example", password=UNUSABLE_PASSWORD
    )
    csm = StaffUserFactory(email="csm@bench.example", password=UNUSABLE_PASSWORD)
    others = [PracticeFactory(organization=organization, author=colleague) for _ in range(20)]
    photo = b"\xff\xd8\xff\xe0" + random.Random(5).randbytes(60_000)  # a 60 kB "photo"
    with unscoped("bench: the person's data"):
        for n in range(20):
            practice = PracticeFactory(
                organization=organization, author=person, tags=["bench", f"t{n % 5}"]
            )
            for position in range(2):
                name = default_storage.save(
                    f"practices/{organization.pk}/bench.jpg", ContentFile(photo)
                )
                Attachment.objects.create(
                    organization=organization,
                    practice=practice,
                    kind="image",
                    file=name,
                    content_type="image/jpeg",
                    size=len(photo),
                    position=position,
                )
            if n < 10:
                Notification.objects.create(
                    organization=organization,
                    recipient=person,
                    kind="comment",
                    practice=practice,
                    actor=colleague,
                )
        for n in range(40):
            CommentFactory(practice=others[n % 20], author=person, body=f"Comment {n}")
        for n in range(60):
            ReactionFactory(
                practice=others[n % 20],
                user=person,
                kind=("useful", "adopted", "bookmark")[n // 20],
            )
        DataSubjectRequest.objects.create(
            organization=organization,
            subject=person,
            request_type="access",
            channel="profile",
            due_at="2030-01-01T00:00:00Z",
        )
        for n in range(200):
            if n % 4 == 0:
                record_event(
                    action=AuditAction.VIEW,
                    actor=csm,
                    organization=organization,
                    object_type="accounts.user",
                    object_ids=[person.pk],
                    subject_user=person,
                )
            else:
                record_event(
                    action=AuditAction.LOGIN if n % 4 == 1 else AuditAction.VIEW,
                    actor=person,
                    organization=organization,
                    object_type="practice",
                    object_ids=[others[n % 20].pk],
                )
    return person


USERS_SQL = """
INSERT INTO accounts_user (id, password, email, first_name, last_name, country, organization_id,
    org_role, staff_role, is_active, language, created_at)
SELECT md5('bench-user-' || n)::uuid, '!', 'u' || n || '@filler.example',
    'First' || mod(n, 9973), 'Last' || mod(n, 7919), 'FR', orgs.ids[1 + mod(n, %(orgs)s)],
    'member', '', true, '', now()
FROM generate_series(%(start)s, %(stop)s) AS n,
     (SELECT array_agg(id ORDER BY slug) AS ids FROM tenancy_organization) AS orgs
"""

EVENTS_SQL = """
INSERT INTO audit_auditevent (public_id, occurred_at, organization_id, actor_id, actor_role,
    action, object_type, object_ids, subject_user_id, subject_ref, request_id, ip_prefix,
    details, chain_key, sequence, prev_hash, hash)
SELECT gen_random_uuid(), now() - mod(n, 86400) * interval '1 minute',
    orgs.ids[1 + mod(n, %(orgs)s)], md5('bench-user-' || (1 + mod(n * 7, %(users)s)))::uuid,
    'member', CASE WHEN mod(n, 3) = 0 THEN 'data.view' ELSE 'auth.login' END, 'practice',
    '[]'::jsonb,
    CASE WHEN mod(n, 3) = 0 THEN md5('bench-user-' || (1 + mod(n * 13, %(users)s)))::uuid END,
    '', '', '203.0.113.0/24', '{}'::jsonb, orgs.ids[1 + mod(n, %(orgs)s)], 1000000000 + n,
    md5((n - 1)::text) || md5((n - 1)::text), md5(n::text) || md5(n::text)
FROM generate_series(%(start)s, %(stop)s) AS n,
     (SELECT array_agg(id ORDER BY slug) AS ids FROM tenancy_organization) AS orgs
"""


def grow(table_sql: str, start: int, stop: int, users: int) -> None:
    """Rows start..stop (inclusive) of the filler, a chunk per transaction."""
    from django.db import connection

    for chunk_start in range(start, stop + 1, CHUNK):
        chunk_stop = min(stop, chunk_start + CHUNK - 1)
        with connection.cursor() as cursor:
            cursor.execute(
                table_sql,
                {
                    "start": chunk_start,
                    "stop": chunk_stop,
                    "orgs": ORGANIZATIONS,
                    "users": max(users, 1),
                },
            )


@contextmanager
def indexes_rebuilt_after(table: str, rows: int):
    """Load ``rows`` rows into ``table`` with its secondary indexes and unique constraints
    dropped, then build them again from their own definitions (a sorted build instead of ten
    million random inserts into each). The schema afterwards is the same; small loads keep the
    indexes."""
    from django.db import connection

    if rows < BULK_LOAD:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype = 'u'",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT "
            "IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cursor.fetchall()
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def fill(users: int, events: int, had_users: int, had_events: int) -> float:
    from django.db import connection

    started = time.perf_counter()
    if users > had_users:
        with indexes_rebuilt_after("accounts_user", users - had_users):
            grow(USERS_SQL, had_users + 1, users, users)
    if events > had_events:
        with indexes_rebuilt_after("audit_auditevent", events - had_events):
            grow(EVENTS_SQL, had_events + 1, events, users)
    connection.ensure_connection()
    raw = connection.connection
    previous = raw.autocommit
    raw.autocommit = True
    try:
        with raw.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE accounts_user")
            cursor.execute("VACUUM ANALYZE audit_auditevent")
    finally:
        raw.autocommit = previous
    return time.perf_counter() - started


def counts() -> tuple[int, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM accounts_user")
        users = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM audit_auditevent")
        events = cursor.fetchone()[0]
    return users, events


def use_database(name: str, role: str) -> None:
    """Point Django's connection at ``name`` as ``role`` (the next query connects)."""
    from django.db import connections

    connection = connections["default"]
    connection.close()
    connection.settings_dict["NAME"] = name
    connection.settings_dict["USER"] = role


def prepare(name: str, url: str, superuser: str, app_role: str, users: int, events: int):
    """A fresh database ``name``: migrated, the roles, the person, the filler; returns the
    person and what the load took."""
    from django.core.management import call_command

    from .common import recreate_database

    use_database("postgres", superuser)
    recreate_database(url.rsplit("/", 1)[0] + "/" + name)
    use_database(name, superuser)
    call_command("migrate", verbosity=0, interactive=False)
    create_app_role(app_role)
    organizations = seed_organizations()
    person = seed_person(organizations[0])
    had_users, had_events = counts()
    load_s = fill(users, events, had_users, had_events)
    total_users, total_events = counts()
    print(f"  {name}: {total_users} users, {total_events} events (filler loaded in {load_s:.0f} s)")
    return person, {
        "database": name,
        "users": total_users,
        "events": total_events,
        "load_s": load_s,
    }


def export_once(person) -> tuple[float, dict]:
    from grove.rights.export import write_export_zip

    buffer = io.BytesIO()
    started = time.perf_counter()
    manifest = write_export_zip(person, buffer)
    return time.perf_counter() - started, manifest


def explain_export(person) -> list[dict]:
    """Every statement the export runs, explained with ANALYZE (as the application role, with
    the same row-level-security settings the export's ``unscoped`` block sets)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from grove.rights.export_data import personal_data

    with CaptureQueriesContext(connection) as captured:
        personal_data(person)
    plans = []
    seen = set()
    for query in captured.captured_queries:
        # The RLS wrapper prefixes the transaction's first statement with its set_config().
        sql = query["sql"].split("; ")[-1] if "set_config(" in query["sql"] else query["sql"]
        if not sql.lstrip().upper().startswith("SELECT") or sql in seen:
            continue
        seen.add(sql)
        with transaction.atomic():
            connection.ensure_connection()
            with connection.connection.cursor() as cursor:  # the raw cursor: no prefix
                cursor.execute(
                    "SELECT set_config('grove.organization_id', '', true), "
                    "set_config('grove.rls_bypass', 'on', true)"
                )
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(line for (line,) in cursor.fetchall())
        scans = [t for t in LARGE_TABLES if f"Seq Scan on {t}" in plan]
        plans.append({"sql": sql[:600], "plan": plan, "seq_scans_on_large_tables": scans})
    return plans


def main(argv=None) -> bool:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    url = database_url()
    large_name = url.rsplit("/", 1)[1]
    base_name = f"{large_name}_base"
    print(
        f"bench rights: fresh databases {base_name} ({args.base_users} users, "
        f"{args.base_events} events) and {large_name} ({args.large_users}, {args.large_events})..."
    )
    setup_django(url)
    from django.conf import settings
    from django.db import connections

    superuser = connections["default"].settings_dict["USER"]
    media = Path("var/bench/rights-media").resolve()
    settings.MEDIA_ROOT = media
    results: dict = {"measure": "rights_export_1m_vs_10k", "rounds": []}
    try:
        base_person, base = prepare(
            base_name, url, superuser, args.app_role, args.base_users, args.base_events
        )
        large_person, large = prepare(
            large_name, url, superuser, args.app_role, args.large_users, args.large_events
        )
        results["sizes"] = [base, large]
        # Rounds alternate the two databases (in a shuffled order), so that whatever else runs
        # on the machine weighs on both alike; each timed export follows an untimed one on the
        # same connection. The measure is the median of the per-round ratios.
        rng = random.Random(args.seed)
        for number in range(args.rounds):
            order = [("base", base_name, base_person), ("large", large_name, large_person)]
            rng.shuffle(order)
            timings = {}
            for label, name, person in order:
                use_database(name, args.app_role)
                export_once(person)
                timings[label], manifest = export_once(person)
                timings[f"{label}_rows"] = manifest["rows"]
            assert timings["base_rows"] == timings["large_rows"], timings
            timings["ratio"] = timings["large"] / timings["base"]
            results["rounds"].append(timings)
            print(
                f"  round {number + 1}: {timings['base'] * 1000:.0f} ms at {base['users']} users, "
                f"{timings['large'] * 1000:.0f} ms at {large['users']} ({timings['ratio']:.2f})"
            )
        use_database(large_name, args.app_role)
        plans = explain_export(large_person)
        results["plans_at_large_size"] = plans
        scans = [p for p in plans if p["seq_scans_on_large_tables"]]
        rounds = results["rounds"]
        results["base_median_s"] = statistics.median(r["base"] for r in rounds)
        results["large_median_s"] = statistics.median(r["large"] for r in rounds)
        ratio = statistics.median(r["ratio"] for r in rounds)
        results["ratio"] = ratio
        results["rows_exported"] = rounds[0]["base_rows"]
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
        for plan in scans:
            print(f"  SEQUENTIAL SCAN: {plan['seq_scans_on_large_tables']}: {plan['sql'][:200]}")
        print(
            f"  medians: {results['base_median_s'] * 1000:.0f} ms and "
            f"{results['large_median_s'] * 1000:.0f} ms ({results['rows_exported']} rows); "
            f"{len(plans)} statements explained, {len(scans)} with a sequential scan on "
            f"{' or '.join(LARGE_TABLES)}; plans in {args.output}"
        )
        ok = report("rights_export_1m_vs_10k", ratio, TARGET_RATIO, higher_is_better=False)
        return ok and not scans
    finally:
        connections.close_all()
        use_database(large_name, superuser)
        shutil.rmtree(media, ignore_errors=True)
        if not args.keep:
            from .common import drop_database as drop

            drop(url.rsplit("/", 1)[0] + "/" + base_name)
            drop(url)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
