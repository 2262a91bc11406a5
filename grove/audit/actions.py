"""Reading the access log is itself logged: the page (LIST) and the exports (EXPORT).

Ids only: the events shown, the filters (dates, an actor id or "staff", an action name), the
format and the newest event an export holds.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from grove.staff.authorization import Access

from .events import record_event
from .models import AuditAction, AuditEvent
from .queries import AccessLogFilters


@transaction.atomic
def access_log_listed(
    *, request: HttpRequest, access: Access, events: list[AuditEvent], filters: AccessLogFilters
) -> AuditEvent:
    """Record one LIST event naming every event a page of the access log showed."""
    return record_event(
        action=AuditAction.LIST,
        actor=access.user,
        organization=access.organization,
        grant=access.grant,
        object_type="audit_event",
        object_ids=[event.public_id for event in events],
        request=request,
        details={"filters": filters.as_details()} if filters.as_details() else {},
    )


@transaction.atomic
def access_log_exported(
    *,
    request: HttpRequest,
    access: Access,
    export_format: str,
    filters: AccessLogFilters,
    up_to_event: AuditEvent | None,
) -> AuditEvent:
    """Record one EXPORT event: the format, the filters and the newest event exported (the
    export holds every matching event up to it, so its content can be told again later)."""
    details: dict[str, object] = {"format": export_format}
    if filters.as_details():
        details["filters"] = filters.as_details()
    return record_event(
        action=AuditAction.EXPORT,
        actor=access.user,
        organization=access.organization,
        grant=access.grant,
        object_type="audit_event",
        object_ids=[up_to_event.public_id] if up_to_event else [],
        request=request,
        details=details,
    )
