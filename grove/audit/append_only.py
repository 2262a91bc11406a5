"""The database's own refusal to edit the access log: triggers, grants, the purge switch.

The ORM already refuses (AuditEvent.save/delete, the queryset's update/delete); these rules hold
for raw SQL too. On PostgreSQL:

- a trigger refuses every UPDATE of an event or an anchor, and every DELETE unless the
  transaction-local setting ``grove.audit_purge`` is ``on``, which only the retention purge
  function ``grove_audit_purge()`` turns on, for its own duration (grove/audit/chain.py);
- the chain head may only move forward one link at a time (the append), or have its start moved
  forward by the purge; it is never deleted outside the purge;
- the application role has no UPDATE or DELETE privilege on the events and anchors and no
  DELETE on the heads (``revoke_app_role_sql``, used by grove/tenancy/roles.py; the migration
  revokes them from every role but the owner, since default privileges grant them).

On SQLite the same triggers, with ``RAISE(ABORT)``, and a permit table instead of the setting.
SQLite's migrations rebuild a table to alter it, dropping its triggers: a later migration that
alters these tables must call ``install_triggers`` again (a test checks they exist). Between
transactional tests Django empties the tables: on PostgreSQL with TRUNCATE (the test role alone
may), on SQLite with DELETE, which goes through the purge permit (grove/audit/testing.py).

No model imports here: grove/tenancy/roles.py and the migrations import this module.
"""

from __future__ import annotations

EVENT_TABLE = "audit_auditevent"
HEAD_TABLE = "audit_auditchainhead"
ANCHOR_TABLE = "audit_auditanchor"
PERMIT_TABLE = "audit_purgepermit"

# What the application role may not do, table by table (the append needs UPDATE on the head).
REVOKED = {
    EVENT_TABLE: "UPDATE, DELETE",
    ANCHOR_TABLE: "UPDATE, DELETE",
    HEAD_TABLE: "DELETE",
}

_PURGE_ON = "coalesce(current_setting('grove.audit_purge', true), '') = 'on'"

POSTGRES_TRIGGERS_SQL = f"""
CREATE OR REPLACE FUNCTION grove_audit_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND {_PURGE_ON} THEN
        RETURN OLD;  -- the retention purge (grove_audit_purge)
    END IF;
    RAISE EXCEPTION 'grove: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE FUNCTION grove_audit_guard_head() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF {_PURGE_ON} THEN
            RETURN OLD;
        END IF;
    ELSIF NEW.chain_key = OLD.chain_key
          AND NEW.last_sequence = OLD.last_sequence + 1
          AND NEW.prev_hash = OLD.last_hash
          AND NEW.base_sequence = OLD.base_sequence
          AND NEW.base_hash = OLD.base_hash THEN
        RETURN NEW;  -- an append: one link forward, from the last hash
    ELSIF {_PURGE_ON}
          AND NEW.chain_key = OLD.chain_key
          AND NEW.last_sequence = OLD.last_sequence
          AND NEW.last_hash = OLD.last_hash
          AND NEW.prev_hash = OLD.prev_hash
          AND NEW.base_sequence >= OLD.base_sequence THEN
        RETURN NEW;  -- the purge moves the chain's start forward
    END IF;
    RAISE EXCEPTION 'grove: the access-log chain head only moves forward (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

DROP TRIGGER IF EXISTS grove_append_only ON {EVENT_TABLE};
CREATE TRIGGER grove_append_only BEFORE UPDATE OR DELETE ON {EVENT_TABLE}
    FOR EACH ROW EXECUTE FUNCTION grove_audit_refuse_change();
DROP TRIGGER IF EXISTS grove_append_only ON {ANCHOR_TABLE};
CREATE TRIGGER grove_append_only BEFORE UPDATE OR DELETE ON {ANCHOR_TABLE}
    FOR EACH ROW EXECUTE FUNCTION grove_audit_refuse_change();
DROP TRIGGER IF EXISTS grove_forward_only ON {HEAD_TABLE};
CREATE TRIGGER grove_forward_only BEFORE UPDATE OR DELETE ON {HEAD_TABLE}
    FOR EACH ROW EXECUTE FUNCTION grove_audit_guard_head();
"""

