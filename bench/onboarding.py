"""The list import at scale: ``python -m bench --only onboarding``.

Needs PostgreSQL (``BENCH_DATABASE_URL``, a superuser; the database is dropped and created
fresh). One organization (seeded with a few people and job types) and a generated CSV of
100,000 valid new people (``BENCH_SCALE=small``: 10,000) with English and French country names
and job types in mixed case.

Measured, in the same run on the same table:

``raw COPY``  the same rows (every column already computed) written by psycopg's ``COPY`` straight
              into accounts_user as the superuser (no RLS, no validation): the ceiling;
``import``    ``import_commit`` of the previewed list in a separate process as the application role
              (RLS on): the normalised file read back, every line checked again (the lines the
              preview found new by their shape and job type, the others cleaned again and looked
              up by email), COPY into a temporary table and INSERT … SELECT … ON CONFLICT into
              accounts_user, audit events. Invitations are left out (``invite=False``): they
              are one mail task per person, measured elsewhere. The preview (reading the upload,
              validating, writing the normalised file) is timed separately and reported as well.

The commit's CPU time (the import process's, both threads) is reported too: unlike the rates, it
hardly moves with the load of a shared machine.

Peak memory: the import process's maximum resident set (``resource.getrusage``), preview and
commit together. Lines: ``onboarding_import_vs_copy`` (target ≥ 0.5) and
``onboarding_import_peak_mb`` (target < 500). Figures go to var/bench/onboarding.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
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
    parser.add_argument("--app-role", default=os.environ.get("BENCH_APP_ROLE", "grove_bench_app"))
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


def raw_copy_seconds(path: Path, organization_id: str, jobs: dict[str, str]) -> float:
    """COPY the same people (every column computed beforehand) into accounts_user."""
    import uuid

    from django.contrib.auth.hashers import make_password
    from django.db import connection
    from django.utils import timezone

    from grove.accounts.models import User
    from grove.onboarding.provisioning import country_code, fold

    fields = User._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
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
    with connection.cursor() as cursor:
        started = time.perf_counter()
        with cursor.cursor.copy(f"COPY {User._meta.db_table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        seconds = time.perf_counter() - started
        cursor.execute(
            f"DELETE FROM {User._meta.db_table} WHERE organization_id = %s AND email LIKE 'person.%%'",  # noqa: S608,E501
            [organization_id],
        )
        cursor.execute(f"VACUUM ANALYZE {User._meta.db_table}")
    return seconds


def child(argv) -> None:
    """The import, in its own process (peak memory of the import alone), as the app role."""
    import resource

    path, organization_id = argv
    import django

    django.setup()
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
    previewed = time.perf_counter()
    cpu_before = time.process_time()
    user_import = import_commit(
        actor=None, user_import=user_import, valid_only=False, full_sync=False, invite=False
    )
    committed = time.perf_counter()
    commit_cpu = time.process_time() - cpu_before
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
                "peak_mb": peak_kb / 1024,
            }
        )
    )


def main(argv=None) -> bool:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    url = database_url()
    print(f"bench onboarding: fresh database, {args.rows} rows...")
    setup_django(url)
    from django.db import connections

    from grove.onboarding.provisioning import fold
    from grove.tenancy.context import unscoped
    from grove.tenancy.models import JobType

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
        write_list(LIST_PATH, args.rows, organization.slug, names)
        copy_seconds = raw_copy_seconds(LIST_PATH, str(organization.pk), jobs)
        connections.close_all()

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
        done = subprocess.run(  # noqa: S603 -- our own module, fixed arguments
            [
                sys.executable,
                "-m",
                "bench.onboarding",
                "--child",
                str(LIST_PATH),
                str(organization.pk),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            raise RuntimeError("the import process failed")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        assert result["status"] == "done" and result["created"] == args.rows, result
    finally:
        connections.close_all()
        if not args.keep:
            drop_database(url)

    copy_rate = args.rows / copy_seconds
    import_rate = args.rows / result["commit_seconds"]
    whole_rate = args.rows / (result["commit_seconds"] + result["preview_seconds"])
    figures = {
        "rows": args.rows,
        "raw_copy_seconds": copy_seconds,
        "raw_copy_rows_per_s": copy_rate,
        "import": result,
        "import_rows_per_s": import_rate,
        "preview_and_import_rows_per_s": whole_rate,
        "ratio": import_rate / copy_rate,
        "ratio_with_preview": whole_rate / copy_rate,
    }
    RESULT_PATH.parent.mkdir(parents=True, exist_ok=True)
    RESULT_PATH.write_text(json.dumps(figures, indent=2))
    print(
        f"  raw COPY {copy_rate:,.0f} rows/s; import (commit) {import_rate:,.0f} rows/s; "
        f"preview {args.rows / result['preview_seconds']:,.0f} rows/s; preview + import "
        f"{whole_rate:,.0f} rows/s ({whole_rate / copy_rate:.2f} of COPY); "
        f"peak {result['peak_mb']:.0f} MB; commit CPU {result['commit_cpu_seconds']:.2f} s "
        f"for {result['commit_seconds']:.2f} s, raw COPY {copy_seconds:.2f} s"
    )
    ok = report("onboarding_import_vs_copy", import_rate / copy_rate, TARGET_RATIO)
    return (
        report(
            "onboarding_import_peak_mb", result["peak_mb"], TARGET_PEAK_MB, higher_is_better=False
        )
        and ok
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        sys.exit(0 if main() else 1)
