"""Data-subject requests (GDPR Art. 15-21) and what fulfilling them leaves behind.

A request belongs to the organization of the person it is about. Its steps are recorded in the
access log (ids only) and, for the request page's timeline, as ``RequestStep`` rows. Values a
rectification changes (before and after) live in the request, never in the hash-chained log.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grove.privacy.datamap import SYSTEM, Category, Retention
from grove.tenancy.models import Organization, TenantOwnedModel


class RequestType(models.TextChoices):
    ACCESS = "access", _("Access to my data")
    RECTIFICATION = "rectification", _("Rectification")
    ERASURE = "erasure", _("Erasure")
    PORTABILITY = "portability", _("Portability (machine-readable export)")
    # Recorded and handled by hand (no automatic fulfilment).
    OBJECTION = "objection", _("Objection to processing")
    RESTRICTION = "restriction", _("Restriction of processing")


class RequestState(models.TextChoices):
    RECEIVED = "received", _("Received")
    IDENTITY_VERIFIED = "identity_verified", _("Identity verified")
    IN_PROGRESS = "in_progress", _("In progress")
    # Erasures and every refusal wait here for the security officer (never the CSM alone).
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting the security officer")
    APPROVED = "approved", _("Approved by the security officer")
    FULFILLED = "fulfilled", _("Fulfilled")
    REFUSED = "refused", _("Refused")
    MERGED = "merged", _("Merged into another request")


OPEN_STATES = frozenset(
    {
        RequestState.RECEIVED,
        RequestState.IDENTITY_VERIFIED,
        RequestState.IN_PROGRESS,
        RequestState.AWAITING_APPROVAL,
        RequestState.APPROVED,
    }
)


class Channel(models.TextChoices):
    PROFILE = "profile", _("From the person's profile (logged in)")
    WEB_FORM = "web_form", _("Public form (identity checked by a mailed code)")
    MAIL = "mail", _("Mail")
    PHONE = "phone", _("Phone")
    CLIENT = "client", _("Through the client")
    OTHER = "other", _("Other")


class RefusalGround(models.TextChoices):
    """Lawful grounds to refuse, stated to the person (GDPR Art. 12(4), 12(5), 17(3))."""

    LEGAL_HOLD = "legal_hold", _("Data under a legal hold")
    LEGAL_CLAIMS = "legal_claims", _("Needed to establish, exercise or defend legal claims")
    LEGAL_OBLIGATION = "legal_obligation", _("Kept to comply with a legal obligation")
    INVESTIGATION = "investigation", _("Ongoing security investigation")
    IDENTITY_NOT_VERIFIED = "identity_not_verified", _("Identity could not be verified")
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded", _("Manifestly unfounded or excessive")
    OTHER = "other", _("Other lawful reason (stated)")


class DataSubjectRequest(TenantOwnedModel):
    """One request of one person about their own data, from receipt to its outcome."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=True
    )
    # The person the request is about. Kept after an erasure: the user row is anonymised.
    subject = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="data_subject_requests"
    )
    request_type = models.CharField(max_length=20, choices=RequestType.choices)
    state = models.CharField(
        max_length=20, choices=RequestState.choices, default=RequestState.RECEIVED
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # Who recorded it: the person (profile, form) or a CSM (mail, phone, client).
    filed_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)
    # One month from receipt; an extension moves it (reason and notice recorded).
    due_at = models.DateTimeField()
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_reason = models.TextField(blank=True, default="")
    extension_notified_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    identity_verified_at = models.DateTimeField(null=True, blank=True)
    # Null with identity_verified_at set: verified by the mailed code (or the logged-in session).
    identity_verified_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The identity check of a request filed outside a logged-in session: a 6-digit code.
    verification_code_hash = models.CharField(max_length=64, blank=True, default="")
    verification_expires_at = models.DateTimeField(null=True, blank=True)
    verification_attempts = models.PositiveSmallIntegerField(default=0)
    # The CSM handling it.
    handler = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The security officer's decision (erasures, refusals).
    approval_asked_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # A proposed refusal waiting for the officer, or the refusal made.
    refusal_ground = models.CharField(
        max_length=30, choices=RefusalGround.choices, blank=True, default=""
    )
    refusal_details = models.TextField(blank=True, default="")
    # Rectification: {"field": {"before": ..., "after": ...}} for names, country, job type.
    rectification = models.JSONField(default=dict, blank=True)
    # Erasure: who takes over when the person is the organization's last manager.
    successor_manager = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged"
    )

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "subject": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "request_type": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "state": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "channel": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "filed_by": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "received_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "due_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "extended_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "extension_reason": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "extension_notified_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "reminded_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "identity_verified_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "identity_verified_by": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "verification_code_hash": (Category.CREDENTIAL, Retention.CONTRACT_PLUS_90D),
        "verification_expires_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "verification_attempts": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "handler": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "approval_asked_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "decided_by": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "decided_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "refusal_ground": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "refusal_details": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        # Before/after names, country, job type: cleared when the person is erased.
        "rectification": (Category.NAME, Retention.UNTIL_ERASED),
        "successor_manager": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "closed_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "merged_into": SYSTEM,
    }

    class Meta:
        ordering = ["due_at"]
        indexes = [
            models.Index(fields=["organization", "state", "due_at"], name="dsr_org_state_due"),
            models.Index(fields=["subject", "request_type"], name="dsr_subject_type"),
        ]

    def __str__(self) -> str:
        return f"data-subject request {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def is_overdue_at(self, now) -> bool:
        return self.is_open and self.due_at <= now

    @property
    def is_overdue(self) -> bool:
        return self.is_overdue_at(timezone.now())


