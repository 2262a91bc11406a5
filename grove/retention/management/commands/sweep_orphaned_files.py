"""Delete the files in storage that no row names (see grove/retention/orphans.py)."""

import datetime

from django.core.management.base import BaseCommand, CommandError

from grove.retention.orphans import (
    DEFAULT_GRACE,
    MINIMUM_GRACE,
    delete_orphaned_files,
    find_orphaned_files,
)


class Command(BaseCommand):
    help = (
        "Delete the files in the default storage that no row names and that were last "
        "modified before the grace period (uploads in flight are kept). Prints counts only."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count the orphaned files, delete nothing"
        )
        parser.add_argument(
            "--older-than-hours",
            type=float,
            default=DEFAULT_GRACE.total_seconds() / 3600,
            metavar="N",
            help=(
                f"grace period in hours (default {DEFAULT_GRACE.total_seconds() / 3600:g}, "
                f"at least {MINIMUM_GRACE.total_seconds() / 3600:g})"
            ),
        )

    def handle(self, *args, dry_run=False, older_than_hours=24.0, **options):
        older_than = datetime.timedelta(hours=older_than_hours)
        if older_than < MINIMUM_GRACE:
            raise CommandError(
                f"--older-than-hours must be at least {MINIMUM_GRACE.total_seconds() / 3600:g}: "
                "a newer file may be an upload whose row is not committed yet"
            )
        if dry_run:
            scan = find_orphaned_files(older_than=older_than)
        else:
            scan = delete_orphaned_files(
                older_than=older_than, run_by="manage.py sweep_orphaned_files"
            )
        self.stdout.write(str(scan))
        if scan.failed:
            raise CommandError(f"{scan.failed} file(s) could not be deleted: see the log")
