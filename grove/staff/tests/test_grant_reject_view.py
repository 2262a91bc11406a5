"""Rejecting by POST."""

from django.urls import reverse

from grove.audit.models import AuditAction
from grove.staff.models import AccessGrant
from grove.tenancy.context import unscoped


def _reload(grant):
    with unscoped("test: read the grant back"):
        return AccessGrant.objects.get(pk=grant.pk)


def test_an_approver_rejects(staff_client, security_officer, tech, org_a, make_grant, audit_events):
    grant = make_grant(tech, org_a, status=AccessGrant.Status.REQUESTED)

    response = staff_client(security_officer).post(reverse("staff:grant_reject", args=[grant.pk]))

    assert response.status_code == 302
    assert _reload(grant).status == AccessGrant.Status.REJECTED
    [event] = audit_events(AuditAction.GRANT_REJECTED)
    assert event.grant_id == grant.pk


def test_the_requester_cannot_reject_their_own(
    staff_client, security_manager, org_a, make_grant, audit_events
):
    own = make_grant(security_manager, org_a, status=AccessGrant.Status.REQUESTED)

    response = staff_client(security_manager).post(reverse("staff:grant_reject", args=[own.pk]))

    assert response.status_code == 403
    assert _reload(own).status == AccessGrant.Status.REQUESTED
    assert len(audit_events(AuditAction.ACCESS_DENIED)) == 1


def test_a_decided_request_shows_a_message_not_an_error(
    staff_client, security_officer, tech, org_a, make_grant
):
    grant = make_grant(tech, org_a, status=AccessGrant.Status.APPROVED)
    client = staff_client(security_officer)

    response = client.post(reverse("staff:grant_reject", args=[grant.pk]), follow=True)

    assert response.status_code == 200
    assert "already been decided" in response.content.decode()
    assert _reload(grant).status == AccessGrant.Status.APPROVED
