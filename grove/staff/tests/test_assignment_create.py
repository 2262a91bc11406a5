"""assignment_create: security managers assign a CSM to an organization."""

import pytest
from django.core.exceptions import ValidationError

from grove.audit.models import AuditAction
from grove.staff.actions import ActionRefused, assignment_create
from grove.staff.authorization import Capability, permits
from grove.staff.models import CsmAssignment
from grove.tenancy.context import unscoped


def _assignments():
    with unscoped("test: read assignments"):
        return list(CsmAssignment.objects.all())


def test_a_security_manager_assigns_and_it_is_recorded(security_manager, csm, org_a, audit_events):
    assignment = assignment_create(actor=security_manager, organization=org_a, csm=csm)

    [stored] = _assignments()
    assert stored.pk == assignment.pk
    assert stored.csm_id == csm.pk
    assert stored.assigned_by_id == security_manager.pk
    assert stored.ended_at is None
    assert permits(user=csm, organization=org_a, capability=Capability.USERS_READ)
    [event] = audit_events(AuditAction.ASSIGNMENT_CREATED)
    assert event.actor_id == security_manager.pk
    assert event.organization_id == org_a.pk
    assert event.subject_user_id == csm.pk
    assert event.object_ids == [str(assignment.pk)]


@pytest.mark.parametrize("who", ["security_officer", "csm", "tech", "bob"])
def test_only_a_security_manager_may_assign(request, who, csm, org_a, audit_events):
    actor = request.getfixturevalue(who)

    with pytest.raises(ActionRefused):
        assignment_create(actor=actor, organization=org_a, csm=csm)

    assert _assignments() == []
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.actor_id == actor.pk
    assert event.details == {
        "attempted": "assignment.create",
        "refused": "not_a_security_manager",
    }


def test_only_a_csm_can_be_assigned(security_manager, tech, org_a):
    with pytest.raises(ValidationError):
        assignment_create(actor=security_manager, organization=org_a, csm=tech)


def test_an_open_assignment_is_not_duplicated(security_manager, csm, org_a, audit_events):
    assignment_create(actor=security_manager, organization=org_a, csm=csm)

    with pytest.raises(ValidationError):
        assignment_create(actor=security_manager, organization=org_a, csm=csm)

    assert len(_assignments()) == 1
    assert len(audit_events(AuditAction.ASSIGNMENT_CREATED)) == 1
