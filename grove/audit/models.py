import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grove.privacy.datamap import SYSTEM, Category, Retention
from grove.tenancy.context import TenantScopeError, current_scope
from grove.tenancy.managers import TenantManager, TenantQuerySet
from grove.tenancy.models import Organization, TenantOwnedModel, refuse_other_tenant


class AuditAction(models.TextChoices):
    LOGIN = "auth.login", _("Logged in")
    LOGIN_FAILED = "auth.login_failed", _("Failed login")
    LOGOUT = "auth.logout", _("Logged out")
    PASSWORD_RESET_REQUESTED = "auth.password_reset_requested", _("Password reset requested")
    PASSWORD_RESET_DONE = "auth.password_reset_done", _("Password reset")
    USER_CREATED = "user.created", _("User created")
    USER_CHANGED = "user.changed", _("User changed")
    ORGANIZATION_CREATED = "organization.created", _("Organization created")
    ORGANIZATION_CHANGED = "organization.changed", _("Organization changed")
    ASSIGNMENT_CREATED = "staff.assignment_created", _("CSM assigned")
    ASSIGNMENT_ENDED = "staff.assignment_ended", _("CSM assignment ended")
    ROLE_CHANGED = "user.role_changed", _("Role changed")
    # Invitations and account activation.
    INVITATION_SENT = "invitation.sent", _("Invitation sent")
    INVITATION_REVOKED = "invitation.revoked", _("Invitation revoked")
    INVITATION_ACCEPTED = "invitation.accepted", _("Invitation accepted (account activated)")
    INVITATION_DELIVERY = "invitation.delivery", _("Invitation delivery reported")
    # Provisioning (list import, SCIM, managers) and the list imports themselves.
    USER_DEACTIVATED = "user.deactivated", _("User deactivated")
    USER_REACTIVATED = "user.reactivated", _("User reactivated")
    IMPORT_PREVIEWED = "import.previewed", _("User list previewed")
    IMPORT_COMMITTED = "import.committed", _("User list imported")
    IMPORT_REJECTED = "import.rejected", _("User list rejected")
    IMPORT_DISCARDED = "import.discarded", _("User list discarded")
    ACCESS_DENIED = "access.denied", _("Access denied")
    # Reads and writes of client data (object type and ids say what).
    VIEW = "data.view", _("Viewed")
    LIST = "data.list", _("Listed")
    SEARCH = "data.search", _("Searched")
    EXPORT = "data.export", _("Exported")
    DOWNLOAD = "data.download", _("Downloaded")
    CREATE = "data.create", _("Created")
    UPDATE = "data.update", _("Updated")
    DELETE = "data.delete", _("Deleted")
    # Break-glass access for staff outside their scope.
    GRANT_REQUESTED = "grant.requested", _("Access requested")
    GRANT_APPROVED = "grant.approved", _("Access approved")
    GRANT_REJECTED = "grant.rejected", _("Access rejected")
    GRANT_USED = "grant.used", _("Access used")
    GRANT_EXPIRED = "grant.expired", _("Access expired")
    GRANT_REVOKED = "grant.revoked", _("Access revoked")
    # Second factor for staff.
    OTP_ENROLLED = "auth.otp_enrolled", _("Second factor enrolled")
    OTP_VERIFIED = "auth.otp_verified", _("Second factor verified")
    OTP_FAILED = "auth.otp_failed", _("Second factor failed")
    RECOVERY_CODE_USED = "auth.recovery_code_used", _("Recovery code used")
    SECOND_FACTOR_RESET = "auth.second_factor_reset", _("Second factor reset")
    # Data-subject requests (grove/rights): every step of the workflow.
    REQUEST_FILED = "rights.filed", _("Data-subject request received")
    REQUEST_MERGED = "rights.merged", _("Data-subject request merged into an open one")
    REQUEST_CODE_SENT = "rights.code_sent", _("Identity verification code sent")
    REQUEST_CODE_FAILED = "rights.code_failed", _("Wrong identity verification code")
    REQUEST_IDENTITY_VERIFIED = "rights.identity_verified", _("Identity verified")
    REQUEST_STARTED = "rights.started", _("Data-subject request in progress")
    REQUEST_APPROVAL_ASKED = "rights.approval_asked", _("Security officer's approval asked")
    REQUEST_APPROVED = "rights.approved", _("Approved by the security officer")
    REQUEST_EXTENDED = "rights.extended", _("Deadline extended")
    REQUEST_REFUSED = "rights.refused", _("Data-subject request refused")
    REQUEST_FULFILLED = "rights.fulfilled", _("Data-subject request fulfilled")
    REQUEST_REMINDER = "rights.reminder", _("Deadline reminder sent")
    RECTIFICATION_APPLIED = "rights.rectified", _("Rectification applied")
    EXPORT_CREATED = "rights.export_created", _("Personal data export prepared")
    EXPORT_DELETED = "rights.export_deleted", _("Personal data export deleted")
    ERASURE_APPLIED = "rights.erased", _("Personal data erased")
    ERASURE_REPLAYED = "rights.erasure_replayed", _("Erasure re-applied after a restore")
    # Subprocessors (grove/subprocessors): the registry's changes and the clients' notices.
    SUBPROCESSOR_CHANGE_PROPOSED = "subprocessor.proposed", _("Subprocessor change proposed")
    SUBPROCESSOR_CHANGE_APPROVED = "subprocessor.approved", _("Subprocessor change approved")
    SUBPROCESSOR_CHANGE_REJECTED = "subprocessor.rejected", _("Subprocessor change rejected")
    SUBPROCESSOR_CHANGE_REFUSED = "subprocessor.refused", _("Subprocessor change refused")
    SUBPROCESSOR_CHANGE_EFFECTIVE = "subprocessor.effective", _("Subprocessor change in effect")
    NOTICE_CREATED = "subprocessor.notice_created", _("Client notice created")
    NOTICE_SENT = "subprocessor.notice_sent", _("Client notice sent")
    NOTICE_ACKNOWLEDGED = "subprocessor.notice_acknowledged", _("Client notice acknowledged")
    NOTICE_OBJECTED = "subprocessor.notice_objected", _("Client objected to a notice")
    OBJECTION_RESOLVED = "subprocessor.objection_resolved", _("Client objection resolved")
    # Retention (grove/retention): the contract's end, holds, the purges and their certificates.
    CONTRACT_ENDED = "retention.contract_ended", _("Contract ended")
    RETENTION_NOTICE_SENT = "retention.notice_sent", _("Retention notice sent to the managers")
    ORG_EXPORT_CREATED = "retention.org_export_created", _("Organization export prepared")
    ORG_EXPORT_DOWNLOADED = "retention.org_export_downloaded", _("Organization export downloaded")
    HOLD_PLACED = "retention.hold_placed", _("Legal hold placed")
    HOLD_RELEASED = "retention.hold_released", _("Legal hold released")
    PURGE_HELD = "retention.purge_held", _("Purge postponed by a legal hold")
    PURGE_STARTED = "retention.purge_started", _("Purge started")
    PURGE_COMPLETED = "retention.purge_completed", _("Purge completed")
    CERTIFICATE_SENT = "retention.certificate_sent", _("Deletion certificate sent")
    # The log itself.
    ANCHOR_WRITTEN = "audit.anchor_written", _("Access-log anchor written")
    PURGED = "audit.purged", _("Access-log events purged")


