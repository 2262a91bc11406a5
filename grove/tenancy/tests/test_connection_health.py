"""grove/tenancy/db.py ``is_usable``: the per-request health check of a persistent connection
without Django's ``SELECT 1`` round trip, that still replaces a connection the server ended."""

import time

import psycopg
import pytest
from django.core.signals import request_started
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def round_trip_checks(monkeypatch):
    """Counts Django's own health check (the ``SELECT 1`` round trip)."""
    real, calls = DatabaseWrapper.is_usable, []

    def counted(self):
        calls.append(self.alias)
        return real(self)

    monkeypatch.setattr(DatabaseWrapper, "is_usable", counted)
    return calls


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _next_request_pid() -> int:
    # What a request does first: the connection is checked again before its first query.
    request_started.send(sender=None)
    return _backend_pid()


def _terminate(pid: int) -> None:
    """End a backend as a restart or a failover would, and wait until it is gone."""
    params = connection.settings_dict
    with psycopg.connect(
        host=params["HOST"] or "127.0.0.1",
        port=int(params["PORT"] or 5432),
        user=params["USER"],
        dbname="postgres",
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(250):
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
                return
            time.sleep(0.02)
    raise AssertionError("the backend did not end")


def test_the_health_check_is_on_and_ours(settings):
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    _backend_pid()
    assert connection.is_usable.func.__module__ == "grove.tenancy.db"


def test_a_healthy_idle_connection_is_reused_without_a_round_trip(round_trip_checks):
    pid = _backend_pid()

    assert _next_request_pid() == pid
    assert _next_request_pid() == pid
    assert round_trip_checks == []


def test_a_connection_the_server_ended_is_replaced_before_the_request_uses_it(
    round_trip_checks,
):
    pid = _backend_pid()
    _terminate(pid)

    # No error: the check saw the server's goodbye, confirmed with a round trip, reconnected.
    new_pid = _next_request_pid()

    assert new_pid != pid
    assert round_trip_checks == ["default"]
    assert connection.is_usable()


def test_with_a_transaction_open_the_round_trip_decides(round_trip_checks):
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        try:
            assert connection.is_usable()
        finally:
            cursor.execute("ROLLBACK")

    assert round_trip_checks == ["default"]


def test_a_closed_connection_is_not_usable(round_trip_checks):
    _backend_pid()
    connection.connection.close()

    assert not connection.is_usable()
    connection.close()
    assert round_trip_checks == []
