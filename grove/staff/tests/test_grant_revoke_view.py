"""Revoking by POST: the requester or an approver; access ends with the next request."""

from django.urls import reverse

from grove.audit.models import AuditAction
from grove.staff.models import AccessGrant
from grove.tenancy.context import unscoped


def _reload(grant):
    with unscoped("test: read the grant back"):
        return AccessGrant.objects.get(pk=grant.pk)


def test_the_requester_ends_their_grant_and_loses_access_at_once(
    staff_client, tech, org_a, make_grant, audit_events
):
    grant = make_grant(tech, org_a)
    client = staff_client(tech)
    org_url = reverse("staff:organization", args=["org-a"])
    assert client.get(org_url).status_code == 200

    response = client.post(reverse("staff:grant_revoke", args=[grant.pk]))

    assert response.status_code == 302
    assert _reload(grant).status == AccessGrant.Status.REVOKED
    assert client.get(org_url).status_code == 404
    [event] = audit_events(AuditAction.GRANT_REVOKED)
    assert event.actor_id == tech.pk
    assert event.grant_id == grant.pk


def test_an_approver_revokes_someone_elses_grant(
    staff_client, security_officer, tech, org_a, make_grant
):
    grant = make_grant(tech, org_a)

    staff_client(security_officer).post(reverse("staff:grant_revoke", args=[grant.pk]))

    assert _reload(grant).status == AccessGrant.Status.REVOKED


def test_another_staff_member_gets_a_logged_404(
    staff_client, csm, tech, org_a, make_grant, audit_events
):
    grant = make_grant(tech, org_a)

    response = staff_client(csm).post(reverse("staff:grant_revoke", args=[grant.pk]))

    assert response.status_code == 404
    assert _reload(grant).status == AccessGrant.Status.APPROVED
    assert len(audit_events(AuditAction.ACCESS_DENIED)) == 1
