"""Every write of the subprocessor registry: changes, their decision and effect, client notices.

The privacy policy's promises, enforced here:

- no subprocessor change without a security manager's approval: ``change_approve`` and
  ``change_reject`` accept only a security manager who is not the proposer, and the registry's
  rows change only in ``change_apply`` (run by ``changes_apply_due``), which puts into effect
  approved changes only;
- a change with an impact on personal data is announced to every active client: approving it
  creates a ``ChangeNotice`` taking effect no sooner than ``GROVE_SUBPROCESSOR_NOTICE_DAYS``
  after the approval, and one ``NoticeDelivery`` per organization;
- the clients concerned are told by their CSM (or a security officer): ``notice_send`` mails the
  organization's client managers, who acknowledge or object; an objection stays open until
  ``objection_resolve``;
- a retired subprocessor comes back only through an approved re-addition (kind "add" naming it).

Refusals of those rules (a proposer approving their own change, anyone but a security manager
deciding, a notice shorter than the period, a reactivation without approval, a notice handled by
someone who does not serve the client) are recorded as SUBPROCESSOR_CHANGE_REFUSED (ids only)
*before* the action's transaction opens, then raised as ``ChangeRefused`` with a message safe to
show: the exception rolls the action back, never the record of the attempt (and
``DeniedAccessMiddleware`` writes it again if a request's transaction rolled it back anyway).
Bad input (missing text, a change already decided) is a ``ValidationError`` and writes nothing.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grove.accounts.models import OrgRole, StaffRole, User
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.staff.authorization import RecordedRefusal, has_open_assignment, is_staff
from grove.staff.models import CsmAssignment
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import Organization

from .models import (
    ChangeKind,
    ChangeNotice,
    ChangeStatus,
    NoticeDelivery,
    ObjectionStatus,
    Subprocessor,
    SubprocessorChange,
    SubprocessorStatus,
    SubprocessorVersion,
)
from .registry import (
    clean_proposed,
    current_values,
    missing_for_addition,
    slug_for,
    snapshot_of,
)

logger = logging.getLogger(__name__)

MAX_TEXT = 4000
PENDING_STATUSES = (ChangeStatus.PROPOSED, ChangeStatus.APPROVED)


class ChangeRefused(RecordedRefusal):
    """The rules of the registry forbid this. The message is safe to show (no personal data);
    the attempt is already recorded as SUBPROCESSOR_CHANGE_REFUSED."""

    def __init__(self, message: str, *, reason: str, event_fields: dict, event_public_id) -> None:
        super().__init__(message, event_fields=event_fields, event_public_id=event_public_id)
        self.reason = reason


REFUSAL_MESSAGES = {
    "not_staff": gettext_lazy("Only Grove staff can propose a subprocessor change."),
    "own_change": gettext_lazy(
        "You proposed this change: another security manager must decide it."
    ),
    "not_security_manager": gettext_lazy(
        "Only a security manager can approve or reject a subprocessor change."
    ),
    "short_notice": gettext_lazy(
        "This change affects personal data: clients must be told %(days)s days ahead, so it "
        "can take effect on %(earliest)s at the earliest."
    ),
    "retired_reactivation": gettext_lazy(
        "This subprocessor is retired: it comes back only through an approved re-addition "
        "(propose an addition naming it)."
    ),
    "not_approved": gettext_lazy(
        "This change has not been approved by a security manager: it cannot take effect."
    ),
    "not_notice_handler": gettext_lazy(
        "Only the organization's customer success manager or a security officer can do this."
    ),
    "not_client_manager": gettext_lazy(
        "Only a manager of the organization can acknowledge or object to a notice."
    ),
}


def notice_days() -> int:
    return int(settings.GROVE_SUBPROCESSOR_NOTICE_DAYS)


def earliest_effective_date(*, approved_on: datetime.date) -> datetime.date:
    """The first day a change with impact may take effect when approved on ``approved_on``."""
    return approved_on + datetime.timedelta(days=notice_days())


# --- Proposals ------------------------------------------------------------------------------


def change_propose(
    *,
    actor: User,
    kind: str,
    impact: str,
    has_personal_data_impact: bool = True,
    subprocessor: Subprocessor | None = None,
    proposed: dict | None = None,
    request=None,
) -> SubprocessorChange:
    """Propose an addition, a change or a removal, stating its impact on personal data.

    Any staff member may propose. ``kind`` "add" with no subprocessor adds a new one (its name,
    service, purpose, categories, data subjects and locations are needed); "add" naming a
    retired subprocessor proposes to bring it back. "modify" proposes new values for an active
    subprocessor (only the values that differ are kept); "remove" retires one. One pending
    change per subprocessor at a time. Records SUBPROCESSOR_CHANGE_PROPOSED.
    """
    if not is_staff(actor):
        _refuse(actor, "change.propose", "not_staff", request=request)
    try:
        kind = ChangeKind(kind)
    except ValueError as error:
        raise ValidationError({"kind": _("Choose an addition, a change or a removal.")}) from error
    if (
        kind == ChangeKind.MODIFY
        and subprocessor is not None
        and subprocessor.status == SubprocessorStatus.RETIRED
    ):
        _refuse(
            actor,
            "change.propose",
            "retired_reactivation",
            object_type="subprocessor",
            object_ids=[subprocessor.pk],
            request=request,
        )
    return _change_propose(
        actor=actor,
        kind=kind,
        impact=impact,
        has_personal_data_impact=bool(has_personal_data_impact),
        subprocessor=subprocessor,
        proposed=proposed or {},
        request=request,
    )


@transaction.atomic
def _change_propose(
    *,
    actor: User,
    kind: str,
    impact: str,
    has_personal_data_impact: bool,
    subprocessor: Subprocessor | None,
    proposed: dict,
    request,
) -> SubprocessorChange:
    impact = (impact or "").strip()
    if not impact:
        raise ValidationError({"impact": _("Say what the change means for personal data.")})
    if len(impact) > MAX_TEXT:
        raise ValidationError({"impact": _("At most %(count)s characters.") % {"count": MAX_TEXT}})
    values = clean_proposed(proposed)
    if subprocessor is not None:
        subprocessor = Subprocessor.objects.select_for_update().get(pk=subprocessor.pk)
        if subprocessor.changes.filter(status__in=PENDING_STATUSES).exists():
            raise ValidationError(
                _("A change of this subprocessor is already waiting: decide or apply it first.")
            )

    if kind == ChangeKind.ADD and subprocessor is None:
        missing = missing_for_addition(values)
        if missing:
            raise ValidationError(dict.fromkeys(missing, _("Needed for an addition.")))
        slug = slug_for(values["name"])
        if not slug:
            raise ValidationError({"name": _("Give a name with letters or digits.")})
        if Subprocessor.objects.filter(slug=slug).exists() or _pending_addition_of(slug):
            raise ValidationError(
                {"name": _("This subprocessor is already in the registry or proposed.")}
            )
    elif kind == ChangeKind.ADD and subprocessor is not None:  # a new one: branch above
        if subprocessor.status != SubprocessorStatus.RETIRED:
            raise ValidationError(
                _("Only a retired subprocessor can be added again; propose a change instead.")
            )
        values = _differing(subprocessor, values)
    elif kind == ChangeKind.MODIFY:
        if subprocessor is None or subprocessor.status != SubprocessorStatus.ACTIVE:
            raise ValidationError(_("Choose an active subprocessor to change."))
        values = _differing(subprocessor, values)
        if not values:
            raise ValidationError(_("Nothing would change: edit at least one value."))
    else:  # removal
        if subprocessor is None or subprocessor.status != SubprocessorStatus.ACTIVE:
            raise ValidationError(_("Choose an active subprocessor to remove."))
        if values:
            raise ValidationError(_("A removal proposes no new values."))
    if kind != ChangeKind.REMOVE and subprocessor is not None:
        # The record after the change keeps its essential facts.
        emptied = missing_for_addition({**current_values(subprocessor), **values})
        if emptied:
            raise ValidationError(dict.fromkeys(emptied, _("This cannot be left empty.")))

    change = SubprocessorChange.objects.create(
        kind=kind,
        subprocessor=subprocessor,
        proposed=values,
        has_personal_data_impact=has_personal_data_impact,
        impact=impact,
        proposed_by=actor,
        proposed_at=timezone.now(),
    )
    _record(
        AuditAction.SUBPROCESSOR_CHANGE_PROPOSED,
        actor,
        change,
        request,
        kind=str(kind),
        personal_data_impact=has_personal_data_impact,
        fields=sorted(values),
    )
    return change


def _pending_addition_of(slug: str) -> bool:
    return any(
        slug_for(change.proposed.get("name", "")) == slug
        for change in SubprocessorChange.objects.filter(
            kind=ChangeKind.ADD, subprocessor__isnull=True, status=ChangeStatus.PROPOSED
        ).only("proposed")
    )


def _differing(subprocessor: Subprocessor, values: dict) -> dict:
    current = current_values(subprocessor)
    return {field: value for field, value in values.items() if current[field] != value}


# --- Decisions ------------------------------------------------------------------------------


def change_approve(
    *,
    actor: User,
    change: SubprocessorChange,
    effective_on: datetime.date | None = None,
    note: str = "",
    summary: str = "",
    implications: str = "",
    request=None,
) -> SubprocessorChange:
    """Approve a proposed change; records who and when (SUBPROCESSOR_CHANGE_APPROVED).

    Only a security manager, never the proposer. ``effective_on`` defaults to today, or, for a
    change with an impact on personal data, to the end of the notice period; with impact, an
    earlier date than that is refused and logged, and the approval creates the clients' notice
    (``summary`` and ``implications`` are what they read) with one delivery per active
    organization, each recorded as NOTICE_CREATED in that organization's log. An addition
    creates the subprocessor (status "approved", not in use yet). A change due today takes
    effect at once; later ones through ``changes_apply_due``.
    """
    _check_decider(actor, change, "change.approve", request=request)
    today = timezone.localdate()
    if change.has_personal_data_impact:
        earliest = earliest_effective_date(approved_on=today)
        if effective_on is None:
            effective_on = earliest
        if effective_on < earliest:
            _refuse(
                actor,
                "change.approve",
                "short_notice",
                object_type="subprocessor_change",
                object_ids=[change.pk],
                request=request,
                params={"days": notice_days(), "earliest": earliest.isoformat()},
                details={
                    "effective_on": effective_on.isoformat(),
                    "earliest": earliest.isoformat(),
                },
            )
    elif effective_on is None:
        effective_on = today
    return _change_approve(
        actor=actor,
        change=change,
        effective_on=effective_on,
        note=note,
        summary=summary,
        implications=implications,
        request=request,
    )


@transaction.atomic
def _change_approve(
    *,
    actor: User,
    change: SubprocessorChange,
    effective_on: datetime.date,
    note: str,
    summary: str,
    implications: str,
    request,
) -> SubprocessorChange:
    change = _locked_proposed(change)
    now = timezone.now()
    today = timezone.localdate(now)
    note = (note or "").strip()
    summary = (summary or "").strip()
    implications = (implications or "").strip()
    errors = {}
    if effective_on < today:
        errors["effective_on"] = _("The change cannot take effect in the past.")
    if len(note) > MAX_TEXT:
        errors["note"] = _("At most %(count)s characters.") % {"count": MAX_TEXT}
    if change.has_personal_data_impact:
        if not summary:
            errors["summary"] = _("Tell clients what changes.")
        if not implications:
            errors["implications"] = _("Tell clients what it means for their data.")
        for field, text in (("summary", summary), ("implications", implications)):
            if len(text) > MAX_TEXT:
                errors[field] = _("At most %(count)s characters.") % {"count": MAX_TEXT}
    if errors:
        raise ValidationError(errors)

    if change.kind == ChangeKind.ADD and change.subprocessor_id is None:
        slug = slug_for(change.proposed["name"])
        if Subprocessor.objects.filter(slug=slug).exists():
            raise ValidationError(_("A subprocessor with this name is already in the registry."))
        change.subprocessor = Subprocessor.objects.create(
            slug=slug,
            status=SubprocessorStatus.APPROVED,
            effective_from=effective_on,
            version=0,  # no version until the addition takes effect
            updated_at=now,
            **change.proposed,
        )
    change.status = ChangeStatus.APPROVED
    change.decided_by = actor
    change.decided_at = now
    change.decision_note = note
    change.effective_on = effective_on
    change.save(
        update_fields=[
            "subprocessor",
            "status",
            "decided_by",
            "decided_at",
            "decision_note",
            "effective_on",
        ]
    )
    _record(
        AuditAction.SUBPROCESSOR_CHANGE_APPROVED,
        actor,
        change,
        request,
        kind=str(change.kind),
        effective_on=effective_on.isoformat(),
        notice=change.has_personal_data_impact,
    )
    if change.has_personal_data_impact:
        _create_notice(
            actor=actor,
            change=change,
            summary=summary,
            implications=implications,
            at=now,
            request=request,
        )
    if effective_on <= today:
        _apply(change, now=now, actor=actor, request=request)
    return change


def _create_notice(
    *, actor: User, change: SubprocessorChange, summary: str, implications: str, at, request
) -> ChangeNotice:
    notice = ChangeNotice.objects.create(
        change=change,
        summary=summary,
        implications=implications,
        announced_at=at,
        effective_on=cast(datetime.date, change.effective_on),  # set by the approval
    )
    with unscoped("subprocessor notice: one delivery per active organization"):
        organization_ids = list(
            Organization.objects.filter(status=Organization.Status.ACTIVE)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        deliveries = NoticeDelivery.objects.bulk_create(
            [
                NoticeDelivery(organization_id=organization_id, notice=notice)
                for organization_id in organization_ids
            ]
        )
    messages = _notice_to_send_mails(notice, change, organization_ids)
    transaction.on_commit(lambda: _send(messages, delivery_id=notice.pk))
    for delivery in deliveries:
        record_event(
            action=AuditAction.NOTICE_CREATED,
            actor=actor,
            organization=delivery.organization_id,
            object_type="notice_delivery",
            object_ids=[delivery.pk, notice.pk, change.pk],
            request=request,
            details={"effective_on": notice.effective_on.isoformat()},
        )
    return notice


def change_reject(
    *, actor: User, change: SubprocessorChange, note: str, request=None
) -> SubprocessorChange:
    """Reject a proposed change with a note saying why (SUBPROCESSOR_CHANGE_REJECTED).

    The same deciders as approval: a security manager who is not the proposer.
    """
    _check_decider(actor, change, "change.reject", request=request)
    return _change_reject(actor=actor, change=change, note=note, request=request)


@transaction.atomic
def _change_reject(
    *, actor: User, change: SubprocessorChange, note: str, request
) -> SubprocessorChange:
    change = _locked_proposed(change)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say why the change is rejected.")})
    if len(note) > MAX_TEXT:
        raise ValidationError({"note": _("At most %(count)s characters.") % {"count": MAX_TEXT}})
    change.status = ChangeStatus.REJECTED
    change.decided_by = actor
    change.decided_at = timezone.now()
    change.decision_note = note
    change.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    _record(AuditAction.SUBPROCESSOR_CHANGE_REJECTED, actor, change, request, kind=str(change.kind))
    return change


def _check_decider(actor: User, change: SubprocessorChange, attempted: str, *, request) -> None:
    where = {"object_type": "subprocessor_change", "object_ids": [change.pk], "request": request}
    if actor.pk == change.proposed_by_id:
        _refuse(actor, attempted, "own_change", **where)
    if not (is_staff(actor) and actor.staff_role == StaffRole.SECURITY_MANAGER):
        _refuse(actor, attempted, "not_security_manager", **where)


def _locked_proposed(change: SubprocessorChange) -> SubprocessorChange:
    change = SubprocessorChange.objects.select_for_update().get(pk=change.pk)
    if change.status != ChangeStatus.PROPOSED:
        raise ValidationError(_("This change has already been decided."))
    return change


# --- Effect ---------------------------------------------------------------------------------


def change_apply(
    *,
    change: SubprocessorChange,
    now: datetime.datetime | None = None,
    actor: User | None = None,
    request=None,
) -> Subprocessor:
    """Put one approved change whose date has come into effect; the only way the registry's
    rows change after their creation.

    The subprocessor becomes active (an addition, or a retired one added again), takes the new
    values (a modification), or is retired (a removal); a new SubprocessorVersion records it,
    and SUBPROCESSOR_CHANGE_EFFECTIVE is written. A change that no security manager approved
    is refused and logged (for a retired subprocessor: a reactivation without approval).
    """
    change = SubprocessorChange.objects.select_related("subprocessor").get(pk=change.pk)
    approved = (
        change.status == ChangeStatus.APPROVED
        and change.decided_by_id is not None
        and change.decided_by_id != change.proposed_by_id
    )
    if not approved:
        retired = (
            change.subprocessor is not None
            and change.subprocessor.status == SubprocessorStatus.RETIRED
        )
        _refuse(
            actor,
            "change.apply",
            "retired_reactivation" if retired else "not_approved",
            object_type="subprocessor_change",
            object_ids=[change.pk],
            request=request,
            details={"status": change.status},
        )
    with transaction.atomic():
        locked = SubprocessorChange.objects.select_for_update().get(pk=change.pk)
        if locked.status != ChangeStatus.APPROVED:
            raise ValidationError(_("This change is no longer waiting to take effect."))
        return _apply(locked, now=now or timezone.now(), actor=actor, request=request)


def changes_apply_due(*, now: datetime.datetime | None = None) -> list[uuid.UUID]:
    """Put into effect every approved change whose date has come (the daily job); return the
    ids of the changes applied. Each change in its own transaction; a change another run holds
    is skipped, so concurrent runs apply each change once."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    due_ids = list(
        SubprocessorChange.objects.filter(status=ChangeStatus.APPROVED, effective_on__lte=today)
        .order_by("effective_on", "proposed_at")
        .values_list("pk", flat=True)
    )
    applied = []
    for change_id in due_ids:
        with transaction.atomic():
            change = (
                SubprocessorChange.objects.select_for_update(skip_locked=True)
                .filter(pk=change_id, status=ChangeStatus.APPROVED)
                .first()
            )
            if change is None:
                continue
            _apply(change, now=now, actor=None, request=None)
        applied.append(change_id)
    return applied


