"""The organization page: authorize() decides; users are listed with ONE LIST event."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from grove.audit.models import AuditAction
from grove.core.testing.factories import UserFactory
from grove.staff.actions import grant_revoke

URL_A = reverse("staff:organization", args=["org-a"])


def test_it_requires_login(client, org_a):
    response = client.get(URL_A)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("who", ["alice", "bob", "charlie"])
def test_client_users_get_a_404_and_it_is_logged(client, request, who, audit_events):
    user = request.getfixturevalue(who)
    client.force_login(user)

    response = client.get(URL_A)

    assert response.status_code == 404
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.actor_id == user.pk
    assert event.details == {"attempted": "staff_console"}


def test_a_csm_opening_an_organization_they_do_not_serve_gets_a_logged_404(
    staff_client, csm, org_a, org_b, assign, audit_events
):
    assign(csm, org_b)
    client = staff_client(csm)

    response = client.get(URL_A)

    assert response.status_code == 404
    assert "Alice" not in response.content.decode()
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.actor_id == csm.pk
    assert event.actor_role == "csm"
    assert event.organization_id == org_a.pk
    assert event.details == {"capability": "access_log.read"}
    assert event.request_id


def test_an_unknown_organization_gives_the_same_404_as_a_forbidden_one(
    staff_client, csm, org_a, audit_events
):
    client = staff_client(csm)

    forbidden = client.get(URL_A)
    unknown = client.get(reverse("staff:organization", args=["no-such-client"]))

    assert forbidden.status_code == unknown.status_code == 404
    assert forbidden.content == unknown.content
    assert len(audit_events(AuditAction.ACCESS_DENIED)) == 2


def test_technical_staff_without_a_grant_get_a_404(staff_client, tech, org_a, alice, audit_events):
    response = staff_client(tech).get(URL_A)

    assert response.status_code == 404
    assert audit_events(AuditAction.LIST) == []


def test_an_assigned_csm_sees_the_users_and_one_list_event_names_them(
    staff_client, csm, org_a, alice, bob, charlie, assign, audit_events
):
    assign(csm, org_a)

    response = staff_client(csm).get(URL_A)

    assert response.status_code == 200
    body = response.content.decode()
    assert "alice@a.example" in body and "Bob Berg" in body
    assert "charlie@b.example" not in body
    [event] = audit_events(AuditAction.LIST)
    assert event.actor_id == csm.pk
    assert event.organization_id == org_a.pk
    assert event.object_type == "user"
    assert sorted(event.object_ids) == sorted([str(alice.pk), str(bob.pk)])
    assert event.grant_id is None
    assert audit_events(AuditAction.GRANT_USED) == []
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_list_event_names_only_the_users_of_the_page_shown(
    staff_client, csm, org_a, assign, audit_events
):
    assign(csm, org_a)
    people = [UserFactory(organization=org_a, last_name=f"Person{n:03d}") for n in range(55)]

    response = staff_client(csm).get(URL_A + "?page=2")

    assert response.status_code == 200
    [event] = audit_events(AuditAction.LIST)
    assert len(event.object_ids) == 5
    assert set(event.object_ids) == {str(p.pk) for p in people[50:]}


def test_the_security_officer_sees_grants_but_no_users(
    staff_client, security_officer, tech, org_a, alice, make_grant, audit_events
):
    make_grant(tech, org_a)

    response = staff_client(security_officer).get(URL_A)

    assert response.status_code == 200
    body = response.content.decode()
    assert "INC-4242" in body
    assert "alice@a.example" not in body
    assert audit_events(AuditAction.LIST) == []
    assert audit_events(AuditAction.ACCESS_DENIED) == []


def test_under_a_grant_reads_carry_the_grant_and_its_use_is_recorded(
    staff_client, tech, org_a, alice, make_grant, audit_events
):
    grant = make_grant(tech, org_a)

    response = staff_client(tech).get(URL_A)

    assert response.status_code == 200
    assert "alice@a.example" in response.content.decode()
    [listed] = audit_events(AuditAction.LIST)
    assert listed.grant_id == grant.pk
    assert listed.object_ids == [str(alice.pk)]
    [used] = audit_events(AuditAction.GRANT_USED)
    assert used.grant_id == grant.pk
    assert used.actor_id == tech.pk


def test_a_grant_used_after_expiry_fails_mid_session(
    staff_client, tech, org_a, alice, make_grant, audit_events
):
    grant = make_grant(tech, org_a, minutes=60)
    client = staff_client(tech)

    with time_machine.travel(grant.expires_at - datetime.timedelta(seconds=1)):
        assert client.get(URL_A).status_code == 200
    with time_machine.travel(grant.expires_at + datetime.timedelta(seconds=1)):
        response = client.get(URL_A)

    assert response.status_code == 404
    assert "alice@a.example" not in response.content.decode()
    [denied] = audit_events(AuditAction.ACCESS_DENIED)
    assert denied.actor_id == tech.pk
    assert denied.organization_id == org_a.pk
    assert len(audit_events(AuditAction.LIST)) == 1


def test_revoking_a_grant_ends_access_at_once(
    staff_client, tech, security_officer, org_a, make_grant
):
    grant = make_grant(tech, org_a)
    client = staff_client(tech)
    assert client.get(URL_A).status_code == 200

    grant_revoke(actor=security_officer, grant=grant)

    assert client.get(URL_A).status_code == 404
