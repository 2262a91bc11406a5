"""Shared test set-up: PostgreSQL as the RLS-bound role, the postgres marker, the cast."""

import os

import pytest
from django.conf import settings
from django.db import connection, connections

pytest_plugins = [
    "grove.core.testing.fixtures",
    "grove.core.testing.postgres",
    "grove.audit.testing",
]

TEST_APP_ROLE = "grove_app_test"


def _on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def pytest_collection_modifyitems(config, items):
    if _on_postgres():
        return
    if os.environ.get("GROVE_REQUIRE_POSTGRES") == "1":
        needing = [i.nodeid for i in items if i.get_closest_marker("postgres")]
        if needing:
            raise pytest.UsageError(
                f"GROVE_REQUIRE_POSTGRES=1 but DATABASE_URL is not PostgreSQL: "
                f"{len(needing)} postgres test(s) would be skipped"
            )
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://...)")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    # Belt and braces: a skipped postgres test fails the run when PostgreSQL is required.
    if os.environ.get("GROVE_REQUIRE_POSTGRES") != "1":
        return
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "postgres" in r.keywords]
    if skipped:
        terminalreporter.write_line(
            f"GROVE_REQUIRE_POSTGRES=1: {len(skipped)} postgres test(s) skipped", red=True
        )
        terminalreporter._session.exitstatus = 1


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL, run the whole suite as a role that row-level security applies to.

    The test database is created by the login role (a superuser, which RLS never restricts);
    every connection then switches to TEST_APP_ROLE, granted what the application role gets in
    production (docs/operations.md), so a forgotten tenant scope shows up as a failing test.
    """
    if not _on_postgres():
        yield
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            f"DO $$ BEGIN CREATE ROLE {TEST_APP_ROLE} NOLOGIN; "
            "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
        from grove.tenancy.roles import grant_app_role_sql

        for statement in grant_app_role_sql(TEST_APP_ROLE, truncate=True):
            cursor.execute(statement)
    settings.GROVE_DB_APP_ROLE = TEST_APP_ROLE
    connections.close_all()
    yield
    settings.GROVE_DB_APP_ROLE = ""
    connections.close_all()
