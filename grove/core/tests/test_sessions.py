"""grove/core/sessions.py: the database sessions, read with one plain statement, behave as
Django's own engine: the same data, and nothing once expired, logged out or deleted."""

import datetime

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grove.core.sessions import SessionStore

pytestmark = pytest.mark.django_db


@pytest.fixture
def lean_sessions(settings):
    settings.SESSION_ENGINE = "grove.core.sessions"


def _stored(**data) -> str:
    store = DjangoStore()
    store.update(data)
    store.create()
    assert store.session_key is not None  # create() always sets one
    return store.session_key


def test_it_reads_what_djangos_engine_wrote_in_one_statement():
    key = _stored(colour="green", count=3)

    store = SessionStore(key)
    with CaptureQueriesContext(connection) as captured:
        data = dict(store.items())

    assert data == dict(DjangoStore(key).items()) == {"colour": "green", "count": 3}
    assert store.session_key == key
    assert len(captured.captured_queries) == 1


def test_an_expired_session_is_not_read():
    key = _stored(colour="green")
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )

    store = SessionStore(key)

    assert dict(store.items()) == {}
    assert store.session_key is None


@pytest.mark.parametrize("key", [None, "", "short", "x" * 32])
def test_a_missing_or_unknown_key_reads_nothing(key):
    store = SessionStore(key)

    assert dict(store.items()) == {}
    assert store.session_key is None


def test_a_deleted_session_is_gone_at_the_next_read():
    # Logout and erasure (grove/rights/erasure.py) delete the row: nothing is cached elsewhere.
    key = _stored(colour="green")
    assert SessionStore(key)["colour"] == "green"

    Session.objects.filter(session_key=key).delete()

    assert dict(SessionStore(key).items()) == {}


def test_a_logged_in_member_is_recognised_and_logged_out(lean_sessions, client, alice):
    client.force_login(alice)
    assert client.get("/api/practices").status_code == 200

    client.post("/accounts/logout/")

    assert client.get("/api/practices").status_code == 401


def test_a_member_whose_session_rows_are_deleted_is_logged_out_at_once(
    lean_sessions, client, alice
):
    client.force_login(alice)
    assert client.get("/api/practices").status_code == 200

    Session.objects.all().delete()

    assert client.get("/api/practices").status_code == 401