def _apply(
    change: SubprocessorChange, *, now: datetime.datetime, actor: User | None, request
) -> Subprocessor:
    """The one writer of an existing registry row. ``change`` is locked and approved."""
    if change.effective_on is None or change.effective_on > timezone.localdate(now):
        raise ValidationError(_("This change takes effect later."))
    # Approved: an addition got its registry row at approval.
    subprocessor = Subprocessor.objects.select_for_update().get(
        pk=cast(uuid.UUID, change.subprocessor_id)
    )
    for field, value in change.proposed.items():
        setattr(subprocessor, field, value)
    if change.kind == ChangeKind.ADD:
        subprocessor.status = SubprocessorStatus.ACTIVE
        subprocessor.effective_from = change.effective_on
        subprocessor.effective_until = None
    elif change.kind == ChangeKind.REMOVE:
        subprocessor.status = SubprocessorStatus.RETIRED
        subprocessor.effective_until = change.effective_on
    subprocessor.version += 1
    subprocessor.updated_at = now
    subprocessor.save()
    SubprocessorVersion.objects.create(
        subprocessor=subprocessor,
        number=subprocessor.version,
        snapshot=snapshot_of(subprocessor),
        change=change,
        recorded_at=now,
    )
    change.status = ChangeStatus.EFFECTIVE
    change.save(update_fields=["status"])
    _record(
        AuditAction.SUBPROCESSOR_CHANGE_EFFECTIVE,
        actor,
        change,
        request,
        kind=str(change.kind),
        version=subprocessor.version,
    )
    return subprocessor


