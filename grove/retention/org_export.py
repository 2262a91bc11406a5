"""The organization export: all of a client's data, for its managers to take before the purge.

Format: docs/organization-export-format.md. The life of an export:

- ``export_for(organization)``: the latest READY export made since the contract ended (the
  organization is read-only from then on, so its data no longer changes), else the PENDING one
  being prepared, else a new PENDING one. The caller (grove/retention/enforce.py) then has it
  built (``build_organization_export``, wrapped in a task by grove/retention/tasks.py).
- ``build_organization_export(export_id)``: the ZIP written to a temporary file on disk, entry
  by entry, rows read with ``.iterator()`` in chunks (never the whole organization in memory),
  then stored with ``default_storage`` under the model's ``upload_to``; READY with its size and
  SHA-256, ORG_EXPORT_CREATED recorded. A failure stores nothing (or deletes what it stored) and
  leaves the export FAILED.
- ``download_url(export, manager)``: the absolute link mailed to one manager, signed with
  ``django.core.signing`` (the export's id and the manager's id). It works until the day the
  data purge runs as the notices announce it (checked when used: the purge date, or later when
  the warning went out late), for a manager who still is an active manager of that
  organization, while the organization is not purged.
- ``export_from_link(token)``: the view's check of a link; a refusal records ACCESS_DENIED and
  raises ``ExportLinkRefused``; ``record_download`` counts and logs a download.

Every read runs in the organization's tenant context (the scoped managers and, on PostgreSQL,
row-level security): no other organization's row can reach the file, whatever the queries say.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import json
import logging
import tempfile
import traceback
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import NoReturn, cast

from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from grove.accounts.models import OrgRole, User
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.core.csv import safe_row
from grove.practices.models import (
    Attachment,
    Comment,
    Practice,
    PracticeJobTypeTarget,
    PracticeTag,
    Reaction,
    Tag,
    Topic,
)
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import JobType, Organization

from .models import ExportStatus, OrganizationExport, organization_export_path

logger = logging.getLogger(__name__)

SCHEMA = "grove.organization-export"
SCHEMA_VERSION = "1.0"
OBJECT_TYPE = "retention.org_export"
SIGNING_SALT = "grove.retention.org_export.download"
# Rows fetched per round trip (and per prefetch of a practice's tags, targets and media).
CHUNK_SIZE = 1000
COPY_CHUNK = 1 << 20
PURGED_STATUSES = (Organization.Status.PURGED, Organization.Status.TOMBSTONE)


# --- Which export ---------------------------------------------------------------------------------


def export_for(organization) -> OrganizationExport:
    """The organization's export to offer: the latest READY one made since the contract ended
    (any READY one while it is active) whose file is still there (an erasure deletes the file
    of an export naming the person), else the PENDING one, else a new PENDING one.

    Locks the organization's row for the choice, so two callers do not both create one.
    """
    return _export_for(organization)[0]


def _export_for(organization) -> tuple[OrganizationExport, bool]:
    """``export_for``, and whether the export was created by this call."""
    organization_id = getattr(organization, "pk", organization)
    with transaction.atomic(), tenant_context(organization_id):
        org = Organization.objects.select_for_update().get(pk=organization_id)
        exports = OrganizationExport.objects.filter(organization_id=org.pk)
        ready = exports.filter(status=ExportStatus.READY).exclude(file="")
        if org.ended_at is not None:
            ready = ready.filter(created_at__gte=org.ended_at)
        existing = (
            ready.order_by("-created_at").first()
            or exports.filter(status=ExportStatus.PENDING).order_by("-created_at").first()
        )
        if existing is not None:
            return existing, False
        return OrganizationExport.objects.create(organization=org), True


def schedule_build(export_id) -> None:
    """Have the export built by the task worker once the caller's transaction commits."""
    from .tasks import build_organization_export_task

    transaction.on_commit(lambda: build_organization_export_task.enqueue(str(export_id)))


