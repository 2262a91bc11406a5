"""grove/tenancy/db.py: the execute wrapper that hands the current tenant to PostgreSQL.

Each behaviour runs with the settings sent as a prefix of the statement (one round trip) and as
a separate statement (GROVE_RLS_SET_MODE="statement"); both must give the same results.
"""

import pytest
from django.conf import settings
from django.db import ProgrammingError, connection, transaction

from grove.accounts.models import User
from grove.tenancy.context import no_tenant, tenant_context, unscoped
from grove.tenancy.models import JobType, Organization

from .builders import new_job_type, new_organization, new_user

pytestmark = [pytest.mark.postgres]


def _users(organization, count: int) -> list[User]:
    users = [new_user(organization) for _ in range(count)]
    with unscoped("test set-up"):
        User.objects.bulk_create(users)
    return users


@pytest.fixture
def people(org_a, org_b):
    return {org_a.pk: _users(org_a, 3), org_b.pk: _users(org_b, 2)}


def _raw(sql: str, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def _raw_user_pks() -> set:
    return {row[0] for row in _raw("SELECT id FROM accounts_user")}


def _pks(users) -> set:
    return {user.pk for user in users}


def test_switching_tenant_inside_one_transaction_applies_each(
    people, org_a, org_b, rls_mode, transactional_db
):
    with transaction.atomic():
        for organization in (org_a, org_b, org_a, None, org_b):
            if organization is None:
                with no_tenant():
                    assert _raw_user_pks() == set()
                    assert _raw("SELECT current_setting('grove.organization_id')") == [("",)]
                continue
            with tenant_context(organization):
                assert _raw_user_pks() == _pks(people[organization.pk])
                assert set(User.objects.values_list("pk", flat=True)) == _pks(
                    people[organization.pk]
                )
                assert _raw("SELECT current_setting('grove.organization_id')") == [
                    (str(organization.pk),)
                ]
        with unscoped("test: every tenant"):
            assert _raw_user_pks() == _pks(people[org_a.pk]) | _pks(people[org_b.pk])
        with tenant_context(org_b):
            assert _raw_user_pks() == _pks(people[org_b.pk])


def test_a_tenant_entered_after_the_first_statement_is_applied(
    people, org_a, rls_mode, transactional_db
):
    with transaction.atomic(), tenant_context(org_a):
        assert _raw_user_pks() == _pks(people[org_a.pk])  # a committed transaction as A
    with transaction.atomic():
        assert _raw("SELECT 1") == [(1,)]  # first statement, no tenant: nothing to set
        with tenant_context(org_a):
            assert _raw_user_pks() == _pks(people[org_a.pk])


def test_the_settings_do_not_outlive_their_transaction(people, org_a, rls_mode, transactional_db):
    with transaction.atomic(), tenant_context(org_a):
        assert _raw_user_pks() == _pks(people[org_a.pk])
    with no_tenant():
        assert _raw("SELECT current_setting('grove.organization_id', true)") in ([("",)], [(None,)])
        assert _raw_user_pks() == set()


def test_a_statement_reports_its_own_result_after_the_prefix(
    people, org_a, rls_mode, transaction_mode
):
    with tenant_context(org_a), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET first_name = first_name")
        assert cursor.rowcount == 3
        cursor.execute("SELECT id, email FROM accounts_user ORDER BY email")
        assert [column.name for column in cursor.description] == ["id", "email"]
        assert {row[0] for row in cursor.fetchall()} == _pks(people[org_a.pk])
    with tenant_context(org_a):
        assert User.objects.update(last_name="Updated") == 3
        assert User.objects.filter(last_name="Updated").count() == 3


def test_orm_writes_return_the_database_values(org_a, rls_mode, transaction_mode):
    with tenant_context(org_a):
        job = JobType.objects.create(organization=org_a, name="Cashier")
        assert JobType.objects.get(pk=job.pk).name == "Cashier"
        assert JobType.objects.filter(pk=job.pk).delete() == (1, {"tenancy.JobType": 1})


def test_iterator_reads_through_a_server_side_cursor(
    people, org_a, org_b, rls_mode, transaction_mode
):
    assert not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    with tenant_context(org_a):
        assert {u.pk for u in User.objects.iterator(chunk_size=2)} == _pks(people[org_a.pk])
    with tenant_context(org_b):
        assert {u.pk for u in User.objects.iterator(chunk_size=1)} == _pks(people[org_b.pk])
    with unscoped("test: every tenant"):
        assert len(list(User.objects.iterator(chunk_size=2))) == 5
    with no_tenant(), connection.chunked_cursor() as cursor:
        cursor.execute("SELECT id FROM accounts_user")
        assert cursor.fetchall() == []


def test_bulk_create_and_executemany_write_for_the_current_tenant(
    org_a, org_b, rls_mode, transaction_mode
):
    with tenant_context(org_a):
        created = User.objects.bulk_create([new_user(org_a) for _ in range(4)])
        assert User.objects.count() == 4
        assert all(user.pk for user in created)
        with connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO tenancy_jobtype (id, organization_id, name, created_at) "
                "VALUES (%s, %s, %s, now())",
                [(job.pk, org_a.pk, job.name) for job in (new_job_type(org_a) for _ in range(3))],
            )
        assert JobType.objects.count() == 3
    with tenant_context(org_b):
        assert User.objects.count() == 0
        assert JobType.objects.count() == 0