# --- Notices to clients ---------------------------------------------------------------------


def may_handle_notices(*, user, organization_id) -> bool:
    """The organization's assigned CSM, or a security officer (every organization)."""
    if not is_staff(user):
        return False
    if user.staff_role == StaffRole.SECURITY_OFFICER:
        return True
    return user.staff_role == StaffRole.CSM and has_open_assignment(
        user=user, organization=organization_id
    )


def is_client_manager_of(*, user, organization_id) -> bool:
    return bool(
        getattr(user, "is_authenticated", False)
        and user.is_active
        and not user.staff_role
        and user.org_role == OrgRole.MANAGER
        and user.organization_id == organization_id
    )


def notice_send(*, actor: User, delivery: NoticeDelivery, request=None) -> NoticeDelivery:
    """Mail the notice to the organization's client managers, each in their language, through
    the transactional backend (after the commit), and record NOTICE_SENT with sent_at/by.

    By the organization's assigned CSM or a security officer. Sending again (e.g. to a new
    manager) is allowed and recorded again.
    """
    _check_notice_handler(actor, delivery, "notice.send", request=request)
    return _notice_send(actor=actor, delivery=delivery, request=request)


@transaction.atomic
def _notice_send(*, actor: User, delivery: NoticeDelivery, request) -> NoticeDelivery:
    with tenant_context(delivery.organization_id):
        delivery = NoticeDelivery.objects.select_for_update().get(pk=delivery.pk)
        managers = list(
            User.objects.filter(org_role=OrgRole.MANAGER, is_active=True).order_by("pk")
        )
        organization = Organization.objects.get(pk=delivery.organization_id)
    if not managers:
        raise ValidationError(_("This organization has no active manager to send the notice to."))
    resend = delivery.sent_at is not None
    delivery.sent_at = timezone.now()
    delivery.sent_by = actor
    with tenant_context(delivery.organization_id):
        delivery.save(update_fields=["sent_at", "sent_by"])
    _record_delivery(
        AuditAction.NOTICE_SENT,
        actor,
        delivery,
        request,
        recipients=len(managers),
        resend=resend,
    )
    messages = _notice_mails(delivery, organization, managers)
    delivery_id = delivery.pk
    transaction.on_commit(lambda: _send(messages, delivery_id=delivery_id))
    return delivery


