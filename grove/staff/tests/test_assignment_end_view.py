"""Ending an assignment by POST."""

from django.urls import reverse

from grove.audit.models import AuditAction
from grove.staff.models import CsmAssignment
from grove.tenancy.context import unscoped


def _reload(assignment):
    with unscoped("test: read the assignment back"):
        return CsmAssignment.objects.get(pk=assignment.pk)


def test_a_security_manager_ends_it_and_the_csm_loses_access(
    staff_client, security_manager, csm, org_a, assign, audit_events
):
    assignment = assign(csm, org_a)

    response = staff_client(security_manager).post(
        reverse("staff:assignment_end", args=[assignment.pk])
    )

    assert response.status_code == 302
    assert _reload(assignment).ended_at is not None
    assert len(audit_events(AuditAction.ASSIGNMENT_ENDED)) == 1
    assert staff_client(csm).get(reverse("staff:organization", args=["org-a"])).status_code == 404


def test_the_csm_cannot_end_it(staff_client, csm, org_a, assign, audit_events):
    assignment = assign(csm, org_a)

    response = staff_client(csm).post(reverse("staff:assignment_end", args=[assignment.pk]))

    assert response.status_code == 404
    assert _reload(assignment).ended_at is None
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.object_ids == [str(assignment.pk)]
