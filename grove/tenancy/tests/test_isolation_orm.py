"""The first wall, on every tenant-owned model: the scoped manager and the save/delete guards.

Runs on SQLite and PostgreSQL (where RLS is also on: these tests then cross both walls).
"""

from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection, models, transaction

from grove.accounts.models import User
from grove.audit.models import AuditEvent
from grove.staff.models import CsmAssignment
from grove.tenancy.context import TenantScopeError, no_tenant, tenant_context, unscoped
from grove.tenancy.managers import tenant_owned_models
from grove.tenancy.models import JobType, Organization

from .builders import BUILDERS, scope_value


def _reload(row):
    with unscoped("test: read the row back"):
        return type(row).objects.filter(pk=row.pk).first()


def test_tenant_owned_models_include_the_known_ones():
    found = tenant_owned_models()
    assert found, "no tenant-owned model found: every parametrized isolation test would be empty"
    for model in (Organization, JobType, User, AuditEvent, CsmAssignment):
        assert model in found


def test_every_tenant_owned_model_has_a_row_builder():
    missing = [m._meta.label for m in tenant_owned_models() if m not in BUILDERS]
    assert not missing, f"add a builder to grove/tenancy/tests/builders.py for {missing}"


def test_it_hides_other_tenants_rows_from_reads(model, rows, org_b):
    row_a, row_b = rows
    with tenant_context(org_b):
        manager = model.objects
        assert not manager.filter(pk=row_a.pk).exists()
        with pytest.raises(model.DoesNotExist):
            manager.get(pk=row_a.pk)
        pks = set(manager.values_list("pk", flat=True))
        assert row_a.pk not in pks
        assert row_b.pk in pks
        assert manager.count() == len(pks)
        assert all(scope_value(row) == org_b.pk for row in manager.all())
        assert row_a.pk not in {v["pk"] for v in manager.values("pk")}


def test_it_shows_a_tenant_its_own_rows(model, rows, org_a):
    row_a, _row_b = rows
    with tenant_context(org_a):
        assert model.objects.get(pk=row_a.pk).pk == row_a.pk


def test_it_cannot_update_or_delete_other_tenants_rows_in_bulk(model, builder, rows, org_b):
    row_a, _row_b = rows
    field, value = builder.change
    with tenant_context(org_b):
        queryset = model.objects.filter(pk=row_a.pk)
        # The plain QuerySet methods, past the audit log's append-only guard: the scope is tested.
        with _refused_on_postgres_if_append_only(builder):
            assert models.QuerySet.update(queryset, **{field: value()}) == 0
        with _refused_on_postgres_if_append_only(builder):
            assert models.QuerySet.delete(queryset) == (0, {})
    assert getattr(_reload(row_a), field) == getattr(row_a, field)


@contextmanager
def _refused_on_postgres_if_append_only(builder):
    """The access log's tables: on PostgreSQL the role has no UPDATE or DELETE privilege at all,
    so even a statement matching no row is refused (grove/audit/append_only.py)."""
    if not (builder.append_only and connection.vendor == "postgresql"):
        yield
        return
    with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
        yield


def test_it_updates_a_tenants_own_rows_in_bulk(model, builder, rows, org_a):
    row_a, row_b = rows
    field, value = builder.change
    new_value = value()
    with tenant_context(org_a):
        if builder.append_only:  # the access log: the database refuses (trigger, privileges)
            with pytest.raises(DatabaseError), transaction.atomic():
                models.QuerySet.update(model.objects.all(), **{field: new_value})
            new_value = getattr(row_a, field)
        else:
            assert models.QuerySet.update(model.objects.all(), **{field: new_value}) == 1
    assert getattr(_reload(row_a), field) == new_value
    assert getattr(_reload(row_b), field) == getattr(row_b, field)


def test_it_refuses_to_save_or_delete_another_tenants_row(model, builder, rows, org_b):
    row_a, _row_b = rows
    field, value = builder.change
    original = getattr(row_a, field)
    refused = TypeError if builder.append_only else TenantScopeError
    with tenant_context(org_b):
        setattr(row_a, field, value())
        with pytest.raises(refused):
            row_a.save()
        with pytest.raises(refused):
            row_a.delete()
    reloaded = _reload(row_a)
    assert reloaded is not None
    assert getattr(reloaded, field) == original


def test_it_refuses_to_create_a_row_of_another_tenant(model, builder, org_a, org_b):
    with tenant_context(org_b):
        new_row = builder.new(org_a)
        assert scope_value(new_row) != org_b.pk
        with pytest.raises(TenantScopeError):
            new_row.save()
        with pytest.raises(TenantScopeError):
            model.objects.bulk_create([builder.new(org_a)])
    with unscoped("test: count what was written"):
        assert not model.objects.filter(pk=new_row.pk).exists()


def test_it_creates_rows_of_the_current_tenant(model, builder, org_b):
    if builder.is_tenant:
        # An organization is created by staff tools, across tenants.
        with unscoped("test: a new client"):
            new_organization = builder.new(None)
            new_organization.save()
            assert model.objects.filter(pk=new_organization.pk).exists()
        return
    with tenant_context(org_b):
        builder.new(org_b).save()
        model.objects.bulk_create([builder.new(org_b)])
        assert model.objects.count() == 2


def test_it_raises_without_a_tenant(model, rows):
    with no_tenant():
        with pytest.raises(TenantScopeError):
            model.objects.count()
        with pytest.raises(TenantScopeError):
            list(model.objects.filter(pk=rows[0].pk))
        with pytest.raises(TenantScopeError):
            model.objects.bulk_create([])


def test_unscoped_sees_every_tenant(model, rows):
    row_a, row_b = rows
    with unscoped("test: every tenant"):
        pks = set(model.objects.values_list("pk", flat=True))
    assert {row_a.pk, row_b.pk} <= pks


def test_unscoped_needs_a_reason():
    with pytest.raises(ValueError):
        unscoped("  ")


def test_the_shared_cast_is_scoped(alice, bob, charlie):
    with tenant_context(alice.organization):
        assert set(User.objects.values_list("email", flat=True)) == {
            "alice@a.example",
            "bob@a.example",
        }
        assert list(Organization.objects.values_list("slug", flat=True)) == ["org-a"]
    with tenant_context(charlie.organization_id):
        assert list(User.objects.values_list("email", flat=True)) == ["charlie@b.example"]
