"""The orphaned-files sweep: files no row names are deleted after the grace period, nothing else.

The default storage writes under the test's temporary directory (``media_root`` in conftest);
files are made old with ``os.utime``, as the storage reads their modification time.
"""

from __future__ import annotations

import io
import os
import time
import uuid
from dataclasses import dataclass

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import CommandError, call_command

from grove.audit.anchors import ANCHOR_DIRECTORY
from grove.audit.models import AuditAction, AuditEvent
from grove.core.testing.factories import OrganizationFactory, PracticeFactory
from grove.onboarding.models import UserImport
from grove.practices.models import Attachment
from grove.retention import orphans
from grove.retention.models import OrganizationExport
from grove.rights import erasure
from grove.rights.models import ErasureRecord, PersonalDataExport
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import Organization

TWO_DAYS = 2 * 24 * 3600


def stored(name: str, *, old: bool = True) -> str:
    """Save a file; ``old``: last modified two days ago (past the 24-hour grace period)."""
    name = default_storage.save(name, ContentFile(b"bytes of " + name.encode()))
    if old:
        moment = time.time() - TWO_DAYS
        os.utime(default_storage.path(name), (moment, moment))
    return name


def attachment_files(org) -> tuple[str, str]:
    practice = PracticeFactory(organization=org)
    photo = stored(f"practices/{org.pk}/{uuid.uuid4().hex}.jpg")
    thumbnail = stored(f"practices/{org.pk}/{uuid.uuid4().hex}.jpg")
    with unscoped("test set-up"):
        Attachment.objects.create(
            organization=org,
            practice=practice,
            kind="image",
            file=photo,
            thumbnail=thumbnail,
            content_type="image/jpeg",
            size=10,
        )
    return photo, thumbnail


def ledger_copy(org, *, with_record: bool) -> str:
    record_id = uuid.uuid4()
    if with_record:
        with unscoped("test set-up"):
            record_id = ErasureRecord.objects.create(
                organization=org, email_hash="0" * 64, user_id=uuid.uuid4()
            ).pk
    return stored(erasure.ledger_copy_name(org.pk, record_id))


@dataclass
class Files:
    kept: list[str]
    orphans: list[str]


@pytest.fixture
def files(org_a, org_b) -> Files:
    """Both organizations' attachments, ledger copies, an anchor, and three old orphans."""
    purged = OrganizationFactory(
        name="Organization P", slug="org-p", status=Organization.Status.PURGED
    )
    kept = [
        *attachment_files(org_a),
        *attachment_files(org_b),
        ledger_copy(org_a, with_record=True),
        ledger_copy(org_b, with_record=True),
        # No row: the copy a database restore needs (restore_ledger).
        ledger_copy(org_a, with_record=False),
        stored(f"{ANCHOR_DIRECTORY}/2026-11-01.json"),
        # In flight: saved, its row not committed yet.
        stored(f"practices/{org_a.pk}/{uuid.uuid4().hex}.jpg", old=False),
    ]
    orphans = [
        stored(f"practices/{org_a.pk}/{uuid.uuid4().hex}.jpg"),
        stored("Jane Doe holiday.jpg"),
        ledger_copy(purged, with_record=False),
    ]
    return Files(kept=kept, orphans=orphans)


def present(names: list[str]) -> list[str]:
    return [name for name in names if default_storage.exists(name)]


def sweep_events() -> list[AuditEvent]:
    with unscoped("test: read the operator chain"):
        return list(
            AuditEvent._base_manager.filter(
                organization_id__isnull=True, action=AuditAction.DELETE, object_type="stored_file"
            )
        )


def test_it_deletes_old_unnamed_files_and_keeps_the_rest(files):
    scan = orphans.delete_orphaned_files()

    assert present(files.kept) == files.kept
    assert present(files.orphans) == []
    assert sorted(scan.orphans) == sorted(files.orphans)
    assert (scan.listed, scan.referenced, scan.ledger_kept, scan.recent) == (11, 6, 1, 1)
    assert (scan.deleted, scan.failed) == (3, 0)


