"""Row-level security, the second wall: migration operations for PostgreSQL (no-ops elsewhere).

Each tenant-owned table gets one policy: a row is visible and writable only when its
organization column equals the transaction's ``grove.organization_id`` setting, or when the
transaction runs inside the explicit ``unscoped()`` escape hatch. Both settings are read through
STABLE SQL functions, each called in a scalar subquery so that PostgreSQL evaluates it once per
statement rather than once per row (see bench/); an index on the organization column keeps
serving. FORCE makes the policy apply to the table owner too
(migrations set the bypass when they touch data).
"""

from __future__ import annotations

from django.db import migrations

POLICY_NAME = "grove_tenant_isolation"

CREATE_FUNCTIONS_SQL = """
CREATE OR REPLACE FUNCTION grove_current_org() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT nullif(current_setting('grove.organization_id', true), '')::uuid $$;
CREATE OR REPLACE FUNCTION grove_rls_bypass() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('grove.rls_bypass', true), '') = 'on' $$;
"""

DROP_FUNCTIONS_SQL = """
DROP FUNCTION IF EXISTS grove_current_org();
DROP FUNCTION IF EXISTS grove_rls_bypass();
"""


class CreateRlsFunctions(migrations.RunSQL):
    def __init__(self) -> None:
        super().__init__(CREATE_FUNCTIONS_SQL, DROP_FUNCTIONS_SQL)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {})


class EnableTenantRls(migrations.operations.base.Operation):
    """Enable and force RLS on a model's table, keyed on ``column`` (the organization id)."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, column: str = "organization_id") -> None:
        self.model_name = model_name
        self.column = column

    def deconstruct(self):
        kwargs = {"model_name": self.model_name}
        if self.column != "organization_id":
            kwargs["column"] = self.column
        return (self.__class__.__qualname__, [], kwargs)

    def state_forwards(self, app_label, state) -> None:
        pass

    def _table(self, app_label, state) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self._table(app_label, to_state))
        column = schema_editor.quote_name(self.column)
        # Each function in a scalar subquery: evaluated once per statement (an InitPlan), not
        # once per row; the organization comparison still serves an index.
        condition = f"(SELECT grove_rls_bypass()) OR {column} = (SELECT grove_current_org())"
        schema_editor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        schema_editor.execute(
            f"CREATE POLICY {POLICY_NAME} ON {table} USING ({condition}) WITH CHECK ({condition})"
        )

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        table = schema_editor.quote_name(self._table(app_label, from_state))
        schema_editor.execute(f"DROP POLICY IF EXISTS {POLICY_NAME} ON {table}")
        schema_editor.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        schema_editor.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")

    def describe(self) -> str:
        return f"Enable tenant row-level security on {self.model_name}"

    @property
    def migration_name_fragment(self) -> str:
        return f"rls_{self.model_name.lower()}"
