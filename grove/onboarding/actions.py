"""Every write of the list import: preview, commit (directly or as a task), discard.

Who: a manager of the organization or a CSM serving it (USERS_MANAGE), or nobody (``actor=None``)
for the operators' command line. Each action records its audit event with ids, the file's hash
and counts, never a value of the list.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils import timezone

from grove.accounts.models import User
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.retention.lifecycle import ensure_organization_writable
from grove.staff.authorization import Capability, permits
from grove.tenancy.context import tenant_context
from grove.tenancy.models import Organization

from .importing import (
    ImportOptions,
    Rejected,
    Validator,
    commit_rows,
    normalised_rows,
    open_table,
    write_preview,
)
from .models import ImportIssue, ImportMode, ImportStatus, UserImport

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

logger = logging.getLogger(__name__)

# An import that stopped half-way (its transaction rolled back) may be committed again.
# What may be queued (again): a previewed list, or one refused or failed; never one that is
# queued or running already (a double submit).
ENQUEUEABLE = (ImportStatus.PREVIEWED, ImportStatus.REJECTED, ImportStatus.FAILED)
COMMITTABLE = (
    ImportStatus.PREVIEWED,
    ImportStatus.QUEUED,
    ImportStatus.RUNNING,
    ImportStatus.FAILED,
    ImportStatus.REJECTED,
)


class ProgressReporter:
    """Counts the rows done and writes ``rows_done`` on a second connection, committed at
    once, so that the page's polling sees it while the import's own transaction is open.

    Only on PostgreSQL and only when the commit is not inside a caller's transaction (whose
    locks the second connection could wait on); a short lock timeout as well. Any failure
    turns the reporting off: progress is a courtesy, never a reason to fail an import.
    """

    def __init__(self, user_import: UserImport, *, standalone: bool, callback=None) -> None:
        self.user_import = user_import
        self.callback = callback
        self.done = 0
        # standalone: the commit started outside any transaction (a task, the command).
        self.enabled = standalone and connection.vendor == "postgresql"
        self.side: BaseDatabaseWrapper | None = None

    def __enter__(self) -> ProgressReporter:
        return self

    def __exit__(self, *exc) -> None:
        if self.side is not None:
            self.side.close()

    def advance(self, rows: int) -> None:
        self.done += rows
        try:
            self._write()
        finally:
            if self.callback is not None:
                self.callback(rows)

    def _write(self) -> None:
        if not self.enabled:
            return
        try:
            if self.side is None:
                self.side = connections.create_connection(DEFAULT_DB_ALIAS)
                with self.side.cursor() as cursor:
                    # A progress figure lost in a crash is harmless: no waiting for the disk.
                    cursor.execute("SET lock_timeout = '2s'; SET synchronous_commit = off")
            with tenant_context(self.user_import.organization_id), self.side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {UserImport._meta.db_table} SET rows_done = %s WHERE id = %s",  # noqa: S608
                    [self.done, self.user_import.pk],
                )
        except DatabaseError as error:
            self.enabled = False
            logger.warning(
                "import %s: progress not reported (%s)", self.user_import.pk, type(error).__name__
            )


def _organization_of(user_import: UserImport) -> Organization:
    # Read as the import's own organization (the relation may not be loaded yet).
    with tenant_context(user_import.organization_id):
        return user_import.organization


def _check_may_manage(actor: User | None, organization: Organization) -> None:
    if actor is not None and not permits(
        user=actor, organization=organization, capability=Capability.USERS_MANAGE
    ):
        raise PermissionDenied


@transaction.atomic
def import_preview(
    *,
    actor: User | None,
    organization: Organization,
    uploaded_file,
    source: str,
    options: ImportOptions | None = None,
) -> UserImport:
    """Read and validate a user list without writing any user: the UserImport keeps the list
    reduced to the five allowed columns, an ImportIssue per refused line, and the counts
    (will create / will update / unchanged / error; with full sync, members it would
    deactivate). Raises ImportRefused for a file refused whole (nothing is kept)."""
    ensure_organization_writable(organization)  # an ended contract: read-only
    _check_may_manage(actor, organization)
    options = options or ImportOptions()
    table = open_table(uploaded_file, max_bytes=options.max_bytes, max_rows=options.max_rows)
    with tenant_context(organization):
        user_import = UserImport(
            organization=organization,
            created_by=actor,
            source=source,
            file_sha256=table.sha256,
            file_format=table.file_format,
            dropped_columns=table.dropped_columns,
            full_sync=options.full_sync,
            create_missing_job_types=options.create_missing_job_types,
        )
        user_import.save(force_insert=True)
        validator = Validator(
            organization,
            create_missing_job_types=options.create_missing_job_types,
            managed=table.columns,
        )
        try:
            write_preview(user_import=user_import, table=table, validator=validator)
        except BaseException:
            if user_import.normalised_file:
                user_import.normalised_file.delete(save=False)
            raise
        user_import.save()
        _record(AuditAction.IMPORT_PREVIEWED, user_import, actor)
    return user_import


def import_commit(
    *,
    actor: User | None,
    user_import: UserImport,
    valid_only: bool,
    full_sync: bool,
    progress: Callable[[int], None] | None = None,
    invite: bool = True,
) -> UserImport:
    """Import a previewed list, in one transaction: the kept list is read again, every line
    checked again against the accounts as they are now (lines the preview cleaned get a shape
    check rather than a second cleaning; the others are cleaned again), then written.

    Any invalid row and not ``valid_only``: nothing is written, status REJECTED (the issues
    say why). Otherwise new people are created (and invited after the commit), changed names,
    country or job type are rectified (USER_CHANGED with field names), people of the list who
    were deactivated are reactivated, and with ``full_sync`` active members absent from the
    list are deactivated (never deleted; managers never). Re-running an interrupted or finished
    list is safe: unchanged rows write nothing. ``progress(rows)`` is called after each batch
    (the command's progress bar). The page follows ``rows_done``: on PostgreSQL, when the
    commit runs on its own (the task, the command), it is written after each batch through a
    second connection, since the import's transaction shows nothing before it ends; otherwise
    (SQLite, or inside a caller's transaction) it moves at the end.
    """
    standalone = not connection.in_atomic_block
    organization = _organization_of(user_import)
    ensure_organization_writable(organization)  # also a list queued before the contract ended
    _check_may_manage(actor, organization)
    if user_import.status not in COMMITTABLE or not user_import.normalised_file:
        raise ValueError("this import cannot be committed")
    if full_sync and user_import.total_rows == 0:
        raise ValueError("a full sync needs a list with at least one row")
    with tenant_context(organization), transaction.atomic():
        user_import.mode = ImportMode.VALID_ONLY if valid_only else ImportMode.ALL_OR_NOTHING
        user_import.full_sync = full_sync
        user_import.status = ImportStatus.RUNNING
        user_import.started_at = timezone.now()
        user_import.save(update_fields=["mode", "full_sync", "status", "started_at"])
    with tenant_context(organization), transaction.atomic():
        try:
            with transaction.atomic():
                with ProgressReporter(
                    user_import, standalone=standalone, callback=progress
                ) as reporter:
                    counts = commit_rows(
                        user_import=user_import,
                        rows=normalised_rows(user_import),
                        actor=actor,
                        valid_only=valid_only,
                        full_sync=full_sync,
                        invite=invite,
                        progress=reporter.advance,
                    )
                rejected = False
        except Rejected as refusal:
            counts = refusal.counts
            rejected = True
        ImportIssue.objects.filter(user_import=user_import).delete()
        ImportIssue.objects.bulk_create(
            (
                ImportIssue(
                    organization=organization,
                    user_import=user_import,
                    line=line,
                    field=field_name,
                    code=code,
                )
                for line, field_name, code in counts.issues
            ),
            batch_size=2000,
        )
        user_import.total_rows = counts.total
        user_import.rows_done = counts.total
        user_import.error_count = counts.errors
        user_import.finished_at = timezone.now()
        if rejected:
            user_import.status = ImportStatus.REJECTED
            user_import.created_count = user_import.updated_count = 0
            user_import.unchanged_count = user_import.deactivated_count = 0
        else:
            user_import.status = ImportStatus.DONE
            user_import.created_count = counts.created
            user_import.updated_count = counts.updated
            user_import.unchanged_count = counts.unchanged
            user_import.deactivated_count = counts.deactivated
            # The list itself is not kept once imported.
            name = cast(str, user_import.normalised_file.name)  # a file: checked before the commit
            storage = user_import.normalised_file.storage
            transaction.on_commit(lambda: storage.delete(name))
            user_import.normalised_file = ""
        user_import.save()
        _record(
            AuditAction.IMPORT_REJECTED if rejected else AuditAction.IMPORT_COMMITTED,
            user_import,
            actor,
            reactivated=counts.reactivated,
        )
    return user_import


@transaction.atomic
def import_enqueue(
    *, actor: User | None, user_import: UserImport, valid_only: bool, full_sync: bool
) -> UserImport:
    """Queue the commit of a previewed list as a task (the page's way: large lists take a
    while). The task gets the import's id only."""
    from .tasks import run_user_import

    organization = _organization_of(user_import)
    ensure_organization_writable(organization)
    _check_may_manage(actor, organization)
    with tenant_context(user_import.organization_id):
        # The row lock makes a double submit queue the import once: the second one waits, then
        # finds it queued and is refused.
        status = (
            UserImport.objects.select_for_update()
            .values_list("status", flat=True)
            .get(pk=user_import.pk)
        )
        if status not in ENQUEUEABLE:
            raise ValueError("this import cannot be queued")
        user_import.mode = ImportMode.VALID_ONLY if valid_only else ImportMode.ALL_OR_NOTHING
        user_import.full_sync = full_sync
        user_import.status = ImportStatus.QUEUED
        user_import.save(update_fields=["mode", "full_sync", "status"])
    import_id = str(user_import.pk)
    actor_id = str(actor.pk) if actor else None
    transaction.on_commit(lambda: run_user_import.enqueue(import_id, actor_id))
    return user_import


@transaction.atomic
def import_discard(*, actor: User | None, user_import: UserImport) -> UserImport:
    """Drop a previewed list: the kept file is deleted, the issues and counts stay."""
    _check_may_manage(actor, _organization_of(user_import))
    if user_import.status in (ImportStatus.DONE, ImportStatus.DISCARDED):
        return user_import
    with tenant_context(user_import.organization_id):
        if user_import.normalised_file:
            name = cast(str, user_import.normalised_file.name)  # a file has a name
            storage = user_import.normalised_file.storage
            transaction.on_commit(lambda: storage.delete(name))
        user_import.normalised_file = ""
        user_import.status = ImportStatus.DISCARDED
        user_import.save(update_fields=["normalised_file", "status"])
        _record(AuditAction.IMPORT_DISCARDED, user_import, actor)
    return user_import


@transaction.atomic
def import_mark_failed(*, user_import: UserImport, failure_code: str) -> None:
    """An import stopped by an error (its writes rolled back): say so, by a code."""
    with tenant_context(user_import.organization_id):
        UserImport.objects.filter(pk=user_import.pk).update(
            status=ImportStatus.FAILED, failure_code=failure_code[:50], finished_at=timezone.now()
        )


def _record(action: str, user_import: UserImport, actor: User | None, **extra) -> None:
    record_event(
        action=action,
        actor=actor,
        organization=user_import.organization_id,
        object_type="user_import",
        object_ids=[user_import.pk],
        details={
            "file_sha256": user_import.file_sha256,
            "format": user_import.file_format,
            "source": user_import.source,
            "status": user_import.status,
            "mode": user_import.mode,
            "full_sync": user_import.full_sync,
            "rows": user_import.total_rows,
            "created": user_import.created_count,
            "updated": user_import.updated_count,
            "unchanged": user_import.unchanged_count,
            "errors": user_import.error_count,
            "deactivated": user_import.deactivated_count,
            "dropped_columns": len(user_import.dropped_columns),
            **extra,
        },
    )


__all__ = [
    "ImportOptions",
    "import_commit",
    "import_discard",
    "import_enqueue",
    "import_mark_failed",
    "import_preview",
]
