"""Registry test set-up: the access-log reader, registry rows and CSM assignments as set-up data."""

import datetime

import pytest
from django.utils import timezone

from grove.audit.models import AuditEvent
from grove.staff.models import CsmAssignment
from grove.subprocessors.models import (
    Subprocessor,
    SubprocessorStatus,
    SubprocessorVersion,
)
from grove.subprocessors.registry import snapshot_of
from grove.tenancy.context import unscoped


@pytest.fixture
def audit_events(db):
    """``audit_events("subprocessor.refused")`` lists that action's events, oldest first."""

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

    def make(csm, organization) -> CsmAssignment:
        with unscoped("test set-up"):
            return CsmAssignment.objects.create(organization=organization, csm=csm)

    return make


@pytest.fixture
def make_subprocessor(db):
    """``make_subprocessor("acme-cloud", status="retired")``: a registry row with version 1."""

    def make(slug: str = "vendor", *, status: str = SubprocessorStatus.ACTIVE, **fields):
        values = {
            "name": slug.replace("-", " ").title(),
            "service": "Hosting",
            "purpose": "Runs the service",
            "data_categories": ["contact.business_email"],
            "data_subjects": "Client users",
            "locations": [{"name": "France", "region": "Paris"}],
            "transfer_safeguards": "EU only",
            "dpa_reference": "Vendor DPA v1",
            "security_contact": "security@vendor.example",
            **fields,
        }
        today = timezone.localdate()
        subprocessor = Subprocessor.objects.create(
            slug=slug,
            status=status,
            effective_from=today - datetime.timedelta(days=400),
            effective_until=today - datetime.timedelta(days=10)
            if status == SubprocessorStatus.RETIRED
            else None,
            version=1,
            **values,
        )
        SubprocessorVersion.objects.create(
            subprocessor=subprocessor, number=1, snapshot=snapshot_of(subprocessor)
        )
        return subprocessor

    return make
