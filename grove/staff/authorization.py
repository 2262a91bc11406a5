"""The one authorisation function: who may do what with an organization's data.

Every access to client data (web pages, the API, the operator console, exports, commands) asks
``authorize()`` first, or ``organization_for()`` when it starts from an id or slug in a URL. The
answer is an ``Access`` naming the basis it was granted on; a refusal raises ``Http404`` (the same
for "does not exist" and "not yours") after recording ACCESS_DENIED with ids only.

The matrix:

- client member: content of their own organization (read, write);
- client manager: that, plus curation (validate, boost, highlight, archive), their
  organization's users, settings, dashboards and access log;
- CSM: only the organizations they hold an open assignment for: content read, users, dashboards,
  the access log, and data-subject requests;
- security officer: the access log and requests of every organization, no content;
- security manager, technical staff: nothing by default;
- any staff member with an approved, unexpired, unrevoked break-glass grant for the organization:
  read capabilities (content, users, dashboards, access log), basis "grant". Each authorised use
  records GRANT_USED; the caller's own read events carry ``grant=access.grant``.

An organization whose contract is not active refuses every write capability, to everyone: to
those who would hold it otherwise, as a 403 that says the organization is read-only
(``grove.retention.errors.RecordedReadOnly``), to the others as the usual 404.

A refusal inside a request that runs in a transaction (``ATOMIC_REQUESTS``) would roll its own
ACCESS_DENIED event back with the rest; ``DeniedAccessMiddleware`` writes it again after the
rollback, so every denial is kept whoever raised it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NoReturn, cast

from django.db import models
from django.http import Http404
from django.utils import timezone

from grove.accounts.models import OrgRole, StaffRole
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import Organization

from .models import AccessGrant, CsmAssignment


class Capability(models.TextChoices):
    CONTENT_READ = "content.read", "Read content"
    CONTENT_WRITE = "content.write", "Write content"
    CONTENT_CURATE = "content.curate", "Curate content (validate, boost, highlight, archive)"
    USERS_READ = "users.read", "See users"
    USERS_MANAGE = "users.manage", "Manage users"
    SETTINGS_MANAGE = "settings.manage", "Manage settings"
    DASHBOARD_READ = "dashboard.read", "See dashboards"
    ACCESS_LOG_READ = "access_log.read", "Read the access log"
    REQUESTS_HANDLE = "requests.handle", "Handle data-subject requests"


class Basis(models.TextChoices):
    MEMBER = "member", "Member of the organization"
    MANAGER = "manager", "Manager of the organization"
    CSM = "csm", "Assigned customer success manager"
    SECURITY_OFFICER = "security_officer", "Security officer"
    GRANT = "grant", "Break-glass grant"


C = Capability
MEMBER_CAPABILITIES = frozenset({C.CONTENT_READ, C.CONTENT_WRITE})
MANAGER_CAPABILITIES = MEMBER_CAPABILITIES | {
    C.CONTENT_CURATE,
    C.USERS_READ,
    C.USERS_MANAGE,
    C.SETTINGS_MANAGE,
    C.DASHBOARD_READ,
    C.ACCESS_LOG_READ,
}
CSM_CAPABILITIES = frozenset(
    {
        C.CONTENT_READ,
        C.USERS_READ,
        C.USERS_MANAGE,
        C.DASHBOARD_READ,
        C.ACCESS_LOG_READ,
        C.REQUESTS_HANDLE,
    }
)
SECURITY_OFFICER_CAPABILITIES = frozenset({C.ACCESS_LOG_READ, C.REQUESTS_HANDLE})
GRANT_CAPABILITIES = frozenset({C.CONTENT_READ, C.USERS_READ, C.DASHBOARD_READ, C.ACCESS_LOG_READ})
# Refused for everyone once the organization's contract is no longer active.
WRITE_CAPABILITIES = frozenset(
    {C.CONTENT_WRITE, C.CONTENT_CURATE, C.USERS_MANAGE, C.SETTINGS_MANAGE}
)

# Who decides break-glass grants, and who manages CSM assignments.
GRANT_DECIDERS = frozenset({StaffRole.SECURITY_OFFICER, StaffRole.SECURITY_MANAGER})
ASSIGNMENT_MANAGERS = frozenset({StaffRole.SECURITY_MANAGER})
# Who may reset another staff member's lost second factor (never their own).
SECOND_FACTOR_RESETTERS = frozenset({StaffRole.SECURITY_OFFICER, StaffRole.SECURITY_MANAGER})

# The one answer to every refusal: nothing tells "not yours" from "does not exist".
NOT_FOUND_MESSAGE = "Not found."


@dataclass(frozen=True)
class Access:
    """A granted access: who, to which organization, for what, on which basis."""

    user: Any
    organization: Organization
    capability: str
    basis: str
    grant: AccessGrant | None = None


class RecordedRefusal(Exception):  # noqa: N818 -- a refusal, not an error of the code
    """A refusal already recorded in the access log, with what it takes to record it again
    (``DeniedAccessMiddleware`` does, if the request's transaction rolled the event back)."""

    def __init__(self, message: str, *, event_fields: dict, event_public_id) -> None:
        super().__init__(message)
        self.event_fields = event_fields
        self.event_public_id = event_public_id


class AccessDenied(RecordedRefusal, Http404):
    """The 404 of a refused access: the same message whatever the reason."""


def authorize(
    *,
    user,
    organization: Organization,
    capability: str,
    request=None,
    object_type: str = "organization",
    object_id=None,
) -> Access:
    """Allow ``user`` to use ``capability`` on ``organization``'s data, or raise a logged 404.

    Under a break-glass grant, records GRANT_USED (once per request for the same object). The
    grant's expiry and revocation are read here, at each call: a grant ends mid-session.
    """
    capability = Capability(capability)
    access = _decide(user, organization, capability)
    if access is None:
        if _refused_as_read_only(user, organization, capability):
            _deny_read_only(
                user=user,
                organization=organization,
                capability=capability,
                request=request,
                object_type=object_type,
                object_id=object_id,
            )
        deny(
            user=user,
            organization_id=organization.pk,
            capability=capability,
            request=request,
            object_type=object_type,
            object_id=object_id,
        )
    if access.grant is not None:
        _record_grant_use(access, request=request, object_type=object_type, object_id=object_id)
    return access


def organization_for(*, user, organization_id_or_slug, capability: str, request=None) -> Access:
    """Look the organization up by id or slug, then ``authorize``: one 404 for unknown and
    forbidden alike (the refusal of an unknown one is logged without the value typed)."""
    organization = _find_organization(organization_id_or_slug)
    if organization is None:
        known_id = _as_uuid(organization_id_or_slug)
        deny(
            user=user,
            organization_id=None,
            capability=Capability(capability),
            request=request,
            object_type="organization",
            object_id=None,
            details={
                "organization": "unknown",
                **({"forged_id": str(known_id)} if known_id else {}),
            },
        )
    return authorize(user=user, organization=organization, capability=capability, request=request)


@contextmanager
def access_scope(access: Access) -> Iterator[Access]:
    """Run the block as the organization ``access`` was granted on (ORM scope and RLS)."""
    with tenant_context(access.organization):
        yield access


def permits(*, user, organization: Organization, capability: str) -> bool:
    """Whether ``authorize`` would allow it, without recording anything.

    For showing or hiding a link or a section; the access itself still goes through
    ``authorize``.
    """
    return _decide(user, organization, Capability(capability)) is not None


def capabilities_of(*, user, organization: Organization) -> frozenset[str]:
    """Every capability ``user`` holds on ``organization`` right now (nothing is recorded)."""
    return frozenset(c for c in Capability if _decide(user, organization, c) is not None)


def active_grant(*, user, organization: Organization) -> AccessGrant | None:
    """The staff member's approved, unexpired, unrevoked grant for the organization, if any."""
    if not getattr(user, "is_authenticated", False) or not user.staff_role:
        return None
    now = timezone.now()
    with tenant_context(organization):
        return (
            AccessGrant.objects.filter(
                requester_id=user.pk,
                status=AccessGrant.Status.APPROVED,
                revoked_at__isnull=True,
                expires_at__gt=now,
            )
            .order_by("-expires_at")
            .first()
        )


def is_staff(user) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.staff_role)


