"""Retention's own records: legal holds, the purges (each one's certificate) and the client's
organization export.

A ``DeletionCertificate`` is both the purge's progress record while it runs (so a killed purge
resumes where it stopped) and, once completed and signed, the proof kept in the organization's
tombstone. It holds counts, hashes and dates only: no personal data, so it outlives everything.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grove.privacy.datamap import SYSTEM, Category, Retention
from grove.tenancy.models import Organization, TenantOwnedModel


class LegalHold(TenantOwnedModel):
    """A security officer's order to keep an organization's (or one member's) data: no purge
    runs while it is in force. In force from ``placed_at`` through ``until`` (inclusive),
    unless released earlier; the held purge runs the day after."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=True
    )
    # Set: the hold covers this member only (their own purge, and the organization's purges,
    # which cannot delete the organization without them). Empty: the whole organization.
    user = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(max_length=2000)
    until = models.DateField()
    placed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    release_reason = models.TextField(max_length=2000, blank=True)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "user": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "reason": (Category.CONTENT, Retention.CONTRACT_PLUS_90D),
        "until": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "placed_by": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "placed_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "released_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "released_by": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "release_reason": (Category.CONTENT, Retention.CONTRACT_PLUS_90D),
    }

    class Meta:
        ordering = ["-placed_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(released_at__isnull=True) | models.Q(released_by__isnull=False),
                name="legalhold_release_has_author",
            ),
        ]

    def __str__(self) -> str:
        return f"legal hold {self.pk}"

    @property
    def is_user_scope(self) -> bool:
        return self.user_id is not None

    def in_force_on(self, day) -> bool:
        """In force on ``day`` (a date): not released, and ``until`` not passed."""
        return self.released_at is None and day <= self.until


class EarlyEndNote(TenantOwnedModel):
    """Why the operator ended a contract early, and who: free text, so never in the access log
    (whose CONTRACT_ENDED event carries this note's id); purged with the organization's logs."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=True
    )
    ended_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=2000)
    previous_contract_end = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "ended_by": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "reason": (Category.CONTENT, Retention.CONTRACT_PLUS_90D),
        "previous_contract_end": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "created_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
    }

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"early end note {self.pk}"


class PurgeKind(models.TextChoices):
    ORGANIZATION_DATA = "org_data", _("The organization's personal data")
    ORGANIZATION_LOGS = "org_logs", _("The organization's logs")
    USER = "user", _("A departed member's personal data")


class CertificateStatus(models.TextChoices):
    RUNNING = "running", _("Purge in progress")
    COMPLETED = "completed", _("Completed")


class DeletionCertificate(TenantOwnedModel):
    """One purge: its progress while it runs, then its signed certificate (the tombstone's)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=True
    )
    kind = models.CharField(max_length=10, choices=PurgeKind.choices)
    status = models.CharField(
        max_length=10, choices=CertificateStatus.choices, default=CertificateStatus.RUNNING
    )
    # The rule that made it due (e.g. "contract_end+30d") and the day it became due.
    rule = models.CharField(max_length=60)
    due_on = models.DateField()
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Who or what ran it: "scheduler", "manage.py enforce_retention", a staff id. No names.
    run_by = models.CharField(max_length=120)
    # The purge's progress, step by step (resumable), then the certificate's categories:
    # [{"model", "table", "category", "action", "rows", "ids_digest"}...] and "next_step".
    progress = models.JSONField(default=dict, blank=True)
    total_rows = models.PositiveBigIntegerField(default=0)
    files_deleted = models.PositiveIntegerField(default=0)
    # SHA-256 over every deleted (or anonymised) row's id, per model: see certificates.py.
    ids_digest = models.CharField(max_length=64, blank=True)
    # Tables vacuumed after the purge, and those only the owner can vacuum (names only).
    vacuum = models.JSONField(default=dict, blank=True)
    # When the certificate (so far) was mailed to the client's managers, before their accounts go.
    managers_notified_at = models.DateTimeField(null=True, blank=True)
    # HMAC-SHA256 of the completed certificate's canonical JSON (GROVE_RETENTION_CERTIFICATE_KEY).
    signature = models.CharField(max_length=64, blank=True)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "kind": SYSTEM,
        "status": SYSTEM,
        "rule": SYSTEM,
        "due_on": SYSTEM,
        "started_at": SYSTEM,
        "completed_at": SYSTEM,
        "run_by": SYSTEM,
        "progress": SYSTEM,
        "total_rows": SYSTEM,
        "files_deleted": SYSTEM,
        "ids_digest": SYSTEM,
        "vacuum": SYSTEM,
        "managers_notified_at": SYSTEM,
        "signature": SYSTEM,
    }

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # One purge of a kind runs at a time per organization (user purges are atomic).
            models.UniqueConstraint(
                fields=["organization", "kind"],
                condition=models.Q(status="running") & ~models.Q(kind="user"),
                name="certificate_one_running_purge_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"deletion certificate {self.pk}"


def organization_export_path(instance: "OrganizationExport", filename: str) -> str:
    # One directory per organization: the purge deletes it with the rest.
    return f"retention-exports/{instance.organization_id}/{instance.pk}.zip"


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Being prepared")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")


class OrganizationExport(TenantOwnedModel):
    """The whole organization's data for its managers to take before the purge (ZIP: JSON, CSV
    and the media files), downloadable from the notice mails' signed links until the purge."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=True
    )
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    file = models.FileField(upload_to=organization_export_path, max_length=200, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True, default="")
    download_count = models.PositiveIntegerField(default=0)
    last_downloaded_at = models.DateTimeField(null=True, blank=True)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        # The export's own bookkeeping: about the file, not about a person.
        "status": SYSTEM,
        "created_at": SYSTEM,
        "ready_at": SYSTEM,
        # Every member's email, names, country and job type, and the content: deleted with the
        # organization's data, and by an erasure of anyone it names (grove/rights/erasure.py
        # reads inside the ZIP), after which a new export is built for the managers.
        "file": (Category.BUSINESS_EMAIL, Retention.UNTIL_ERASED),
        "size_bytes": SYSTEM,
        "sha256": SYSTEM,
        "download_count": SYSTEM,
        "last_downloaded_at": SYSTEM,
    }

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"organization export {self.pk}"