def notice_acknowledge(*, actor: User, delivery: NoticeDelivery, request=None) -> NoticeDelivery:
    """A client manager acknowledges the notice for their organization (NOTICE_ACKNOWLEDGED)."""
    _check_client_manager(actor, delivery, "notice.acknowledge", request=request)
    return _notice_acknowledge(actor=actor, delivery=delivery, request=request)


@transaction.atomic
def _notice_acknowledge(*, actor: User, delivery: NoticeDelivery, request) -> NoticeDelivery:
    with tenant_context(delivery.organization_id):
        delivery = NoticeDelivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.acknowledged_at is not None:
            raise ValidationError(_("This notice has already been acknowledged."))
        delivery.acknowledged_at = timezone.now()
        delivery.acknowledged_by = actor
        delivery.save(update_fields=["acknowledged_at", "acknowledged_by"])
    _record_delivery(AuditAction.NOTICE_ACKNOWLEDGED, actor, delivery, request)
    return delivery


def notice_object(
    *, actor: User, delivery: NoticeDelivery, objection: str, request=None
) -> NoticeDelivery:
    """A client manager objects to the change, saying why (NOTICE_OBJECTED; the text stays on
    the delivery, never in the log). The objection stays open until the CSM or a security
    officer resolves it; one objection per notice and organization."""
    _check_client_manager(actor, delivery, "notice.object", request=request)
    return _notice_object(actor=actor, delivery=delivery, objection=objection, request=request)


