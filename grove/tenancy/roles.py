"""The two PostgreSQL roles: the owner runs migrations, the application role serves requests.

``manage.py setup_db_roles`` prints (or runs) these statements; docs/operations.md explains.
"""

from __future__ import annotations


def grant_app_role_sql(app_role: str, *, truncate: bool = False) -> list[str]:
    """Grants for the application role on the current database's public schema.

    ``truncate`` is for the test suite only (flushing tables between transactional tests).
    """
    table_privileges = "SELECT, INSERT, UPDATE, DELETE" + (", TRUNCATE" if truncate else "")
    role = f'"{app_role}"'
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT {table_privileges} ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # Tables created by later migrations (run by the owner) get the same grants.
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT {table_privileges} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]
