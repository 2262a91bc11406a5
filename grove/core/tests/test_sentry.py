"""Sentry receives errors, and none of the personal data around them."""

from typing import TYPE_CHECKING, Any, cast

import pytest
import sentry_sdk
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory
from sentry_sdk.transport import Transport

from grove.core.redaction import REDACTED
from grove.core.sentry import before_send, init_sentry
from grove.tenancy.context import unscoped

if TYPE_CHECKING:
    from wsgiref.types import StartResponse

DSN = "https://public@sentry.invalid/1"


class MemoryTransport(Transport):
    """Keeps the serialised envelopes instead of sending them anywhere."""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.envelopes: list[bytes] = []

    def capture_envelope(self, envelope) -> None:
        self.envelopes.append(envelope.serialize())

    def flush(self, timeout, callback=None) -> None:
        pass

    def kill(self) -> None:
        pass


@pytest.fixture
def sentry_transport():
    transport = MemoryTransport()
    init_sentry(DSN, environment="test", transport=transport)
    try:
        yield transport
    finally:
        # Back to the SDK's no-op client, with nothing left on the scopes for later tests.
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)
        sentry_sdk.get_isolation_scope().clear()
        sentry_sdk.get_current_scope().clear()


def _through_wsgi(environ: dict) -> str:
    """Serve one request the way production does, through Django's WSGI handler (which Sentry
    instruments), rather than the test client's handler. Returns the status line."""
    statuses = []
    # As the test client does: the test's transaction must outlive the request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        # Django's handler never calls the write() callable a start_response returns.
        start_response = cast(
            "StartResponse", lambda status, headers, exc_info=None: statuses.append(status)
        )
        response = WSGIHandler()(environ, start_response)
        b"".join(response)
        response.close()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return statuses[0]


@pytest.mark.urls("grove.core.tests.urls_careless")
def test_a_crash_reaches_sentry_without_personal_data(client, alice, sentry_transport):
    with unscoped("test: log Alice in"):
        client.force_login(alice)
    client.get("/form/", secure=True)
    session_id = client.cookies["sessionid"].value
    csrf_token = client.cookies["csrftoken"].value
    browser = RequestFactory()
    browser.cookies = client.cookies
    environ = browser.get(
        "/crash/?email=alice%40a.example&name=Alice",
        secure=True,
        HTTP_X_FORWARDED_FOR="203.0.113.7",
        HTTP_USER_AGENT="Mozilla/5.0",
    ).environ

    status = _through_wsgi(environ)

    assert status.startswith("500")
    sentry_sdk.flush()
    sent = b"\n".join(sentry_transport.envelopes)
    # The event is there, with what an operator needs to find the bug...
    assert b'"type":"event"' in sent
    assert b"ProfileLookupError" in sent
    assert b'"url":"https://testserver/crash/"' in sent
    assert b'"method":"GET"' in sent
    assert b"looking up the profile of " + REDACTED.encode() in sent  # a breadcrumb
    # ...and nothing that identifies Alice or could take over her session.
    lowered = sent.lower()
    for secret in [
        alice.email,
        "alice%40a.example",
        alice.first_name,
        alice.last_name,
        session_id,
        csrf_token,
        "203.0.113.7",
    ]:
        assert secret.lower().encode() not in lowered, f"{secret!r} was sent to Sentry"


def test_before_send_keeps_only_method_and_url_without_query():
    event = {
        "request": {
            "method": "POST",
            "url": "https://grove.example/accounts/alice@a.example/?email=bob@a.example#frag",
            "query_string": "email=bob@a.example",
            "cookies": {"sessionid": "s3cr3t"},
            "headers": {"Cookie": "sessionid=s3cr3t", "X-Csrftoken": "t0k3n"},
            "data": {"email": "bob@a.example"},
            "env": {"REMOTE_ADDR": "203.0.113.7"},
        }
    }

    assert before_send(event)["request"] == {
        "method": "POST",
        "url": f"https://grove.example/accounts/{REDACTED}/",
    }


def test_before_send_keeps_only_the_users_id():
    event = {"user": {"id": 42, "email": "alice@a.example", "ip_address": "203.0.113.7"}}
    assert before_send(event)["user"] == {"id": "42"}

    event = {"user": {"email": "alice@a.example", "username": "alice"}}
    assert before_send(event)["user"] == {}


def test_before_send_redacts_exceptions_frames_breadcrumbs_and_extra():
    event = {
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": "no profile for alice@a.example",
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "grove/accounts/views.py",
                                "function": "profile",
                                "vars": {
                                    "email": "'alice@a.example'",
                                    "first_name": "'Alice'",
                                    "request": "<WSGIRequest: GET '/p?e=alice%40a.example'>",
                                    "count": 3,
                                },
                            }
                        ]
                    },
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {"category": "grove", "message": "login by bob@a.example", "data": {"n": 1}},
                {"category": "grove", "message": "ok", "data": {"last_name": "Berg"}},
            ]
        },
        "logentry": {"message": "mail to %s", "params": ["carol@b.example"]},
        "extra": {"sys.argv": ["manage.py", "invite", "dan@c.example"]},
        "contexts": {"runtime": {"name": "CPython", "version": "3.11"}},
        "tags": {"csrftoken": "abc"},
    }

    scrubbed = before_send(event)

    text = repr(scrubbed)
    for personal in ["alice", "Alice", "bob@", "Berg", "carol", "dan@", "abc"]:
        assert personal not in text
    frame = scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert frame["filename"] == "grove/accounts/views.py"  # still useful to whoever debugs
    assert frame["vars"]["email"] == REDACTED
    assert frame["vars"]["first_name"] == REDACTED
    assert frame["vars"]["count"] == 3
    assert scrubbed["exception"]["values"][0]["value"] == f"no profile for {REDACTED}"
    assert scrubbed["contexts"]["runtime"] == {"name": "CPython", "version": "3.11"}


def test_sentry_stays_off_after_the_test():
    assert not sentry_sdk.get_client().is_active()
