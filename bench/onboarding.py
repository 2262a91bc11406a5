"""The list import at scale: ``python -m bench --only onboarding``.

Needs PostgreSQL (``BENCH_DATABASE_URL``, a superuser; the database is dropped and created
fresh). One organization (seeded with a few people and job types) and a generated CSV of
100,000 valid new people (``BENCH_SCALE=small``: 10,000) with English and French country names
and job types in mixed case.

Measured, in the same run on the same table, in interleaved rounds (``--rounds``, 5 by default):

``raw COPY``  the same rows (every column already computed) written by psycopg's ``COPY`` straight
              into accounts_user as the superuser (no RLS, no validation): the ceiling;
``import``    ``import_commit`` of the previewed list in a separate process as the application role
              (RLS on): the normalised file read back, every line checked again (the lines the
              preview found new by their shape and job type, the others cleaned again and looked
              up by email), COPY into a temporary table and INSERT … SELECT … ON CONFLICT into
              accounts_user, audit events. Invitations are left out (``invite=False``): they
              are one mail task per person, measured elsewhere. The preview (reading the upload,
              validating, writing the normalised file) is timed separately and reported as well.

Rounds: each round measures both, in alternating order (COPY then import, then import then
COPY: a drift of the machine's load during the run weighs on both alike), and each
measurement starts from the same table state: the list's people deleted, ``VACUUM ANALYZE``
and ``CHECKPOINT`` (no dirty pages left by the previous measurement for the checkpointer to
write during this one). The figure is the median of the rounds' ratios (import rows/s ÷ COPY
rows/s of the same round); the spread (min-max) and the load average are printed beside it.
On a shared machine the rates move a lot; the paired ratio much less.

The commit's CPU time (the import process's, both threads) is reported too: unlike the rates, it
hardly moves with the load of a shared machine. ``--profile FILE`` writes a cProfile of the
first round's commit (``python -m pstats FILE``).

Peak memory: the import process's maximum resident set (``resource.getrusage``), preview and
commit together, the largest of the rounds. Lines: ``onboarding_import_vs_copy`` (target ≥ 0.5)
and ``onboarding_import_peak_mb`` (target < 500). Figures go to var/bench/onboarding.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .common import (
    create_app_role,
    database_url,
    drop_database,
    report,
    scale,
    seed,
    setup_django,
)

RESULT_PATH = Path("var/bench/onboarding.json")
LIST_PATH = Path("var/bench/onboarding-users.csv")
TARGET_RATIO = 0.5
TARGET_PEAK_MB = 500
COUNTRIES = ("FR", "France", "Allemagne", "germany", "ES", "Espagne", "Belgique", "IT", "")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench --only onboarding")
    parser.add_argument("--rows", type=int, default=10_000 if scale() == "small" else 100_000)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (at least 3)")
    parser.add_argument("--app-role", default=os.environ.get("BENCH_APP_ROLE", "grove_bench_app"))
    parser.add_argument("--profile", help="write a cProfile of the first round's commit here")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    return parser.parse_known_args(argv)[0]


def write_list(path: Path, rows: int, slug: str, jobs: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow(["Adresse e-mail", "Prénom", "Nom", "Pays", "Métier", "Téléphone"])
        for n in range(rows):
            writer.writerow(
                [
                    f"Person.{n}@{slug}.example",
                    f"Prénom{n % 997}",
                    f"Nom-{n % 1009}",
                    COUNTRIES[n % len(COUNTRIES)],
                    jobs[n % len(jobs)].upper() if n % 2 else jobs[n % len(jobs)],
                    "+33 6 12 34 56 78",
                ]
            )


def copy_rows(path: Path, organization_id: str, jobs: dict[str, str]) -> list[list]:
    """The list's people as accounts_user rows, every column computed (a fresh id each call)."""
    import uuid

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from grove.accounts.models import User
    from grove.onboarding.provisioning import country_code, fold

    fields = User._meta.concrete_fields
    now = timezone.now()
    password = make_password(None)
    rows = []
    with path.open(encoding="utf-8", newline="") as source:
        reader = csv.reader(source, delimiter=";")
        next(reader)
        for email, first, last, country, job, _phone in reader:
            values = {
                "id": uuid.uuid4(),
                "password": password,
                "last_login": None,
                "email": email.lower(),
                "first_name": first,
                "last_name": last,
                "country": country_code(country) or "",
                "organization_id": uuid.UUID(organization_id),
                "job_type_id": uuid.UUID(jobs[fold(job)]),
                "org_role": "member",
                "staff_role": "",
                "is_active": True,
                "language": "",
                "created_at": now,
            }
            rows.append([values.get(f.attname) for f in fields])
    return rows