def is_grant_decider(user) -> bool:
    return is_staff(user) and user.staff_role in GRANT_DECIDERS


def is_assignment_manager(user) -> bool:
    return is_staff(user) and user.staff_role in ASSIGNMENT_MANAGERS


def is_second_factor_resetter(user) -> bool:
    return is_staff(user) and user.staff_role in SECOND_FACTOR_RESETTERS


def has_open_assignment(*, user, organization: Organization) -> bool:
    with tenant_context(organization):
        return CsmAssignment.objects.filter(csm_id=user.pk, ended_at__isnull=True).exists()


@dataclass(frozen=True)
class VisibleOrganization:
    organization: Organization
    bases: frozenset[str]
    grant: AccessGrant | None = None  # the active grant, when one is among the bases


def visible_organizations(*, user) -> list[VisibleOrganization]:
    """The organizations a staff member may open in the operator console, by the same rules
    as ``_decide``: a CSM's open assignments, the staff member's own active grants, every
    organization for the security officer (their log and requests). Names only: opening one
    still goes through ``authorize``. Nothing for client users."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or not user.staff_role:
        return []
    now = timezone.now()
    bases: dict[uuid.UUID, set[str]] = {}
    grants: dict[uuid.UUID, AccessGrant] = {}
    with unscoped("staff console: the organizations this staff member may open"):
        if user.staff_role == StaffRole.CSM:
            for organization_id in CsmAssignment.objects.filter(
                csm_id=user.pk, ended_at__isnull=True
            ).values_list("organization_id", flat=True):
                bases.setdefault(organization_id, set()).add(Basis.CSM)
        for grant in AccessGrant.objects.filter(
            requester_id=user.pk,
            status=AccessGrant.Status.APPROVED,
            revoked_at__isnull=True,
            expires_at__gt=now,
        ):
            bases.setdefault(grant.organization_id, set()).add(Basis.GRANT)
            grants[grant.organization_id] = grant
        organizations = Organization.objects.all()
        if user.staff_role != StaffRole.SECURITY_OFFICER:
            organizations = organizations.filter(pk__in=bases)
        organizations = list(organizations.order_by("name"))
    if user.staff_role == StaffRole.SECURITY_OFFICER:
        for organization in organizations:
            bases.setdefault(organization.pk, set()).add(Basis.SECURITY_OFFICER)
    return [
        VisibleOrganization(
            organization=organization,
            bases=frozenset(bases[organization.pk]),
            grant=grants.get(organization.pk),
        )
        for organization in organizations
    ]


# --- The decision ---------------------------------------------------------------------------


def _decide(
    user, organization: Organization, capability: Capability, *, ignore_status: bool = False
) -> Access | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if capability in WRITE_CAPABILITIES and not organization.is_active and not ignore_status:
        return None

    def grant_of(basis: str) -> Access:
        return Access(user=user, organization=organization, capability=capability, basis=basis)

    if not user.staff_role:
        if user.organization_id != organization.pk:
            return None
        if user.org_role == OrgRole.MANAGER and capability in MANAGER_CAPABILITIES:
            return grant_of(Basis.MANAGER)
        if user.org_role in (OrgRole.MEMBER, OrgRole.MANAGER) and capability in MEMBER_CAPABILITIES:
            return grant_of(Basis.MEMBER)
        return None

    if (
        user.staff_role == StaffRole.CSM
        and capability in CSM_CAPABILITIES
        and has_open_assignment(user=user, organization=organization)
    ):
        return grant_of(Basis.CSM)
    if (
        user.staff_role == StaffRole.SECURITY_OFFICER
        and capability in SECURITY_OFFICER_CAPABILITIES
    ):
        return grant_of(Basis.SECURITY_OFFICER)
    if capability in GRANT_CAPABILITIES:
        grant = active_grant(user=user, organization=organization)
        if grant is not None:
            return Access(
                user=user,
                organization=organization,
                capability=capability,
                basis=Basis.GRANT,
                grant=grant,
            )
    return None


def deny(
    *,
    user,
    organization_id,
    capability: str | None,
    request,
    object_type: str,
    object_id,
    details: dict | None = None,
) -> NoReturn:
    """Record ACCESS_DENIED (ids only) and raise the one 404 of every refusal."""
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    fields: dict[str, Any] = {
        "action": AuditAction.ACCESS_DENIED,
        "actor": user if authenticated else None,
        "organization": organization_id,
        "object_type": object_type,
        "object_ids": [getattr(object_id, "pk", object_id)] if object_id is not None else [],
        "details": {**({"capability": str(capability)} if capability else {}), **(details or {})},
    }
    event = record_event(request=request, **fields)
    raise AccessDenied(NOT_FOUND_MESSAGE, event_fields=fields, event_public_id=event.public_id)


def _refused_as_read_only(user, organization: Organization, capability: Capability) -> bool:
    """A write refused only because the contract ended: the caller may see the organization,
    so the refusal can say why."""
    return (
        capability in WRITE_CAPABILITIES
        and not organization.is_active
        and _decide(user, organization, capability, ignore_status=True) is not None
    )


def _deny_read_only(*, user, organization, capability, request, object_type, object_id) -> NoReturn:
    """Record ACCESS_DENIED (ids only) and raise the 403 of a read-only organization."""
    from grove.retention.errors import READ_ONLY_MESSAGE, RecordedReadOnly  # (import cycle)

    fields: dict[str, Any] = {
        "action": AuditAction.ACCESS_DENIED,
        "actor": user,
        "organization": organization.pk,
        "object_type": object_type,
        "object_ids": [getattr(object_id, "pk", object_id)] if object_id is not None else [],
        "details": {"capability": str(capability), "refused": "read_only"},
    }
    event = record_event(request=request, **fields)
    raise RecordedReadOnly(
        str(READ_ONLY_MESSAGE), event_fields=fields, event_public_id=event.public_id
    )


def _record_grant_use(access: Access, *, request, object_type: str, object_id) -> None:
    grant = cast(AccessGrant, access.grant)  # the caller checked that a grant is in use
    key = (grant.pk, object_type, str(object_id))
    if request is not None:
        used = request.__dict__.setdefault("_grove_grant_uses", set())
        if key in used:
            return
        used.add(key)
    record_event(
        action=AuditAction.GRANT_USED,
        actor=access.user,
        organization=access.organization,
        grant=access.grant,
        object_type=object_type,
        object_ids=[getattr(object_id, "pk", object_id)] if object_id is not None else [],
        request=request,
        details={"capability": str(access.capability)},
    )


def _find_organization(value) -> Organization | None:
    if isinstance(value, Organization):
        return value
    if value is None or value == "":
        return None
    organization_id = _as_uuid(value)
    with unscoped("authorization: find the organization a request names"):
        if organization_id is not None:
            return Organization.objects.filter(pk=organization_id).first()
        return Organization.objects.filter(slug=str(value)).first()


def _as_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None
