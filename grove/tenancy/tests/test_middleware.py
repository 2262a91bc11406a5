"""TenantMiddleware: the logged-in person's organization is the request's tenant, for the ORM
and (on PostgreSQL) for row-level security; nobody logged in means no tenant at all."""

import pytest
from django.db import connection

from grove.core.testing.fixtures import log_in_verified_staff
from grove.tenancy.context import tenant_context, unscoped

URL = "/visible-organizations"

pytestmark = [pytest.mark.urls("grove.tenancy.tests.urls")]


def _login(client, user):
    # Login stamps last_login, a write to the user's row: made as the user's tenant (staff
    # belong to none), as the login action does.
    scope = (
        tenant_context(user.organization_id)
        if user.organization_id
        else unscoped("test: log a staff account in")
    )
    with scope:
        client.force_login(user)


def _on_postgres() -> bool:
    return connection.vendor == "postgresql"


def test_a_members_request_runs_as_their_organization(client, alice, charlie, org_a):
    _login(client, alice)
    body = client.get(URL, secure=True).json()
    assert body["tenant"] == str(org_a.pk)
    assert body["orm"] == [str(org_a.pk)]
    if _on_postgres():
        assert body["raw"] == [str(org_a.pk)]


def test_another_members_request_runs_as_theirs(client, alice, charlie, org_b):
    _login(client, charlie)
    body = client.get(URL, secure=True).json()
    assert body["tenant"] == str(org_b.pk)
    assert body["orm"] == [str(org_b.pk)]
    if _on_postgres():
        assert body["raw"] == [str(org_b.pk)]


def test_an_anonymous_request_has_no_tenant(client, alice, charlie):
    body = client.get(URL, secure=True).json()
    assert body["tenant"] is None
    assert body["orm"] is None  # the scoped manager raised TenantScopeError
    if _on_postgres():
        assert body["raw"] == []


def test_operator_staff_have_no_tenant(client, alice, csm):
    log_in_verified_staff(client, csm)  # staff reach pages only with the second factor
    body = client.get(URL, secure=True).json()
    assert body["tenant"] is None
    assert body["orm"] is None
    if _on_postgres():
        assert body["raw"] == []


@pytest.mark.postgres
def test_a_members_request_sees_only_their_organization_through_rls(client, alice, charlie, org_a):
    _login(client, alice)
    body = client.get(URL, secure=True).json()
    assert body["raw"] == [str(org_a.pk)]