def test_executemany_of_another_tenants_rows_is_refused(org_a, org_b, rls_mode, transaction_mode):
    jobs = [new_job_type(org_a) for _ in range(2)]
    with tenant_context(org_b):
        with (
            pytest.raises(ProgrammingError, match="row-level security"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.executemany(
                "INSERT INTO tenancy_jobtype (id, organization_id, name, created_at) "
                "VALUES (%s, %s, %s, now())",
                [(job.pk, org_a.pk, job.name) for job in jobs],
            )
        assert _raw("SELECT count(*) FROM tenancy_jobtype") == [(0,)]
    with unscoped("test: nothing was written"):
        assert JobType.objects.count() == 0


def test_rolling_back_to_a_savepoint_does_not_leave_a_stale_tenant(
    people, org_a, org_b, rls_mode, transactional_db
):
    # set_config(..., true) issued after a savepoint is undone by rolling back to it: the
    # wrapper must not believe B is still set when the server went back to A.
    with transaction.atomic(), tenant_context(org_a):
        assert _raw_user_pks() == _pks(people[org_a.pk])
        savepoint = transaction.savepoint()
        with tenant_context(org_b):
            assert _raw_user_pks() == _pks(people[org_b.pk])
            transaction.savepoint_rollback(savepoint)
            assert _raw_user_pks() == _pks(people[org_b.pk])
        assert _raw_user_pks() == _pks(people[org_a.pk])


def test_a_failed_statement_in_a_savepoint_rolls_back_cleanly(
    people, org_a, org_b, rls_mode, transactional_db
):
    with transaction.atomic(), tenant_context(org_a):
        assert _raw_user_pks() == _pks(people[org_a.pk])  # a committed transaction as A
    with transaction.atomic():
        # No tenant: the savepoint is the transaction's first statement, nothing to set.
        with pytest.raises(ProgrammingError), transaction.atomic():
            _raw("SELECT no_such_column FROM accounts_user")
        assert _raw("SELECT 1") == [(1,)]
        with tenant_context(org_a):
            assert _raw_user_pks() == _pks(people[org_a.pk])
        with tenant_context(org_b):
            with pytest.raises(ProgrammingError), transaction.atomic():
                _raw("SELECT no_such_column FROM accounts_user")
            assert _raw_user_pks() == _pks(people[org_b.pk])
        with pytest.raises(ProgrammingError), transaction.atomic():  # aborted in no tenant
            _raw("SELECT no_such_column FROM accounts_user")
        with tenant_context(org_a):
            assert _raw_user_pks() == _pks(people[org_a.pk])


def test_an_organization_is_created_only_across_tenants(org_a, rls_mode, transaction_mode):
    organization = new_organization()
    with (
        no_tenant(),
        pytest.raises(ProgrammingError, match="row-level security"),
        transaction.atomic(),
    ):
        organization.save()
    with unscoped("test: a new client"):
        organization.save()
    with tenant_context(organization):
        assert list(Organization.objects.all()) == [organization]


def test_a_tenant_scoped_query_uses_the_organization_index(transactional_db):
    organizations = [new_organization() for _ in range(20)]
    with unscoped("test set-up: a few thousand people"):
        Organization.objects.bulk_create(organizations)
        users = [new_user(org) for org in organizations for _ in range(200)]
        User.objects.bulk_create(users, batch_size=1000)
    with connection.cursor() as cursor:
        # ANALYZE needs the table owner: the login role, under the test role it switched to.
        cursor.execute("SET ROLE NONE")
        try:
            cursor.execute("ANALYZE accounts_user")
        finally:
            cursor.execute(f'SET ROLE "{settings.GROVE_DB_APP_ROLE}"')
        cursor.execute("SELECT current_user")
        assert cursor.fetchone() == (settings.GROVE_DB_APP_ROLE,)
    with tenant_context(organizations[7]):
        queryset = User.objects.filter(is_active=True).order_by("last_name")
        assert queryset.count() == 200
        plan = queryset.explain()
    assert "Seq Scan" not in plan, plan
    assert "accounts_user_organization_id" in plan, plan
    assert "Index Scan" in plan or "Bitmap Index Scan" in plan, plan
