"""Reads of the staff retention pages, scoped to who may see them.

Who sees what (RETENTION.md, "Access rules"): a security officer and a security manager see
every organization's retention page and certificates; a CSM sees those of the organizations
they serve (an open assignment); technical staff, client users and anyone else get the logged
404, the same as for an organization or certificate that does not exist.

Everything here is counts, dates and staff names, except the held member of a user-scope
hold (shown by ``display_name``: "Former member" once erased).
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import cast

from django.conf import settings
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grove.accounts.models import StaffRole, User
from grove.privacy.datamap import Retention
from grove.privacy.retention import purge_date
from grove.staff.authorization import deny, has_open_assignment, is_staff
from grove.staff.models import CsmAssignment
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import Organization

from .certificates import entries_of
from .models import CertificateStatus, DeletionCertificate, EarlyEndNote, LegalHold, PurgeKind

# Roles that see every organization's retention page.
ALL_ORGANIZATIONS_ROLES = frozenset({StaffRole.SECURITY_OFFICER, StaffRole.SECURITY_MANAGER})
# Roles that may open the retention pages at all (a CSM: only the organizations they serve).
RETENTION_ROLES = ALL_ORGANIZATIONS_ROLES | {StaffRole.CSM}
LATEST_CERTIFICATES = 3
# What a purge did to a model's rows (the engine's codes), as the pages say it.
ACTION_LABELS = {
    "deleted": gettext_lazy("deleted"),
    "anonymised": gettext_lazy("anonymised"),
    "fields cleared": gettext_lazy("with fields cleared"),
    "unlinked": gettext_lazy("unlinked"),
}


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code))


def labelled(rows: list[dict]) -> list[dict]:
    """Dry-run or certificate rows with ``action_label`` (translated) and the categories as
    one string."""
    result = []
    for row in rows:
        category = row.get("category", "")
        if isinstance(category, list | tuple):
            category = ", ".join(str(c) for c in category)
        result.append({**row, "category": category, "action_label": action_label(row["action"])})
    return result


# --- Who may see and do what ----------------------------------------------------------------


def may_open_retention(user) -> bool:
    """Whether the staff member may open the retention pages at all (the overview)."""
    return is_staff(user) and user.staff_role in RETENTION_ROLES


def may_see_organization(user, organization: Organization) -> bool:
    if not may_open_retention(user):
        return False
    if user.staff_role in ALL_ORGANIZATIONS_ROLES:
        return True
    return has_open_assignment(user=user, organization=organization)


def may_end_early(user, organization: Organization) -> bool:
    """For showing the form: the CSM serving an active organization, or a security officer.
    The action decides (and records a refusal) whatever the page shows."""
    if not organization.is_active or not is_staff(user):
        return False
    if user.staff_role == StaffRole.SECURITY_OFFICER:
        return True
    return user.staff_role == StaffRole.CSM and has_open_assignment(
        user=user, organization=organization
    )


def may_manage_holds(user) -> bool:
    """For showing the forms: security officers place and release holds (others read)."""
    return is_staff(user) and user.staff_role == StaffRole.SECURITY_OFFICER


def organization_for_retention(*, user, slug, request=None) -> Organization:
    """The organization whose retention page ``user`` may open, or the logged 404 (the same for
    one that does not exist)."""
    with unscoped("retention: find the organization a staff page names"):
        organization = Organization.objects.filter(slug=str(slug)).first()
    if organization is None or not may_see_organization(user, organization):
        deny(
            user=user,
            organization_id=organization.pk if organization else None,
            capability=None,
            request=request,
            object_type="organization",
            object_id=organization.pk if organization else None,
            details={"attempted": "retention.organization"},
        )
    return organization


def certificate_for_staff(*, user, certificate_id, request=None) -> DeletionCertificate:
    """A certificate of an organization ``user`` may see, or the logged 404."""
    with unscoped("retention: find a deletion certificate by its id"):
        certificate = (
            DeletionCertificate.objects.filter(pk=_as_uuid(certificate_id))
            .select_related("organization")
            .first()
        )
    if certificate is None or not may_see_organization(user, certificate.organization):
        deny(
            user=user,
            organization_id=certificate.organization_id if certificate else None,
            capability=None,
            request=request,
            object_type="deletion_certificate",
            object_id=certificate.pk if certificate else None,
            details={"attempted": "retention.certificate"},
        )
    return certificate


def hold_of_organization(*, user, organization: Organization, hold_id, request=None) -> LegalHold:
    """One hold of the organization (whose page ``user`` already opened), or the logged 404."""
    with tenant_context(organization):
        hold = LegalHold.objects.filter(pk=_as_uuid(hold_id)).first()
    if hold is None:
        deny(
            user=user,
            organization_id=organization.pk,
            capability=None,
            request=request,
            object_type="legal_hold",
            object_id=None,
            details={"attempted": "retention.hold"},
        )
    return hold


def member_by_email(organization: Organization, email: str) -> User | None:
    """A member of the organization named by their business email (the hold form's target)."""
    with tenant_context(organization):
        return User.objects.filter(
            organization=organization, email__iexact=email.strip(), staff_role=""
        ).first()


# --- Dates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dates:
    contract_end: datetime.date
    warning: datetime.date
    data_purge: datetime.date
    log_purge: datetime.date


def dates_of(organization: Organization) -> Dates:
    """The lifecycle's planned dates (RETENTION.md, "Dates"): the data purge at the contract's
    end + grace days, its warning some days before, the log purge at the end + log days."""
    end = organization.contract_end
    # CONTRACT and CONTRACT_PLUS_90D have a period: their purge dates are never None.
    data_purge = cast(datetime.date, purge_date(end, Retention.CONTRACT))
    return Dates(
        contract_end=end,
        warning=data_purge - datetime.timedelta(days=settings.GROVE_RETENTION_WARNING_DAYS),
        data_purge=data_purge,
        log_purge=cast(datetime.date, purge_date(end, Retention.CONTRACT_PLUS_90D)),
    )


def next_purge(organization: Organization) -> tuple[str, datetime.date] | None:
    """The next purge of the organization (kind, planned day), None once only the tombstone
    remains."""
    dates = dates_of(organization)
    status = organization.status
    if status in (Organization.Status.ACTIVE, Organization.Status.ENDED):
        return PurgeKind.ORGANIZATION_DATA, dates.data_purge
    if status == Organization.Status.PURGED:
        return PurgeKind.ORGANIZATION_LOGS, dates.log_purge
    return None


@dataclass(frozen=True)
class TimelineStep:
    label: str
    planned: datetime.date | None
    done: datetime.datetime | None
    note: str = ""

    @property
    def is_done(self) -> bool:
        return self.done is not None


def timeline(organization: Organization) -> list[TimelineStep]:
    """The lifecycle, step by step: the day each step is planned for, and when it was done."""
    dates = dates_of(organization)
    ended_note = ""
    if organization.end_reason:
        ended_note = organization.get_end_reason_display()
        with unscoped("retention: the early end's reason, for the staff timeline"):
            early = EarlyEndNote.objects.filter(organization_id=organization.pk).first()
        if early is not None:  # gone with the logs, like the reason's author
            ended_note = f"{ended_note}: {early.reason}"
    return [
        TimelineStep(
            _("Contract starts"),
            organization.contract_start,
            _start_of(organization.contract_start),
        ),
        TimelineStep(
            _("Contract ends (last day)"), dates.contract_end, organization.ended_at, ended_note
        ),
        TimelineStep(
            _("Notice to the managers, with the export link"),
            None,
            organization.end_notice_sent_at,
        ),
        TimelineStep(
            _("Warning before the purge"), dates.warning, organization.purge_warning_sent_at
        ),
        TimelineStep(_("Personal data purged"), dates.data_purge, organization.data_purged_at),
        TimelineStep(
            _("Logs purged: only the tombstone remains"),
            dates.log_purge,
            organization.logs_purged_at,
        ),
    ]


def _start_of(day: datetime.date) -> datetime.datetime | None:
    """The contract's start counts as done once the day has come."""
    if day > timezone.localdate():
        return None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


# --- Holds ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoldRow:
    hold: LegalHold
    in_force: bool
    member: User | None  # the held member (user scope), None for the whole organization
    placed_by: User | None
    released_by: User | None


def holds_of(organization: Organization, *, today: datetime.date | None = None) -> list[HoldRow]:
    """Every hold of the organization, those in force first, then the newest."""
    today = today or timezone.localdate()
    with tenant_context(organization):
        holds = list(LegalHold.objects.order_by("-placed_at"))
        member_ids = {h.user_id for h in holds if h.user_id}
        members = {u.pk: u for u in User.objects.filter(pk__in=member_ids)}
    staff_ids = {h.placed_by_id for h in holds} | {
        h.released_by_id for h in holds if h.released_by_id
    }
    with unscoped("retention: names of the staff members who placed or released holds"):
        staff = {u.pk: u for u in User.objects.filter(pk__in=staff_ids)}
    rows = [
        HoldRow(
            hold=h,
            in_force=h.in_force_on(today),
            member=members.get(h.user_id),
            placed_by=staff.get(h.placed_by_id),
            released_by=staff.get(h.released_by_id),
        )
        for h in holds
    ]
    return sorted(rows, key=lambda r: not r.in_force)  # stable: newest first within each


# --- Certificates ---------------------------------------------------------------------------


def certificates_of(organization: Organization) -> list[DeletionCertificate]:
    """The organization's purges, newest first (running ones included)."""
    with tenant_context(organization):
        return list(DeletionCertificate.objects.order_by("-started_at"))


def certificate_models(certificate: DeletionCertificate) -> list[dict]:
    """The certificate's per-model entries (model, category, action, rows, ids_digest) as the
    certificate states them, ready to show."""
    return labelled(entries_of(certificate))


# --- The overview ---------------------------------------------------------------------------


@dataclass
class OverviewRow:
    organization: Organization
    dates: Dates
    next_purge: tuple[str, datetime.date] | None
    holds_in_force: list[LegalHold] = field(default_factory=list)
    certificates: list[DeletionCertificate] = field(default_factory=list)

    @property
    def next_purge_label(self) -> str | Promise:
        return PurgeKind(self.next_purge[0]).label if self.next_purge else ""

    @property
    def next_purge_on(self) -> datetime.date | None:
        return self.next_purge[1] if self.next_purge else None


def visible_for_retention(user) -> list[Organization]:
    """The organizations whose retention page ``user`` may open."""
    if not may_open_retention(user):
        return []
    with unscoped("retention: the organizations this staff member may see"):
        organizations = Organization.objects.all()
        if user.staff_role not in ALL_ORGANIZATIONS_ROLES:
            served = CsmAssignment.objects.filter(
                csm_id=user.pk, ended_at__isnull=True
            ).values_list("organization_id", flat=True)
            organizations = organizations.filter(pk__in=list(served))
        return list(organizations.order_by("name"))


def overview(user, *, today: datetime.date | None = None) -> list[OverviewRow]:
    """Per visible organization: status, dates, holds in force, latest certificates; the
    upcoming purges first (then the organizations with nothing left to purge)."""
    today = today or timezone.localdate()
    organizations = visible_for_retention(user)
    ids = [o.pk for o in organizations]
    with unscoped("retention: holds and certificates of the organizations shown"):
        holds = list(
            LegalHold.objects.filter(
                organization_id__in=ids, released_at__isnull=True, until__gte=today
            )
        )
        certificates = list(
            DeletionCertificate.objects.filter(organization_id__in=ids).order_by("-started_at")
        )
    rows = {o.pk: OverviewRow(o, dates_of(o), next_purge(o)) for o in organizations}
    for hold in holds:
        rows[hold.organization_id].holds_in_force.append(hold)
    for certificate in certificates:
        row = rows[certificate.organization_id]
        if len(row.certificates) < LATEST_CERTIFICATES:
            row.certificates.append(certificate)
    far = datetime.date.max
    return sorted(
        rows.values(),
        key=lambda r: (r.next_purge is None, r.next_purge_on or far, r.organization.name),
    )


def is_running(certificate: DeletionCertificate) -> bool:
    return certificate.status == CertificateStatus.RUNNING


def _as_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None
