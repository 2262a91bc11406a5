"""SCIM test helpers: a real token (through the action) and a client speaking SCIM JSON."""

from __future__ import annotations

import json

from grove.onboarding.scim_tokens import scim_token_create
from grove.staff.models import CsmAssignment
from grove.tenancy.context import tenant_context, unscoped

SCIM = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


def make_scim_token(actor, organization, *, name: str = "Okta") -> str:
    with tenant_context(organization):
        return scim_token_create(actor=actor, organization=organization, name=name).secret


def assign(csm, organization) -> CsmAssignment:
    with unscoped("test set-up"):
        return CsmAssignment.objects.create(organization=organization, csm=csm)


class Scim:
    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def _headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def get(self, path, **params):
        return self.client.get("/scim/v2/" + path, params, **self._headers())

    def send(self, method, path, body, content_type=SCIM):
        data = json.dumps(body) if body is not None else ""
        return getattr(self.client, method)(
            "/scim/v2/" + path, data=data, content_type=content_type, **self._headers()
        )

    def post(self, path, body, **kwargs):
        return self.send("post", path, body, **kwargs)

    def put(self, path, body):
        return self.send("put", path, body)

    def patch(self, path, body):
        return self.send("patch", path, body)

    def delete(self, path):
        return self.client.delete("/scim/v2/" + path, **self._headers())


def okta_user(email: str, **overrides) -> dict:
    """The body Okta POSTs to /Users (its documented shape)."""
    body = {
        "schemas": [USER_SCHEMA],
        "userName": email,
        "name": {"givenName": "Dana", "familyName": "Doe"},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "displayName": "Dana Doe",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
    }
    body.update(overrides)
    return body


def patch(*operations) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}
