"""Reads of the operator console, scoped to what the staff member may see.

Client data (an organization's users) is read only under an ``Access`` from ``authorize()``,
inside its scope, and each page of it records one LIST event with the ids shown. Grants and
assignments are staff records: approvers and security managers read them across organizations
(``unscoped``, with a reason); a requester reads their own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.utils import timezone

from grove.accounts.models import StaffRole, User
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

from .authorization import Access, access_scope, deny, is_assignment_manager, is_grant_decider
from .models import AccessGrant, CsmAssignment

USERS_PER_PAGE = 50


# --- Client data, under an access -----------------------------------------------------------


def users_page_for_staff(*, access: Access, page_number, request=None) -> Page:
    """One page of the organization's users (names, emails, roles) and ONE LIST event naming
    the ids shown, under the access's grant if any. ``access`` must hold USERS_READ."""
    if access.capability != "users.read":
        raise ValueError("users_page_for_staff needs a USERS_READ access")
    with access_scope(access):
        users = User.objects.select_related("job_type").order_by("last_name", "first_name", "pk")
        page = Paginator(users, USERS_PER_PAGE).get_page(page_number)
        shown = list(page.object_list)
    page.object_list = shown
    record_event(
        action=AuditAction.LIST,
        actor=access.user,
        organization=access.organization,
        object_type="user",
        object_ids=[user.pk for user in shown],
        request=request,
        grant=access.grant,
        read=True,  # the page's transaction writes nothing but log events
    )
    return page


# --- Grants ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GrantRow:
    """A grant with the names of the staff members involved (staff records, not client data)."""

    grant: AccessGrant
    organization: Organization
    requester: User
    decided_by: User | None
    revoked_by: User | None


def grants_of_organization(*, access: Access) -> list[GrantRow]:
    """Every grant of the organization ``access`` opens, newest first."""
    with access_scope(access):
        grants = list(AccessGrant.objects.order_by("-requested_at"))
    return _rows(grants, {access.organization.pk: access.organization})


def pending_grants() -> list[GrantRow]:
    """Requests waiting for a decision, oldest first (approvers' page)."""
    with unscoped("staff console: requests waiting for an approver, every organization"):
        grants = list(
            AccessGrant.objects.filter(status=AccessGrant.Status.REQUESTED).order_by("requested_at")
        )
    return _rows(grants)


def own_grants(*, user) -> list[GrantRow]:
    """The staff member's own requests still pending and grants still running."""
    now = timezone.now()
    with unscoped("staff console: a staff member's own grants"):
        grants = [
            grant
            for grant in AccessGrant.objects.filter(
                requester_id=user.pk,
                status__in=[AccessGrant.Status.REQUESTED, AccessGrant.Status.APPROVED],
            ).order_by("-requested_at")
            if grant.status == AccessGrant.Status.REQUESTED or grant.expires_at > now
        ]
    return _rows(grants)


def grant_for_staff(*, user, grant_id, request=None) -> AccessGrant:
    """A grant an approver may decide or revoke, or the requester's own; else a logged 404
    (the same for a grant that does not exist)."""
    with unscoped("staff console: find a grant by its id"):
        grant = AccessGrant.objects.filter(pk=_as_uuid(grant_id)).first()
    if grant is None or not (is_grant_decider(user) or grant.requester_id == user.pk):
        deny(
            user=user,
            organization_id=grant.organization_id if grant else None,
            capability=None,
            details={"attempted": "grant.manage"},
            request=request,
            object_type="access_grant",
            object_id=grant.pk if grant else None,
        )
    return grant


def _rows(
    grants: list[AccessGrant], organizations: dict[uuid.UUID, Organization] | None = None
) -> list[GrantRow]:
    organizations = dict(organizations or {})
    staff_ids = {g.requester_id for g in grants} | {
        i for g in grants for i in (g.decided_by_id, g.revoked_by_id) if i
    }
    with unscoped("staff console: names of the staff members and organizations of grants"):
        staff = {u.pk: u for u in User.objects.filter(pk__in=staff_ids)}
        missing = {g.organization_id for g in grants} - set(organizations)
        organizations.update({o.pk: o for o in Organization.objects.filter(pk__in=missing)})
    return [
        GrantRow(
            grant=g,
            organization=organizations[g.organization_id],
            requester=staff[g.requester_id],
            decided_by=staff.get(g.decided_by_id) if g.decided_by_id else None,
            revoked_by=staff.get(g.revoked_by_id) if g.revoked_by_id else None,
        )
        for g in grants
    ]


# --- Assignments ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentRow:
    assignment: CsmAssignment
    organization: Organization
    csm: User
    assigned_by: User | None


def open_assignments() -> list[AssignmentRow]:
    """Every open CSM assignment (security managers' page)."""
    with unscoped("staff console: CSM assignments of every organization"):
        assignments = list(
            CsmAssignment.objects.filter(ended_at__isnull=True).order_by("assigned_at")
        )
        staff_ids = {a.csm_id for a in assignments} | {
            a.assigned_by_id for a in assignments if a.assigned_by_id
        }
        staff = {u.pk: u for u in User.objects.filter(pk__in=staff_ids)}
        organizations = {
            o.pk: o
            for o in Organization.objects.filter(pk__in={a.organization_id for a in assignments})
        }
    rows = [
        AssignmentRow(
            assignment=a,
            organization=organizations[a.organization_id],
            csm=staff[a.csm_id],
            assigned_by=staff.get(a.assigned_by_id),
        )
        for a in assignments
    ]
    return sorted(rows, key=lambda r: (r.organization.name, r.csm.last_name, r.csm.first_name))


def assignment_for_manager(*, user, assignment_id, request=None) -> CsmAssignment:
    """An assignment a security manager may end; anyone else gets the logged 404."""
    with unscoped("staff console: find an assignment by its id"):
        assignment = CsmAssignment.objects.filter(pk=_as_uuid(assignment_id)).first()
    if assignment is None or not is_assignment_manager(user):
        deny(
            user=user,
            organization_id=assignment.organization_id if assignment else None,
            capability=None,
            details={"attempted": "assignment.manage"},
            request=request,
            object_type="csm_assignment",
            object_id=assignment.pk if assignment else None,
        )
    return assignment


def assignable_csms():
    with unscoped("staff console: staff accounts that can be assigned"):
        return list(User.objects.filter(staff_role=StaffRole.CSM, is_active=True))


def assignable_organizations():
    with unscoped("staff console: organizations a CSM can be assigned to"):
        return list(Organization.objects.filter(status=Organization.Status.ACTIVE))


def organization_by_slug(slug: str) -> Organization | None:
    """For the grant request form: the organization a staff member names (staff know the
    client's identifier from the incident ticket)."""
    with unscoped("staff console: the organization a grant request names"):
        return Organization.objects.filter(slug=slug.strip().lower()).first()


def _as_uuid(value) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError):
        return None
