"""The refusals of the contract lifecycle and the legal holds.

``OrganizationReadOnly`` is what every write on an ended organization's client data raises (a
403 with a message that says why); ``RetentionRefused`` is a refusal of who may act (wrong
role, a CSM not serving the organization), already recorded as ACCESS_DENIED in the access log:
``DeniedAccessMiddleware`` records it again if the request's transaction rolled it back.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from grove.staff.authorization import RecordedRefusal

READ_ONLY_MESSAGE = _(
    "This organization's contract has ended: its data can still be read, no longer changed."
)


class OrganizationReadOnly(PermissionDenied):
    """A write on the data of an organization whose contract is no longer active."""

    def __init__(self, message=None) -> None:
        super().__init__(str(message or READ_ONLY_MESSAGE))


class RetentionRefused(RecordedRefusal, PermissionDenied):
    """The actor may not do this (the message is safe to show; the attempt is logged)."""


def refuse(
    *,
    actor,
    organization_id,
    attempted: str,
    refused: str,
    message: str | Promise,
    object_type: str = "",
    object_id=None,
    request=None,
):
    """Record ACCESS_DENIED (ids only, in its own transaction: the refusal outlives the
    action's rollback), then raise RetentionRefused with ``message``."""
    from django.db import transaction

    from grove.audit.events import record_event
    from grove.audit.models import AuditAction

    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    fields = {
        "action": AuditAction.ACCESS_DENIED,
        "actor": actor if authenticated else None,
        "organization": organization_id,
        "object_type": object_type if object_id is not None else "",
        "object_ids": [object_id] if object_id is not None else [],
        "details": {"attempted": attempted, "refused": refused},
    }
    with transaction.atomic():
        event = record_event(request=request, **fields)
    raise RetentionRefused(str(message), event_fields=fields, event_public_id=event.public_id)


class RecordedReadOnly(RecordedRefusal, OrganizationReadOnly):
    """OrganizationReadOnly already recorded as ACCESS_DENIED (``authorize`` raises it for a
    write capability the caller would hold were the contract active)."""
