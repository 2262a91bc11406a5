"""The SCIM bearer token: ``grove_scim_<prefix>_<secret>``.

The prefix finds the row (unscoped: the token is what names the organization), the SHA-256 of
the secret is compared in constant time, as the REST API does with its tokens (same hashing,
grove.api.actions.hash_secret). A revoked token, or one of an organization whose contract is no
longer active, authenticates nothing.
"""

from __future__ import annotations

import datetime
import hmac
import secrets

from django.utils import timezone

from grove.api.actions import TOKEN_PREFIX, hash_secret
from grove.api.auth import LAST_USED_PRECISION
from grove.tenancy.context import tenant_context, unscoped

from ..models import ScimToken

SCIM_MARKER = "scim"
_UNKNOWN_TOKEN_HASH = "0" * 64


def new_token_parts() -> tuple[str, str]:
    """A fresh (prefix, secret): hexadecimal prefix (never holds the "_" separator)."""
    return secrets.token_hex(6), secrets.token_urlsafe(32)


def format_token(prefix: str, secret: str) -> str:
    return f"{TOKEN_PREFIX}_{SCIM_MARKER}_{prefix}_{secret}"


def parse_token(raw: str) -> tuple[str, str] | None:
    parts = (raw or "").strip().split("_", 3)
    if (
        len(parts) != 4
        or parts[0] != TOKEN_PREFIX
        or parts[1] != SCIM_MARKER
        or not parts[2]
        or not parts[3]
        or len(parts[2]) > 16
        or len(parts[3]) > 200
    ):
        return None
    return parts[2], parts[3]


def bearer_token(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def token_from_request(request, *, now: datetime.datetime | None = None) -> ScimToken | None:
    """The usable ScimToken the request carries, or None. Touches ``last_used_at`` at most
    once a minute (inside the token's organization)."""
    parsed = parse_token(bearer_token(request))
    if parsed is None:
        return None
    prefix, secret = parsed
    now = now or timezone.now()
    with unscoped("SCIM authentication: find the token by its public prefix"):
        token = ScimToken.objects.select_related("organization").filter(prefix=prefix).first()
    expected = token.secret_hash if token is not None else _UNKNOWN_TOKEN_HASH
    if not hmac.compare_digest(expected, hash_secret(secret)) or token is None:
        return None
    if token.revoked_at is not None or not token.organization.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        with tenant_context(token.organization_id):
            ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
