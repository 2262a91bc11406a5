"""Bearer tokens for integrations: each acts as the member who made it, with that member's role.

The secret is shown once, at creation; only its SHA-256 hash is kept. The token reads
``grove_<prefix>_<secret>``: the prefix finds the row (and is shown in lists to tell tokens
apart), the hash of the secret is compared in constant time.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from grove.privacy.datamap import SYSTEM, Category, Retention
from grove.tenancy.models import Organization, TenantOwnedModel


class ApiToken(TenantOwnedModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="api_tokens", db_index=True
    )
    # The token acts as this member; their erasure takes their tokens with them.
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)  # SHA-256 hex of the secret part
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "user": (Category.PERSON_REFERENCE, Retention.UNTIL_ERASED),
        "name": (Category.ACCOUNT_SETTING, Retention.UNTIL_ERASED),
        "prefix": SYSTEM,
        "secret_hash": (Category.CREDENTIAL, Retention.UNTIL_ERASED),
        "created_at": SYSTEM,
        "last_used_at": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
        "expires_at": SYSTEM,
        "revoked_at": SYSTEM,
    }

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "user"], name="apitoken_by_user")]

    def __str__(self) -> str:
        return f"api token {self.prefix}"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
