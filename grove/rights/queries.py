"""Reads of data-subject requests, scoped to the caller.

- the person: their own requests (``requests_of_subject``, ``request_of_subject``);
- a CSM: the requests of the organizations they hold an open assignment for;
- the security officer: every organization's;
- a client manager: their own organization's, read-only (``request_for_manager``).

Unknown, forged, or not the caller's: the one 404 (``RequestUnavailable``, a
``RequestNotFound`` and an ``Http404``), recorded as ACCESS_DENIED. A staff member or manager
opening a request records a VIEW event (ids only).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from grove.accounts.models import OrgRole, StaffRole
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.staff.authorization import AccessDenied, Capability, authorize, is_staff
from grove.staff.models import CsmAssignment
from grove.tenancy.context import tenant_context, unscoped

from .actions import OBJECT_TYPE, RequestUnavailable, _as_uuid, _deny, _not_found
from .models import OPEN_STATES, DataSubjectRequest, RequestState


def requests_of_subject(user) -> QuerySet[DataSubjectRequest]:
    """The person's own requests, newest first (none for staff or anonymous users).

    Evaluate it as the person's organization (the request middleware's scope)."""
    organization_id = getattr(user, "organization_id", None)
    if not getattr(user, "is_authenticated", False) or organization_id is None:
        with unscoped("rights: an empty list for someone with no organization"):
            return DataSubjectRequest.objects.none()
    with tenant_context(organization_id):
        return (
            DataSubjectRequest.objects.filter(subject_id=user.pk)
            .exclude(state=RequestState.MERGED)
            .order_by("-received_at")
        )


def request_of_subject(user, request_id, request=None) -> DataSubjectRequest:
    """One of the person's own requests, or the one 404 (recorded)."""
    organization_id = getattr(user, "organization_id", None)
    pk = _as_uuid(request_id)
    dsr = None
    if getattr(user, "is_authenticated", False) and organization_id is not None and pk:
        with tenant_context(organization_id):
            dsr = (
                DataSubjectRequest.objects.filter(pk=pk, subject_id=user.pk)
                .prefetch_related("steps")
                .first()
            )
    if dsr is None:
        _not_found(
            user if getattr(user, "is_authenticated", False) else None,
            organization_id,
            request,
            forged_id=pk,
            attempted="rights.view_own",
        )
    return dsr


def requests_visible_to(
    user, *, overdue_only: bool = False, open_only: bool = False
) -> list[DataSubjectRequest]:
    """The requests ``user`` may list: a CSM's assigned organizations, every organization for
    the security officer, a client manager's own organization; nothing for anyone else.

    Overdue ones first (open and due), then open ones by due date, then closed ones, newest
    first. With ``overdue_only`` or ``open_only`` only those."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    now = timezone.now()
    if is_staff(user):
        with unscoped("rights console: the requests this staff member may see"):
            requests = DataSubjectRequest.objects.all()
            if user.staff_role == StaffRole.CSM:
                assigned = CsmAssignment.objects.filter(
                    csm_id=user.pk, ended_at__isnull=True
                ).values_list("organization_id", flat=True)
                requests = requests.filter(organization_id__in=list(assigned))
            elif user.staff_role != StaffRole.SECURITY_OFFICER:
                return []
            return _listed(requests, now=now, overdue_only=overdue_only, open_only=open_only)
    if user.org_role != OrgRole.MANAGER or user.organization_id is None:
        return []
    with tenant_context(user.organization_id):
        return _listed(
            DataSubjectRequest.objects.all(),
            now=now,
            overdue_only=overdue_only,
            open_only=open_only,
        )


def request_for_staff(
    user, request_id, *, capability: str = Capability.REQUESTS_HANDLE, request=None
) -> DataSubjectRequest:
    """A request for the CSM assigned to its organization or a security officer; anyone else,
    an unknown or a forged id: the one 404, recorded. Records the VIEW."""
    pk = _as_uuid(request_id)
    dsr = None
    if pk is not None:
        with unscoped("rights console: find the request, then check who may see it"):
            dsr = DataSubjectRequest.objects.filter(pk=pk).first()
    if dsr is None:
        _not_found(user, None, request, forged_id=pk, attempted="rights.view")
    access = None
    with transaction.atomic():  # the refusal's record commits before the 404 is raised
        try:
            access = authorize(
                user=user,
                organization=_organization_of(dsr),
                capability=capability,
                request=request,
                object_type=OBJECT_TYPE,
                object_id=dsr.pk,
            )
        except AccessDenied as denied:
            refusal = denied
    if access is None:
        raise RequestUnavailable(
            str(refusal), event_fields=refusal.event_fields, event_public_id=refusal.event_public_id
        )
    _record_view(user, dsr, request, grant=access.grant)
    return _loaded(dsr)


def request_for_manager(user, request_id, request=None) -> DataSubjectRequest:
    """A request about a user of the manager's own organization (read-only); anything else
    the one 404, recorded. Records the VIEW."""
    pk = _as_uuid(request_id)
    is_manager = (
        getattr(user, "is_authenticated", False)
        and user.is_active
        and not user.staff_role
        and user.org_role == OrgRole.MANAGER
        and user.organization_id is not None
    )
    dsr = None
    if is_manager and pk is not None:
        with tenant_context(user.organization_id):
            dsr = DataSubjectRequest.objects.filter(pk=pk).first()
    if dsr is None:
        _deny(
            user=user,
            organization_id=getattr(user, "organization_id", None),
            capability=None,
            request=request,
            object_type=OBJECT_TYPE,
            object_id=None,
            details={
                "attempted": "rights.view_manager",
                **({"forged_id": str(pk)} if pk else {}),
            },
        )
    _record_view(user, dsr, request)
    return _loaded(dsr)


def _listed(requests, *, now, overdue_only: bool, open_only: bool) -> list[DataSubjectRequest]:
    requests = requests.exclude(state=RequestState.MERGED).select_related("organization")
    if overdue_only:
        requests = requests.filter(state__in=list(OPEN_STATES), due_at__lte=now)
    elif open_only:
        requests = requests.filter(state__in=list(OPEN_STATES))
    rows = list(requests.select_related("subject").order_by("due_at"))
    overdue = [dsr for dsr in rows if dsr.is_overdue_at(now)]
    open_rows = [dsr for dsr in rows if dsr.is_open and not dsr.is_overdue_at(now)]
    closed = sorted(
        (dsr for dsr in rows if not dsr.is_open),
        key=lambda dsr: dsr.closed_at or dsr.received_at,
        reverse=True,
    )
    return overdue + open_rows + closed


def _loaded(dsr: DataSubjectRequest) -> DataSubjectRequest:
    # Already authorised; unscoped so that staff rows (no organization) load with it.
    with unscoped("rights: a request already authorised, with its people and steps"):
        return (
            DataSubjectRequest.objects.select_related(
                "subject", "organization", "handler", "decided_by", "successor_manager"
            )
            .prefetch_related("steps__actor")
            .get(pk=dsr.pk)
        )


def _organization_of(dsr: DataSubjectRequest):
    from grove.tenancy.models import Organization

    with unscoped("rights: the organization a request belongs to"):
        return Organization.objects.get(pk=dsr.organization_id)


def _record_view(user, dsr: DataSubjectRequest, request, *, grant=None) -> None:
    record_event(
        action=AuditAction.VIEW,
        actor=user,
        organization=dsr.organization_id,
        object_type=OBJECT_TYPE,
        object_ids=[dsr.pk],
        subject_user=dsr.subject_id,
        grant=grant,
        request=request,
        read=True,
    )
