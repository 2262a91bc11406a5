"""The assignments page: security managers only."""

import pytest
from django.urls import reverse

from grove.audit.models import AuditAction
from grove.staff.models import CsmAssignment
from grove.tenancy.context import unscoped

URL = reverse("staff:assignments")


def _open():
    with unscoped("test: read assignments"):
        return list(CsmAssignment.objects.filter(ended_at__isnull=True))


def test_it_requires_login(client, db):
    assert client.get(URL).status_code == 302


@pytest.mark.parametrize("who", ["csm", "tech", "security_officer"])
def test_other_staff_get_a_logged_404(staff_client, request, who, org_a, csm, audit_events):
    user = request.getfixturevalue(who)
    client = staff_client(user)

    assert client.get(URL).status_code == 404
    assert client.post(URL, {"csm": str(csm.pk), "organization": str(org_a.pk)}).status_code == 404
    assert _open() == []
    assert len(audit_events(AuditAction.ACCESS_DENIED)) == 2


def test_a_security_manager_assigns_a_csm(staff_client, security_manager, csm, org_a, audit_events):
    client = staff_client(security_manager)
    page = client.get(URL).content.decode()
    assert "Organization A" in page

    response = client.post(URL, {"csm": str(csm.pk), "organization": str(org_a.pk)})

    assert response.status_code == 302
    [assignment] = _open()
    assert (assignment.csm_id, assignment.organization_id) == (csm.pk, org_a.pk)
    [event] = audit_events(AuditAction.ASSIGNMENT_CREATED)
    assert event.actor_id == security_manager.pk
    assert "Organization A" in client.get(URL).content.decode()


def test_a_duplicate_assignment_shows_an_error(staff_client, security_manager, csm, org_a, assign):
    assign(csm, org_a)

    response = staff_client(security_manager).post(
        URL, {"csm": str(csm.pk), "organization": str(org_a.pk)}
    )

    assert response.status_code == 200
    assert "already serves" in response.content.decode()
    assert len(_open()) == 1
