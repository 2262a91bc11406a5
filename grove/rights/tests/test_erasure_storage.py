"""Freed storage: after an erasure, the database's pages no longer hold the erased values.

These tests commit for real (``transaction=True``): the files are deleted and the tables
vacuumed after the commit, as in production. On PostgreSQL the pages are read with
pageinspect by the login role (a superuser in the test set-up); on SQLite the whole database
is serialised and searched byte for byte, free pages included.
"""

from __future__ import annotations

from typing import Any, LiteralString

import psycopg
import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from grove.rights import erasure
from grove.rights.erasure_tasks import vacuum_after_erasure

from .test_erasure_support import (
    EMAIL,
    FIRST_NAME,
    LAST_NAME,
    NEW_FIRST_NAME,
    make_footprint,
    make_person,
)

RAW_NEEDLES = [value.encode() for value in (EMAIL, FIRST_NAME, LAST_NAME, NEW_FIRST_NAME)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# Every relation of the schema (tables, indexes, materialised views) and their TOAST tables.
_RELATIONS_SQL = """
SELECT c.oid::regclass::text, pg_relation_size(c.oid) / current_setting('block_size')::int
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE (n.nspname = 'public' AND c.relkind IN ('r', 'i', 'm'))
   OR c.oid IN (SELECT t.reltoastrelid FROM pg_class t JOIN pg_namespace tn
                ON tn.oid = t.relnamespace WHERE tn.nspname = 'public' AND t.reltoastrelid <> 0)
   OR c.oid IN (SELECT i.indexrelid FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
                WHERE t.relnamespace = 'pg_toast'::regnamespace AND t.oid IN (
                    SELECT reltoastrelid FROM pg_class WHERE relnamespace = 'public'::regnamespace))
"""

_HITS_SQL = """
SELECT count(*) FROM generate_series(0, %s - 1) AS block
WHERE position(%s::bytea IN get_raw_page(%s, block::int)) > 0
"""


def _admin() -> psycopg.Connection:
    """A connection as the login role (a superuser here), with pageinspect."""
    params = connection.settings_dict
    admin = psycopg.connect(
        host=params["HOST"] or "127.0.0.1",
        port=int(params["PORT"] or 5432),
        user=params["USER"],
        dbname=params["NAME"],
        autocommit=True,
    )
    admin.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
    return admin


def _one_row(admin: psycopg.Connection, sql: LiteralString, params: list) -> tuple[Any, ...]:
    """The row of a query that returns exactly one (a count, a relation's kind)."""
    row = admin.execute(sql, params).fetchone()
    assert row is not None, sql
    return row


def _pages_holding(needles: list[bytes]) -> list[str]:
    """Relations whose pages (live, dead or free space) hold any of ``needles``."""
    with _admin() as admin:
        found = []
        for relation, blocks in admin.execute(_RELATIONS_SQL).fetchall():
            if not blocks:
                continue
            for needle in needles:
                (hits,) = _one_row(admin, _HITS_SQL, [blocks, needle, relation])
                if hits:
                    found.append(f"{relation} holds {needle!r}")
        return found


# Row versions of tables (live and dead) and entries of B-tree indexes, page by page.
_HEAP_TUPLES_SQL = """
SELECT count(*) FROM generate_series(0, %s - 1) AS block,
    LATERAL heap_page_items(get_raw_page(%s, block::int)) AS item
WHERE position(%s::bytea IN item.t_data) > 0
"""
_INDEX_TUPLES_SQL = """
SELECT count(*) FROM generate_series(1, %s - 1) AS block,
    LATERAL bt_page_items(get_raw_page(%s, block::int)) AS item
WHERE position(%s IN item.data) > 0
"""
_KINDS_SQL = """
SELECT c.relkind, coalesce(a.amname, '') FROM pg_class c LEFT JOIN pg_am a ON a.oid = c.relam
WHERE c.oid = %s::regclass
"""


def _tuples_holding(needles: list[bytes]) -> list[str]:
    """Relations with a row version or B-tree entry holding any of ``needles``."""
    found = []
    with _admin() as admin:
        for relation, blocks in admin.execute(_RELATIONS_SQL).fetchall():
            if not blocks:
                continue
            kind, method = _one_row(admin, _KINDS_SQL, [relation])
            for needle in needles:
                if kind in ("r", "t", "m"):
                    params = [blocks, relation, needle]
                    (hits,) = _one_row(admin, _HEAP_TUPLES_SQL, params)
                elif method == "btree":
                    spaced = " ".join(f"{byte:02x}" for byte in needle)
                    params = [blocks, relation, spaced]
                    (hits,) = _one_row(admin, _INDEX_TUPLES_SQL, params)
                else:
                    (hits,) = _one_row(admin, _HITS_SQL, [blocks, needle, relation])
                if hits:
                    found.append(f"{relation} holds {needle!r}")
    return found


def _sqlite_bytes() -> bytes:
    connection.ensure_connection()
    return connection.connection.serialize()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_pages_keep_nothing_after_the_vacuum(org_a, alice, bob, security_officer):
    person = make_person(org_a)
    make_footprint(org_a, person=person, alice=alice, bob=bob)
    before = _pages_holding(RAW_NEEDLES)
    assert any(hit.startswith("accounts_user ") for hit in before), before
    erasure.erase_person(actor=security_officer, subject=person)  # commits, enqueues the vacuum
    (queued,) = DBTaskResult.objects.filter(task_path=vacuum_after_erasure.module_path)
    (tables,) = queued.args_kwargs["args"]
    assert {"accounts_user", "rights_datasubjectrequest", "practices_reaction"} <= set(tables)
    result = vacuum_after_erasure.call(tables)  # what the worker runs
    assert result == {"vacuumed": len(tables), "skipped": 0}
    # No row version, live or dead, and no index entry holds the values any more.
    assert _tuples_holding(RAW_NEEDLES) == []
    # The pages' free space may (PostgreSQL does not zero it); the maintenance window's
    # VACUUM FULL rewrites the tables, and then no byte of any page holds them.
    vacuumed, skipped = erasure.erasure_vacuum(full=True)
    assert skipped == [] and "accounts_user" in vacuumed
    assert _pages_holding(RAW_NEEDLES) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_vacuum_runs_as_the_login_role_and_back(org_a, settings):
    vacuumed, skipped = erasure.vacuum_tables(["accounts_user", "practices_reaction"])
    assert vacuumed == ["accounts_user", "practices_reaction"] and skipped == []
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == settings.GROVE_DB_APP_ROLE  # switched back


@pytest.mark.postgres
@pytest.mark.django_db
def test_vacuum_is_skipped_inside_a_transaction():
    vacuumed, skipped = erasure.vacuum_tables(["accounts_user"])
    assert vacuumed == [] and skipped == ["accounts_user"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_application_role_alone_cannot_vacuum_and_says_which_tables(settings, caplog):
    # Logged in as the application role itself (production): VACUUM needs the table owner.
    role = settings.GROVE_DB_APP_ROLE
    connection.ensure_connection()  # switched to the application role, as it logs in
    settings.GROVE_DB_APP_ROLE = ""
    try:
        vacuumed, skipped = erasure.vacuum_tables(["accounts_user"])
    finally:
        settings.GROVE_DB_APP_ROLE = role
    assert vacuumed == [] and skipped == ["accounts_user"]
    assert "accounts_user" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_sqlite_file_keeps_nothing_after_the_erasure(org_a, alice, bob, security_officer):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's secure_delete")
    person = make_person(org_a)
    make_footprint(org_a, person=person, alice=alice, bob=bob)
    before = _sqlite_bytes()
    assert all(needle in before for needle in RAW_NEEDLES)
    erasure.erase_person(actor=security_officer, subject=person)
    after = _sqlite_bytes()
    assert [needle for needle in RAW_NEEDLES if needle in after] == []


def test_the_tables_an_erasure_may_touch_come_from_the_map():
    tables = erasure.erasure_tables()
    assert {
        "accounts_user",
        "django_session",
        "practices_reaction",
        "otp_static_statictoken",
        "practices_attachment",  # with the practices an organization's setting deletes
    } <= set(tables)
    assert "audit_auditevent" not in tables
