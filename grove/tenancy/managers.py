"""The one way to query a tenant-owned model: its default manager reads the current tenant.

``Model.objects`` filters on the current organization; inside ``unscoped(reason)`` it sees every
tenant; with neither it raises TenantScopeError, so a forgotten scope fails loudly in tests.
"""

from __future__ import annotations

from django.db import models

from .context import TenantScopeError, current_scope


class TenantQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        # bulk_create skips Model.save(): the same refusal of another tenant's rows lives here.
        objs = list(objs)
        scope = current_scope()
        if not scope.is_unscoped and scope.organization_id is not None:
            field = getattr(self.model._default_manager, "scope_field", "organization_id")
            if any(getattr(obj, field) != scope.organization_id for obj in objs):
                raise TenantScopeError(
                    f"{self.model._meta.label}: refusing to create rows of another organization"
                )
        return super().bulk_create(objs, *args, **kwargs)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """Default manager of every tenant-owned model."""

    # Column holding the organization id; Organization itself scopes on its primary key.
    def __init__(self, scope_field: str = "organization_id") -> None:
        super().__init__()
        self.scope_field = scope_field

    def get_queryset(self) -> TenantQuerySet:
        scope = current_scope()
        queryset = super().get_queryset()
        if scope.is_unscoped:
            return queryset
        if scope.organization_id is None:
            raise TenantScopeError(
                f"{self.model._meta.label} queried with no tenant: use tenant_context(org) "
                "or, for staff tools and jobs, unscoped(reason)"
            )
        return queryset.filter(**{self.scope_field: scope.organization_id})


def is_tenant_owned(model: type[models.Model]) -> bool:
    return isinstance(model._default_manager, TenantManager)


def tenant_owned_models() -> list[type[models.Model]]:
    from django.apps import apps

    return [m for m in apps.get_models() if is_tenant_owned(m)]
