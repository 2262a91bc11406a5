"""A throwaway PostgreSQL database with roles of its own, and manage.py run against it.

For tests that follow docs/operations.md end to end: create roles as the superuser, migrate as
the owner, then check what the application role may do. Everything is dropped at the end.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection


@pytest.fixture
def throwaway_database():
    """``(server, names)``: connection parameters, and the database, owner and app role names."""
    params = connection.settings_dict
    server = {
        "host": params["HOST"] or "127.0.0.1",
        "port": int(params["PORT"] or 5432),
        "user": params["USER"],
    }
    suffix = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
    names = {
        "database": f"grove_roles_{suffix}",
        "owner": f"grove_owner_{suffix}",
        "app": f"grove_app_{suffix}",
    }
    admin = psycopg.connect(dbname="postgres", autocommit=True, **server)
    admin.execute(f'CREATE DATABASE "{names["database"]}"')
    try:
        yield server, names
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{names["database"]}" WITH (FORCE)')
        for role in (names["app"], names["owner"]):
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        admin.close()


def run_manage(*args, user: str, server: dict, database: str) -> str:
    """Run manage.py as ``user`` on ``database`` in a subprocess; fail the test if it fails."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"GROVE_DB_APP_ROLE", "DATABASE_TEST_NAME"}
    }
    env |= {
        "DATABASE_URL": f"postgres://{user}@{server['host']}:{server['port']}/{database}",
        "DEBUG": "0",
        "SECRET_KEY": "test-only",
    }
    result = subprocess.run(  # noqa: S603 -- our own manage.py, fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr  # noqa: S101 -- a test helper
    return result.stdout
