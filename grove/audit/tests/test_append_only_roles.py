"""The production set-up (docs/operations.md) leaves the application role unable to edit the log.

Roles are created on an empty database, the owner migrates (default privileges would give the
application role UPDATE and DELETE on the new tables: the migration takes them back), and
running setup_db_roles again later does not give them back either.
"""

import datetime
import json
import uuid

import psycopg
import pytest

from grove.audit.chain import APPEND_SQL
from grove.audit.hashing import GENESIS_HASH, OPERATOR_CHAIN
from grove.core.testing.postgres import run_manage

pytestmark = [pytest.mark.postgres]
OPERATOR = OPERATOR_CHAIN


def _append_params(*, organization, chain, n: int = 0, details: dict | None = None) -> dict:
    document = json.dumps(details or {})
    return {
        "canonical": f"event {n} {document}",  # not verified here: any text will do
        "chain_key": chain,
        "genesis": GENESIS_HASH,
        "now": datetime.datetime.now(datetime.UTC),
        "public_id": uuid.uuid4(),
        "occurred_at": datetime.datetime.now(datetime.UTC),
        "organization_id": organization,
        "actor_id": None,
        "actor_role": "",
        "grant_id": None,
        "action": "audit.purged" if details else "data.view",
        "object_type": "",
        "object_ids": "[]",
        "subject_user_id": None,
        "subject_ref": "",
        "request_id": "",
        "ip_prefix": "",
        "details": document,
    }


def _privileges(conn, role: str) -> dict:
    return {
        (table, privilege): held
        for table, privilege, held in conn.execute(
            "SELECT t, p, has_table_privilege(%s, t, p) FROM "
            "unnest(ARRAY['audit_auditevent', 'audit_auditanchor', 'audit_auditchainhead']) t, "
            "unnest(ARRAY['INSERT', 'UPDATE', 'DELETE']) p",
            [role],
        ).fetchall()
    }


EXPECTED = {
    ("audit_auditevent", "INSERT"): True,
    ("audit_auditevent", "UPDATE"): False,
    ("audit_auditevent", "DELETE"): False,
    ("audit_auditanchor", "INSERT"): True,
    ("audit_auditanchor", "UPDATE"): False,
    ("audit_auditanchor", "DELETE"): False,
    ("audit_auditchainhead", "INSERT"): True,
    ("audit_auditchainhead", "UPDATE"): True,
    ("audit_auditchainhead", "DELETE"): False,
}


def test_the_application_role_cannot_update_or_delete_the_access_log(throwaway_database):
    server, names = throwaway_database
    database, owner, app = names["database"], names["owner"], names["app"]
    setup = ("setup_db_roles", "--app-role", app, "--owner-role", owner, "--execute")
    run_manage(*setup, user=server["user"], server=server, database=database)
    run_manage("migrate", "--noinput", user=owner, server=server, database=database)
    host = {"host": server["host"], "port": server["port"]}
    with psycopg.connect(dbname=database, user=owner, **host) as conn:
        assert _privileges(conn, app) == EXPECTED
    run_manage(*setup, user=server["user"], server=server, database=database)  # again, later
    with psycopg.connect(dbname=database, user=app, **host) as conn:
        assert _privileges(conn, app) == EXPECTED
        for statement in (
            "UPDATE audit_auditevent SET action = ''",
            "DELETE FROM audit_auditevent",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()
        # The purge function is the way to delete, and it wants the purge recorded first.
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="record the purge"):
            conn.execute("SELECT grove_audit_purge(%s, 1)", [uuid.uuid4()])
        conn.rollback()
        # The whole path as the application role, the function running as a non-superuser
        # owner (under FORCE row-level security): append two events, record, purge.
        chain = uuid.uuid4()
        conn.execute("SELECT set_config('grove.rls_bypass', 'on', true)")
        for n in (1, 2):
            conn.execute(APPEND_SQL, _append_params(organization=None, chain=chain, n=n))
        purge = {"chain": str(chain), "through_sequence": 1}
        conn.execute(APPEND_SQL, _append_params(organization=None, chain=OPERATOR, details=purge))
        assert conn.execute("SELECT grove_audit_purge(%s, 1)", [chain]).fetchone() == (1,)
        assert conn.execute(
            "SELECT current_setting('grove.audit_purge'), current_setting('grove.rls_bypass')"
        ).fetchone() == ("", "on")  # the switch is off again, the caller's bypass as it was
        assert conn.execute(
            "SELECT sequence FROM audit_auditevent WHERE chain_key = %s", [chain]
        ).fetchall() == [(2,)]
        conn.commit()
    # The owner holds every privilege on its tables; the trigger still refuses.
    with (
        psycopg.connect(dbname=database, user=owner, **host) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"),
    ):
        conn.execute("SELECT set_config('grove.rls_bypass', 'on', false)")
        conn.execute(
            "INSERT INTO audit_auditanchor (chain_key, sequence, hash, created_at) "
            "VALUES (gen_random_uuid(), 1, 'x', now())"
        )
        conn.execute("DELETE FROM audit_auditanchor")
