import uuid

from django.db import models
from django.utils import timezone

from grove.privacy.datamap import SYSTEM, Category, Retention
from grove.tenancy.managers import TenantManager, TenantQuerySet
from grove.tenancy.models import Organization, TenantOwnedModel


class AuditAction(models.TextChoices):
    LOGIN = "auth.login", "Logged in"
    LOGIN_FAILED = "auth.login_failed", "Failed login"
    LOGOUT = "auth.logout", "Logged out"
    PASSWORD_RESET_REQUESTED = "auth.password_reset_requested", "Password reset requested"
    PASSWORD_RESET_DONE = "auth.password_reset_done", "Password reset"
    USER_CREATED = "user.created", "User created"
    USER_CHANGED = "user.changed", "User changed"
    ORGANIZATION_CREATED = "organization.created", "Organization created"
    ORGANIZATION_CHANGED = "organization.changed", "Organization changed"
    ASSIGNMENT_CREATED = "staff.assignment_created", "CSM assigned"
    ASSIGNMENT_ENDED = "staff.assignment_ended", "CSM assignment ended"
    ROLE_CHANGED = "user.role_changed", "Role changed"
    ACCESS_DENIED = "access.denied", "Access denied"
    # Reads and writes of client data (object type and ids say what).
    VIEW = "data.view", "Viewed"
    LIST = "data.list", "Listed"
    SEARCH = "data.search", "Searched"
    EXPORT = "data.export", "Exported"
    DOWNLOAD = "data.download", "Downloaded"
    CREATE = "data.create", "Created"
    UPDATE = "data.update", "Updated"
    DELETE = "data.delete", "Deleted"
    # Break-glass access for staff outside their scope.
    GRANT_REQUESTED = "grant.requested", "Access requested"
    GRANT_APPROVED = "grant.approved", "Access approved"
    GRANT_REJECTED = "grant.rejected", "Access rejected"
    GRANT_USED = "grant.used", "Access used"
    GRANT_EXPIRED = "grant.expired", "Access expired"
    GRANT_REVOKED = "grant.revoked", "Access revoked"
    # Second factor for staff.
    OTP_ENROLLED = "auth.otp_enrolled", "Second factor enrolled"
    OTP_VERIFIED = "auth.otp_verified", "Second factor verified"
    OTP_FAILED = "auth.otp_failed", "Second factor failed"
    RECOVERY_CODE_USED = "auth.recovery_code_used", "Recovery code used"
    # The log itself.
    ANCHOR_WRITTEN = "audit.anchor_written", "Access-log anchor written"


class AuditEventQuerySet(TenantQuerySet):
    def update(self, **kwargs):  # append-only: no bulk edit either
        raise TypeError("audit events are append-only")

    def delete(self):
        raise TypeError("audit events are append-only")


class AuditEvent(TenantOwnedModel):
    """One append-only entry of the access log. Ids and pseudonymous references only.

    Columns for the hash chain (sequence, previous hash, hash) are added by a later migration as
    nullable columns, so existing rows need no rewrite.
    """

    id = models.BigAutoField(primary_key=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    organization = models.ForeignKey(
        Organization,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        db_index=True,
    )
    actor_id = models.UUIDField(null=True, blank=True, db_index=True)
    actor_role = models.CharField(max_length=20, blank=True)
    # The break-glass grant the actor used, if any (staff outside their normal scope).
    grant_id = models.UUIDField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_ids = models.JSONField(default=list, blank=True)
    # The person the event is about (export and access requests find their events by it).
    subject_user_id = models.UUIDField(null=True, blank=True, db_index=True)
    # A keyed hash, e.g. of the email typed in a failed login: links attempts, reveals nothing.
    subject_ref = models.CharField(max_length=64, blank=True)
    request_id = models.CharField(max_length=36, blank=True)
    ip_prefix = models.CharField(max_length=50, blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = TenantManager.from_queryset(AuditEventQuerySet)()

    DATA_MAP = {
        "id": SYSTEM,
        "public_id": SYSTEM,
        "occurred_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "organization": SYSTEM,
        "actor_id": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "actor_role": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "grant_id": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "action": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "object_type": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "object_ids": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "subject_user_id": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "subject_ref": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "request_id": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "ip_prefix": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "details": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
    }

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["organization", "occurred_at"], name="audit_org_time_idx")]

    def __str__(self) -> str:
        return f"{self.action} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("audit events are append-only")