@transaction.atomic
def _notice_object(
    *, actor: User, delivery: NoticeDelivery, objection: str, request
) -> NoticeDelivery:
    objection = (objection or "").strip()
    if not objection:
        raise ValidationError({"objection": _("Say what you object to.")})
    if len(objection) > MAX_TEXT:
        raise ValidationError(
            {"objection": _("At most %(count)s characters.") % {"count": MAX_TEXT}}
        )
    with tenant_context(delivery.organization_id):
        delivery = NoticeDelivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.objection_status:
            raise ValidationError(
                _("An objection to this notice has already been recorded: contact your CSM.")
            )
        delivery.objection_status = ObjectionStatus.OPEN
        delivery.objection = objection
        delivery.objected_at = timezone.now()
        delivery.objected_by = actor
        delivery.save(update_fields=["objection_status", "objection", "objected_at", "objected_by"])
    _record_delivery(AuditAction.NOTICE_OBJECTED, actor, delivery, request)
    messages = _objection_mails(delivery)
    delivery_id = delivery.pk
    transaction.on_commit(lambda: _send(messages, delivery_id=delivery_id))
    return delivery


def objection_resolve(
    *, actor: User, delivery: NoticeDelivery, resolution: str, request=None
) -> NoticeDelivery:
    """Close an open objection, saying how it was resolved (OBJECTION_RESOLVED). By the
    organization's CSM or a security officer."""
    _check_notice_handler(actor, delivery, "objection.resolve", request=request)
    return _objection_resolve(
        actor=actor, delivery=delivery, resolution=resolution, request=request
    )


