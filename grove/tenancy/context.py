"""The current tenant: one context variable, set by the request middleware or a job.

Every query of a tenant-owned model reads it (see managers.py), and on PostgreSQL the same value
is handed to row-level security for the running transaction (see db.py).

The only way to query without a tenant is the explicit, greppable escape hatch ``unscoped(reason)``,
meant for authentication, staff tools, the audit writer and jobs.
"""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass


class TenantScopeError(RuntimeError):
    """A tenant-owned model was queried with no tenant set and no explicit escape hatch."""


@dataclass(frozen=True)
class TenantScope:
    organization_id: uuid.UUID | None = None
    # Set only by unscoped(): the reason is there for whoever reads the code or a trace.
    unscoped_reason: str | None = None

    @property
    def is_unscoped(self) -> bool:
        return self.unscoped_reason is not None


NO_SCOPE = TenantScope()
_current_scope: contextvars.ContextVar[TenantScope] = contextvars.ContextVar(
    "grove_tenant_scope", default=NO_SCOPE
)


def current_scope() -> TenantScope:
    return _current_scope.get()


def current_organization_id() -> uuid.UUID | None:
    return _current_scope.get().organization_id


@contextmanager
def _scope(scope: TenantScope) -> Iterator[TenantScope]:
    token = _current_scope.set(scope)
    try:
        yield scope
    finally:
        _current_scope.reset(token)


def tenant_context(organization) -> AbstractContextManager[TenantScope]:
    """Run the block as ``organization`` (an Organization or its UUID)."""
    organization_id = getattr(organization, "pk", organization)
    if not isinstance(organization_id, uuid.UUID):
        organization_id = uuid.UUID(str(organization_id))
    return _scope(TenantScope(organization_id=organization_id))


def unscoped(reason: str) -> AbstractContextManager[TenantScope]:
    """Escape hatch: run the block across every tenant. Say why; grep for ``unscoped(``."""
    if not reason or not reason.strip():
        raise ValueError("unscoped() needs a reason")
    return _scope(TenantScope(unscoped_reason=reason))


def no_tenant() -> AbstractContextManager[TenantScope]:
    """Run the block with no tenant at all (tenant-owned queries raise, RLS shows nothing)."""
    return _scope(NO_SCOPE)