def test_it_keeps_every_organizations_files_whatever_tenant_it_runs_as(files, org_a):
    with tenant_context(org_a):
        orphans.delete_orphaned_files()

    assert present(files.kept) == files.kept


def test_it_records_counts_per_directory_and_no_file_name(files):
    orphans.delete_orphaned_files(run_by="test")

    [event] = sweep_events()
    assert event.details["directories"] == {"erasure-ledger": 1, "other": 1, "practices": 1}
    assert (event.details["deleted"], event.details["failed"]) == (3, 0)
    assert event.details["older_than_hours"] == 24
    assert "Jane" not in str(event.details)
    assert not any(name in str(event.details) for name in files.orphans)


def test_a_sweep_that_finds_nothing_records_nothing(org_a):
    attachment_files(org_a)

    scan = orphans.delete_orphaned_files()

    assert (scan.listed, scan.deleted) == (2, 0)
    assert sweep_events() == []


def test_a_longer_grace_period_keeps_the_old_orphans(files):
    scan = orphans.delete_orphaned_files(older_than=orphans.DEFAULT_GRACE * 3)

    assert present(files.orphans) == files.orphans
    assert scan.recent == 4
    assert sweep_events() == []


def test_a_grace_period_under_an_hour_is_refused(files):
    with pytest.raises(ValueError, match="at least"):
        orphans.find_orphaned_files(older_than=orphans.MINIMUM_GRACE / 2)

    assert present(files.orphans) == files.orphans


def test_an_empty_storage_has_no_orphans(db):
    scan = orphans.find_orphaned_files()

    assert (scan.listed, scan.orphans) == (0, [])


def test_it_reads_every_file_field_of_every_model():
    fields = {(model, field.name) for model, field in orphans.file_fields()}

    assert {
        (Attachment, "file"),
        (Attachment, "thumbnail"),
        (PersonalDataExport, "file"),
        (OrganizationExport, "file"),
        (UserImport, "normalised_file"),
    } <= fields
    assert {"practices", "exports", "imports", "retention-exports", "erasure-ledger"} <= (
        orphans.owned_prefixes()
    )


def test_a_file_that_cannot_be_deleted_is_counted_and_the_others_go(files, monkeypatch):
    delete = FileSystemStorage.delete

    def failing_delete(storage, name):
        if name.startswith("practices/"):
            raise PermissionError(name)
        return delete(storage, name)

    monkeypatch.setattr(FileSystemStorage, "delete", failing_delete)
    scan = orphans.delete_orphaned_files()

    assert (scan.deleted, scan.failed) == (2, 1)
    assert present(files.orphans) == [files.orphans[0]]
    [event] = sweep_events()
    assert event.details["failed"] == 1


# --- The command ---------------------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command("sweep_orphaned_files", *args, stdout=out)
    return out.getvalue()


def test_the_command_deletes_and_prints_counts(files):
    output = run()

    assert present(files.orphans) == []
    assert present(files.kept) == files.kept
    assert "orphaned: 3" in output
    assert "  practices/: 1" in output
    assert "deleted: 3, failed: 0" in output
    assert "Jane" not in output
    assert len(sweep_events()) == 1


def test_the_dry_run_deletes_nothing_and_reports(files):
    output = run("--dry-run")

    assert present(files.orphans) == files.orphans
    assert present(files.kept) == files.kept
    assert "orphaned: 3" in output
    assert "dry run: nothing deleted" in output
    assert sweep_events() == []


def test_the_command_takes_the_grace_period_in_hours(files):
    output = run("--older-than-hours", "72")

    assert present(files.orphans) == files.orphans
    assert "modified in the last 72 h (kept): 4" in output


@pytest.mark.parametrize("hours", ["0", "-5", "0.5"])
def test_the_command_refuses_a_grace_period_under_an_hour(files, hours):
    with pytest.raises(CommandError, match="at least 1"):
        run("--older-than-hours", hours)

    assert present(files.orphans) == files.orphans


def test_the_command_refuses_a_grace_period_that_is_not_a_number(files):
    with pytest.raises(CommandError, match="invalid float"):
        run("--older-than-hours", "day")

    assert present(files.orphans) == files.orphans
