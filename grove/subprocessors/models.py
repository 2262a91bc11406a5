"""The subprocessor registry, its approved changes, and the notices clients receive.

The registry is operator data, not a tenant's: subprocessors serve every organization. A change
(addition, modification, removal) is proposed by any staff member and decided by a security
manager who is not the proposer; each approved change becomes a new ``SubprocessorVersion`` and,
when it has an impact on personal data, a ``ChangeNotice`` with one ``NoticeDelivery`` per
affected organization (tenant-owned: the client's acknowledgement or objection).
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grove.privacy.datamap import SYSTEM, Category, Retention
from grove.tenancy.models import Organization, TenantOwnedModel


class SubprocessorStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved (not yet in use)")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class Subprocessor(models.Model):
    """One subprocessor as it stands now (its history is in ``versions``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    service = models.CharField(max_length=200)  # e.g. "Cloud hosting (PostgreSQL, storage)"
    purpose = models.TextField()
    # Data map categories (grove.privacy.datamap.Category values) it processes.
    data_categories = models.JSONField(default=list)
    data_subjects = models.CharField(max_length=200)  # e.g. "Client users; operator staff"
    # [{"name": "Ireland", "region": "North Europe"}, ...]
    locations = models.JSONField(default=list)
    transfer_safeguards = models.TextField(blank=True, default="")
    dpa_reference = models.CharField(max_length=200, blank=True, default="")
    security_contact = models.CharField(max_length=200, blank=True, default="")
    status = models.CharField(
        max_length=10, choices=SubprocessorStatus.choices, default=SubprocessorStatus.PROPOSED
    )
    effective_from = models.DateField(null=True, blank=True)
    effective_until = models.DateField(null=True, blank=True)
    # The number of the current version (SubprocessorVersion.number).
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(default=timezone.now)

    DATA_MAP = {
        "id": SYSTEM,
        "slug": SYSTEM,
        "name": SYSTEM,
        "service": SYSTEM,
        "purpose": SYSTEM,
        "data_categories": SYSTEM,
        "data_subjects": SYSTEM,
        "locations": SYSTEM,
        "transfer_safeguards": SYSTEM,
        "dpa_reference": SYSTEM,
        # A role address of the vendor (e.g. security@vendor), not a person's.
        "security_contact": SYSTEM,
        "status": SYSTEM,
        "effective_from": SYSTEM,
        "effective_until": SYSTEM,
        "version": SYSTEM,
        "updated_at": SYSTEM,
    }

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SubprocessorVersion(models.Model):
    """A snapshot of a subprocessor's fields after each approved change (the version history)."""

    id = models.BigAutoField(primary_key=True)
    subprocessor = models.ForeignKey(
        Subprocessor, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField()
    # Every field of Subprocessor above except id/version/updated_at, as it was.
    snapshot = models.JSONField()
    change = models.ForeignKey(
        "SubprocessorChange", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    DATA_MAP = {
        "id": SYSTEM,
        "subprocessor": SYSTEM,
        "number": SYSTEM,
        "snapshot": SYSTEM,
        "change": SYSTEM,
        "recorded_at": SYSTEM,
    }

    class Meta:
        ordering = ["subprocessor", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["subprocessor", "number"], name="subprocessor_version_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"subprocessor version {self.subprocessor_id}/{self.number}"


class ChangeKind(models.TextChoices):
    ADD = "add", _("Addition")
    MODIFY = "modify", _("Change")
    REMOVE = "remove", _("Removal")


class ChangeStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    EFFECTIVE = "effective", _("In effect")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class SubprocessorChange(models.Model):
    """A proposed addition, modification or removal, and the security manager's decision."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=ChangeKind.choices)
    # Null for an addition until it is approved (the subprocessor is created then).
    subprocessor = models.ForeignKey(
        Subprocessor, on_delete=models.PROTECT, null=True, blank=True, related_name="changes"
    )
    # The proposed field values (same keys as SubprocessorVersion.snapshot).
    proposed = models.JSONField(default=dict)
    # Its impact on personal data, stated by the proposer; with impact, clients get a notice.
    has_personal_data_impact = models.BooleanField(default=True)
    impact = models.TextField()
    proposed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PROPOSED
    )
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, default="")
    # When the change applies (no sooner than the notice period after approval, with impact).
    effective_on = models.DateField(null=True, blank=True)

    DATA_MAP = {
        "id": SYSTEM,
        "kind": SYSTEM,
        "subprocessor": SYSTEM,
        "proposed": SYSTEM,
        "has_personal_data_impact": SYSTEM,
        "impact": SYSTEM,
        "proposed_by": (Category.PERSON_REFERENCE, Retention.SYSTEM),
        "proposed_at": SYSTEM,
        "status": SYSTEM,
        "decided_by": (Category.PERSON_REFERENCE, Retention.SYSTEM),
        "decided_at": SYSTEM,
        "decision_note": SYSTEM,
        "effective_on": SYSTEM,
    }

    class Meta:
        ordering = ["-proposed_at"]

    def __str__(self) -> str:
        return f"subprocessor change {self.pk}"


class ChangeNotice(models.Model):
    """What clients are told about an approved change with impact, and from when it applies."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    change = models.OneToOneField(
        SubprocessorChange, on_delete=models.PROTECT, related_name="notice"
    )
    # The change and its implications, as sent (operator text, no personal data).
    summary = models.TextField()
    implications = models.TextField()
    announced_at = models.DateTimeField(default=timezone.now)
    effective_on = models.DateField()

    DATA_MAP = {
        "id": SYSTEM,
        "change": SYSTEM,
        "summary": SYSTEM,
        "implications": SYSTEM,
        "announced_at": SYSTEM,
        "effective_on": SYSTEM,
    }

    class Meta:
        ordering = ["-announced_at"]

    def __str__(self) -> str:
        return f"change notice {self.pk}"


class ObjectionStatus(models.TextChoices):
    NONE = "", _("No objection")
    OPEN = "open", _("Objection open")
    RESOLVED = "resolved", _("Objection resolved")


class NoticeDelivery(TenantOwnedModel):
    """A notice as one organization receives it: sent, acknowledged, or objected to."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=True
    )
    notice = models.ForeignKey(ChangeNotice, on_delete=models.PROTECT, related_name="deliveries")
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    objection_status = models.CharField(
        max_length=10, choices=ObjectionStatus.choices, blank=True, default=""
    )
    objected_at = models.DateTimeField(null=True, blank=True)
    objected_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The client's objection in its words (business content), and how it was resolved.
    objection = models.TextField(blank=True, default="")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.TextField(blank=True, default="")

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "notice": SYSTEM,
        "sent_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "sent_by": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "acknowledged_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "acknowledged_by": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "objection_status": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "objected_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "objected_by": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "objection": (Category.CONTENT, Retention.CONTRACT),
        "resolved_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "resolved_by": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "resolution": (Category.CONTENT, Retention.CONTRACT),
    }

    class Meta:
        ordering = ["notice", "organization"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "organization"], name="notice_delivery_unique_per_org"
            ),
        ]

    def __str__(self) -> str:
        return f"notice delivery {self.pk}"