# --- What goes in ---------------------------------------------------------------------------------


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def _id(value) -> str | None:
    return None if value is None else str(value)


def _email(user: User | None) -> str:
    # An erased person's row holds a placeholder address, not theirs: nothing to hand over.
    if user is None or user.erased_at is not None:
        return ""
    return user.email


def media_path(attachment_id, practice_id, stored_name: str) -> str:
    """Where an attachment's file sits in the archive (its stored extension, never a name)."""
    extension = stored_name.rsplit(".", 1)[-1].lower() if "." in stored_name else "bin"
    return f"media/{practice_id}/{attachment_id}.{extension}"


@dataclass(frozen=True)
class Dataset:
    """One data set: its name (the files' name), its columns, its rows (a lazy iterator)."""

    name: str
    columns: tuple[str, ...]
    rows: Callable[[uuid.UUID], Iterator[dict]]


def _users(org_id) -> Iterator[dict]:
    queryset = (
        User.objects.filter(organization_id=org_id)
        .select_related("job_type")
        .order_by("created_at", "id")
    )
    for user in queryset.iterator(chunk_size=CHUNK_SIZE):
        erased = user.erased_at is not None
        yield {
            "id": str(user.pk),
            "email": _email(user),
            "first_name": "" if erased else user.first_name,
            "last_name": "" if erased else user.last_name,
            # A CountryField reads as a Country; django-stubs types it as its CharField base.
            "country": "" if erased else (user.country.code or ""),  # type: ignore[attr-defined]
            "job_type_id": None if erased else _id(user.job_type_id),
            "job_type": "" if erased or user.job_type is None else user.job_type.name,
            "role": user.org_role,
            "active": user.is_active,
            "created_at": _iso(user.created_at),
            "deprovisioned_at": _iso(user.deprovisioned_at),
            "erased": erased,
        }


def _job_types(org_id) -> Iterator[dict]:
    queryset = JobType.objects.filter(organization_id=org_id).order_by("name", "id")
    for job_type in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield {
            "id": str(job_type.pk),
            "name": job_type.name,
            "created_at": _iso(job_type.created_at),
        }


def _topics(org_id) -> Iterator[dict]:
    queryset = Topic.objects.filter(organization_id=org_id).order_by("name", "id")
    for topic in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield {"id": str(topic.pk), "name": topic.name, "created_at": _iso(topic.created_at)}


def _tags(org_id) -> Iterator[dict]:
    queryset = Tag.objects.filter(organization_id=org_id).order_by("name", "id")
    for tag in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield {"id": str(tag.pk), "name": tag.name}


def _batches(iterable, size: int) -> Iterator[list]:
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _grouped(rows) -> dict:
    """``{key: [value, ...]}`` from ``(key, value)`` pairs, in their order."""
    grouped: dict = {}
    for key, value in rows:
        grouped.setdefault(key, []).append(value)
    return grouped


