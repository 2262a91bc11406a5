"""The demo's SCIM token for Demo Retail, printed by ``make run`` (seed_demo).

Like the demo password it is fixed and published: seed_demo runs only with DEBUG on (or
forced, for a throwaway instance). Only its hash is stored, as for any token.
"""

from __future__ import annotations

from grove.api.actions import hash_secret
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.tenancy.context import tenant_context

from ..models import ScimToken
from .auth import format_token

DEMO_PREFIX = "demo"
DEMO_SECRET = "grove-demo-scim-2026"  # noqa: S105 -- demo data only, published on purpose


def seed_scim_token(organization, *, created_by=None) -> tuple[str, int]:
    """(the token to print, rows created). Created once; "" when it has been revoked."""
    with tenant_context(organization):
        token = ScimToken.objects.filter(prefix=DEMO_PREFIX).first()
        created = 0
        if token is None:
            token = ScimToken.objects.create(
                organization=organization,
                name="Demo identity provider",
                prefix=DEMO_PREFIX,
                secret_hash=hash_secret(DEMO_SECRET),
                created_by=created_by,
            )
            record_event(
                action=AuditAction.CREATE,
                actor=created_by,
                organization=organization,
                object_type="scim_token",
                object_ids=[token.pk],
            )
            created = 1
    if token.revoked_at is not None:
        return "", created
    return format_token(DEMO_PREFIX, DEMO_SECRET), created
