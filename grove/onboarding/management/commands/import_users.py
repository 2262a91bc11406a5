"""``manage.py import_users FILE --org SLUG``: the operators' way to import a client's list.

Prints the preview (counts, dropped columns by header name, the first issues by line, column
and reason: never a value), then commits with a progress bar. Exits non-zero (CommandError)
when the file is refused, or rows are rejected and nothing was imported; with ``--dry-run``,
when the import would be rejected.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from grove.onboarding.actions import import_commit, import_discard, import_preview
from grove.onboarding.importing import ImportOptions, ImportRefused
from grove.onboarding.models import ImportStatus
from grove.onboarding.queries import import_issues, issue_message
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

SHOWN_ISSUES = 20


class Command(BaseCommand):
    help = (
        "Import a client's user list (CSV or XLSX: email, first name, last name, country, job "
        "type; English or French headers) into an organization. All or nothing unless "
        "--valid-only."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the list: .csv (UTF-8 or Windows-1252) or .xlsx")
        parser.add_argument("--org", required=True, help="the organization's slug")
        parser.add_argument(
            "--dry-run", action="store_true", help="preview only; nothing is written"
        )
        parser.add_argument(
            "--valid-only",
            action="store_true",
            help="import the valid rows and report the others (default: all or nothing)",
        )
        parser.add_argument(
            "--full-sync",
            action="store_true",
            help="deactivate (never delete) active members absent from the list; "
            "managers are never deactivated",
        )
        parser.add_argument(
            "--create-job-types",
            action="store_true",
            help="create the job types of the list the organization does not have yet",
        )

    def handle(self, *args, file, org, dry_run, valid_only, full_sync, create_job_types, **opts):
        with unscoped("import_users: the operator names the organization"):
            organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with the slug {org!r}.")
        try:
            stream = open(file, "rb")  # noqa: SIM115 -- closed below
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        options = ImportOptions(create_missing_job_types=create_job_types, full_sync=full_sync)
        try:
            with stream:
                user_import = import_preview(
                    actor=None,
                    organization=organization,
                    uploaded_file=stream,
                    source="cli",
                    options=options,
                )
        except ImportRefused as refusal:
            raise CommandError(f"File refused: {refusal.message}") from None

        self._summary(user_import, full_sync=full_sync)
        self._issues(user_import)
        would_reject = user_import.error_count and not valid_only
        if dry_run:
            import_discard(actor=None, user_import=user_import)
            if would_reject:
                raise CommandError(
                    f"Dry run: {user_import.error_count} row(s) would be rejected and nothing "
                    "imported (fix them, or use --valid-only)."
                )
            self.stdout.write("Dry run: nothing imported.")
            return

        with tqdm(
            total=user_import.total_rows,
            unit="row",
            desc="Importing",
            file=getattr(self.stderr, "_out", self.stderr),  # unstyled: not an error
            disable=None,  # no bar when stderr is not a terminal
            mininterval=0.5,
        ) as bar:
            user_import = import_commit(
                actor=None,
                user_import=user_import,
                valid_only=valid_only,
                full_sync=full_sync,
                progress=bar.update,
            )
        if user_import.status == ImportStatus.REJECTED:
            self._issues(user_import)
            raise CommandError(
                f"{user_import.error_count} row(s) rejected: nothing imported (fix them, or "
                "use --valid-only)."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported: {user_import.created_count} created (invited), "
                f"{user_import.updated_count} updated, {user_import.unchanged_count} unchanged, "
                f"{user_import.deactivated_count} deactivated, "
                f"{user_import.error_count} skipped with errors."
            )
        )

    def _summary(self, user_import, *, full_sync: bool) -> None:
        self.stdout.write(
            f"Preview of {user_import.total_rows} row(s): "
            f"{user_import.created_count} to create, {user_import.updated_count} to update, "
            f"{user_import.unchanged_count} unchanged, {user_import.error_count} with errors."
        )
        if full_sync:
            self.stdout.write(
                f"Full sync: {user_import.deactivated_count} member(s) absent from the list "
                "would be deactivated."
            )
        if user_import.dropped_columns:
            self.stdout.write(
                self.style.WARNING(
                    "Columns dropped (their values are ignored, never stored): "
                    + ", ".join(user_import.dropped_columns)
                )
            )

    def _issues(self, user_import) -> None:
        shown = import_issues(user_import, limit=SHOWN_ISSUES)
        for issue in shown:
            column = issue.field or "-"
            self.stdout.write(f"  line {issue.line}, {column}: {issue_message(issue.code)}")
        if user_import.error_count > len(shown):
            self.stdout.write(f"  ... and more ({user_import.error_count} row(s) in all).")
