import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grove.privacy.datamap import SYSTEM, Category, Retention
from grove.tenancy.models import Organization, TenantOwnedModel


class CsmAssignment(TenantOwnedModel):
    """A customer success manager serving an organization, assigned by a security manager."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="csm_assignments", db_index=True
    )
    csm = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="csm_assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    assigned_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        # Kept while the organization's logs are (who served it), purged with them.
        "csm": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "assigned_by": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "assigned_at": SYSTEM,
        "ended_at": SYSTEM,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "csm"],
                condition=models.Q(ended_at__isnull=True),
                name="csm_assignment_one_open_per_org",
            ),
        ]

    def __str__(self) -> str:
        return f"assignment {self.pk}"


# Break-glass grants last at most eight hours; two by default.
GRANT_MAX_MINUTES = 8 * 60
GRANT_DEFAULT_MINUTES = 2 * 60


class AccessGrant(TenantOwnedModel):
    """Break-glass access: one staff member, one organization, a reason, a limited time.

    Requested by any staff member outside their normal scope, decided by a security officer or
    security manager (never the requester). Once approved it works until ``expires_at`` or its
    revocation, whichever comes first; the authorisation function reads both on every request.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        REVOKED = "revoked", _("Revoked")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="access_grants", db_index=True
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_grants"
    )
    reason = models.TextField()
    ticket_ref = models.CharField("incident or ticket reference", max_length=100)
    duration_minutes = models.PositiveIntegerField(default=GRANT_DEFAULT_MINUTES)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.REQUESTED, db_index=True
    )
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # When GRANT_EXPIRED was written for it (once per grant, by grant_expire_due).
    expired_recorded_at = models.DateTimeField(null=True, blank=True)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "requester": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        # Free text written by staff about an incident: no client personal data belongs there.
        "reason": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "ticket_ref": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "duration_minutes": SYSTEM,
        "status": SYSTEM,
        "requested_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "decided_by": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "decided_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "expires_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "revoked_by": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "revoked_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "expired_recorded_at": SYSTEM,
    }

    class Meta:
        ordering = ["-requested_at"]
        indexes = [
            models.Index(fields=["organization", "requester", "status"], name="grant_lookup_idx"),
            models.Index(fields=["status", "expires_at"], name="grant_expiry_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    duration_minutes__gte=1, duration_minutes__lte=GRANT_MAX_MINUTES
                ),
                name="access_grant_duration_at_most_8h",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="approved") | models.Q(expires_at__isnull=False),
                name="access_grant_approved_has_expiry",
            ),
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | ~models.Q(decided_by=models.F("requester")),
                name="access_grant_not_self_decided",
            ),
        ]

    def __str__(self) -> str:
        return f"grant {self.pk}"

    def is_active_at(self, moment) -> bool:
        """Approved, not revoked, and not yet expired at ``moment``."""
        return (
            self.status == self.Status.APPROVED
            and self.revoked_at is None
            and self.expires_at is not None
            and moment < self.expires_at
        )

    @property
    def is_active(self) -> bool:
        return self.is_active_at(timezone.now())

    @property
    def has_expired(self) -> bool:
        return (
            self.status == self.Status.APPROVED
            and self.expires_at is not None
            and self.expires_at <= timezone.now()
        )