POSTGRES_DROP_TRIGGERS_SQL = f"""
DROP TRIGGER IF EXISTS grove_append_only ON {EVENT_TABLE};
DROP TRIGGER IF EXISTS grove_append_only ON {ANCHOR_TABLE};
DROP TRIGGER IF EXISTS grove_forward_only ON {HEAD_TABLE};
DROP FUNCTION IF EXISTS grove_audit_refuse_change();
DROP FUNCTION IF EXISTS grove_audit_guard_head();
"""

# Every role holding a revoked privilege, except the owner, loses it: default privileges gave
# the application role everything on tables the owner creates.
_POSTGRES_REVOKE_FROM_ALL = """
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT DISTINCT a.grantee
               FROM pg_class c, aclexplode(c.relacl) a
              WHERE c.oid = '{table}'::regclass
                AND a.privilege_type = ANY(string_to_array('{privileges}', ', '))
                AND a.grantee <> c.relowner
    LOOP
        IF r.grantee = 0 THEN
            EXECUTE format('REVOKE {privileges} ON {table} FROM PUBLIC');
        ELSE
            EXECUTE format('REVOKE {privileges} ON {table} FROM %s', r.grantee::regrole);
        END IF;
    END LOOP;
END $$
"""


def postgres_revoke_from_all_sql() -> list[str]:
    return [
        _POSTGRES_REVOKE_FROM_ALL.format(table=table, privileges=privileges)
        for table, privileges in REVOKED.items()
    ]


def revoke_app_role_sql(quoted_role: str) -> list[str]:
    """After ``GRANT ... ON ALL TABLES``: take back what the access log's tables refuse.

    The tables may not exist yet (roles are set up before the first migration, which then
    revokes the default privileges itself), hence the check.
    """
    statements = []
    for table, privileges in REVOKED.items():
        statements.append(
            f"DO $$ BEGIN IF to_regclass('public.{table}') IS NOT NULL THEN "
            f"REVOKE {privileges} ON {table} FROM {quoted_role}; END IF; END $$"
        )
    return statements


def _sqlite_refusal(table: str, operation: str) -> str:
    return f"SELECT RAISE(ABORT, 'grove: {table} is append-only ({operation} refused)');"


_PERMIT = "EXISTS (SELECT 1 FROM audit_purgepermit)"
_NO_PERMIT = f"WHEN NOT {_PERMIT}"

SQLITE_TRIGGERS_SQL = [
    f"CREATE TABLE IF NOT EXISTS {PERMIT_TABLE} (id integer PRIMARY KEY)",
    *[
        statement
        for table in (EVENT_TABLE, ANCHOR_TABLE)
        for statement in (
            f"DROP TRIGGER IF EXISTS grove_{table}_no_update",
            f"CREATE TRIGGER grove_{table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN {_sqlite_refusal(table, 'UPDATE')} END",
            f"DROP TRIGGER IF EXISTS grove_{table}_no_delete",
            f"CREATE TRIGGER grove_{table}_no_delete BEFORE DELETE ON {table} "
            f"{_NO_PERMIT} BEGIN {_sqlite_refusal(table, 'DELETE')} END",
        )
    ],
    f"DROP TRIGGER IF EXISTS grove_{HEAD_TABLE}_forward_only",
    f"CREATE TRIGGER grove_{HEAD_TABLE}_forward_only BEFORE UPDATE ON {HEAD_TABLE} "
    "WHEN NOT ("
    "(NEW.chain_key = OLD.chain_key AND NEW.last_sequence = OLD.last_sequence + 1 "
    " AND NEW.prev_hash = OLD.last_hash AND NEW.base_sequence = OLD.base_sequence "
    " AND NEW.base_hash = OLD.base_hash) "
    f"OR ({_PERMIT} AND NEW.chain_key = OLD.chain_key "
    " AND NEW.last_sequence = OLD.last_sequence AND NEW.last_hash = OLD.last_hash "
    " AND NEW.prev_hash = OLD.prev_hash AND NEW.base_sequence >= OLD.base_sequence)) "
    "BEGIN SELECT RAISE(ABORT, 'grove: the access-log chain head only moves forward'); END",
    f"DROP TRIGGER IF EXISTS grove_{HEAD_TABLE}_no_delete",
    f"CREATE TRIGGER grove_{HEAD_TABLE}_no_delete BEFORE DELETE ON {HEAD_TABLE} "
    f"{_NO_PERMIT} BEGIN {_sqlite_refusal(HEAD_TABLE, 'DELETE')} END",
]

