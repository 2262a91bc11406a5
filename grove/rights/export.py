"""Access and portability: the export of everything about one person, and its single-use link.

``personal_data`` (grove/rights/export_data.py) gathers the data through the data map;
``write_export_zip`` (grove/rights/export_zip.py) writes the ZIP (format: docs/export-format.md).
Here, the export's life:

- ``export_create``: the ZIP stored with ``default_storage``, a random token whose SHA-256 alone
  is kept (the token lives only in the mail), expiry after ``GROVE_DSR_EXPORT_DAYS``,
  EXPORT_CREATED recorded;
- ``export_download``: the token opens the file once (``downloaded_at``), DOWNLOAD recorded; an
  unknown, used or expired link raises ``ExportUnavailable`` after recording ACCESS_DENIED
  (never the token). The caller (the view) turns the refusal into its 404 page and must not let
  the exception roll the request's transaction back, or the denial goes with it;
- ``exports_delete_expired``: files of expired links deleted from storage, EXPORT_DELETED; and
  stored ZIPs that no row names (a fulfilment rolled back after storing one), a day old;
- ``export_for_operator``: ``manage.py dsr export`` writes the same ZIP to a file.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.tenancy.context import tenant_context, unscoped

from .errors import ExportUnavailable, RightsRefusal
from .export_data import personal_data  # noqa: F401 -- part of this module's interface
from .export_zip import write_export_zip
from .models import PersonalDataExport

OBJECT_TYPE = "rights.export"
UNAVAILABLE_MESSAGE = gettext_noop("This download link is unknown, already used or expired.")
ORPHAN_AGE = datetime.timedelta(days=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _summary_details(manifest: dict) -> dict:
    """What the access log keeps of an export: counts only."""
    return {
        "datasets": len(manifest["datasets"]),
        "rows": manifest["rows"],
        "media": manifest["media"],
    }


def export_create(*, actor, subject, dsr=None, request=None) -> tuple[PersonalDataExport, str]:
    """Build the ZIP of everything about ``subject``, store it, and return it with its token.

    The caller (the fulfilment of an access or portability request) has checked that ``actor``
    may; ``dsr``, when given, must be about ``subject``. The token is returned once, for the
    mail; only its hash is stored. If the database work fails, the stored file is deleted.
    """
    if subject.organization_id is None:
        raise RightsRefusal(_("Exports through a link are for people of a client organization."))
    if dsr is not None and dsr.subject_id != subject.pk:
        raise RightsRefusal(_("The request is about someone else."))
    token = secrets.token_urlsafe(32)
    with tempfile.TemporaryFile() as spool:
        manifest = write_export_zip(subject, spool)
        spool.seek(0)
        digest = hashlib.sha256()
        for chunk in iter(lambda: spool.read(1 << 20), b""):
            digest.update(chunk)
        size = spool.tell()
        spool.seek(0)
        now = timezone.now()
        export = PersonalDataExport(
            organization_id=subject.organization_id,
            created_at=now,
            subject=subject,
            request=dsr,
            created_by=actor if getattr(actor, "pk", None) else None,
            size_bytes=size,
            sha256=digest.hexdigest(),
            token_hash=token_hash(token),
            expires_at=now + datetime.timedelta(days=settings.GROVE_DSR_EXPORT_DAYS),
        )
        export.file.save("export.zip", File(spool), save=False)
    try:
        with transaction.atomic(), tenant_context(subject.organization_id):
            export.save()
            record_event(
                action=AuditAction.EXPORT_CREATED,
                actor=actor,
                organization=subject.organization_id,
                object_type=OBJECT_TYPE,
                object_ids=[export.pk],
                subject_user=subject,
                request=request,
                details=_summary_details(manifest),
            )
    except BaseException:
        default_storage.delete(cast(str, export.file.name))  # saved above
        raise
    return export, token


def _refuse(*, request, export: PersonalDataExport | None, reason: str):
    user = getattr(request, "user", None)
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    record_event(
        action=AuditAction.ACCESS_DENIED,
        actor=user if authenticated else None,
        organization=export.organization_id if export else None,
        object_type=OBJECT_TYPE,
        object_ids=[export.pk] if export else [],
        subject_user=export.subject_id if export else None,
        request=request,
        details={"reason": reason},
    )
    raise ExportUnavailable(_(UNAVAILABLE_MESSAGE))


def export_download(*, token, request=None) -> tuple[PersonalDataExport, File]:
    """Open the export behind ``token``, once: returns the row and its file (opened, binary).

    Unknown, already used or expired: ACCESS_DENIED recorded (the export's id when known, the
    reason; never the token) and ``ExportUnavailable`` raised.
    """
    hashed = token_hash(str(token or ""))
    now = timezone.now()
    with transaction.atomic():
        with unscoped("export link: the token is the key; the row names its organization"):
            export = (
                PersonalDataExport.objects.select_for_update().filter(token_hash=hashed).first()
            )
        if export is None:
            reason = "unknown"
        elif export.deleted_at is not None or not export.file:
            reason = "deleted"
        elif export.downloaded_at is not None:
            reason = "used"
        elif export.expires_at <= now:
            reason = "expired"
        else:
            reason = ""
            with tenant_context(export.organization_id):
                export.downloaded_at = now
                export.save(update_fields=["downloaded_at"])
                actor = getattr(request, "user", None)
                record_event(
                    action=AuditAction.DOWNLOAD,
                    actor=actor if getattr(actor, "is_authenticated", False) else None,
                    organization=export.organization_id,
                    object_type=OBJECT_TYPE,
                    object_ids=[export.pk],
                    subject_user=export.subject_id,
                    request=request,
                )
    if reason:
        _refuse(request=request, export=export, reason=reason)
    try:
        opened = default_storage.open(export.file.name, "rb")
    except FileNotFoundError:
        _refuse(request=request, export=export, reason="missing")
    return export, opened


def exports_delete_expired(*, now=None) -> int:
    """Delete the files of exports whose link has expired; returns how many.

    Each export on its own: the file deleted from storage, ``deleted_at`` set, the link's hash
    cleared, EXPORT_DELETED recorded.
    """
    now = now or timezone.now()
    with unscoped("export expiry job: every organization's expired exports"):
        expired = list(
            PersonalDataExport.objects.filter(deleted_at__isnull=True, expires_at__lte=now)
            .order_by("expires_at")
            .values_list("pk", flat=True)
        )
    deleted = 0
    for export_id in expired:
        with transaction.atomic(), unscoped("export expiry job: one export"):
            export = (
                PersonalDataExport.objects.select_for_update()
                .filter(pk=export_id, deleted_at__isnull=True)
                .first()
            )
            if export is None:
                continue
            if export.file:
                default_storage.delete(export.file.name)
            export.deleted_at = now
            export.token_hash = None
            export.save(update_fields=["deleted_at", "token_hash"])
            record_event(
                action=AuditAction.EXPORT_DELETED,
                organization=export.organization_id,
                object_type=OBJECT_TYPE,
                object_ids=[export.pk],
                subject_user=export.subject_id,
                details={"reason": "expired"},
            )
        deleted += 1
    _delete_orphan_files(now)
    return deleted


def _delete_orphan_files(now) -> int:
    """Delete stored export files no export row names, older than a day.

    ``export_create`` stores the ZIP before its row; if the caller's transaction rolls back
    afterwards (the request's fulfilment failed later on), the file would stay with no row to
    expire it. The day's margin leaves alone an export being written right now.
    """
    root = "exports"
    try:
        folders, _files = default_storage.listdir(root)
    except FileNotFoundError:
        return 0
    with unscoped("export expiry job: the files every export row names"):
        known = set(PersonalDataExport.objects.exclude(file="").values_list("file", flat=True))
    removed = 0
    for folder in folders:
        _subfolders, names = default_storage.listdir(f"{root}/{folder}")
        for name in names:
            path = f"{root}/{folder}/{name}"
            if path in known:
                continue
            if now - default_storage.get_modified_time(path) < ORPHAN_AGE:
                continue
            default_storage.delete(path)
            removed += 1
    return removed


def export_for_operator(*, email, out_path, actor=None) -> str:
    """``manage.py dsr export``: the same ZIP written to ``out_path``, the access recorded.

    Refuses an unknown email, or a destination whose folder does not exist or which exists
    already. The file appears whole or not at all (written beside it, then renamed). Returns a
    one-line summary with counts only.
    """
    user_model = get_user_model()
    normalized = str(email or "").strip().lower()
    with unscoped("operator export: find the person by email"):
        subject = user_model._default_manager.filter(email=normalized).first()
    if subject is None:
        raise RightsRefusal(_("No account has this email."))
    destination = Path(out_path)
    if not destination.parent.is_dir():
        raise RightsRefusal(_("The destination folder does not exist."))
    if destination.exists():
        raise RightsRefusal(_("The destination file exists already: choose another name."))
    descriptor, partial = tempfile.mkstemp(
        dir=destination.parent, prefix=".export-", suffix=".partial"
    )
    try:
        with os.fdopen(descriptor, "wb") as out:
            manifest = write_export_zip(subject, out)
        with transaction.atomic():
            record_event(
                action=AuditAction.EXPORT_CREATED,
                actor=actor,
                organization=subject.organization_id,
                object_type=OBJECT_TYPE,
                subject_user=subject,
                details={**_summary_details(manifest), "channel": "operator"},
            )
        os.replace(partial, destination)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise
    size = destination.stat().st_size
    return (
        f"Export written: {len(manifest['datasets'])} data sets, {manifest['rows']} rows, "
        f"{manifest['media']} media files, {size} bytes."
    )
