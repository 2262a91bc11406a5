"""Orphaned files: files in storage that no row names, swept after a grace period.

A file can stay in storage with no row naming it: an upload whose transaction rolled back after
the file was saved, a crash between the deletion of rows and of their files, a bug. Such a file
(a photo, an export) is personal data nobody can reach, export or delete; the sweep deletes it.

A stored file is kept when:
- a row names it: any FileField of any installed model (discovered, not listed by hand), read
  across tenants and streamed;
- it is the stored copy of an erasure-ledger entry (``grove.rights.erasure``) whose row exists,
  or whose organization is not purged: a copy without its row is what ``restore_ledger`` puts
  back after a database restore, so it is never swept while the organization lives;
- it lies under a directory no model owns (the access-log anchors, ``grove.audit.anchors``);
- it was modified within the grace period (24 h by default): an upload in flight is saved before
  its row commits.

The storage is walked with ``listdir`` (FileSystemStorage and Azure alike); the age is read only
for the files no row names (on Azure each read is a request).
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.core.files.storage import Storage, default_storage
from django.db import models, transaction
from django.utils import timezone

from grove.audit.anchors import ANCHOR_DIRECTORY
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.rights import erasure
from grove.rights.models import ErasureRecord
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

logger = logging.getLogger(__name__)

DEFAULT_GRACE = datetime.timedelta(hours=24)
# Shorter, and a slow upload's file could be swept before its row commits.
MINIMUM_GRACE = datetime.timedelta(hours=1)
# Directories written by code that keeps no row naming the files: never swept.
UNOWNED_DIRECTORIES = frozenset({ANCHOR_DIRECTORY})
CHUNK_SIZE = 5_000
SCOPE_REASON = "orphaned files sweep: the file names every row holds"
OBJECT_TYPE = "stored_file"
# The event's count of files outside any directory a row or the ledger uses.
OTHER_PREFIX = "other"


@dataclass
class OrphanScan:
    """What a sweep found (and, unless a dry run, deleted): counts, and the orphans' names for
    the caller only (never logged: a name outside the known directories could say anything)."""

    older_than: datetime.timedelta
    listed: int = 0
    referenced: int = 0
    ledger_kept: int = 0
    recent: int = 0
    orphans: list[str] = field(default_factory=list)
    # The first path segments the models' upload_to and the ledger use (owned_prefixes): the
    # only ones an event names (a row's value could be anything).
    known_prefixes: set[str] = field(default_factory=set)
    deleted: int = 0
    failed: int = 0
    dry_run: bool = True

    def prefix_of(self, name: str) -> str:
        head, slash, _rest = name.partition("/")
        return head if slash and head in self.known_prefixes else OTHER_PREFIX

    def by_prefix(self) -> dict[str, int]:
        return dict(sorted(Counter(self.prefix_of(name) for name in self.orphans).items()))

    def __str__(self) -> str:
        hours = self.older_than.total_seconds() / 3600
        lines = [
            f"files listed: {self.listed}",
            f"named by a row: {self.referenced}",
            f"ledger copies kept for a restore: {self.ledger_kept}",
            f"unnamed, modified in the last {hours:g} h (kept): {self.recent}",
            f"orphaned: {len(self.orphans)}",
        ]
        lines += [f"  {prefix}/: {count}" for prefix, count in self.by_prefix().items()]
        if self.dry_run:
            lines.append("dry run: nothing deleted")
        else:
            lines.append(f"deleted: {self.deleted}, failed: {self.failed}")
        return "\n".join(lines)


def stored_files(storage: Storage) -> Iterator[str]:
    """Every file name in ``storage``, outside the unowned directories."""
    pending = [""]
    while pending:
        directory = pending.pop()
        try:
            directories, files = storage.listdir(directory)
        except FileNotFoundError:  # no media root yet, or a directory deleted meanwhile
            continue
        prefix = f"{directory}/" if directory else ""
        for name in files:
            yield f"{prefix}{name}"
        for name in directories:
            if not directory and name in UNOWNED_DIRECTORIES:
                continue
            pending.append(f"{prefix}{name}")


def file_fields() -> list[tuple[type[models.Model], models.FileField]]:
    """Every FileField (ImageField included) of every installed model, once per table."""
    return [
        (model, model_field)
        for model in apps.get_models()
        if not model._meta.proxy
        for model_field in model._meta.get_fields()
        # An inherited field (multi-table inheritance) is read with its own model.
        if isinstance(model_field, models.FileField) and model_field.model is model
    ]


def owned_prefixes() -> set[str]:
    """The first path segment of each FileField's ``upload_to`` (e.g. ``practices``), and the
    ledger's directory."""
    prefixes = {erasure.LEDGER_DIRECTORY}
    for model, model_field in file_fields():
        try:
            name = model_field.generate_filename(model(), "file.bin")
        except Exception:  # noqa: BLE001, S112 -- an upload_to that needs a saved row: skip it
            continue
        head, slash, _rest = name.partition("/")
        if slash:
            prefixes.add(head)
    return prefixes


