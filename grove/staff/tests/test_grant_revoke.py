"""grant_revoke: an approver, or the requester ending it early; access stops at once."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from grove.audit.models import AuditAction
from grove.core.testing.factories import StaffUserFactory
from grove.staff.actions import ActionRefused, grant_revoke
from grove.staff.authorization import Capability, authorize
from grove.staff.models import AccessGrant
from grove.tenancy.context import unscoped


def _reload(grant):
    with unscoped("test: read the grant back"):
        return AccessGrant.objects.get(pk=grant.pk)


@pytest.mark.parametrize("revoker", ["security_officer", "security_manager", "tech"])
def test_revoking_ends_access_at_once(request, revoker, tech, org_a, make_grant, audit_events):
    grant = make_grant(tech, org_a)
    actor = request.getfixturevalue(revoker)
    authorize(user=tech, organization=org_a, capability=Capability.USERS_READ)

    grant_revoke(actor=actor, grant=grant)

    stored = _reload(grant)
    assert stored.status == AccessGrant.Status.REVOKED
    assert stored.revoked_by_id == actor.pk
    assert stored.revoked_at is not None
    with pytest.raises(Http404):
        authorize(user=tech, organization=org_a, capability=Capability.USERS_READ)
    [event] = audit_events(AuditAction.GRANT_REVOKED)
    assert event.actor_id == actor.pk
    assert event.grant_id == grant.pk
    assert event.organization_id == org_a.pk


def test_the_requester_can_withdraw_a_pending_request(tech, org_a, make_grant):
    grant = make_grant(tech, org_a, status=AccessGrant.Status.REQUESTED)

    grant_revoke(actor=tech, grant=grant)

    assert _reload(grant).status == AccessGrant.Status.REVOKED


def test_another_staff_member_cannot_revoke(tech, csm, org_a, make_grant, audit_events):
    grant = make_grant(tech, org_a)

    with pytest.raises(ActionRefused):
        grant_revoke(actor=csm, grant=grant)

    assert _reload(grant).status == AccessGrant.Status.APPROVED
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.actor_id == csm.pk
    assert event.details == {"attempted": "grant.revoke", "refused": "not_allowed"}


def test_an_ended_grant_cannot_be_revoked(org_a, make_grant, security_officer):
    import datetime

    from django.utils import timezone

    requester = StaffUserFactory(staff_role="technical")
    grant = make_grant(
        requester, org_a, started=timezone.now() - datetime.timedelta(hours=5), minutes=60
    )

    with pytest.raises(ValidationError):
        grant_revoke(actor=security_officer, grant=grant)
