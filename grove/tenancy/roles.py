"""The two PostgreSQL roles: the owner runs migrations, the application role serves requests.

The owner owns the database, its ``public`` schema and every table in it. Row-level security is
forced on the tenant-owned tables, so even the owner sees only what the tenant settings allow.
The application role can log in and read and write rows, nothing more: no superuser, no
BYPASSRLS, no CREATE on the schema, so a request can neither step around the policies nor
change them. ``manage.py setup_db_roles`` prints (or runs) these statements;
docs/operations.md explains the deployment.
"""

from __future__ import annotations

import re

# Lower-case identifiers only: they are quoted into SQL and must mean the same thing unquoted.
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleNameError(ValueError):
    pass


def _ident(name: str) -> str:
    if not _IDENTIFIER.fullmatch(name or ""):
        raise RoleNameError(
            f"{name!r} is not a plain PostgreSQL identifier (lower-case letters, digits, _)"
        )
    return f'"{name}"'


def _create_role(role: str, attributes: str) -> list[str]:
    """CREATE the role if it is missing, then set its attributes either way (idempotent)."""
    literal = role.strip('"')
    return [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{literal}') "
        f"THEN CREATE ROLE {role}; END IF; END $$",
        f"ALTER ROLE {role} {attributes}",
    ]


def grant_app_role_sql(
    app_role: str, *, owner_role: str | None = None, truncate: bool = False
) -> list[str]:
    """Grants for the application role on the current database's public schema.

    Default privileges apply to tables later created by ``owner_role`` (by the current role when
    not given). ``truncate`` is for the test suite only (flushing tables between tests). The
    access log's tables are append-only: no UPDATE or DELETE there (grove/audit/append_only.py;
    its migration revokes what the default privileges grant).
    """
    from grove.audit.append_only import revoke_app_role_sql

    table_privileges = "SELECT, INSERT, UPDATE, DELETE" + (", TRUNCATE" if truncate else "")
    role = _ident(app_role)
    for_owner = f"FOR ROLE {_ident(owner_role)} " if owner_role else ""
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT {table_privileges} ON ALL TABLES IN SCHEMA public TO {role}",
        *revoke_app_role_sql(role),
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # Tables created by later migrations (run by the owner) get the same grants.
        f"ALTER DEFAULT PRIVILEGES {for_owner}IN SCHEMA public "
        f"GRANT {table_privileges} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES {for_owner}IN SCHEMA public "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]


def _transfer_ownership_sql(owner: str) -> str:
    """Hand what already exists in ``public`` (e.g. migrated by an admin) to the owner."""
    literal = owner.strip('"')
    return f"""DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND pg_get_userbyid(c.relowner) <> '{literal}'
    LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO %I', r.name, '{literal}');
    END LOOP;
    -- Sequences owned by a column follow their table; the others move on their own.
    FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'S'
          AND pg_get_userbyid(c.relowner) <> '{literal}'
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                          AND d.objid = c.oid AND d.deptype IN ('a', 'i'))
    LOOP
        EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', r.name, '{literal}');
    END LOOP;
    FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p
        JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '{literal}'
          AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                          AND d.objid = p.oid AND d.deptype = 'e')  -- extensions keep theirs
    LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO %I', r.name, '{literal}');
    END LOOP;
END $$"""  # noqa: S608 -- a validated identifier (_ident), no user text


def setup_roles_sql(*, database: str, app_role: str, owner_role: str | None = None) -> list[str]:
    """Every statement, in order, to create (or bring up to date) the roles of ``database``.

    Run as a superuser (or the hosting provider's admin role) connected to ``database``.
    Passwords are not set here: set them with psql's ``\\password`` so they stay out of logs.
    """
    app = _ident(app_role)
    db = _ident(database)
    statements: list[str] = []
    if owner_role:
        owner = _ident(owner_role)
        if owner == app:
            raise RoleNameError("the owner and the application role must differ")
        statements += _create_role(
            owner, "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION"
        )
        statements += [
            f"ALTER DATABASE {db} OWNER TO {owner}",
            f"ALTER SCHEMA public OWNER TO {owner}",
            _transfer_ownership_sql(owner),
        ]
    statements += _create_role(
        app, "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION"
    )
    statements += [
        f"GRANT CONNECT ON DATABASE {db} TO {app}",
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        f"REVOKE CREATE ON SCHEMA public FROM {app}",
    ]
    statements += grant_app_role_sql(app_role, owner_role=owner_role)
    # No JIT compilation for the application's queries: short OLTP statements never repay it,
    # and the ranked search spent 260-360 ms compiling (docs/benchmarks.md). The settings pass
    # ``-c jit=off`` too; this covers any other client logging in as the role.
    statements.append(f"ALTER ROLE {app} IN DATABASE {db} SET jit = off")
    # Full-text search under row-level security: only a LEAKPROOF operator may serve the GIN
    # index (grove/practices/migrations/0002_search.py says why this one is safe). A superuser
    # setting of this database; the migration applies it too when a superuser migrates.
    statements.append(SEARCH_LEAKPROOF_SQL)
    return statements


SEARCH_LEAKPROOF_SQL = "ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) LEAKPROOF"
