"""API test helpers: tokens for the cast, and a client speaking JSON with a bearer token."""

from __future__ import annotations

import json

import pytest

from grove.api.actions import api_token_create
from grove.audit.models import AuditEvent
from grove.tenancy.context import tenant_context, unscoped


def make_token(user, *, name: str = "Integration", **kwargs) -> str:
    """A real token for ``user`` (through the action), as the secret an integration sends."""
    with tenant_context(user.organization_id):
        return api_token_create(actor=user, name=name, **kwargs).secret


class Api:
    """``api.get("/api/topics", token=...)``: JSON in, JSON out, bearer token or session."""

    def __init__(self, client):
        self.client = client

    def _headers(self, token: str | None) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def get(self, path, *, token=None, **params):
        return self.client.get(path, params, **self._headers(token))

    def _send(self, method, path, body, token):
        data = json.dumps(body) if body is not None else ""
        return getattr(self.client, method)(
            path, data=data, content_type="application/json", **self._headers(token)
        )

    def post(self, path, body=None, *, token=None):
        return self._send("post", path, body, token)

    def put(self, path, body=None, *, token=None):
        return self._send("put", path, body, token)

    def patch(self, path, body=None, *, token=None):
        return self._send("patch", path, body, token)

    def delete(self, path, *, token=None):
        return self.client.delete(path, **self._headers(token))


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def alice_token(alice):
    return make_token(alice)


@pytest.fixture
def bob_token(bob):
    return make_token(bob)


@pytest.fixture
def charlie_token(charlie):
    return make_token(charlie)


def audit_events(action: str | None = None, object_type: str | None = None) -> list[AuditEvent]:
    with unscoped("test: read the access log"):
        events = AuditEvent.objects.order_by("id")
        if action:
            events = events.filter(action=action)
        if object_type:
            events = events.filter(object_type=object_type)
        return list(events)
