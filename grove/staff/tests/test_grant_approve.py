"""grant_approve: a security officer or manager, never the requester; the client's managers
get a mail."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from grove.accounts.models import OrgRole
from grove.accounts.tests.helpers import assert_nowhere_in
from grove.audit.models import AuditAction
from grove.core.testing.factories import StaffUserFactory, UserFactory
from grove.staff.actions import ActionRefused, grant_approve, grant_request
from grove.staff.authorization import Capability, authorize
from grove.staff.models import AccessGrant
from grove.tenancy.context import unscoped


def _reload(grant):
    with unscoped("test: read the grant back"):
        return AccessGrant.objects.get(pk=grant.pk)


@pytest.fixture
def pending(tech, org_a):
    return grant_request(
        actor=tech,
        organization=org_a,
        reason="Feed fails to load for some members",
        ticket_ref="INC-7",
        duration_minutes=60,
    )


@pytest.mark.parametrize("approver", ["security_officer", "security_manager"])
def test_an_approver_starts_the_grant_for_its_duration(
    request, approver, pending, tech, org_a, audit_events
):
    approver = request.getfixturevalue(approver)
    moment = timezone.now().replace(microsecond=0)

    with time_machine.travel(moment, tick=False):
        grant_approve(actor=approver, grant=pending)

    grant = _reload(pending)
    assert grant.status == AccessGrant.Status.APPROVED
    assert grant.decided_by_id == approver.pk
    assert grant.decided_at == moment
    assert grant.expires_at == moment + datetime.timedelta(minutes=60)
    [event] = audit_events(AuditAction.GRANT_APPROVED)
    assert event.actor_id == approver.pk
    assert event.grant_id == grant.pk
    assert event.organization_id == org_a.pk
    assert event.subject_user_id == tech.pk
    assert event.object_ids == [str(grant.pk)]
    assert authorize(user=tech, organization=org_a, capability=Capability.USERS_READ).grant == grant


def test_self_approval_is_refused_with_a_clear_error_and_logged(org_a, audit_events):
    officer = StaffUserFactory(staff_role="security_officer")
    own = grant_request(actor=officer, organization=org_a, reason="Incident", ticket_ref="INC-9")

    with pytest.raises(ActionRefused) as refused:
        grant_approve(actor=officer, grant=own)

    assert "your own" in str(refused.value)
    assert _reload(own).status == AccessGrant.Status.REQUESTED
    assert audit_events(AuditAction.GRANT_APPROVED) == []
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.actor_id == officer.pk
    assert event.organization_id == org_a.pk
    assert event.object_ids == [str(own.pk)]
    assert event.details == {"attempted": "grant.approve", "refused": "own_request"}


@pytest.mark.parametrize("who", ["csm", "tech", "bob"])
def test_only_security_roles_may_approve(request, who, pending, audit_events):
    if who == "tech":
        actor = StaffUserFactory(staff_role="technical")
    else:
        actor = request.getfixturevalue(who)

    with pytest.raises(ActionRefused):
        grant_approve(actor=actor, grant=pending)

    assert _reload(pending).status == AccessGrant.Status.REQUESTED
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.details == {"attempted": "grant.approve", "refused": "not_a_decider"}


def test_a_decided_request_cannot_be_approved_again(pending, security_officer, security_manager):
    grant_approve(actor=security_officer, grant=pending)

    with pytest.raises(ValidationError):
        grant_approve(actor=security_manager, grant=pending)


def test_approval_mails_the_managers_of_that_organization_only(
    pending, security_officer, bob, alice, org_a, org_b, tech, django_capture_on_commit_callbacks
):
    second_manager = UserFactory(organization=org_a, org_role=OrgRole.MANAGER)
    UserFactory(organization=org_a, org_role=OrgRole.MANAGER, is_active=False)
    UserFactory(organization=org_b, org_role=OrgRole.MANAGER, email="manager@b.example")

    with django_capture_on_commit_callbacks(execute=True):
        grant_approve(actor=security_officer, grant=pending)

    assert sorted(m.to[0] for m in mail.outbox) == sorted([bob.email, second_manager.email])
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mail.outbox)
    message = mail.outbox[0]
    grant = _reload(pending)
    assert "Organization A" in message.subject
    assert tech.full_name in message.body
    assert "Technical staff" in message.body
    assert "Feed fails to load for some members" in message.body
    assert "INC-7" in message.body
    assert grant.decided_at.strftime("%Y-%m-%d %H:%M") in message.body
    assert grant.expires_at.strftime("%Y-%m-%d %H:%M") in message.body


def test_no_mail_leaves_before_the_commit(pending, security_officer, bob):
    grant_approve(actor=security_officer, grant=pending)

    assert mail.outbox == []


def test_the_approval_event_holds_ids_only(pending, security_officer, tech, audit_events):
    grant_approve(actor=security_officer, grant=pending)

    [event] = audit_events(AuditAction.GRANT_APPROVED)
    assert_nowhere_in(event, tech.email, tech.first_name, "INC-7", "Feed fails")


def test_a_grant_approved_in_the_past_is_dated_then_and_mails_nobody(
    tech, security_officer, bob, org_a, audit_events, django_capture_on_commit_callbacks
):
    then = timezone.now().replace(microsecond=0) - datetime.timedelta(days=3)
    grant = grant_request(
        actor=tech, organization=org_a, reason="Old incident", ticket_ref="INC-1", at=then
    )

    with django_capture_on_commit_callbacks(execute=True):
        grant_approve(actor=security_officer, grant=grant, at=then + datetime.timedelta(minutes=5))

    stored = _reload(grant)
    assert stored.requested_at == then
    assert stored.expires_at == then + datetime.timedelta(minutes=125)
    assert not stored.is_active
    assert mail.outbox == []
    [requested] = audit_events(AuditAction.GRANT_REQUESTED)
    [approved] = audit_events(AuditAction.GRANT_APPROVED)
    assert requested.occurred_at == then
    assert approved.occurred_at == then + datetime.timedelta(minutes=5)