class AuditEventQuerySet(TenantQuerySet):
    def update(self, **kwargs):  # append-only: no bulk edit either
        raise TypeError("audit events are append-only")

    def delete(self):
        raise TypeError("audit events are append-only")

    def bulk_create(self, objs, *args, **kwargs):
        """Each event is appended to its chain, one after the other (no bulk insert)."""
        objs = list(objs)
        scope = current_scope()
        if (
            not scope.is_unscoped
            and scope.organization_id is not None
            and any(obj.organization_id != scope.organization_id for obj in objs)
        ):
            raise TenantScopeError(
                "audit.AuditEvent: refusing to create rows of another organization"
            )
        from .chain import append

        for obj in objs:
            append(obj)
        return objs


class AuditEvent(TenantOwnedModel):
    """One append-only entry of the access log. Ids and pseudonymous references only.

    Every event is a link of its organization's hash chain (events without an organization form
    the operator chain): ``sequence`` is its position, ``hash`` covers its content and the hash
    of the event before it (grove/audit/hashing.py). Saving a new event appends it through
    grove/audit/chain.py; updates and deletes are refused here and by database triggers.
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
    # The hash chain. Nullable only for rows that predate it (the migration chained them); the
    # verifier reports an event without a position as inserted outside the append path.
    chain_key = models.UUIDField(null=True, blank=True, editable=False)
    sequence = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    prev_hash = models.CharField(max_length=64, null=True, blank=True, editable=False)
    hash = models.CharField(max_length=64, null=True, blank=True, editable=False)

    # A manager class made at import time: the stubs cannot name it, and it replaces the base
    # model's manager on purpose (the same tenant scoping, plus the chain's queryset methods).
    objects = TenantManager.from_queryset(AuditEventQuerySet)()  # type: ignore[django-manager-missing, misc]

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
        # The chain: positions and hashes, purged with the event they belong to.
        "chain_key": (Category.SYSTEM, Retention.CONTRACT_PLUS_90D),
        "sequence": (Category.SYSTEM, Retention.CONTRACT_PLUS_90D),
        "prev_hash": (Category.SYSTEM, Retention.CONTRACT_PLUS_90D),
        "hash": (Category.SYSTEM, Retention.CONTRACT_PLUS_90D),
    }

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["organization", "occurred_at"], name="audit_org_time_idx")]
        constraints = [
            # One event per position; also the index the verifier walks a chain in order by.
            models.UniqueConstraint(
                fields=["chain_key", "sequence"], name="audit_event_unique_chain_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs):
        """Append the event to its chain (record_event() is the usual way in)."""
        if not self._state.adding:
            raise TypeError("audit events are append-only")
        refuse_other_tenant(self, self.organization_id, "save")
        from .chain import append

        append(self)

    def delete(self, *args, **kwargs):
        raise TypeError("audit events are append-only")


class AuditChainHead(models.Model):
    """The last link of each chain, the row appends lock: one writer per chain at a time.

    ``chain_key`` is the organization's id (the nil UUID for the operator chain). The head moves
    forward one link at a time; a trigger refuses any other change except the retention purge's,
    which moves ``base_sequence``/``base_hash`` (where the remaining chain starts) forward.
    Not tenant-owned: only the access-log writer and verifier read it, and it holds no personal
    data, only counts and hashes.
    """

    chain_key = models.UUIDField(primary_key=True)
    last_sequence = models.PositiveBigIntegerField()
    last_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)  # the hash last_hash was linked to
    base_sequence = models.PositiveBigIntegerField(default=0)
    base_hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField()

    DATA_MAP = {
        "chain_key": SYSTEM,
        "last_sequence": SYSTEM,
        "last_hash": SYSTEM,
        "prev_hash": SYSTEM,
        "base_sequence": SYSTEM,
        "base_hash": SYSTEM,
        "updated_at": SYSTEM,
    }

    def __str__(self) -> str:
        return f"chain {self.chain_key} at {self.last_sequence}"


class AuditAnchor(models.Model):
    """A chain head as it was when the daily anchor was written (also mailed and filed).

    A rewrite of a whole chain, hashes included, still disagrees with the anchors written before
    it. Append-only like the events.
    """

    id = models.BigAutoField(primary_key=True)
    chain_key = models.UUIDField(db_index=True)
    sequence = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    DATA_MAP = {
        "id": SYSTEM,
        "chain_key": SYSTEM,
        "sequence": SYSTEM,
        "hash": SYSTEM,
        "created_at": SYSTEM,
    }

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"anchor of {self.chain_key} at {self.sequence}"