def _take_named(candidates: set[str], scan: OrphanScan) -> None:
    """Remove from ``candidates`` every name a row holds (across tenants, streamed)."""

    def take(name: str) -> None:
        if name in candidates:
            candidates.remove(name)
            scan.referenced += 1

    if not candidates:
        return
    with unscoped(SCOPE_REASON):
        for model, model_field in file_fields():
            names = (
                model._base_manager.exclude(**{f"{model_field.name}__isnull": True})
                .exclude(**{model_field.name: ""})
                .values_list(model_field.name, flat=True)
                .iterator(chunk_size=CHUNK_SIZE)
            )
            for name in names:
                take(name)
        ledger = ErasureRecord._base_manager.values_list("organization_id", "pk")
        for organization_id, pk in ledger.iterator(chunk_size=CHUNK_SIZE):
            take(erasure.ledger_copy_name(organization_id, pk))


def _take_restorable_ledger_copies(candidates: set[str], scan: OrphanScan) -> None:
    """Keep the ledger copies without their row in a live organization: after a database
    restore, ``restore_ledger`` puts those rows back (a purge deletes rows and copies alike)."""
    prefix = f"{erasure.LEDGER_DIRECTORY}/"
    copies = [name for name in candidates if name.startswith(prefix)]
    if not copies:
        return
    with unscoped(SCOPE_REASON):
        live = {
            str(pk)
            for pk in Organization._base_manager.exclude(
                status__in=[Organization.Status.PURGED, Organization.Status.TOMBSTONE]
            ).values_list("pk", flat=True)
        }
    for name in copies:
        if name.removeprefix(prefix).partition("/")[0] in live:
            candidates.remove(name)
            scan.ledger_kept += 1


def find_orphaned_files(
    storage: Storage | None = None, *, older_than: datetime.timedelta = DEFAULT_GRACE
) -> OrphanScan:
    """The files of ``storage`` (the default storage) that nothing names and that were last
    modified more than ``older_than`` ago. Reads only; see the module docstring."""
    if older_than < MINIMUM_GRACE:
        raise ValueError(f"the grace period must be at least {MINIMUM_GRACE}")
    storage = storage or default_storage
    scan = OrphanScan(older_than=older_than, known_prefixes=owned_prefixes())
    candidates = set(stored_files(storage))
    scan.listed = len(candidates)
    _take_named(candidates, scan)
    _take_restorable_ledger_copies(candidates, scan)
    now = timezone.now()
    for name in sorted(candidates):
        try:
            modified = storage.get_modified_time(name)
        except FileNotFoundError:  # deleted since it was listed
            continue
        if now - modified < older_than:
            scan.recent += 1
        else:
            scan.orphans.append(name)
    return scan


def delete_orphaned_files(
    storage: Storage | None = None,
    *,
    older_than: datetime.timedelta = DEFAULT_GRACE,
    run_by: str = "",
) -> OrphanScan:
    """Find the orphaned files (``find_orphaned_files``) and delete them. When there were any,
    records a DELETE event in the operator chain: counts per directory, no file name."""
    storage = storage or default_storage
    scan = find_orphaned_files(storage, older_than=older_than)
    scan.dry_run = False
    if not scan.orphans:
        return scan
    for name in scan.orphans:
        try:
            storage.delete(name)
        except Exception as error:  # noqa: BLE001 -- keep deleting the others
            scan.failed += 1
            logger.error("orphaned files: a file could not be deleted (%s)", type(error).__name__)
        else:
            scan.deleted += 1
    with transaction.atomic(), unscoped(SCOPE_REASON):
        record_event(
            action=AuditAction.DELETE,
            organization=None,
            object_type=OBJECT_TYPE,
            details={
                "reason": "orphaned",
                "deleted": scan.deleted,
                "failed": scan.failed,
                "directories": scan.by_prefix(),
                "older_than_hours": older_than.total_seconds() / 3600,
                "run_by": run_by,
            },
        )
    logger.info("orphaned files: %d deleted, %d failed", scan.deleted, scan.failed)
    return scan
