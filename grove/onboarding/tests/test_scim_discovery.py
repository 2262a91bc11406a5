"""The SCIM discovery endpoints: ServiceProviderConfig, Schemas, ResourceTypes."""

from __future__ import annotations

import pytest

from grove.audit.models import AuditAction, AuditEvent
from grove.tenancy.context import unscoped

from .scim_helpers import ERROR, USER_SCHEMA, Scim, make_scim_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def scim(client, bob, org_a):
    return Scim(client, make_scim_token(bob, org_a))


def test_service_provider_config(scim):
    response = scim.get("ServiceProviderConfig")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/scim+json"
    body = response.json()
    assert body["patch"] == {"supported": True}
    assert body["bulk"]["supported"] is False
    assert body["filter"] == {"supported": True, "maxResults": 200}
    assert body["authenticationSchemes"][0]["type"] == "oauthbearertoken"


def test_schemas_publish_only_what_we_store(scim):
    body = scim.get("Schemas").json()
    assert body["totalResults"] == 1
    [schema] = body["Resources"]
    assert schema["id"] == USER_SCHEMA
    names = {a["name"] for a in schema["attributes"]}
    assert names == {"userName", "name", "emails", "active", "title", "addresses"}
    assert scim.get(f"Schemas/{USER_SCHEMA}").json()["id"] == USER_SCHEMA
    assert scim.get("Schemas/urn:nope").json()["schemas"] == [ERROR]


def test_resource_types(scim):
    body = scim.get("ResourceTypes").json()
    assert [r["id"] for r in body["Resources"]] == ["User"]
    user = scim.get("ResourceTypes/User").json()
    assert user["endpoint"] == "/Users" and user["schema"] == USER_SCHEMA
    assert scim.get("ResourceTypes/Group").status_code == 404


def test_discovery_needs_a_token_and_is_recorded(client, scim):
    assert Scim(client, None).get("ServiceProviderConfig").status_code == 401
    assert Scim(client, None).get("Schemas").status_code == 401
    scim.get("ServiceProviderConfig")
    with unscoped("test"):
        event = AuditEvent.objects.get(object_type="scim_config")
    assert event.action == AuditAction.VIEW


def test_unknown_paths_are_scim_404s(client, scim):
    body = scim.get("Groups").json()
    assert body["schemas"] == [ERROR] and body["status"] == "404"
    assert Scim(client, None).get("Groups").status_code == 401
