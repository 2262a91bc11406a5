"""Every write on API tokens: create (the secret is returned once) and revoke.

Keyword-only, atomic, called inside the actor's tenant scope; each records its audit event
(ids only) in the same transaction.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.staff.authorization import Capability, permits

from .models import ApiToken

TOKEN_PREFIX = "grove"  # noqa: S105 -- the marker every token starts with, not a secret
NAME_MAX_LENGTH = 100


@dataclass(frozen=True)
class CreatedToken:
    token: ApiToken
    secret: str  # the whole ``grove_<prefix>_<secret>``: shown once, never stored


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def may_manage_tokens(user) -> bool:
    """Managers see and revoke every token of their organization."""
    return user.organization is not None and permits(
        user=user, organization=user.organization, capability=Capability.USERS_MANAGE
    )


@transaction.atomic
def api_token_create(
    *, actor, name: str, expires_at: datetime.datetime | None = None, request=None
) -> CreatedToken:
    """Give the actor a new token acting as them (with their role). Returns the secret once."""
    organization = actor.organization
    if organization is None or not permits(
        user=actor, organization=organization, capability=Capability.CONTENT_WRITE
    ):
        raise PermissionDenied(_("You cannot create API tokens."))
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Give the token a name.")]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [_("At most %(n)d characters.") % {"n": NAME_MAX_LENGTH}]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = [_("The expiry must be in the future.")]
    if errors:
        raise ValidationError(errors)

    prefix = secrets.token_hex(6)  # hexadecimal: never holds the "_" separator
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        organization=organization,
        user=actor,
        name=name,
        prefix=prefix,
        secret_hash=hash_secret(secret),
        expires_at=expires_at,
    )
    token.save(force_insert=True)
    record_event(
        action=AuditAction.CREATE,
        actor=actor,
        organization=organization,
        object_type="api_token",
        object_ids=[token.pk],
        request=request,
    )
    return CreatedToken(token=token, secret=f"{TOKEN_PREFIX}_{prefix}_{secret}")


@transaction.atomic
def api_token_revoke(*, actor, token: ApiToken, request=None) -> ApiToken:
    """Revoke the actor's own token, or (managers) any token of their organization.

    Idempotent: revoking a revoked token changes nothing and records nothing."""
    if token.organization_id != actor.organization_id:
        raise PermissionDenied(_("You cannot revoke this token."))
    if token.user_id != actor.pk and not may_manage_tokens(actor):
        raise PermissionDenied(_("You cannot revoke this token."))
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(
        action=AuditAction.DELETE,
        actor=actor,
        organization=token.organization_id,
        object_type="api_token",
        object_ids=[token.pk],
        subject_user=token.user_id,
        request=request,
    )
    return token
