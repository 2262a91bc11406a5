"""Staff test set-up: the access-log reader, assignments and grants built as set-up data."""

import datetime

import pytest
from django.utils import timezone

from grove.audit.models import AuditEvent
from grove.staff.models import AccessGrant, CsmAssignment
from grove.tenancy.context import unscoped


@pytest.fixture
def audit_events(db):
    """Read the access log: ``audit_events("access.denied")`` lists that action's events."""

    def read(action: str | None = None) -> list[AuditEvent]:
        with unscoped("test: read the access log"):
            events = AuditEvent.objects.all()
            if action is not None:
                events = events.filter(action=action)
            return list(events.order_by("id"))

    return read


@pytest.fixture
def assign(db):
    """``assign(csm, org)`` opens a CSM assignment (set-up data, not the action under test)."""

    def make(csm, organization, *, ended: bool = False) -> CsmAssignment:
        with unscoped("test set-up"):
            return CsmAssignment.objects.create(
                organization=organization,
                csm=csm,
                ended_at=timezone.now() if ended else None,
            )

    return make


@pytest.fixture
def make_grant(db):
    """``make_grant(staff, org)`` builds a grant row in a given state (set-up data)."""

    def make(
        requester,
        organization,
        *,
        status: str = AccessGrant.Status.APPROVED,
        minutes: int = 120,
        decided_by=None,
        started: datetime.datetime | None = None,
        revoked: bool = False,
    ) -> AccessGrant:
        start = started or timezone.now()
        approved = status in (AccessGrant.Status.APPROVED, AccessGrant.Status.REVOKED)
        grant = AccessGrant(
            organization=organization,
            requester=requester,
            reason="Incident: search results empty for some members",
            ticket_ref="INC-4242",
            duration_minutes=minutes,
            status=status,
            requested_at=start,
            decided_by=decided_by,
            decided_at=start if approved or status == AccessGrant.Status.REJECTED else None,
            expires_at=start + datetime.timedelta(minutes=minutes) if approved else None,
            revoked_at=start if revoked or status == AccessGrant.Status.REVOKED else None,
        )
        with unscoped("test set-up"):
            grant.save()
        return grant

    return make
