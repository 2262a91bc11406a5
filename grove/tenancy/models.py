import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grove.privacy.datamap import SYSTEM, Category, Retention

from .context import TenantScopeError, current_scope
from .managers import TenantManager


def refuse_other_tenant(instance: models.Model, organization_id, verb: str) -> None:
    """Inside a tenant, writing (or deleting) another organization's row is refused.

    Model.save() and Model.delete() go through the base manager, not the scoped one, so without
    this check an instance of tenant A could be written from tenant B's context.
    """
    scope = current_scope()
    if (
        not scope.is_unscoped
        and scope.organization_id is not None
        and organization_id != scope.organization_id
    ):
        raise TenantScopeError(
            f"{instance._meta.label}: refusing to {verb} a row of another organization"
        )


class Organization(models.Model):
    """A client company: the tenant. Its row outlives its data as a tombstone."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ENDED = "ended", _("Contract ended")
        PURGED = "purged", _("Personal data purged")
        # Logs purged too: only the tombstone remains (name, dates, deletion certificates).
        TOMBSTONE = "tombstone", _("Closed: only the tombstone remains")

    class EndReason(models.TextChoices):
        CONTRACT_END_DATE = "end_date", _("The contract's end date passed")
        ENDED_EARLY = "early", _("Ended early by the operator")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    contract_start = models.DateField()
    contract_end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    data_region = models.CharField(max_length=120)
    # Members' practices wait in a moderation queue until a manager validates them.
    practices_require_validation = models.BooleanField(default=False, db_default=False)
    # On a member's erasure: delete the practices they authored (else kept as "former member").
    erasure_deletes_practices = models.BooleanField(default=False, db_default=False)
    # Members may correct their own names, country and job type on their profile (else they
    # file a rectification request that the CSM applies).
    members_may_rectify = models.BooleanField(default=True, db_default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The contract lifecycle (grove/retention): when and why it ended, the notices sent to the
    # client's managers, and when the personal data then the logs were purged.
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.CharField(
        max_length=10, choices=EndReason.choices, blank=True, default="", db_default=""
    )
    end_notice_sent_at = models.DateTimeField(null=True, blank=True)
    purge_warning_sent_at = models.DateTimeField(null=True, blank=True)
    data_purged_at = models.DateTimeField(null=True, blank=True)
    logs_purged_at = models.DateTimeField(null=True, blank=True)

    objects = TenantManager(scope_field="id")

    DATA_MAP = {
        "id": SYSTEM,
        "name": (Category.CONTENT, Retention.SYSTEM),  # kept in the tombstone
        "slug": SYSTEM,
        "contract_start": SYSTEM,
        "contract_end": SYSTEM,
        "status": SYSTEM,
        "data_region": SYSTEM,
        "practices_require_validation": SYSTEM,
        "erasure_deletes_practices": SYSTEM,
        "members_may_rectify": SYSTEM,
        "created_at": SYSTEM,
        "ended_at": SYSTEM,
        "end_reason": SYSTEM,
        "end_notice_sent_at": SYSTEM,
        "purge_warning_sent_at": SYSTEM,
        "data_purged_at": SYSTEM,
        "logs_purged_at": SYSTEM,
    }

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contract_end__gte=models.F("contract_start")),
                name="organization_contract_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        refuse_other_tenant(self, self.pk, "save")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        refuse_other_tenant(self, self.pk, "delete")
        return super().delete(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class TenantOwnedModel(models.Model):
    """Base of every model whose rows belong to one organization.

    Subclasses declare ``organization = models.ForeignKey(Organization, ...)`` (indexed). The
    default manager scopes reads to the current tenant; saving a row of another tenant while a
    tenant is set is refused, so a forged id cannot move data across the wall.
    """

    objects = TenantManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        refuse_other_tenant(self, self.organization_id, "save")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        refuse_other_tenant(self, self.organization_id, "delete")
        return super().delete(*args, **kwargs)


class JobType(TenantOwnedModel):
    """A job type from the list each organization manages (e.g. "Store manager")."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="job_types", db_index=True
    )
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "name": (Category.CONTENT, Retention.CONTRACT),
        "created_at": SYSTEM,
    }

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "name"], name="jobtype_unique_name_per_org"
            ),
        ]

    def __str__(self) -> str:
        return self.name
