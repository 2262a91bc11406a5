"""The API token page: a member makes, sees and revokes their own tokens (the secret shown
once); a manager sees and revokes the organization's; nobody reaches another organization's."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grove.api.actions import hash_secret
from grove.api.auth import parse_token, token_user
from grove.api.models import ApiToken
from grove.audit.models import AuditAction
from grove.tenancy.context import unscoped

from .conftest import audit_events, make_token

pytestmark = pytest.mark.django_db

URL = reverse("api_tokens:list")


def revoke_url(token_id) -> str:
    return reverse("api_tokens:revoke", args=[token_id])


def rows() -> list[ApiToken]:
    with unscoped("test: read tokens"):
        return list(ApiToken.objects.order_by("created_at"))


def row_of(secret: str) -> ApiToken:
    parsed = parse_token(secret)
    assert parsed is not None, "not a token"
    with unscoped("test: read tokens"):
        return ApiToken.objects.get(prefix=parsed[0])


def test_login_is_required(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login" in response["Location"]
    assert client.post(revoke_url("00000000-0000-0000-0000-000000000000")).status_code == 302


def test_staff_have_no_token_page(staff_client, csm):
    assert staff_client(csm).get(URL).status_code == 404


def test_a_member_creates_a_token_and_sees_its_secret_once(client, alice):
    client.force_login(alice)
    response = client.post(URL, {"name": "Intranet widget", "expires": "30"})
    assert response.status_code == 200
    secret = response.context["created"].secret
    assert secret.encode() in response.content
    [token] = rows()
    assert (token.user_id, token.organization_id, token.name) == (
        alice.pk,
        alice.organization_id,
        "Intranet widget",
    )
    assert token.secret_hash == hash_secret(parse_token(secret)[1])
    assert token.expires_at is not None
    assert token_user(secret) == alice
    # Never again: the list shows the prefix only.
    again = client.get(URL)
    assert secret.encode() not in again.content
    assert f"grove_{token.prefix}_".encode() in again.content
    [event] = audit_events(AuditAction.CREATE, "api_token")
    assert (event.actor_id, event.object_ids) == (alice.pk, [str(token.pk)])
    assert event.organization_id == alice.organization_id


def test_a_token_needs_a_name(client, alice):
    client.force_login(alice)
    response = client.post(URL, {"name": "  "})
    assert response.status_code == 400
    assert rows() == []


def test_a_member_sees_only_their_own_tokens(client, alice, bob):
    make_token(alice, name="Alice integration")
    make_token(bob, name="Bob integration")
    client.force_login(alice)
    response = client.get(URL)
    assert [t.name for t in response.context["tokens"]] == ["Alice integration"]
    [event] = audit_events(AuditAction.LIST, "api_token")
    assert event.actor_id == alice.pk


def test_a_manager_sees_the_organizations_tokens_not_others(client, alice, bob, charlie):
    make_token(alice, name="Alice integration")
    make_token(charlie, name="Charlie integration")
    client.force_login(bob)
    response = client.get(URL)
    assert [t.name for t in response.context["tokens"]] == ["Alice integration"]
    assert b"Charlie" not in response.content


def test_a_member_revokes_their_token(client, alice):
    secret = make_token(alice)
    token = row_of(secret)
    client.force_login(alice)
    response = client.post(revoke_url(token.pk))
    assert response.status_code == 302
    assert row_of(secret).revoked_at is not None
    assert token_user(secret) is None
    [event] = audit_events(AuditAction.DELETE, "api_token")
    assert (event.actor_id, event.object_ids) == (alice.pk, [str(token.pk)])


def test_a_manager_revokes_a_members_token(client, alice, bob):
    secret = make_token(alice)
    client.force_login(bob)
    assert client.post(revoke_url(row_of(secret).pk)).status_code == 302
    assert row_of(secret).revoked_at is not None
    [event] = audit_events(AuditAction.DELETE, "api_token")
    assert (event.actor_id, event.subject_user_id) == (bob.pk, alice.pk)


def test_a_member_cannot_revoke_a_colleagues_token(client, alice, bob):
    secret = make_token(bob)
    client.force_login(alice)
    assert client.post(revoke_url(row_of(secret).pk)).status_code == 404
    assert row_of(secret).revoked_at is None


def test_charlie_gets_404_on_organization_a_tokens(client, alice, charlie):
    secret = make_token(alice)
    client.force_login(charlie)
    assert client.post(revoke_url(row_of(secret).pk)).status_code == 404
    assert row_of(secret).revoked_at is None
    assert audit_events(AuditAction.DELETE, "api_token") == []


def test_revoking_twice_records_once(client, alice):
    secret = make_token(alice)
    client.force_login(alice)
    client.post(revoke_url(row_of(secret).pk))
    client.post(revoke_url(row_of(secret).pk))
    assert len(audit_events(AuditAction.DELETE, "api_token")) == 1
