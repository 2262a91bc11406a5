"""Approving by POST: the grant starts, the managers get a mail; a self-approval is refused."""

from django.core import mail
from django.urls import reverse

from grove.audit.models import AuditAction
from grove.staff.models import AccessGrant
from grove.tenancy.context import unscoped


def _url(grant):
    return reverse("staff:grant_approve", args=[grant.pk])


def _reload(grant):
    with unscoped("test: read the grant back"):
        return AccessGrant.objects.get(pk=grant.pk)


def test_it_requires_login(client, tech, org_a, make_grant):
    grant = make_grant(tech, org_a, status=AccessGrant.Status.REQUESTED)

    assert client.post(_url(grant)).status_code == 302
    assert _reload(grant).status == AccessGrant.Status.REQUESTED


def test_get_is_not_allowed(staff_client, security_officer, tech, org_a, make_grant):
    grant = make_grant(tech, org_a, status=AccessGrant.Status.REQUESTED)

    assert staff_client(security_officer).get(_url(grant)).status_code == 405
    assert _reload(grant).status == AccessGrant.Status.REQUESTED


def test_an_approver_approves_and_the_managers_are_mailed(
    staff_client,
    security_manager,
    tech,
    bob,
    org_a,
    make_grant,
    audit_events,
    django_capture_on_commit_callbacks,
):
    grant = make_grant(tech, org_a, status=AccessGrant.Status.REQUESTED)
    client = staff_client(security_manager)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(grant))

    assert response.status_code == 302
    assert _reload(grant).status == AccessGrant.Status.APPROVED
    assert [m.to for m in mail.outbox] == [[bob.email]]
    [event] = audit_events(AuditAction.GRANT_APPROVED)
    assert event.actor_id == security_manager.pk
    assert event.grant_id == grant.pk
    assert event.request_id


def test_a_self_approval_is_refused_and_logged(
    staff_client, security_officer, org_a, make_grant, audit_events
):
    own = make_grant(security_officer, org_a, status=AccessGrant.Status.REQUESTED)

    response = staff_client(security_officer).post(_url(own))

    assert response.status_code == 403
    assert "cannot decide your own" in response.content.decode()
    assert _reload(own).status == AccessGrant.Status.REQUESTED
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.actor_id == security_officer.pk
    assert event.details == {"attempted": "grant.approve", "refused": "own_request"}
    assert mail.outbox == []


def test_a_csm_posting_an_approval_gets_a_logged_404(
    staff_client, csm, tech, org_a, make_grant, audit_events
):
    grant = make_grant(tech, org_a, status=AccessGrant.Status.REQUESTED)

    response = staff_client(csm).post(_url(grant))

    assert response.status_code == 404
    assert _reload(grant).status == AccessGrant.Status.REQUESTED
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.object_ids == [str(grant.pk)]


def test_an_unknown_grant_gives_a_404(staff_client, security_officer, db):
    import uuid

    response = staff_client(security_officer).post(
        reverse("staff:grant_approve", args=[uuid.uuid4()])
    )

    assert response.status_code == 404
