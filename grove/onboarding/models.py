"""Onboarding: imports of a client's user list, and the SCIM tokens of identity providers.

An import keeps counts and per-line issues (codes, never values); the list itself is kept,
reduced to the five allowed columns, only until the import is done or discarded.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from grove.privacy.datamap import SYSTEM, Category, Retention
from grove.tenancy.models import Organization, TenantOwnedModel


def import_file_path(instance: UserImport, filename: str) -> str:
    # Never the uploaded name (it can hold a person's name).
    return f"imports/{instance.organization_id}/{uuid.uuid4().hex}.csv"


class ImportStatus(models.TextChoices):
    PREVIEWED = "previewed", "Preview ready"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    REJECTED = "rejected", "Rejected: nothing imported"
    FAILED = "failed", "Failed"
    DISCARDED = "discarded", "Discarded"


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", "All or nothing"
    VALID_ONLY = "valid_only", "Valid rows only"


class UserImport(TenantOwnedModel):
    """One upload of a user list: previewed, then committed (as a task) or discarded."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="user_imports", db_index=True
    )
    # A manager, a CSM (staff), or nobody for the operators' command line.
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=10)  # "web" or "cli"
    file_sha256 = models.CharField(max_length=64)
    file_format = models.CharField(max_length=10)  # "csv" or "xlsx"
    # The list reduced to the allowed columns (normalised CSV), deleted once imported.
    normalised_file = models.FileField(upload_to=import_file_path, max_length=200, blank=True)
    dropped_columns = models.JSONField(default=list)  # header names only, never values
    mode = models.CharField(
        max_length=20, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING
    )
    full_sync = models.BooleanField(default=False)
    create_missing_job_types = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEWED
    )
    total_rows = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    deactivated_count = models.PositiveIntegerField(default=0)
    failure_code = models.CharField(max_length=50, blank=True)  # a code, never a value
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "created_by": (Category.PERSON_REFERENCE, Retention.CONTRACT),
        "source": SYSTEM,
        "file_sha256": SYSTEM,
        "file_format": SYSTEM,
        # Emails, names, countries and job types of the list, until the import is done.
        "normalised_file": (Category.BUSINESS_EMAIL, Retention.UNTIL_ERASED),
        "dropped_columns": SYSTEM,
        "mode": SYSTEM,
        "full_sync": SYSTEM,
        "create_missing_job_types": SYSTEM,
        "status": SYSTEM,
        "total_rows": SYSTEM,
        "rows_done": SYSTEM,
        "created_count": SYSTEM,
        "updated_count": SYSTEM,
        "unchanged_count": SYSTEM,
        "error_count": SYSTEM,
        "deactivated_count": SYSTEM,
        "failure_code": SYSTEM,
        "created_at": SYSTEM,
        "started_at": SYSTEM,
        "finished_at": SYSTEM,
    }

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"user import {self.pk}"


class ImportIssue(TenantOwnedModel):
    """A refused line of an import: its number, the column and a code (never the value)."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="+", db_index=True
    )
    user_import = models.ForeignKey(UserImport, on_delete=models.CASCADE, related_name="issues")
    line = models.PositiveIntegerField()
    field = models.CharField(max_length=30, blank=True)
    code = models.CharField(max_length=50)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "user_import": SYSTEM,
        "line": SYSTEM,
        "field": SYSTEM,
        "code": SYSTEM,
    }

    class Meta:
        ordering = ["line"]
        indexes = [models.Index(fields=["user_import", "line"], name="importissue_by_line")]


class ScimToken(TenantOwnedModel):
    """The bearer token an identity provider (Okta, Entra ID) uses for one organization's
    SCIM service. Only the SHA-256 of its secret is kept; shown once at creation."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="scim_tokens", db_index=True
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "name": (Category.CONTENT, Retention.CONTRACT),
        "prefix": SYSTEM,
        "secret_hash": (Category.CREDENTIAL, Retention.CONTRACT),
        "created_by": (Category.PERSON_REFERENCE, Retention.CONTRACT),
        "created_at": SYSTEM,
        "last_used_at": SYSTEM,
        "revoked_at": SYSTEM,
    }

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"scim token {self.prefix}"
