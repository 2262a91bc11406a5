"""Reads of API tokens, scoped to the member asking (managers: their organization's)."""

from __future__ import annotations

import uuid

from django.http import Http404

from grove.audit.events import record_event
from grove.audit.models import AuditAction

from .actions import may_manage_tokens
from .models import ApiToken


def _as_uuid(value) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _visible_tokens(member):
    tokens = ApiToken.objects.select_related("user")
    if may_manage_tokens(member):
        return tokens
    return tokens.filter(user_id=member.pk)


def tokens_for(member, *, request=None) -> list[ApiToken]:
    """The member's own tokens, newest first; a manager's list holds every member's tokens.
    Records a LIST of the ids shown."""
    tokens = list(_visible_tokens(member).order_by("-created_at"))
    record_event(
        action=AuditAction.LIST,
        actor=member,
        organization=member.organization_id,
        object_type="api_token",
        object_ids=[t.pk for t in tokens],
        request=request,
        read=True,
    )
    return tokens


def token_for_member(member, token_id) -> ApiToken:
    """One token the member may revoke: theirs, or (managers) their organization's. 404 else."""
    token_uuid = _as_uuid(token_id)
    token = _visible_tokens(member).filter(pk=token_uuid).first() if token_uuid else None
    if token is None:
        raise Http404("Not found.")
    return token