def _practices(org_id) -> Iterator[dict]:
    queryset = (
        Practice.objects.filter(organization_id=org_id)
        .select_related("topic", "author")
        .defer("search_vector", "body_html")
        .order_by("created_at", "id")
    )
    # Tags, targets and media of a batch of practices in three queries of plain tuples (not
    # prefetch_related, whose querysets and instances hold each other: reference cycles that
    # stay in memory until the garbage collector's next full pass).
    for batch in _batches(queryset.iterator(chunk_size=CHUNK_SIZE), CHUNK_SIZE):
        ids = [practice.pk for practice in batch]
        tags = _grouped(
            PracticeTag.objects.filter(organization_id=org_id, practice_id__in=ids).values_list(
                "practice_id", "tag__name"
            )
        )
        targets = _grouped(
            PracticeJobTypeTarget.objects.filter(
                organization_id=org_id, practice_id__in=ids
            ).values_list("practice_id", "job_type__name")
        )
        media = _grouped(
            (practice_id, media_path(pk, practice_id, name))
            for pk, practice_id, name in Attachment.objects.filter(
                organization_id=org_id, practice_id__in=ids
            )
            .order_by("position", "created_at", "id")
            .values_list("pk", "practice_id", "file")
        )
        for practice in batch:
            yield {
                "id": str(practice.pk),
                "title": practice.title,
                "body": practice.body,
                "language": practice.language,
                "status": practice.status,
                "topic_id": str(practice.topic_id),
                "topic": practice.topic.name,
                "tags": sorted(tags.get(practice.pk, [])),
                "target_countries": sorted(country.code for country in practice.target_countries),
                "target_job_types": sorted(targets.get(practice.pk, [])),
                "author_id": _id(practice.author_id),
                "author_email": _email(practice.author),
                "created_at": _iso(practice.created_at),
                "updated_at": _iso(practice.updated_at),
                "published_at": _iso(practice.published_at),
                "boosted_until": _iso(practice.boosted_until),
                "highlighted_at": _iso(practice.highlighted_at),
                "adoption_count": practice.adoption_count,
                "useful_count": practice.useful_count,
                "comment_count": practice.comment_count,
                "view_count": practice.view_count,
                "media": media.get(practice.pk, []),
            }


def _attachments(org_id) -> Iterator[dict]:
    queryset = (
        Attachment.objects.filter(organization_id=org_id)
        .defer("thumbnail")
        .order_by("practice_id", "position", "created_at", "id")
    )
    for attachment in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield {
            "id": str(attachment.pk),
            "practice_id": str(attachment.practice_id),
            "kind": attachment.kind,
            "content_type": attachment.content_type,
            "size": attachment.size,
            "width": attachment.width,
            "height": attachment.height,
            "position": attachment.position,
            "created_at": _iso(attachment.created_at),
            "media_path": media_path(attachment.pk, attachment.practice_id, attachment.file.name),
        }


def _comments(org_id) -> Iterator[dict]:
    queryset = (
        Comment.objects.filter(organization_id=org_id)
        .select_related("author")
        .order_by("created_at", "id")
    )
    for comment in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield {
            "id": str(comment.pk),
            "practice_id": str(comment.practice_id),
            "parent_id": _id(comment.parent_id),
            "author_id": _id(comment.author_id),
            "author_email": _email(comment.author),
            "body": comment.body,
            "created_at": _iso(comment.created_at),
        }


def _reactions(org_id) -> Iterator[dict]:
    queryset = (
        Reaction.objects.filter(organization_id=org_id)
        .select_related("user")
        .order_by("created_at", "id")
    )
    for reaction in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield {
            "id": reaction.pk,
            "practice_id": str(reaction.practice_id),
            "user_id": str(reaction.user_id),
            "user_email": _email(reaction.user),
            "kind": reaction.kind,
            "created_at": _iso(reaction.created_at),
        }


def _dataset(name: str, rows: Callable[[uuid.UUID], Iterator[dict]], *columns: str) -> Dataset:
    return Dataset(name, tuple(columns), rows)


# The data sets, in the archive's order, with their columns (the JSON keys, the CSV header).
# fmt: off
DATASETS: tuple[Dataset, ...] = (
    _dataset(
        "users", _users, "id", "email", "first_name", "last_name", "country", "job_type_id",
        "job_type", "role", "active", "created_at", "deprovisioned_at", "erased",
    ),
    _dataset("job_types", _job_types, "id", "name", "created_at"),
    _dataset("topics", _topics, "id", "name", "created_at"),
    _dataset("tags", _tags, "id", "name"),
    _dataset(
        "practices", _practices, "id", "title", "body", "language", "status", "topic_id",
        "topic", "tags", "target_countries", "target_job_types", "author_id", "author_email",
        "created_at", "updated_at", "published_at", "boosted_until", "highlighted_at",
        "adoption_count", "useful_count", "comment_count", "view_count", "media",
    ),
    _dataset(
        "attachments", _attachments, "id", "practice_id", "kind", "content_type", "size",
        "width", "height", "position", "created_at", "media_path",
    ),
    _dataset(
        "comments", _comments, "id", "practice_id", "parent_id", "author_id", "author_email",
        "body", "created_at",
    ),
    _dataset(
        "reactions", _reactions, "id", "practice_id", "user_id", "user_email", "kind",
        "created_at",
    ),
)
# fmt: on