class RequestStep(TenantOwnedModel):
    """One step of a request, for its page's timeline (the access log holds the same, by id)."""

    id = models.BigAutoField(primary_key=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=True
    )
    request = models.ForeignKey(DataSubjectRequest, on_delete=models.CASCADE, related_name="steps")
    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=60)  # an AuditAction value
    state = models.CharField(max_length=20, choices=RequestState.choices)  # the state after it
    # A short note shown on the timeline (a reason, a channel); never a person's data.
    note = models.TextField(blank=True, default="")

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "request": SYSTEM,
        "occurred_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "actor": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "action": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "state": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "note": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
    }

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"request step {self.pk}"


def export_file_path(instance: PersonalDataExport, filename: str) -> str:
    # Never a person's name or email in a path.
    return f"exports/{instance.organization_id}/{uuid.uuid4().hex}.zip"


class PersonalDataExport(TenantOwnedModel):
    """A ZIP of everything about one person, behind a single-use link that expires."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=True
    )
    subject = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    # The access or portability request it answers (null: an operator's `dsr export`).
    request = models.ForeignKey(
        DataSubjectRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    file = models.FileField(upload_to=export_file_path, max_length=200, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True, default="")
    # Only the SHA-256 of the link's token; the token lives in the mail alone.
    token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    expires_at = models.DateTimeField()
    downloaded_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "subject": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "request": SYSTEM,
        "created_by": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "created_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "file": (Category.PERSON_REFERENCE, Retention.UNTIL_ERASED),
        "size_bytes": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "sha256": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "token_hash": (Category.CREDENTIAL, Retention.UNTIL_ERASED),
        "expires_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "downloaded_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "deleted_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
    }

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"personal data export {self.pk}"


class ErasureRecord(TenantOwnedModel):
    """The ledger of fulfilled erasures: a keyed hash of the email, nothing readable.

    It survives the erasure, so ``manage.py dsr replay_erasures`` can erase the person again
    after a restore from a backup taken before the erasure.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=True
    )
    # HMAC-SHA256 of the lower-cased email with GROVE_ERASURE_LEDGER_KEY.
    email_hash = models.CharField(max_length=64, db_index=True)
    # The erased user's id (the row stays, anonymised; a restore brings the old row back).
    user_id = models.UUIDField(db_index=True)
    request = models.ForeignKey(
        DataSubjectRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    erased_at = models.DateTimeField(default=timezone.now)
    # Row counts per model label, for the record (no ids, no values).
    counts = models.JSONField(default=dict, blank=True)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "email_hash": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "user_id": (Category.PERSON_REFERENCE, Retention.CONTRACT_PLUS_90D),
        "request": SYSTEM,
        "erased_at": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
        "counts": (Category.FUNCTIONAL_LOG, Retention.CONTRACT_PLUS_90D),
    }

    class Meta:
        ordering = ["erased_at"]

    def __str__(self) -> str:
        return f"erasure record {self.pk}"