@transaction.atomic
def _objection_resolve(
    *, actor: User, delivery: NoticeDelivery, resolution: str, request
) -> NoticeDelivery:
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationError({"resolution": _("Say how the objection was resolved.")})
    if len(resolution) > MAX_TEXT:
        raise ValidationError(
            {"resolution": _("At most %(count)s characters.") % {"count": MAX_TEXT}}
        )
    with tenant_context(delivery.organization_id):
        delivery = NoticeDelivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.objection_status != ObjectionStatus.OPEN:
            raise ValidationError(_("There is no open objection to resolve."))
        delivery.objection_status = ObjectionStatus.RESOLVED
        delivery.resolution = resolution
        delivery.resolved_at = timezone.now()
        delivery.resolved_by = actor
        delivery.save(
            update_fields=["objection_status", "resolution", "resolved_at", "resolved_by"]
        )
    _record_delivery(AuditAction.OBJECTION_RESOLVED, actor, delivery, request)
    return delivery


def _check_notice_handler(actor, delivery: NoticeDelivery, attempted: str, *, request) -> None:
    if not may_handle_notices(user=actor, organization_id=delivery.organization_id):
        _refuse(
            actor,
            attempted,
            "not_notice_handler",
            organization_id=delivery.organization_id,
            object_type="notice_delivery",
            object_ids=[delivery.pk],
            request=request,
        )