# --- The archive ----------------------------------------------------------------------------------


def csv_cell(value):
    """A JSON value as a CSV cell: lists as JSON text, booleans true/false, null empty."""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


class _Entry:
    """One archive member being written: counts its bytes and hashes them on the way."""

    def __init__(self, archive: zipfile.ZipFile, path: str, date_time, *, compress: bool = True):
        info = zipfile.ZipInfo(path, date_time=date_time)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        self.path = path
        self.size = 0
        self._digest = hashlib.sha256()
        self._handle = archive.open(info, "w", force_zip64=True)

    def write(self, data: bytes) -> None:
        self._handle.write(data)
        self._digest.update(data)
        self.size += len(data)

    def close(self) -> dict:
        self._handle.close()
        return {"path": self.path, "size": self.size, "sha256": self._digest.hexdigest()}


def _write_dataset(archive, dataset: Dataset, org_id, date_time, files: list[dict]) -> int:
    """The data set's JSON lines written into the archive while its CSV is spooled to disk
    (one query, so both files hold the same rows), then the CSV copied in. Returns its rows."""
    writer = csv.writer(_Echo())
    count = 0
    with tempfile.TemporaryFile() as csv_spool:
        csv_spool.write(writer.writerow(safe_row(dataset.columns)).encode("utf-8"))
        entry = _Entry(archive, f"json/{dataset.name}.jsonl", date_time)
        # One transaction per data set: on PostgreSQL the rows come through a server-side cursor
        # (no WITH HOLD copy of the result), under the organization's row-level security.
        with transaction.atomic(), tenant_context(org_id):
            for row in dataset.rows(org_id):
                entry.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
                cells = [csv_cell(row[column]) for column in dataset.columns]
                csv_spool.write(writer.writerow(safe_row(cells)).encode("utf-8"))
                count += 1
        files.append(entry.close())
        csv_spool.seek(0)
        entry = _Entry(archive, f"csv/{dataset.name}.csv", date_time)
        for chunk in iter(lambda: csv_spool.read(COPY_CHUNK), b""):
            entry.write(chunk)
        files.append(entry.close())
    return count


def _attachment_files(org_id) -> Iterator[tuple[str, str]]:
    """(archive path, stored name) of every attachment's file, a page of ids at a time.

    Keyset pages, each read in its own short transaction: no cursor stays open while the files
    are copied, and only one page of paths is held at a time.
    """
    after = None
    while True:
        with transaction.atomic(), tenant_context(org_id):
            page = Attachment.objects.filter(organization_id=org_id)
            if after is not None:
                page = page.filter(pk__gt=after)
            rows = list(page.order_by("pk").values_list("pk", "practice_id", "file")[:CHUNK_SIZE])
        for pk, practice_id, name in rows:
            if name:
                yield media_path(pk, practice_id, name), name
        if len(rows) < CHUNK_SIZE:
            return
        after = rows[-1][0]


def _write_media(archive, org_id, date_time, files: list[dict]) -> tuple[int, list[str]]:
    written, missing = 0, []
    for path, stored_name in _attachment_files(org_id):
        try:
            source = default_storage.open(stored_name, "rb")
        except FileNotFoundError:
            missing.append(path)
            continue
        with source:
            # Photos and videos are compressed already: stored as they are.
            entry = _Entry(archive, path, date_time, compress=False)
            for chunk in iter(partial(source.read, COPY_CHUNK), b""):
                entry.write(chunk)
            files.append(entry.close())
        written += 1
    return written, missing


