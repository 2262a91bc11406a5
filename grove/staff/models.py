import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

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
        "csm": (Category.PERSON_REFERENCE, Retention.SYSTEM),
        "assigned_by": (Category.PERSON_REFERENCE, Retention.SYSTEM),
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