SQLITE_DROP_TRIGGERS_SQL = [
    *[
        f"DROP TRIGGER IF EXISTS grove_{table}_{kind}"
        for table in (EVENT_TABLE, ANCHOR_TABLE)
        for kind in ("no_update", "no_delete")
    ],
    f"DROP TRIGGER IF EXISTS grove_{HEAD_TABLE}_forward_only",
    f"DROP TRIGGER IF EXISTS grove_{HEAD_TABLE}_no_delete",
    f"DROP TABLE IF EXISTS {PERMIT_TABLE}",
]


# The only way to delete events on PostgreSQL. The application role has no DELETE on the table;
# this function runs as its owner (SECURITY DEFINER), turns the switch the triggers check on for
# its own duration only (it puts the setting back before returning), and refuses unless the purge
# was recorded in the operator chain by this very transaction.
PURGE_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION grove_audit_purge(p_chain uuid, p_through bigint) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
AS $$
DECLARE
    v_top bigint := pg_current_xact_id()::text::bigint;
    v_purge text := coalesce(current_setting('grove.audit_purge', true), '');
    v_bypass text := coalesce(current_setting('grove.rls_bypass', true), '');
    v_hash text;
    v_base bigint;
    v_deleted bigint;
BEGIN
    -- The switch and the RLS bypass, for this function's statements only: both are put back
    -- before it returns (a failure rolls them back with the rest). A SET clause would do it,
    -- but only a superuser may create a function that SETs a custom parameter.
    PERFORM set_config('grove.audit_purge', 'on', true);
    PERFORM set_config('grove.rls_bypass', 'on', true);
    -- The purge event must have been written by this transaction (or one of its savepoints):
    -- a row we can see whose writer is still in progress can only be ours. xmin is 32 bits;
    -- pg_xact_status wants the 64-bit id, whose epoch is ours (or the next, past a wrap).
    IF NOT EXISTS (
        SELECT 1 FROM audit_auditevent e
         WHERE e.chain_key = '00000000-0000-0000-0000-000000000000'
           AND e.action = 'audit.purged'
           AND e.details->>'chain' = p_chain::text
           AND e.details->>'through_sequence' = p_through::text
           AND pg_xact_status((
                   ((v_top >> 32) << 32) + e.xmin::text::bigint
                   + CASE WHEN e.xmin::text::bigint < (v_top & 4294967295)
                          THEN 4294967296 ELSE 0 END
               )::text::xid8) = 'in progress'
    ) THEN
        RAISE EXCEPTION 'grove: record the purge in the access log first (audit.purged, '
                        'in the same transaction)' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT hash INTO v_hash FROM audit_auditevent
     WHERE chain_key = p_chain AND sequence = p_through;
    IF v_hash IS NULL THEN
        RAISE EXCEPTION 'grove: no event at sequence % of chain %', p_through, p_chain;
    END IF;
    -- From the chain's base up: the events below it are gone, but their index entries stay
    -- until a vacuum, and a scan from the chain's start would walk all of them batch after
    -- batch (a purge in batches turned quadratic).
    SELECT base_sequence INTO v_base FROM audit_auditchainhead WHERE chain_key = p_chain;
    DELETE FROM audit_auditevent
     WHERE chain_key = p_chain AND sequence > coalesce(v_base, 0) AND sequence <= p_through;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    UPDATE audit_auditchainhead SET base_sequence = p_through, base_hash = v_hash
     WHERE chain_key = p_chain;
    PERFORM set_config('grove.audit_purge', v_purge, true);
    PERFORM set_config('grove.rls_bypass', v_bypass, true);
    RETURN v_deleted;
END
$$;
"""
DROP_PURGE_FUNCTION_SQL = "DROP FUNCTION IF EXISTS grove_audit_purge(uuid, bigint);"


def install_triggers(schema_editor) -> None:
    """Create (or re-create) the triggers, and on PostgreSQL revoke the privileges."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_TRIGGERS_SQL, None)
        schema_editor.execute(PURGE_FUNCTION_SQL, None)
        for statement in postgres_revoke_from_all_sql():
            schema_editor.execute(statement, None)
    elif vendor == "sqlite":
        for statement in SQLITE_TRIGGERS_SQL:
            schema_editor.execute(statement, None)


def drop_triggers(schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(DROP_PURGE_FUNCTION_SQL, None)
        schema_editor.execute(POSTGRES_DROP_TRIGGERS_SQL, None)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP_TRIGGERS_SQL:
            schema_editor.execute(statement, None)
