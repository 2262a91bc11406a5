"""The one function that appends to the access log."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import ipaddress
import uuid
from collections.abc import Iterable

from django.conf import settings

from grove.core.request_context import current_request_id

from .chain import append
from .models import AuditEvent


def pseudonymous_ref(value: str) -> str:
    """A keyed hash of an identifier (e.g. an email typed at login): linkable, not readable."""
    key = settings.AUDIT_HASH_KEY.encode()
    return hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()


def truncate_ip(ip: str | None) -> str:
    """Keep the network, drop the host: /24 for IPv4, /48 for IPv6."""
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def client_ip(request) -> str | None:
    # Behind the production proxy REMOTE_ADDR is the proxy; it sets X-Forwarded-For.
    if request is None:
        return None
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and getattr(settings, "USE_X_FORWARDED_FOR", False):
        return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


def record_event(
    *,
    action: str,
    actor=None,
    organization=None,
    object_type: str = "",
    object_ids: Iterable[object] = (),
    subject_user=None,
    subject_ref: str = "",
    request=None,
    details: dict | None = None,
    grant=None,
    read: bool = False,
    occurred_at: datetime.datetime | None = None,
) -> AuditEvent:
    """Append one event to its organization's hash chain. Pass instances or ids, never names.

    ``read=True`` for the event of a read (view, list, search, export, download) in a
    transaction that writes nothing else: on PostgreSQL it commits with ``synchronous_commit =
    local`` (durable on the primary, not waiting for a standby; docs/operations.md).
    ``occurred_at`` defaults to now (the demo seed backdates its history).
    """
    actor_id = getattr(actor, "pk", actor)
    actor_role = getattr(actor, "role_label", "")
    organization_id = getattr(organization, "pk", organization)
    subject_user_id = getattr(subject_user, "pk", subject_user)
    event = AuditEvent(
        organization_id=organization_id,
        actor_id=_as_uuid(actor_id),
        actor_role=actor_role or "",
        grant_id=_as_uuid(getattr(grant, "pk", grant)),
        action=str(action),
        object_type=object_type,
        object_ids=[str(getattr(o, "pk", o)) for o in object_ids],
        subject_user_id=_as_uuid(subject_user_id),
        subject_ref=subject_ref,
        request_id=current_request_id() or "",
        ip_prefix=truncate_ip(client_ip(request)),
        details=details or {},
    )
    if occurred_at is not None:
        event.occurred_at = occurred_at
    # The writer appends for any organization, whatever tenant the caller runs as.
    return append(event, read=read)


def _as_uuid(value) -> uuid.UUID | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