def backend_cpu_seconds(connection) -> float | None:
    """CPU time used so far by the PostgreSQL backend serving this Django connection (read
    from /proc: the server runs on this machine), or None when it cannot be read."""
    connection.ensure_connection()
    try:
        pid = connection.connection.info.backend_pid
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _used(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def raw_copy_seconds(rows: list[list]) -> tuple[float, float, float | None]:
    """COPY the rows into accounts_user (autocommit: the deferred foreign-key checks included):
    wall seconds, this process's CPU seconds, the database backend's CPU seconds."""
    from django.db import connection

    from grove.accounts.models import User

    columns = ", ".join(connection.ops.quote_name(f.column) for f in User._meta.concrete_fields)
    with connection.cursor() as cursor:
        server_before = backend_cpu_seconds(connection)
        cpu_before = time.process_time()
        started = time.perf_counter()
        with cursor.cursor.copy(f"COPY {User._meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_before
        return seconds, cpu, _used(server_before, backend_cpu_seconds(connection))


def reset_table(organization_id: str) -> None:
    """The same table state before every measurement: the list's people gone, the table
    vacuumed and analysed, no dirty page left for the checkpointer."""
    from django.db import connection

    from grove.accounts.models import User

    with connection.cursor() as cursor:
        # Nothing refers to the list's people (no invitations): the 40 foreign keys pointing at
        # accounts_user need not be checked 100,000 times each.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute(
            f"DELETE FROM {User._meta.db_table} WHERE organization_id = %s AND email LIKE 'person.%%'",  # noqa: S608,E501
            [organization_id],
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute(f"VACUUM ANALYZE {User._meta.db_table}")
        cursor.execute("CHECKPOINT")


def import_round(env: dict, organization_id: str, profile: str | None) -> dict:
    """Preview and commit the list in a separate process, as the application role."""
    done = subprocess.run(  # noqa: S603 -- our own module, fixed arguments
        [
            sys.executable,
            "-m",
            "bench.onboarding",
            "--child",
            str(LIST_PATH),
            organization_id,
            profile or "",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
        raise RuntimeError("the import process failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child(argv) -> None:
    """The import, in its own process (peak memory of the import alone), as the app role."""
    import resource

    path, organization_id, profile = argv
    import django

    django.setup()
    from django.db import connection

    from grove.onboarding.actions import import_commit, import_preview
    from grove.onboarding.importing import ImportOptions
    from grove.tenancy.context import tenant_context
    from grove.tenancy.models import Organization

    with tenant_context(organization_id):
        organization = Organization.objects.get(pk=organization_id)
    started = time.perf_counter()
    with open(path, "rb") as upload:
        user_import = import_preview(
            actor=None,
            organization=organization,
            uploaded_file=upload,
            source="cli",
            options=ImportOptions(),
        )
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    server_before = backend_cpu_seconds(connection)
    previewed = time.perf_counter()
    cpu_before = time.process_time()
    user_import = import_commit(
        actor=None, user_import=user_import, valid_only=False, full_sync=False, invite=False
    )
    committed = time.perf_counter()
    commit_cpu = time.process_time() - cpu_before
    commit_server_cpu = _used(server_before, backend_cpu_seconds(connection))
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "status": user_import.status,
                "created": user_import.created_count,
                "errors": user_import.error_count,
                "preview_seconds": previewed - started,
                "commit_seconds": committed - previewed,
                "commit_cpu_seconds": commit_cpu,
                "commit_database_cpu_seconds": commit_server_cpu,
                "peak_mb": peak_kb / 1024,
            }
        )
    )


def _seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:.2f} s"


def _spread(values: list[float], digits: int = 2) -> str:
    return (
        f"median {statistics.median(values):.{digits}f} "
        f"(min {min(values):.{digits}f}, max {max(values):.{digits}f})"
    )


def main(argv=None) -> bool:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    rounds = max(args.rounds, 1)
    url = database_url()
    print(f"bench onboarding: fresh database, {args.rows} rows, {rounds} interleaved rounds...")
    setup_django(url)
    from django.db import connections

    from grove.onboarding.provisioning import fold
    from grove.tenancy.context import unscoped
    from grove.tenancy.models import JobType

    measured = []
    try:
        create_app_role(args.app_role)
        _sessions, _people = seed(1, 10)
        with unscoped("bench: the seeded organization"):
            job = JobType.objects.select_related("organization").first()
            organization = job.organization
            jobs = {
                fold(j.name): str(j.pk) for j in JobType.objects.filter(organization=organization)
            }
            names = list(
                JobType.objects.filter(organization=organization).values_list("name", flat=True)
            )
        organization_id = str(organization.pk)
        write_list(LIST_PATH, args.rows, organization.slug, names)

        parts = urlsplit(url)
        app_url = urlunsplit(
            parts._replace(netloc=f"{args.app_role}@{parts.hostname}:{parts.port or 5432}")
        )
        env = {
            **os.environ,
            "DATABASE_URL": app_url,
            "MEDIA_ROOT": str(Path("var/bench/media").resolve()),
            "STORAGE_BACKEND": "django.core.files.storage.FileSystemStorage",
        }
        env.pop("GROVE_DB_APP_ROLE", None)

        for number in range(rounds):
            load_before = os.getloadavg()[0]
            copy_first = number % 2 == 0  # COPY, import; import, COPY; ...
            result: dict = {}
            copy_seconds = copy_cpu = 0.0
            copy_server_cpu = None
            for step in ("copy", "import") if copy_first else ("import", "copy"):
                rows = copy_rows(LIST_PATH, organization_id, jobs) if step == "copy" else None
                reset_table(organization_id)
                if step == "copy":
                    copy_seconds, copy_cpu, copy_server_cpu = raw_copy_seconds(rows)
                    del rows
                else:
                    connections.close_all()  # the child's transaction waits on no lock of ours
                    profile = args.profile if number == 0 else None
                    result = import_round(env, organization_id, profile)
                    expected = result["status"] == "done" and result["created"] == args.rows
                    assert expected, result
            copy_rate = args.rows / copy_seconds
            import_rate = args.rows / result["commit_seconds"]
            figures = {
                "round": number + 1,
                "order": "copy, import" if copy_first else "import, copy",
                "load_average": [load_before, os.getloadavg()[0]],
                "raw_copy_seconds": copy_seconds,
                "raw_copy_rows_per_s": copy_rate,
                "raw_copy_cpu_seconds": copy_cpu,
                "raw_copy_database_cpu_seconds": copy_server_cpu,
                "import": result,
                "import_rows_per_s": import_rate,
                "ratio": import_rate / copy_rate,
                "ratio_with_preview": (
                    args.rows / (result["commit_seconds"] + result["preview_seconds"]) / copy_rate
                ),
            }
            measured.append(figures)
            print(
                f"  round {number + 1} ({figures['order']}; load {load_before:.1f}): "
                f"raw COPY {copy_seconds:.2f} s ({copy_rate:,.0f} rows/s), commit "
                f"{result['commit_seconds']:.2f} s ({import_rate:,.0f} rows/s, CPU "
                f"{result['commit_cpu_seconds']:.2f} s), ratio {figures['ratio']:.2f}; database "
                f"CPU {_seconds(copy_server_cpu)} vs "
                f"{_seconds(result['commit_database_cpu_seconds'])}; preview "
                f"{result['preview_seconds']:.2f} s; peak {result['peak_mb']:.0f} MB",
                flush=True,
            )
        reset_table(organization_id)
    finally:
        connections.close_all()
        if not args.keep:
            drop_database(url)

    ratios = [m["ratio"] for m in measured]
    peak = max(m["import"]["peak_mb"] for m in measured)
    loads = [load for m in measured for load in m["load_average"]]
    summary = {
        "rows": args.rows,
        "rounds": measured,
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "ratio_with_preview_median": statistics.median(m["ratio_with_preview"] for m in measured),
        "raw_copy_seconds_median": statistics.median(m["raw_copy_seconds"] for m in measured),
        "commit_seconds_median": statistics.median(m["import"]["commit_seconds"] for m in measured),
        "commit_cpu_seconds_median": statistics.median(
            m["import"]["commit_cpu_seconds"] for m in measured
        ),
        "peak_mb": peak,
        "load_average_min": min(loads),
        "load_average_max": max(loads),
    }
    server = [
        m["raw_copy_database_cpu_seconds"] / m["import"]["commit_database_cpu_seconds"]
        for m in measured
        if m["raw_copy_database_cpu_seconds"] and m["import"]["commit_database_cpu_seconds"]
    ]
    # Rates as a quiet machine would give them if nothing overlapped: CPU seconds, the
    # client's and the database backend's, COPY's ÷ the commit's (the commit's read-ahead
    # thread overlaps some of its Python with the database's work, so this is a lower bound).
    whole = [
        (m["raw_copy_cpu_seconds"] + m["raw_copy_database_cpu_seconds"])
        / (m["import"]["commit_cpu_seconds"] + m["import"]["commit_database_cpu_seconds"])
        for m in measured
        if m["raw_copy_database_cpu_seconds"] and m["import"]["commit_database_cpu_seconds"]
    ]
    summary["database_cpu_ratio_median"] = statistics.median(server) if server else None
    summary["cpu_ratio_median"] = statistics.median(whole) if whole else None
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_text(json.dumps(summary, indent=2))
    print(
        f"  ratio {_spread(ratios)} over {len(ratios)} rounds; raw COPY s "
        f"{_spread([m['raw_copy_seconds'] for m in measured])}; commit s "
        f"{_spread([m['import']['commit_seconds'] for m in measured])}; commit CPU s "
        f"{_spread([m['import']['commit_cpu_seconds'] for m in measured])}; preview + commit vs "
        f"COPY {summary['ratio_with_preview_median']:.2f}; peak {peak:.0f} MB; load average "
        f"{summary['load_average_min']:.1f}-{summary['load_average_max']:.1f}"
    )
    if server:
        print(
            f"  CPU, COPY's ÷ the commit's: database backend {_spread(server)}; client + "
            f"database {_spread(whole)} (load-independent; not the target's measure)"
        )
    ok = report("onboarding_import_vs_copy", summary["ratio_median"], TARGET_RATIO)
    return report("onboarding_import_peak_mb", peak, TARGET_PEAK_MB, higher_is_better=False) and ok


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        sys.exit(0 if main() else 1)
