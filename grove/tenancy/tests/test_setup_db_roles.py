"""manage.py setup_db_roles: the owner and application roles, printed or created.

The PostgreSQL test follows docs/operations.md end to end in a throwaway database: create the
roles as a superuser, migrate as the owner, then check what the application role can do.
"""

import uuid
from io import StringIO
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from grove.core.testing.postgres import run_manage

BASE_DIR = Path(settings.BASE_DIR)


def _print(*args) -> str:
    out = StringIO()
    call_command("setup_db_roles", *args, stdout=out)
    return out.getvalue()


def test_it_prints_the_roles_and_grants():
    sql = _print("--app-role", "grove_app", "--owner-role", "grove_owner", "--database-name", "g")
    assert 'ALTER ROLE "grove_app" LOGIN NOSUPERUSER NOBYPASSRLS' in sql
    assert 'ALTER ROLE "grove_owner" LOGIN NOSUPERUSER' in sql
    assert 'ALTER SCHEMA public OWNER TO "grove_owner";' in sql
    assert 'REVOKE CREATE ON SCHEMA public FROM "grove_app";' in sql
    assert (
        'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "grove_app"' in sql
    )
    assert (
        'ALTER DEFAULT PRIVILEGES FOR ROLE "grove_owner" IN SCHEMA public '
        'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "grove_app";'
    ) in sql
    assert "TRUNCATE" not in sql
    assert 'ALTER ROLE "grove_app" IN DATABASE "g" SET jit = off;' in sql


def test_it_refuses_a_role_name_that_is_not_a_plain_identifier():
    with pytest.raises(CommandError, match="not a plain PostgreSQL identifier"):
        _print("--app-role", 'app"; DROP TABLE x; --', "--database-name", "g")
    with pytest.raises(CommandError, match="must differ"):
        _print("--app-role", "same", "--owner-role", "same", "--database-name", "g")


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql",
    reason="the SQLite refusal",
)
def test_execute_needs_postgresql():
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("setup_db_roles", "--app-role", "grove_app", "--execute")


def _rows(conn, sql, params=()):
    return conn.execute(sql, params).fetchall()


@pytest.mark.postgres
def test_the_roles_it_creates_serve_and_migrate_under_row_level_security(throwaway_database):
    server, names = throwaway_database
    database, owner, app = names["database"], names["owner"], names["app"]
    for _ in range(2):  # running it again changes nothing
        out = run_manage(
            "setup_db_roles",
            "--app-role",
            app,
            "--owner-role",
            owner,
            "--execute",
            user=server["user"],
            server=server,
            database=database,
        )
        assert "Roles ready" in out
    run_manage("migrate", "--noinput", user=owner, server=server, database=database)

    with psycopg.connect(dbname=database, user=app, **_host(server)) as conn:
        assert _rows(
            conn,
            "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = current_user",
        ) == [(False, False, True)]
        assert _rows(
            conn,
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class "
            "WHERE relname IN ('tenancy_organization', 'accounts_user', 'django_migrations')",
        ) == [(owner,)]
        assert _rows(conn, "SELECT has_schema_privilege('public', 'CREATE')") == [(False,)]
        # No JIT compilation for the application role, whichever client connects.
        assert _rows(conn, "SHOW jit") == [("off",)]
        # The search operator may serve its GIN index under row-level security.
        assert _rows(conn, "SELECT proleakproof FROM pg_proc WHERE proname = 'ts_match_vq'") == [
            (True,)
        ]

        org_a, org_b = uuid.uuid4(), uuid.uuid4()
        for org in (org_a, org_b):
            with conn.transaction():
                conn.execute("SELECT set_config('grove.organization_id', %s, true)", [str(org)])
                conn.execute(
                    "INSERT INTO tenancy_organization (id, name, slug, contract_start, "
                    "contract_end, status, data_region, created_at) VALUES "
                    "(%s, 'Client', %s, current_date, current_date, 'active', 'eu', now())",
                    [org, f"client-{org.hex[:8]}"],
                )
        conn.commit()

        def visible(organization_id: str) -> list:
            with conn.transaction():
                conn.execute(
                    "SELECT set_config('grove.organization_id', %s, true)", [organization_id]
                )
                return _rows(conn, "SELECT id FROM tenancy_organization")

        assert visible(str(org_a)) == [(org_a,)]
        assert visible(str(org_b)) == [(org_b,)]
        assert visible("") == []
        assert _rows(conn, "SELECT count(*) FROM tenancy_organization") == [(0,)]
        conn.commit()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE app_may_not_create (id int)")
        conn.rollback()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("ALTER TABLE tenancy_organization DISABLE ROW LEVEL SECURITY")
        conn.rollback()

    with psycopg.connect(dbname=database, user=owner, **_host(server)) as conn:
        # FORCE: the owner too sees nothing without a tenant or the explicit bypass.
        assert _rows(conn, "SELECT count(*) FROM tenancy_organization") == [(0,)]
        # A table a later migration creates gets the application role's grants by default.
        conn.execute("CREATE TABLE later_table (id int)")
        conn.execute("INSERT INTO later_table VALUES (1)")
        conn.commit()
    with psycopg.connect(dbname=database, user=app, **_host(server)) as conn:
        assert _rows(conn, "SELECT id FROM later_table") == [(1,)]


def _host(server: dict) -> dict:
    return {"host": server["host"], "port": server["port"]}