def write_organization_zip(organization: Organization, fileobj, *, export_id=None) -> dict:
    """Write the organization's data as a ZIP into ``fileobj`` (seekable); return the manifest
    (ids, counts, paths and hashes: no personal data), also written as ``manifest.json``."""
    generated_at = timezone.now()
    date_time = timezone.localtime(generated_at, datetime.UTC).timetuple()[:6]
    files: list[dict] = []
    counts: dict[str, int] = {}
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for dataset in DATASETS:
            counts[dataset.name] = _write_dataset(
                archive, dataset, organization.pk, date_time, files
            )
        media, missing = _write_media(archive, organization.pk, date_time, files)
        manifest = {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "export_id": _id(export_id),
            "generated_at": generated_at.isoformat(),
            "organization": {
                "id": str(organization.pk),
                "name": organization.name,
                "slug": organization.slug,
                "contract_start": _iso(organization.contract_start),
                "contract_end": _iso(organization.contract_end),
                "status": organization.status,
                "ended_at": _iso(organization.ended_at),
            },
            "available_until": _iso(link_expires_on(organization)),
            "counts": counts,
            "media": {"files": media, "missing": missing},
            "files": files,
        }
        entry = _Entry(archive, "manifest.json", date_time)
        entry.write(json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
        entry.close()
    return manifest


def _digest(fileobj) -> tuple[int, str]:
    fileobj.seek(0)
    digest = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: fileobj.read(COPY_CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    fileobj.seek(0)
    return size, digest.hexdigest()


def _mark_failed(export_id, organization_id) -> None:
    with transaction.atomic(), tenant_context(organization_id):
        OrganizationExport.objects.filter(pk=export_id, status=ExportStatus.PENDING).update(
            status=ExportStatus.FAILED
        )


def _reloaded(export: OrganizationExport) -> OrganizationExport:
    with tenant_context(export.organization_id):
        export.refresh_from_db()
    return export


BUILD_ATTEMPTS = 3


class ExportOutdated(RuntimeError):
    """Members kept being erased while the export was built: the next run tries again."""


def _erased_members(organization) -> set:
    with unscoped("organization export: which members are erased"):
        return set(
            User._base_manager.filter(
                organization_id=organization.pk, erased_at__isnull=False
            ).values_list("pk", flat=True)
        )


def build_organization_export(export_id) -> OrganizationExport | None:
    """Build a PENDING export: the ZIP stored, then READY with its size and SHA-256 and
    ORG_EXPORT_CREATED recorded (counts only). Returns the export (None for an unknown id).

    An export that is not PENDING is returned as it is (a task run twice builds once). An
    organization already purged gets no export (FAILED). Any failure leaves the export FAILED,
    no file in storage, and is raised again for the caller (the task, the enforcement run).
    """
    with unscoped("organization export: the task names the export by its id"):
        export = (
            OrganizationExport.objects.select_related("organization").filter(pk=export_id).first()
        )
    if export is None:
        logger.warning("organization export %s: no such export", export_id)
        return None
    if export.status != ExportStatus.PENDING:
        return export
    organization = export.organization
    if organization.status in PURGED_STATUSES:
        logger.warning("organization export %s: the organization is purged", export.pk)
        _mark_failed(export.pk, organization.pk)
        return _reloaded(export)
    stored_name = ""
    target = organization_export_path(export, "export.zip")
    target_existed = default_storage.exists(target)
    try:
        for _attempt in range(BUILD_ATTEMPTS):
            erased_before = _erased_members(organization)
            with tempfile.TemporaryFile() as spool:
                manifest = write_organization_zip(organization, spool, export_id=export.pk)
                size, sha256 = _digest(spool)
                # Not the FieldFile's save: it would write the row from this (unscoped) context.
                stored_name = default_storage.save(target, File(spool))
            with transaction.atomic(), tenant_context(organization.pk):
                # The row lock waits for an erasure in progress (it locks the organization's
                # exports, grove/rights/erasure.py); then a member erased since the build began
                # may be in the file: build again.
                pending = (
                    OrganizationExport.objects.select_for_update()
                    .filter(pk=export.pk, status=ExportStatus.PENDING)
                    .exists()
                )
                erased_meanwhile = pending and _erased_members(organization) != erased_before
                updated = 0
                if pending and not erased_meanwhile:
                    updated = OrganizationExport.objects.filter(pk=export.pk).update(
                        status=ExportStatus.READY,
                        ready_at=timezone.now(),
                        file=stored_name,
                        size_bytes=size,
                        sha256=sha256,
                    )
                    record_event(
                        action=AuditAction.ORG_EXPORT_CREATED,
                        organization=organization.pk,
                        object_type=OBJECT_TYPE,
                        object_ids=[export.pk],
                        details={
                            "rows": sum(manifest["counts"].values()),
                            "datasets": manifest["counts"],
                            "media": manifest["media"]["files"],
                            "missing_media": len(manifest["media"]["missing"]),
                            "size_bytes": size,
                        },
                    )
            if not erased_meanwhile:
                break
            logger.info("organization export %s: a member was erased during the build", export.pk)
            default_storage.delete(stored_name)
            stored_name = ""
        else:
            raise ExportOutdated(f"members erased during each of {BUILD_ATTEMPTS} builds")
        if not updated:
            # Another run finished (or failed) it meanwhile: keep only what its row names.
            default_storage.delete(stored_name)
    except BaseException as error:
        # The error's type and where it happened, not its text: it can quote a row.
        logger.error(
            "organization export %s failed: %s\n%s",
            export.pk,
            type(error).__name__,
            "".join(traceback.format_tb(error.__traceback__)),
        )
        # What this run stored, or a partial file left by a failed save at the export's path
        # (never a file another run stored there first).
        if not stored_name and not target_existed:
            stored_name = target
        if stored_name and default_storage.exists(stored_name):
            default_storage.delete(stored_name)
        _mark_failed(export.pk, organization.pk)
        raise
    return _reloaded(export)


# --- The managers' link ---------------------------------------------------------------------------


def link_expires_on(
    organization: Organization, today: datetime.date | None = None
) -> datetime.date:
    """The day the data purge will run, as the notices announce it (the purge date, or later
    when the warning went out late): the link is refused from that day on."""
    from .enforce import expected_data_purge_day  # enforce imports this module

    return expected_data_purge_day(organization, today or timezone.localdate())


def download_token(export: OrganizationExport, manager: User) -> str:
    return signing.dumps({"e": str(export.pk), "m": str(manager.pk)}, salt=SIGNING_SALT)


def download_url(export: OrganizationExport, manager: User) -> str:
    """The absolute link for ``manager`` to download ``export`` (for the notice mails)."""
    token = download_token(export, manager)
    return settings.GROVE_BASE_URL + reverse("retention:export_download", args=[token])


class ExportLinkRefused(Exception):  # noqa: N818 -- a refusal, not a bug
    """The link is forged, expired, for someone no longer a manager, or the data is gone.

    ``status``: the page's HTTP status (404 unknown, 410 gone). ``reason`` is for the log.
    """

    def __init__(self, reason: str, status: int):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class ExportNotReady(Exception):  # noqa: N818 -- a state, not a bug
    """The link is good but the export is still being prepared (or must be made again)."""

    def __init__(self, export: OrganizationExport, manager: User):
        super().__init__("export not ready")
        self.export = export
        self.manager = manager


def _refuse(*, request, reason: str, status: int, export=None, manager_id=None) -> NoReturn:
    record_event(
        action=AuditAction.ACCESS_DENIED,
        actor=manager_id,
        organization=export.organization_id if export is not None else None,
        object_type=OBJECT_TYPE,
        object_ids=[export.pk] if export is not None else [],
        request=request,
        details={"reason": reason},
    )
    raise ExportLinkRefused(reason, status)


def _as_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def export_from_link(token: str, *, request=None) -> tuple[OrganizationExport, User]:
    """The export and the manager a link names, if it may be downloaded now.

    Refused (ACCESS_DENIED recorded, ``ExportLinkRefused`` raised): a forged or damaged link, an
    unknown export (404); the organization purged, or the purge date reached (410); the person
    no longer an active manager of the organization (404). ``ExportNotReady`` when all is well
    but the export is not READY, or its file was deleted by an erasure: the latest READY export
    of the organization made after it is served instead when there is one; when there is none
    and none is being prepared, a new one is made and its build scheduled.
    """
    try:
        payload = signing.loads(str(token or ""), salt=SIGNING_SALT)
    except signing.BadSignature:
        _refuse(request=request, reason="bad_signature", status=404)
    export_id = _as_uuid(payload.get("e")) if isinstance(payload, dict) else None
    manager_id = _as_uuid(payload.get("m")) if isinstance(payload, dict) else None
    if export_id is None or manager_id is None:
        _refuse(request=request, reason="bad_signature", status=404)
    with unscoped("organization export link: the signed link names the export"):
        export = (
            OrganizationExport.objects.select_related("organization").filter(pk=export_id).first()
        )
    if export is None:
        _refuse(request=request, reason="unknown_export", status=404, manager_id=manager_id)
    organization = export.organization
    if organization.status in PURGED_STATUSES:
        _refuse(request=request, reason="purged", status=410, export=export, manager_id=manager_id)
    today = timezone.localdate()
    if today >= link_expires_on(organization, today):
        _refuse(request=request, reason="expired", status=410, export=export, manager_id=manager_id)
    with tenant_context(organization.pk):
        manager = User.objects.filter(
            pk=manager_id,
            organization_id=organization.pk,
            org_role=OrgRole.MANAGER,
            is_active=True,
            erased_at__isnull=True,
        ).first()
        if manager is None:
            _refuse(
                request=request,
                reason="not_a_manager",
                status=404,
                export=export,
                manager_id=manager_id,
            )
        if export.status != ExportStatus.READY or not export.file:
            newer = (
                OrganizationExport.objects.filter(
                    organization_id=organization.pk,
                    status=ExportStatus.READY,
                    created_at__gt=export.created_at,
                )
                .exclude(file="")
                .order_by("-created_at")
                .first()
            )
            if newer is None:
                # Failed, or its file deleted by an erasure: a new one is made (once).
                fresh, created = _export_for(organization)
                if created:
                    schedule_build(fresh.pk)
                raise ExportNotReady(export, manager)
            newer.organization = organization
            export = newer
    return export, manager


def open_export_file(*, export: OrganizationExport, manager: User, request=None):
    """The export's stored file, opened (binary); refused (410) when storage lost it."""
    try:
        # export_from_link hands out only an export with a file.
        return default_storage.open(cast(str, export.file.name), "rb")
    except FileNotFoundError:
        _refuse(
            request=request,
            reason="missing_file",
            status=410,
            export=export,
            manager_id=manager.pk,
        )


def record_download(*, export: OrganizationExport, manager: User, request=None) -> None:
    """Count one download and log it (ORG_EXPORT_DOWNLOADED, the manager as actor)."""
    now = timezone.now()
    with transaction.atomic(), tenant_context(export.organization_id):
        OrganizationExport.objects.filter(pk=export.pk).update(
            download_count=F("download_count") + 1, last_downloaded_at=now
        )
        record_event(
            action=AuditAction.ORG_EXPORT_DOWNLOADED,
            actor=manager,
            organization=export.organization_id,
            object_type=OBJECT_TYPE,
            object_ids=[export.pk],
            request=request,
        )
