"""Accounts test set-up: an HTTPS test client and a reader for the access log."""

import pytest
from django.test import Client

from grove.audit.models import AuditEvent
from grove.tenancy.context import tenant_context, unscoped


class HttpsClient(Client):
    """The test client, speaking HTTPS as production does.

    With DEBUG off, SECURE_SSL_REDIRECT answers plain HTTP with a redirect, and the session and
    CSRF cookies are Secure: the tests exercise that configuration rather than turn it off.
    """

    def request(self, **request):
        request["wsgi.url_scheme"] = "https"
        request["SERVER_PORT"] = "443"
        return super().request(**request)

    def _login(self, user, backend=None):
        # client.login()/force_login() run outside any request, so no tenant is set; logging
        # in writes last_login, which on PostgreSQL row-level security lets through only as
        # the user's own organization (or unscoped, for staff), as the login view does.
        if user.organization_id is None:
            scope = unscoped("test client: log a staff account in")
        else:
            scope = tenant_context(user.organization_id)
        with scope:
            super()._login(user, backend)


@pytest.fixture
def client():
    return HttpsClient()


@pytest.fixture
def audit_events(db):
    """Read the access log: ``audit_events("auth.login")`` lists that action's events."""

    def read(action: str | None = None) -> list[AuditEvent]:
        with unscoped("test: read the access log"):
            events = AuditEvent.objects.all()
            if action is not None:
                events = events.filter(action=action)
            return list(events)

    return read