def _check_client_manager(actor, delivery: NoticeDelivery, attempted: str, *, request) -> None:
    if not is_client_manager_of(user=actor, organization_id=delivery.organization_id):
        _refuse(
            actor,
            attempted,
            "not_client_manager",
            organization_id=delivery.organization_id,
            object_type="notice_delivery",
            object_ids=[delivery.pk],
            request=request,
        )


def _notice_mails(
    delivery: NoticeDelivery, organization: Organization, managers: list[User]
) -> list[EmailMultiAlternatives]:
    notice = ChangeNotice.objects.select_related("change__subprocessor").get(pk=delivery.notice_id)
    change = notice.change
    # What the subprocessor will be once the change applies (the mail describes that). A
    # notice is for an approved change: an addition got its registry row at approval.
    after = {**current_values(cast(Subprocessor, change.subprocessor)), **change.proposed}
    link = settings.GROVE_BASE_URL + reverse("subprocessors:notices")
    registry = settings.GROVE_BASE_URL + "/subprocessors"
    mails = []
    for manager in managers:
        # In the manager's own language (the profile's; English when it follows the browser).
        with translation.override(manager.language or settings.LANGUAGE_CODE):
            context = {
                "organization": organization,
                "subprocessor": change.subprocessor,
                "after": after,
                "kind": change.get_kind_display(),
                "notice": notice,
                "link": link,
                "registry": registry,
            }
            subject = render_to_string("subprocessors/notice_subject.txt", context).strip()
            body = render_to_string("subprocessors/notice_email.txt", context)
        mails.append(EmailMultiAlternatives(subject=subject, body=body, to=[manager.email]))
    return mails


def _notice_to_send_mails(
    notice: ChangeNotice, change: SubprocessorChange, organization_ids: list
) -> list[EmailMultiAlternatives]:
    """Tell each CSM how many of their organizations wait for this notice; the organizations
    no CSM serves go to the security officers."""
    with unscoped("subprocessor notice: the CSMs of the organizations to notify"):
        assignments = list(
            CsmAssignment.objects.filter(
                ended_at__isnull=True, organization_id__in=organization_ids
            ).values_list("csm_id", "organization_id")
        )
        staff = {
            u.pk: u
            for u in User.objects.filter(
                is_active=True, staff_role__in=[StaffRole.CSM, StaffRole.SECURITY_OFFICER]
            )
        }
    served: dict = {}
    for csm_id, organization_id in assignments:
        if csm_id in staff and staff[csm_id].staff_role == StaffRole.CSM:
            served.setdefault(csm_id, set()).add(organization_id)
    unserved = set(organization_ids) - set().union(*served.values())
    if unserved:
        for person in staff.values():
            if person.staff_role == StaffRole.SECURITY_OFFICER:
                served.setdefault(person.pk, set()).update(unserved)
    link = settings.GROVE_BASE_URL + reverse("subprocessors:staff_notices")
    mails = []
    for person_id, organizations in sorted(served.items(), key=lambda i: staff[i[0]].email):
        person = staff[person_id]
        with translation.override(person.language or settings.LANGUAGE_CODE):
            context = {
                "subprocessor": change.subprocessor,
                "kind": change.get_kind_display(),
                "notice": notice,
                "count": len(organizations),
                "link": link,
            }
            subject = render_to_string("subprocessors/to_send_subject.txt", context).strip()
            body = render_to_string("subprocessors/to_send_email.txt", context)
        mails.append(EmailMultiAlternatives(subject=subject, body=body, to=[person.email]))
    return mails


