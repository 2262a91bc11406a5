"""Background tasks of retention (django-tasks).

Scheduling: django-tasks has no periodic scheduler, so ``enforce_retention_daily`` is enqueued
from the host's scheduler once a day (``manage.py enforce_retention --enqueue``), or the command
runs the same work directly (docs/operations.md). Running it twice a day is harmless: a second
run finds nothing new to do.

``build_organization_export_task`` builds an ended organization's export (the notices wait for
it); its argument is the export's id, nothing else.
"""

from django_tasks import task

from grove.accounts.housekeeping import delete_expired_login_records

from .enforce import enforce_retention
from .orphans import delete_orphaned_files


class RetentionRunFailed(RuntimeError):
    """Some organization failed (the others ran): the task ends failed, the logs say which."""


@task()
def enforce_retention_daily() -> dict:
    """The daily run (every organization), then the expired login records (sessions,
    throttle windows) and the orphaned files in storage (grove/retention/orphans.py). Returns
    counts per step and result; raises after the run if an organization failed or an orphaned
    file could not be deleted, so that the task shows as failed."""
    report = enforce_retention(run_by="scheduler")
    swept = sweep_expired_and_orphaned(run_by="enforce_retention_daily")
    if not report.ok:
        failed = sorted({o.organization_id for o in report.failures})
        raise RetentionRunFailed(f"retention run failed for organization(s) {failed}")
    if swept["orphaned_files_failed"]:
        raise RetentionRunFailed(
            f"{swept['orphaned_files_failed']} orphaned file(s) could not be deleted"
        )
    return {**report.summary(), **swept}


def sweep_expired_and_orphaned(*, run_by: str) -> dict:
    """What the daily run deletes beyond organizations: expired sessions and login-throttle
    windows, and files in storage that no row names (after their grace period)."""
    orphans = delete_orphaned_files(run_by=run_by)
    return {
        "expired_deleted": delete_expired_login_records(),
        "orphaned_files_deleted": orphans.deleted,
        "orphaned_files_failed": orphans.failed,
    }


@task()
def build_organization_export_task(export_id: str) -> None:
    """Build the organization export ``export_id`` (a ZIP in the default storage)."""
    from .org_export import build_organization_export

    build_organization_export(export_id)
