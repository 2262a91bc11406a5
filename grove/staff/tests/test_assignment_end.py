"""assignment_end: security managers end an assignment; the CSM's access stops."""

import pytest
from django.core.exceptions import ValidationError

from grove.audit.models import AuditAction
from grove.staff.actions import ActionRefused, assignment_end
from grove.staff.authorization import Capability, permits
from grove.staff.models import CsmAssignment
from grove.tenancy.context import unscoped


def _reload(assignment):
    with unscoped("test: read the assignment back"):
        return CsmAssignment.objects.get(pk=assignment.pk)


def test_ending_an_assignment_ends_the_csms_access(
    security_manager, csm, org_a, assign, audit_events
):
    assignment = assign(csm, org_a)

    assignment_end(actor=security_manager, assignment=assignment)

    assert _reload(assignment).ended_at is not None
    assert not permits(user=csm, organization=org_a, capability=Capability.USERS_READ)
    [event] = audit_events(AuditAction.ASSIGNMENT_ENDED)
    assert event.actor_id == security_manager.pk
    assert event.organization_id == org_a.pk
    assert event.subject_user_id == csm.pk
    assert event.object_ids == [str(assignment.pk)]


def test_a_csm_cannot_end_an_assignment(csm, org_a, assign, audit_events):
    assignment = assign(csm, org_a)

    with pytest.raises(ActionRefused):
        assignment_end(actor=csm, assignment=assignment)

    assert _reload(assignment).ended_at is None
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.object_type == "csm_assignment"
    assert event.object_ids == [str(assignment.pk)]


def test_an_ended_assignment_cannot_end_again(security_manager, csm, org_a, assign):
    assignment = assign(csm, org_a, ended=True)

    with pytest.raises(ValidationError):
        assignment_end(actor=security_manager, assignment=assignment)
