"""The second wall, on every tenant-owned table: PostgreSQL row-level security under raw SQL.

Raw SQL through Django's connection skips the scoped manager entirely, so only RLS stands between
tenant B and A's rows here. Each case runs in autocommit (every statement its own transaction)
and inside transaction.atomic, with the tenant settings sent as a prefix of the statement and as
a separate statement (GROVE_RLS_SET_MODE). The suite runs as a role RLS applies to (conftest.py).
"""

import psycopg
import pytest
from django.db import ProgrammingError, connection, transaction

from grove.tenancy.context import no_tenant, tenant_context, unscoped
from grove.tenancy.managers import tenant_owned_models
from grove.tenancy.rls import POLICY_NAME

from .builders import insert_sql, scope_column

pytestmark = [pytest.mark.postgres]


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def _select_pks(model, where: str = "", params=()) -> set:
    pk = _qn(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk} FROM {_qn(model._meta.db_table)} {where}", list(params))
        return {row[0] for row in cursor.fetchall()}


def _execute(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount


def _refused_as_append_only(sql: str, *params) -> None:
    """The access log's tables: no UPDATE or DELETE privilege (grove/audit/append_only.py)."""
    with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
        _execute(sql, params)


def _refused_by_policy(excinfo) -> bool:
    cause = excinfo.value.__cause__
    return isinstance(cause, psycopg.errors.InsufficientPrivilege) and "row-level security" in str(
        cause
    )


def test_the_test_role_is_bound_by_row_level_security(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        user, superuser, bypassrls = cursor.fetchone()
        cursor.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class WHERE relname = %s",
            ["accounts_user"],
        )
        owners = {row[0] for row in cursor.fetchall()}
    assert user == "grove_app_test"
    assert superuser is False
    assert bypassrls is False
    assert user not in owners


def test_every_tenant_owned_table_forces_the_isolation_policy(db):
    tables = {model._meta.db_table: scope_column(model) for model in tenant_owned_models()}
    assert tables
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = ANY(%s) AND relkind = 'r'",
            [list(tables)],
        )
        flags = {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}
        cursor.execute(
            "SELECT tablename, policyname, cmd, permissive, qual, with_check FROM pg_policies "
            "WHERE schemaname = 'public' AND tablename = ANY(%s)",
            [list(tables)],
        )
        policies = {}
        for table, name, command, permissive, qual, with_check in cursor.fetchall():
            policies.setdefault(table, []).append((name, command, permissive, qual, with_check))
    for table, column in tables.items():
        assert flags[table] == (True, True), table
        # One permissive policy: any other permissive one would widen what a tenant sees.
        assert len(policies[table]) == 1, table
        name, command, permissive, qual, with_check = policies[table][0]
        assert (name, command, permissive) == (POLICY_NAME, "ALL", "PERMISSIVE"), table
        for expression in (qual, with_check):
            # Both functions in scalar subqueries: evaluated once per statement, not per row.
            assert f"({column} = ( SELECT grove_current_org()" in expression, table
            assert "( SELECT grove_rls_bypass()" in expression, table


def test_raw_sql_cannot_read_other_tenants_rows(model, rows, org_b, rls_mode, transaction_mode):
    row_a, row_b = rows
    pk = _qn(model._meta.pk.column)
    with tenant_context(org_b):
        assert _select_pks(model) == {row_b.pk}
        assert _select_pks(model, f"WHERE {pk} = %s", [row_a.pk]) == set()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {_qn(model._meta.db_table)}")
            assert cursor.fetchone() == (1,)


def test_raw_sql_cannot_change_other_tenants_rows(
    model, builder, rows, org_a, org_b, rls_mode, transaction_mode
):
    row_a, row_b = rows
    table, pk = _qn(model._meta.db_table), _qn(model._meta.pk.column)
    with tenant_context(org_b):
        if builder.append_only:
            _refused_as_append_only(f"UPDATE {table} SET {pk} = {pk} WHERE {pk} = %s", row_a.pk)
            _refused_as_append_only(f"DELETE FROM {table} WHERE {pk} = %s", row_a.pk)
        else:
            assert _execute(f"UPDATE {table} SET {pk} = {pk} WHERE {pk} = %s", [row_a.pk]) == 0
            assert _execute(f"DELETE FROM {table} WHERE {pk} = %s", [row_a.pk]) == 0
            assert _execute(f"UPDATE {table} SET {pk} = {pk}") == 1  # B's own row only
        sql, params = insert_sql(builder.new(org_a))
        with pytest.raises(ProgrammingError) as excinfo, transaction.atomic():
            _execute(sql, params)
        assert _refused_by_policy(excinfo)
        if not builder.is_tenant:
            sql, params = insert_sql(builder.new(org_b))
            assert _execute(sql, params) == 1
    with unscoped("test: is A's row still there"):
        assert _select_pks(model, f"WHERE {pk} = %s", [row_a.pk]) == {row_a.pk}


def test_raw_sql_without_a_tenant_sees_and_changes_nothing(
    model, builder, rows, rls_mode, transaction_mode
):
    table, pk = _qn(model._meta.db_table), _qn(model._meta.pk.column)
    with no_tenant():
        assert _select_pks(model) == set()
        if builder.append_only:
            _refused_as_append_only(f"UPDATE {table} SET {pk} = {pk}")
            _refused_as_append_only(f"DELETE FROM {table}")
        else:
            assert _execute(f"UPDATE {table} SET {pk} = {pk}") == 0
            assert _execute(f"DELETE FROM {table}") == 0
    with unscoped("test: both rows are there"):
        assert _select_pks(model) >= {row.pk for row in rows}
