"""The console's home: only the organizations the staff member may open."""

import pytest
from django.urls import reverse

from grove.audit.models import AuditAction
from grove.core.testing.factories import OrganizationFactory
from grove.staff.models import AccessGrant

URL = reverse("staff:home")


def test_it_requires_login(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_client_user_gets_a_logged_404(client, bob, audit_events):
    client.force_login(bob)

    assert client.get(URL).status_code == 404
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.actor_id == bob.pk


def test_an_unverified_staff_session_goes_to_the_second_factor_first(client, csm):
    client.force_login(csm)

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_verify"))


def test_a_csm_sees_the_organizations_they_serve_only(staff_client, csm, org_a, org_b, assign):
    assign(csm, org_a)

    body = staff_client(csm).get(URL).content.decode()

    assert "Organization A" in body
    assert "Organization B" not in body


def test_technical_staff_see_no_organization_without_a_grant(staff_client, tech, org_a, org_b):
    response = staff_client(tech).get(URL)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Organization A" not in body and "Organization B" not in body
    assert reverse("staff:grant_request") in body


def test_an_active_grant_shows_its_organization_and_a_revoke_button(
    staff_client, tech, org_a, org_b, make_grant
):
    grant = make_grant(tech, org_b)
    make_grant(tech, org_a, status=AccessGrant.Status.REJECTED)

    body = staff_client(tech).get(URL).content.decode()

    assert "Organization B" in body
    assert "Organization A" not in body
    assert reverse("staff:grant_revoke", args=[grant.pk]) in body


def test_the_security_officer_sees_every_organization(staff_client, security_officer, org_a, org_b):
    OrganizationFactory(name="Organization C", slug="org-c")

    body = staff_client(security_officer).get(URL).content.decode()

    for name in ("Organization A", "Organization B", "Organization C"):
        assert name in body
    assert reverse("staff:grants_pending") in body


@pytest.mark.parametrize("who", ["csm", "tech", "security_manager"])
def test_no_client_personal_data_on_the_home_page(
    staff_client, request, who, org_a, alice, assign, audit_events
):
    user = request.getfixturevalue(who)
    assign(user, org_a) if who == "csm" else None

    body = staff_client(user).get(URL).content.decode()

    assert "alice" not in body.lower()
    assert audit_events(AuditAction.LIST) == []