def _objection_mails(delivery: NoticeDelivery) -> list[EmailMultiAlternatives]:
    """Tell whoever answers it that an objection is open: the organization's assigned CSMs,
    or the security officers when it has none. The client's words stay on the page."""
    with tenant_context(delivery.organization_id):
        organization = Organization.objects.get(pk=delivery.organization_id)
        csm_ids = list(
            CsmAssignment.objects.filter(ended_at__isnull=True).values_list("csm_id", flat=True)
        )
    with unscoped("subprocessor objection: the staff who answer it"):
        staff = User.objects.filter(is_active=True)
        recipients = list(staff.filter(pk__in=csm_ids, staff_role=StaffRole.CSM)) or list(
            staff.filter(staff_role=StaffRole.SECURITY_OFFICER)
        )
    subprocessor = (
        ChangeNotice.objects.select_related("change__subprocessor")
        .get(pk=delivery.notice_id)
        .change.subprocessor
    )
    link = settings.GROVE_BASE_URL + reverse(
        "subprocessors:delivery", kwargs={"delivery_id": delivery.pk}
    )
    mails = []
    for person in sorted(recipients, key=lambda u: u.email):
        with translation.override(person.language or settings.LANGUAGE_CODE):
            context = {"organization": organization, "subprocessor": subprocessor, "link": link}
            subject = render_to_string("subprocessors/objection_subject.txt", context).strip()
            body = render_to_string("subprocessors/objection_email.txt", context)
        mails.append(EmailMultiAlternatives(subject=subject, body=body, to=[person.email]))
    return mails


def _send(messages: list[EmailMultiAlternatives], *, delivery_id: uuid.UUID) -> None:
    for message in messages:
        try:
            message.send()
        except Exception as error:  # any transport error; logged by type, never its text
            logger.error("notice delivery %s: mail not sent: %s", delivery_id, type(error).__name__)


# --- Helpers --------------------------------------------------------------------------------


def _refuse(
    actor,
    attempted: str,
    why: str,
    *,
    organization_id=None,
    object_type: str = "",
    object_ids: list | None = None,
    request=None,
    params: dict | None = None,
    details: dict | None = None,
) -> None:
    """Record SUBPROCESSOR_CHANGE_REFUSED (ids only), then raise ChangeRefused."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    fields = {
        "action": AuditAction.SUBPROCESSOR_CHANGE_REFUSED,
        "actor": actor if authenticated else None,
        "organization": organization_id,
        "object_type": object_type,
        "object_ids": list(object_ids or []),
        "details": {"attempted": attempted, "refused": why, **(details or {})},
    }
    with transaction.atomic():
        event = record_event(request=request, **fields)
    message = str(REFUSAL_MESSAGES[why])
    if params:
        message = message % params
    raise ChangeRefused(message, reason=why, event_fields=fields, event_public_id=event.public_id)


def _record(action: str, actor, change: SubprocessorChange, request, **details) -> None:
    """An event of the registry (the operator's log: it concerns every client)."""
    record_event(
        action=action,
        actor=actor,
        organization=None,
        object_type="subprocessor_change",
        object_ids=[change.pk] + ([change.subprocessor_id] if change.subprocessor_id else []),
        request=request,
        details=details,
    )


def _record_delivery(action: str, actor, delivery: NoticeDelivery, request, **details) -> None:
    """An event of one organization's notice, in that organization's log."""
    record_event(
        action=action,
        actor=actor,
        organization=delivery.organization_id,
        object_type="notice_delivery",
        object_ids=[delivery.pk, delivery.notice_id],
        request=request,
        details=details,
    )
