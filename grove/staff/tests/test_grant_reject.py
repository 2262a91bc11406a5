"""grant_reject: the same deciders as approval; a rejected request grants nothing."""

import pytest
from django.core import mail
from django.http import Http404

from grove.audit.models import AuditAction
from grove.staff.actions import ActionRefused, grant_reject, grant_request
from grove.staff.authorization import Capability, authorize
from grove.staff.models import AccessGrant
from grove.tenancy.context import unscoped


def _reload(grant):
    with unscoped("test: read the grant back"):
        return AccessGrant.objects.get(pk=grant.pk)


def test_an_approver_rejects_and_it_is_recorded(
    tech, org_a, security_manager, audit_events, django_capture_on_commit_callbacks
):
    grant = grant_request(actor=tech, organization=org_a, reason="Bug", ticket_ref="INC-3")

    with django_capture_on_commit_callbacks(execute=True):
        grant_reject(actor=security_manager, grant=grant)

    stored = _reload(grant)
    assert stored.status == AccessGrant.Status.REJECTED
    assert stored.decided_by_id == security_manager.pk
    assert stored.expires_at is None
    [event] = audit_events(AuditAction.GRANT_REJECTED)
    assert event.actor_id == security_manager.pk
    assert event.grant_id == grant.pk
    assert mail.outbox == []
    with pytest.raises(Http404):
        authorize(user=tech, organization=org_a, capability=Capability.CONTENT_READ)


def test_the_requester_cannot_reject_their_own_request(security_officer, org_a, audit_events):
    grant = grant_request(
        actor=security_officer, organization=org_a, reason="Bug", ticket_ref="INC-3"
    )

    with pytest.raises(ActionRefused):
        grant_reject(actor=security_officer, grant=grant)

    assert _reload(grant).status == AccessGrant.Status.REQUESTED
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.details == {"attempted": "grant.reject", "refused": "own_request"}
