"""The SCIM tokens page: a manager's own organization, a CSM's served one; create (secret
shown once), revoke; refusals as 404 (other organizations) or by role."""

from __future__ import annotations

import pytest

from grove.api.actions import hash_secret
from grove.audit.models import AuditAction, AuditEvent
from grove.onboarding.models import ScimToken
from grove.onboarding.scim.auth import parse_token
from grove.tenancy.context import unscoped

from .scim_helpers import Scim, assign, make_scim_token

pytestmark = pytest.mark.django_db
URL = "/onboarding/scim-tokens/"


def tokens():
    with unscoped("test"):
        return list(ScimToken.objects.order_by("created_at"))


def test_login_required(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


def test_a_member_is_refused(client, alice):
    client.force_login(alice)
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"name": "Okta"}).status_code == 404
    assert tokens() == []


def test_a_manager_creates_a_token_shown_once(client, bob, org_a):
    client.force_login(bob)
    response = client.post(URL, {"name": "Okta"})
    assert response.status_code == 200
    [token] = tokens()
    secret = response.context["created"].secret
    assert secret.startswith(f"grove_scim_{token.prefix}_")
    assert secret in response.content.decode()
    prefix, raw_secret = parse_token(secret)
    assert token.secret_hash == hash_secret(raw_secret) and raw_secret not in token.secret_hash
    assert token.organization_id == org_a.pk and token.created_by_id == bob.pk
    page = client.get(URL).content.decode()
    assert secret not in page and f"grove_scim_{prefix}_" in page
    with unscoped("test"):
        assert AuditEvent.objects.filter(
            action=AuditAction.CREATE, object_type="scim_token", object_ids=[str(token.pk)]
        ).exists()
    # The token works, then the manager revokes it.
    assert Scim(client, secret).get("Users").status_code == 200
    response = client.post(f"{URL}{token.pk}/revoke/")
    assert response.status_code == 302
    assert tokens()[0].revoked_at is not None
    assert Scim(client, secret).get("Users").status_code == 401


def test_an_empty_name_is_refused(client, bob):
    client.force_login(bob)
    assert client.post(URL, {"name": "  "}).status_code == 400
    assert tokens() == []


def test_another_organizations_manager_gets_404_on_the_token(client, bob, org_a, org_b):
    from grove.core.testing.factories import UserFactory

    make_scim_token(bob, org_a)
    [token] = tokens()
    other = UserFactory(organization=org_b, org_role="manager", email="m@b.example")
    client.force_login(other)
    assert client.post(f"{URL}{token.pk}/revoke/").status_code == 404
    assert client.get(f"{URL}org/{org_a.slug}/").status_code == 404
    assert tokens()[0].revoked_at is None
    assert str(token.pk) not in client.get(URL).content.decode()


def test_a_csm_manages_the_tokens_of_an_organization_they_serve(staff_client, csm, org_a, org_b):
    client = staff_client(csm)
    assert client.get(f"{URL}org/{org_a.slug}/").status_code == 404
    assign(csm, org_a)
    assert client.get(f"{URL}org/{org_a.slug}/").status_code == 200
    response = client.post(f"{URL}org/{org_a.pk}/", {"name": "Entra"})
    assert response.status_code == 200
    [token] = tokens()
    assert token.organization_id == org_a.pk
    assert client.post(f"{URL}org/{org_b.slug}/", {"name": "x"}).status_code == 404
    assert client.post(f"{URL}org/{org_b.slug}/{token.pk}/revoke/").status_code == 404
    response = client.post(f"{URL}org/{org_a.slug}/{token.pk}/revoke/")
    assert response.status_code == 302
    assert tokens()[0].revoked_at is not None
    assert client.get(URL).status_code == 404  # staff name the organization


def test_the_page_lists_tokens_with_their_last_use(client, bob, org_a):
    secret = make_scim_token(bob, org_a, name="Okta production")
    Scim(client, secret).get("Users")
    client.force_login(bob)
    response = client.get(URL)
    assert "Okta production" in response.content.decode()
    assert response.context["tokens"][0].last_used_at is not None
    with unscoped("test"):
        assert AuditEvent.objects.filter(action=AuditAction.LIST, object_type="scim_token").exists()
