"""Looking at the dashboard is logged: the page (VIEW) and the CSV export (EXPORT).

Ids only: the organization whose figures were read, the number of months, the format.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from grove.audit.events import record_event
from grove.audit.models import AuditAction, AuditEvent
from grove.staff.authorization import Access

OBJECT_TYPE = "dashboard"


@transaction.atomic
def dashboard_viewed(*, request: HttpRequest, access: Access, months: int) -> AuditEvent:
    """Record that ``access.user`` looked at the organization's dashboard over ``months``."""
    return record_event(
        action=AuditAction.VIEW,
        actor=access.user,
        organization=access.organization,
        grant=access.grant,
        object_type=OBJECT_TYPE,
        object_ids=[access.organization.pk],
        request=request,
        read=True,
        details={"months": months},
    )


@transaction.atomic
def dashboard_exported(*, request: HttpRequest, access: Access, months: int) -> AuditEvent:
    """Record that ``access.user`` downloaded the dashboard's figures as CSV."""
    return record_event(
        action=AuditAction.EXPORT,
        actor=access.user,
        organization=access.organization,
        grant=access.grant,
        object_type=OBJECT_TYPE,
        object_ids=[access.organization.pk],
        request=request,
        read=True,
        details={"months": months, "format": "csv"},
    )
