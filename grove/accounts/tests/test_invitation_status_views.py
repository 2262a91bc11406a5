"""The invitation status page of managers and CSMs, and its resend, revoke and invite buttons:
login required, Charlie and other organizations' managers get 404, members get 404, a CSM
serving the organization sees it."""

import pytest
from django.core import mail

from grove.accounts.invitations import invitations_send
from grove.accounts.models import Invitation, InvitationStatus, OrgRole
from grove.audit.models import AuditAction
from grove.core.testing.factories import UserFactory
from grove.staff.models import CsmAssignment
from grove.tenancy.context import tenant_context, unscoped

from .test_invitations import IMMEDIATE

PAGE = "/accounts/invitations/"


@pytest.fixture
def dora_invited(settings, org_a, django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    dora = UserFactory(
        email="dora@a.example",
        first_name="Dora",
        last_name="Dupont",
        organization=org_a,
        password=None,
    )
    with django_capture_on_commit_callbacks(execute=True):
        [invitation] = invitations_send(users=[dora])
    return dora, invitation


def assign(csm, organization):
    with unscoped("test set-up"):
        return CsmAssignment.objects.create(organization=organization, csm=csm)


def invitations_of(user):
    with tenant_context(user.organization_id):
        return list(Invitation.objects.filter(user=user).order_by("created_at"))


def test_login_required(client, db):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_manager_sees_the_status_of_their_organizations_people(
    client, bob, alice, charlie, dora_invited, audit_events
):
    dora, invitation = dora_invited
    client.force_login(bob)

    response = client.get(PAGE)

    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-user="{dora.pk}" data-status="sent"' in page
    assert f'data-user="{alice.pk}" data-status="active"' in page
    assert "dora@a.example" in page
    assert "charlie@b.example" not in page
    assert f"/accounts/invitations/{invitation.pk}/resend" in page
    assert f"/accounts/invitations/{invitation.pk}/revoke" in page
    [event] = audit_events(AuditAction.LIST)
    assert str(dora.pk) in event.object_ids and str(charlie.pk) not in event.object_ids


def test_a_member_gets_404(client, alice, dora_invited):
    client.force_login(alice)

    assert client.get(PAGE).status_code == 404


def test_charlie_gets_404_on_as_page_and_invitations(client, charlie, org_a, dora_invited):
    _dora, invitation = dora_invited
    client.force_login(charlie)

    assert client.get(f"{PAGE}org/{org_a.slug}/").status_code == 404
    assert client.post(f"{PAGE}{invitation.pk}/revoke").status_code == 404
    assert client.post(f"{PAGE}{invitation.pk}/resend").status_code == 404
    assert invitations_of(_dora)[0].revoked_at is None


def test_another_organizations_manager_gets_404_on_as_invitations(client, org_b, dora_invited):
    dora, invitation = dora_invited
    manager_b = UserFactory(organization=org_b, org_role=OrgRole.MANAGER)
    client.force_login(manager_b)

    assert client.post(f"{PAGE}{invitation.pk}/revoke").status_code == 404
    assert client.post(f"{PAGE}{invitation.pk}/resend").status_code == 404
    assert client.post(f"{PAGE}members/{dora.pk}/invite").status_code == 404
    assert client.post(f"{PAGE}members/{dora.pk}/deactivate").status_code == 404
    assert len(invitations_of(dora)) == 1
    assert invitations_of(dora)[0].revoked_at is None


def test_a_member_cannot_use_the_buttons(client, alice, dora_invited):
    dora, invitation = dora_invited
    client.force_login(alice)

    assert client.post(f"{PAGE}{invitation.pk}/revoke").status_code == 404
    assert client.post(f"{PAGE}members/{dora.pk}/deactivate").status_code == 404
    assert invitations_of(dora)[0].revoked_at is None


def test_the_manager_resends_and_the_previous_link_stops(
    client, bob, dora_invited, audit_events, django_capture_on_commit_callbacks
):
    dora, invitation = dora_invited
    client.force_login(bob)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{PAGE}{invitation.pk}/resend")

    assert response.status_code == 302 and response["Location"] == PAGE
    first, second = invitations_of(dora)
    assert first.status == InvitationStatus.REVOKED
    assert second.status == InvitationStatus.SENT
    assert len(mail.outbox) == 2
    [_, event] = audit_events(AuditAction.INVITATION_SENT)
    assert event.actor_id == bob.pk


def test_the_manager_revokes(client, bob, dora_invited, audit_events):
    dora, invitation = dora_invited
    client.force_login(bob)

    assert client.post(f"{PAGE}{invitation.pk}/revoke").status_code == 302

    assert invitations_of(dora)[0].status == InvitationStatus.REVOKED
    assert len(audit_events(AuditAction.INVITATION_REVOKED)) == 1
    page = client.get(PAGE).content.decode()
    assert f'data-user="{dora.pk}" data-status="revoked"' in page


def test_the_manager_invites_someone_never_invited(client, bob, org_a, settings, audit_events):
    settings.TASKS = IMMEDIATE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    erin = UserFactory(organization=org_a, password=None)
    client.force_login(bob)
    assert f'data-user="{erin.pk}" data-status="not_invited"' in client.get(PAGE).content.decode()

    response = client.post(f"{PAGE}members/{erin.pk}/invite")

    assert response.status_code == 302
    assert len(invitations_of(erin)) == 1
    assert len(audit_events(AuditAction.INVITATION_SENT)) == 1


def test_a_csm_without_assignment_gets_404(staff_client, csm, org_a, dora_invited):
    client = staff_client(csm)

    assert client.get(f"{PAGE}org/{org_a.slug}/").status_code == 404
    assert client.get(PAGE).status_code == 404


def test_a_csm_serving_the_organization_sees_and_manages(
    staff_client, csm, org_a, dora_invited, audit_events
):
    dora, invitation = dora_invited
    assign(csm, org_a)
    client = staff_client(csm)

    page = client.get(f"{PAGE}org/{org_a.slug}/")
    assert page.status_code == 200
    assert f'data-user="{dora.pk}" data-status="sent"' in page.content.decode()
    by_id = client.get(f"{PAGE}org/{org_a.pk}/")
    assert by_id.status_code == 200

    revoked = client.post(f"{PAGE}org/{org_a.slug}/{invitation.pk}/revoke")
    assert revoked.status_code == 302
    assert revoked["Location"] == f"{PAGE}org/{org_a.slug}/"
    assert invitations_of(dora)[0].revoked_at is not None
    [event] = audit_events(AuditAction.INVITATION_REVOKED)
    assert event.actor_id == csm.pk


def test_a_csm_cannot_reach_another_organizations_invitation_through_theirs(
    staff_client, csm, org_a, org_b, dora_invited
):
    _dora, invitation = dora_invited
    assign(csm, org_b)
    client = staff_client(csm)

    assert client.post(f"{PAGE}org/{org_b.slug}/{invitation.pk}/revoke").status_code == 404
    assert invitations_of(_dora)[0].revoked_at is None


def test_the_page_is_linked_from_the_managers_menu_and_the_staff_console(
    client, bob, alice, csm, org_a, staff_client
):
    client.force_login(bob)
    assert f'href="{PAGE}"' in client.get("/practices/").content.decode()
    client.force_login(alice)
    assert f'href="{PAGE}"' not in client.get("/practices/").content.decode()

    assign(csm, org_a)
    console = staff_client(csm).get(f"/staff/organizations/{org_a.slug}/")
    assert f'href="{PAGE}org/{org_a.slug}/"' in console.content.decode()


def test_the_page_is_paginated_and_logs_the_ids_shown(
    client, bob, alice, dora_invited, monkeypatch, audit_events
):
    monkeypatch.setattr("grove.accounts.invitations.MEMBERS_PER_PAGE", 2)
    dora, _invitation = dora_invited  # A: Anders (Alice), Berg (Bob), Dupont (Dora)
    client.force_login(bob)

    first = client.get(PAGE).content.decode()
    second = client.get(PAGE + "?page=2").content.decode()

    assert f'data-user="{alice.pk}"' in first and f'data-user="{dora.pk}"' not in first
    assert f'data-user="{dora.pk}"' in second and f'data-user="{alice.pk}"' not in second
    assert "?page=2" in first and "Page 1 of 2" in first
    first_event, second_event = audit_events(AuditAction.LIST)
    assert first_event.object_ids == [str(alice.pk), str(bob.pk)]
    assert second_event.object_ids == [str(dora.pk)]
