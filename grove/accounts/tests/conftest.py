"""Accounts test set-up: a reader for the access log."""

import pytest

from grove.audit.models import AuditEvent
from grove.tenancy.context import unscoped


@pytest.fixture
def audit_events(db):
    """Read the access log: ``audit_events("auth.login")`` lists that action's events."""

    def read(action: str | None = None) -> list[AuditEvent]:
        with unscoped("test: read the access log"):
            events = AuditEvent.objects.all()
            if action is not None:
                events = events.filter(action=action)
            return list(events)

    return read
