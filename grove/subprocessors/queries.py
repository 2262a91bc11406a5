"""Reads of the registry, its changes and the notices, scoped to the caller.

The registry and its changes are operator data: any staff member reads them. Notice deliveries
are tenant-owned: a CSM reads those of the organizations they serve, a security officer every
organization's, a client manager their own organization's; anything else is the one logged 404
(the same for "not yours" and "does not exist").
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import NoReturn, cast

from grove.accounts.models import StaffRole, User
from grove.staff.authorization import deny, is_staff
from grove.staff.models import CsmAssignment
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import Organization

from .actions import is_client_manager_of, may_handle_notices
from .models import (
    ChangeNotice,
    ChangeStatus,
    NoticeDelivery,
    ObjectionStatus,
    Subprocessor,
    SubprocessorChange,
    SubprocessorStatus,
    SubprocessorVersion,
)

# --- The registry (staff) -------------------------------------------------------------------


def registry() -> list[Subprocessor]:
    """Every subprocessor, in use first, then approved, then retired; by name."""
    order: dict[str, int] = {
        SubprocessorStatus.ACTIVE: 0,
        SubprocessorStatus.APPROVED: 1,
        SubprocessorStatus.PROPOSED: 2,
        SubprocessorStatus.RETIRED: 3,
    }
    return sorted(Subprocessor.objects.all(), key=lambda s: (order.get(s.status, 9), s.name))


def subprocessor_for_staff(*, user, slug: str, request=None) -> Subprocessor:
    subprocessor = Subprocessor.objects.filter(slug=slug).first()
    if subprocessor is None:
        _not_found(user, request, "subprocessor")
    return subprocessor


def versions_of(subprocessor: Subprocessor) -> list[SubprocessorVersion]:
    """Its version history, newest first."""
    return list(subprocessor.versions.select_related("change").order_by("-number"))


@dataclass(frozen=True)
class ChangeRow:
    change: SubprocessorChange
    proposed_by: User
    decided_by: User | None
    name: str  # the subprocessor's, or the proposed name of a new one


def changes_of(subprocessor: Subprocessor) -> list[ChangeRow]:
    return _change_rows(list(subprocessor.changes.order_by("-proposed_at")))


def pending_changes() -> list[ChangeRow]:
    """Proposals waiting for a security manager, oldest first."""
    return _change_rows(
        list(
            SubprocessorChange.objects.filter(status=ChangeStatus.PROPOSED)
            .select_related("subprocessor")
            .order_by("proposed_at")
        )
    )


def scheduled_changes() -> list[ChangeRow]:
    """Approved changes waiting for their date, soonest first."""
    return _change_rows(
        list(
            SubprocessorChange.objects.filter(status=ChangeStatus.APPROVED)
            .select_related("subprocessor")
            .order_by("effective_on", "proposed_at")
        )
    )


def notice_counts(change: SubprocessorChange) -> dict | None:
    """How clients received a change's notice, as counts only (no organization named)."""
    notice = ChangeNotice.objects.filter(change=change).first()
    if notice is None:
        return None
    with unscoped("subprocessor change page: counts of the notice's deliveries"):
        deliveries = list(
            NoticeDelivery.objects.filter(notice=notice).values_list(
                "sent_at", "acknowledged_at", "objection_status"
            )
        )
    return {
        "total": len(deliveries),
        "sent": sum(1 for sent, _ack, _obj in deliveries if sent),
        "acknowledged": sum(1 for _sent, ack, _obj in deliveries if ack),
        "objections_open": sum(1 for *_rest, obj in deliveries if obj == ObjectionStatus.OPEN),
    }


def recent_changes(limit: int = 30) -> list[ChangeRow]:
    """The latest decided changes (approved, rejected, in effect), newest first."""
    return _change_rows(
        list(
            SubprocessorChange.objects.exclude(status=ChangeStatus.PROPOSED)
            .select_related("subprocessor")
            .order_by("-decided_at", "-proposed_at")[:limit]
        )
    )


def change_for_staff(*, user, change_id, request=None) -> SubprocessorChange:
    change = (
        SubprocessorChange.objects.select_related("subprocessor")
        # A malformed id (None) finds nothing: the logged 404 below.
        .filter(pk=_as_uuid(change_id))  # type: ignore[misc]
        .first()
    )
    if change is None:
        _not_found(user, request, "subprocessor_change")
    return change


def change_row(change: SubprocessorChange) -> ChangeRow:
    return _change_rows([change])[0]


def _change_rows(changes: list[SubprocessorChange]) -> list[ChangeRow]:
    people_ids = {c.proposed_by_id for c in changes} | {
        c.decided_by_id for c in changes if c.decided_by_id
    }
    with unscoped("subprocessor registry: staff names of proposers and deciders"):
        people = User.objects.in_bulk(people_ids)
    return [
        ChangeRow(
            change=change,
            proposed_by=people[change.proposed_by_id],
            decided_by=people.get(change.decided_by_id) if change.decided_by_id else None,
            name=change.subprocessor.name
            if change.subprocessor is not None  # no query when there is none
            else change.proposed.get("name", ""),
        )
        for change in changes
    ]


# --- Notices (staff: the CSM's and the security officer's view) -----------------------------


