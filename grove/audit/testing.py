"""Test support for the access log, loaded by the root conftest.py (``pytest_plugins``).

On SQLite, Django empties the tables between transactional tests (``transactional_db``,
``live_server``: the browser tests) with DELETE, which the access log's triggers refuse. The test
runner's flush is a purge, then: it goes through the same permit as ``purge_chain``, inside the
flush's own transaction, so the permit never outlives it. (On PostgreSQL the flush is a
TRUNCATE, which the test role alone may run: see grove/tenancy/roles.py.)
"""

import pytest

from .append_only import PERMIT_TABLE


@pytest.fixture(scope="session", autouse=True)
def _sqlite_flush_purges_the_access_log():
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        yield
        return
    from django.db.backends.sqlite3.base import DatabaseWrapper

    DatabaseOperations = DatabaseWrapper.ops_class
    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        # One transaction (execute_sql_flush runs its statements atomically): permit, flush, end.
        original(
            self,
            [
                f"INSERT OR IGNORE INTO {PERMIT_TABLE} (id) VALUES (1)",  # noqa: S608
                *sql_list,
                f"DELETE FROM {PERMIT_TABLE}",  # noqa: S608
            ],
        )

    DatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    DatabaseOperations.execute_sql_flush = original
