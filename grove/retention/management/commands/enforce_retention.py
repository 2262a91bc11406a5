"""Run the retention steps due today (run it daily): end contracts, notices, purges."""

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from grove.retention.enforce import enforce_retention
from grove.retention.tasks import enforce_retention_daily, sweep_expired_and_orphaned
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

# Clocks of the scheduler's host and the database's may differ by a little.
FUTURE_SLACK = datetime.timedelta(minutes=5)


def parse_now(value: str) -> datetime.datetime:
    """An ISO 8601 datetime with its offset (``2027-01-31T03:00:00+00:00`` or ``...Z``)."""
    try:
        moment = datetime.datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--now: not an ISO 8601 datetime: {value!r}") from None
    if timezone.is_naive(moment):
        raise CommandError("--now needs an offset (e.g. 2027-01-31T03:00:00+00:00)")
    return moment


class Command(BaseCommand):
    help = (
        "End the contracts that are due, send the notices, purge what the data map's "
        "retention rules say is due (organizations' data and logs, departed members)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print what is due (rows per model and category) and change nothing",
        )
        parser.add_argument(
            "--now",
            metavar="ISO-DATETIME",
            help="run as of this moment, with its offset (later than now: --dry-run only)",
        )
        parser.add_argument("--org", metavar="SLUG", help="only this organization")
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="enqueue the enforce_retention_daily task instead (every organization, now)",
        )

    def handle(self, *args, dry_run=False, now=None, org=None, enqueue=False, **options):
        moment = parse_now(now) if now else None
        if moment is not None and moment > timezone.now() + FUTURE_SLACK and not dry_run:
            # A real run "as of" a later day would end contracts and purge data before their day.
            raise CommandError("--now in the future is only for a --dry-run")
        if enqueue:
            if dry_run or now or org:
                raise CommandError("--enqueue runs everything now: no --dry-run, --now or --org")
            result = enforce_retention_daily.enqueue()
            self.stdout.write(f"enqueued task {result.id}")
            return
        organization = None
        if org:
            with unscoped("enforce_retention --org: finding the organization by its slug"):
                organization = Organization.objects.filter(slug=org).first()
            if organization is None:
                raise CommandError(f"--org: no organization with the slug {org!r}")
        report = enforce_retention(
            now=moment,
            organization=organization,
            dry_run=dry_run,
            run_by="manage.py enforce_retention",
        )
        self.stdout.write(str(report))
        swept = {}
        if organization is None and not dry_run:  # the whole daily run, as the task does
            swept = sweep_expired_and_orphaned(run_by="manage.py enforce_retention")
            expired = swept["expired_deleted"]
            if any(expired.values()) or swept["orphaned_files_deleted"]:
                self.stdout.write(
                    f"expired sessions deleted: {expired['sessions']}, login-throttle windows: "
                    f"{expired['login_throttles']}, orphaned files: "
                    f"{swept['orphaned_files_deleted']}"
                )
        if not report.ok:
            raise CommandError(f"{len(report.failures)} step(s) failed: see the log")
        if swept.get("orphaned_files_failed"):
            raise CommandError(
                f"{swept['orphaned_files_failed']} orphaned file(s) could not be deleted"
            )