@dataclass(frozen=True)
class DeliveryRow:
    delivery: NoticeDelivery
    organization: Organization
    notice: ChangeNotice


@dataclass(frozen=True)
class NoticeSummary:
    notice: ChangeNotice
    subprocessor: Subprocessor
    rows: list[DeliveryRow]
    counts: dict  # sent, acknowledged, objections_open, total


def notices_for_staff(*, user) -> list[NoticeSummary]:
    """Each notice with the deliveries the staff member handles: a CSM's organizations (open
    assignments), every organization for a security officer; newest notice first."""
    organizations = handled_organizations(user=user)
    if not organizations:
        return []
    with unscoped("subprocessor notices: the deliveries of the organizations served"):
        deliveries = list(
            NoticeDelivery.objects.filter(organization_id__in=organizations).select_related(
                "notice__change__subprocessor"
            )
        )
    by_notice: dict[uuid.UUID, list[DeliveryRow]] = {}
    notices: dict[uuid.UUID, ChangeNotice] = {}
    for delivery in deliveries:
        notices[delivery.notice_id] = delivery.notice
        by_notice.setdefault(delivery.notice_id, []).append(
            DeliveryRow(
                delivery=delivery,
                organization=organizations[delivery.organization_id],
                notice=delivery.notice,
            )
        )
    summaries = []
    for notice_id, rows in by_notice.items():
        rows.sort(key=lambda r: r.organization.name)
        counts: Counter[str] = Counter()
        for row in rows:
            counts["sent"] += row.delivery.sent_at is not None
            counts["acknowledged"] += row.delivery.acknowledged_at is not None
            counts["objections_open"] += row.delivery.objection_status == ObjectionStatus.OPEN
        counts["total"] = len(rows)
        notice = notices[notice_id]
        summaries.append(
            NoticeSummary(
                notice=notice,
                # A notice is for an approved change: an addition got its row at approval.
                subprocessor=cast(Subprocessor, notice.change.subprocessor),
                rows=rows,
                counts=counts,
            )
        )
    summaries.sort(key=lambda s: s.notice.announced_at, reverse=True)
    return summaries


def handled_organizations(*, user) -> dict[uuid.UUID, Organization]:
    """The organizations whose notices the staff member handles (none for other roles)."""
    if not is_staff(user):
        return {}
    with unscoped("subprocessor notices: the organizations a CSM serves"):
        organizations = Organization.objects.all()
        if user.staff_role == StaffRole.CSM:
            served = CsmAssignment.objects.filter(
                csm_id=user.pk, ended_at__isnull=True
            ).values_list("organization_id", flat=True)
            organizations = organizations.filter(pk__in=list(served))
        elif user.staff_role != StaffRole.SECURITY_OFFICER:
            return {}
        return {o.pk: o for o in organizations}


def delivery_for_staff(*, user, delivery_id, request=None) -> DeliveryRow:
    """A delivery the CSM serves, or any for a security officer; else the logged 404."""
    with unscoped("subprocessor notices: find a delivery by its id"):
        delivery = (
            NoticeDelivery.objects.select_related("notice__change__subprocessor")
            .filter(pk=_as_uuid(delivery_id))
            .first()
        )
        organization = Organization.objects.get(pk=delivery.organization_id) if delivery else None
    if delivery is None or not may_handle_notices(
        user=user, organization_id=delivery.organization_id
    ):
        _not_found(
            user,
            request,
            "notice_delivery",
            organization_id=delivery.organization_id if delivery else None,
            object_id=delivery.pk if delivery else None,
        )
    return DeliveryRow(
        delivery=delivery,
        organization=cast(Organization, organization),  # found with the delivery
        notice=delivery.notice,
    )


def staff_names(ids) -> dict:
    """Names of the people a page shows next to a delivery (who sent, acknowledged, ...)."""
    ids = {i for i in ids if i}
    with unscoped("subprocessor notices: names of who sent, acknowledged, objected, resolved"):
        return {u.pk: u for u in User.objects.filter(pk__in=ids)}


# --- Notices (the client manager's page) ----------------------------------------------------


def deliveries_for_manager(*, user) -> list[NoticeDelivery]:
    """The manager's organization's notices, newest first (inside its tenant scope)."""
    with tenant_context(user.organization_id):
        return list(
            NoticeDelivery.objects.select_related("notice__change__subprocessor").order_by(
                "-notice__announced_at"
            )
        )


def delivery_for_manager(*, user, delivery_id, request=None) -> NoticeDelivery:
    """A delivery of the manager's own organization; anything else is the logged 404."""
    delivery = None
    if is_client_manager_of(user=user, organization_id=user.organization_id):
        with tenant_context(user.organization_id):
            delivery = (
                NoticeDelivery.objects.select_related("notice__change__subprocessor")
                .filter(pk=_as_uuid(delivery_id))
                .first()
            )
    if delivery is None:
        _not_found(user, request, "notice_delivery", organization_id=user.organization_id)
    return delivery


# --- Helpers --------------------------------------------------------------------------------


def _not_found(
    user, request, object_type: str, *, organization_id=None, object_id=None
) -> NoReturn:
    deny(
        user=user,
        organization_id=organization_id,
        capability=None,
        request=request,
        object_type=object_type,
        object_id=object_id,
        details={"attempted": f"{object_type}.read"},
    )


def _as_uuid(value) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None
