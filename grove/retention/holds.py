"""Legal holds: a security officer's order to keep an organization's (or one member's) data.

A hold is in force on day D when it is not released and D <= ``until``. While any hold of an
organization is in force (organization-scope or user-scope), its data purge and log purge wait;
a departed member's purge waits for an organization hold or a hold on that member. The held
purge runs on the first daily run after the hold ends (the day after ``until``, or after its
release).

Only security officers place and release holds; anyone else is refused (ACCESS_DENIED recorded,
RetentionRefused raised). HOLD_PLACED and HOLD_RELEASED hold the hold's id, its scope and its
until date: the reason stays on the hold row, never in the access log.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grove.accounts.models import StaffRole, User
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.staff.authorization import is_staff
from grove.tenancy.context import tenant_context
from grove.tenancy.models import Organization

from .errors import refuse
from .models import LegalHold

REASON_MAX = 2000
SCOPE_ORGANIZATION = "organization"
SCOPE_USER = "user"

REFUSAL_MESSAGES = {
    "not_a_security_officer": gettext_lazy(
        "Only a security officer can place or release a legal hold."
    ),
}


def hold_scope(hold: LegalHold) -> str:
    return SCOPE_USER if hold.user_id is not None else SCOPE_ORGANIZATION


def holds_in_force(
    organization: Organization, day: datetime.date, user: User | None = None
) -> list[LegalHold]:
    """The holds of ``organization`` in force on ``day`` (not released, ``day <= until``),
    earliest end first.

    ``user=None``: every one of them, organization-scope and user-scope alike (what blocks the
    organization's purges). ``user`` given: the organization-scope holds and that member's
    (what blocks their own purge).
    """
    with tenant_context(organization):
        holds = LegalHold.objects.filter(released_at__isnull=True, until__gte=day)
        if user is not None:
            holds = holds.filter(Q(user__isnull=True) | Q(user_id=user.pk))
        return list(holds.order_by("until", "placed_at"))


def hold_place(
    *,
    actor: User,
    organization: Organization,
    reason: str,
    until: datetime.date,
    user: User | None = None,
    request=None,
) -> LegalHold:
    """Place a legal hold on ``organization`` (or, with ``user``, on one of its members) until
    ``until`` inclusive, and record HOLD_PLACED (id, scope, until; no reason).

    Security officers only. Refused with ValidationError: an empty reason, an ``until`` in the
    past, a member of another organization, an organization of which only the tombstone
    remains.
    """
    if not _is_security_officer(actor):
        refuse(
            actor=actor,
            organization_id=organization.pk,
            attempted="hold.place",
            refused="not_a_security_officer",
            message=REFUSAL_MESSAGES["not_a_security_officer"],
            request=request,
        )
    return _hold_place(
        actor=actor,
        organization=organization,
        reason=reason,
        until=until,
        user=user,
        request=request,
    )


@transaction.atomic
def _hold_place(
    *,
    actor: User,
    organization: Organization,
    reason: str,
    until: datetime.date,
    user: User | None,
    request,
) -> LegalHold:
    reason = _clean_reason(reason)
    errors = {}
    if not isinstance(until, datetime.date) or isinstance(until, datetime.datetime):
        errors["until"] = _("Give the last day of the hold.")
    elif until < timezone.localdate():
        errors["until"] = _("The last day of the hold cannot be in the past.")
    if user is not None and user.organization_id != organization.pk:
        errors["user"] = _("This person is not a member of this organization.")
    if errors:
        raise ValidationError(errors)
    if organization.status == Organization.Status.TOMBSTONE:
        raise ValidationError(_("Nothing of this organization is left to hold."))
    with tenant_context(organization):
        hold = LegalHold(
            organization=organization,
            user=user,
            reason=reason,
            until=until,
            placed_by=actor,
            placed_at=timezone.now(),
        )
        hold.save(force_insert=True)
    _record(AuditAction.HOLD_PLACED, actor, hold, request)
    return hold


def hold_release(*, actor: User, hold: LegalHold, reason: str, request=None) -> LegalHold:
    """Release a hold now (the held purges run at the next daily run) and record HOLD_RELEASED
    (id, scope, until; no reason). Security officers only; a hold already released is refused
    (ValidationError), as is an empty reason."""
    if not _is_security_officer(actor):
        refuse(
            actor=actor,
            organization_id=hold.organization_id,
            attempted="hold.release",
            refused="not_a_security_officer",
            message=REFUSAL_MESSAGES["not_a_security_officer"],
            object_type="legal_hold",
            object_id=hold.pk,
            request=request,
        )
    return _hold_release(actor=actor, hold=hold, reason=reason, request=request)


@transaction.atomic
def _hold_release(*, actor: User, hold: LegalHold, reason: str, request) -> LegalHold:
    reason = _clean_reason(reason)
    with tenant_context(hold.organization_id):
        locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if locked.released_at is not None:
            raise ValidationError(_("This hold has already been released."))
        locked.released_at = timezone.now()
        locked.released_by = actor
        locked.release_reason = reason
        locked.save(update_fields=["released_at", "released_by", "release_reason"])
    _record(AuditAction.HOLD_RELEASED, actor, locked, request)
    for name in ("released_at", "released_by_id", "release_reason"):
        setattr(hold, name, getattr(locked, name))
    return locked


# --- Helpers ------------------------------------------------------------------------------------


def _is_security_officer(actor) -> bool:
    return is_staff(actor) and actor.staff_role == StaffRole.SECURITY_OFFICER


def _clean_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason.")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("At most %(max)d characters.") % {"max": REASON_MAX}})
    return reason


def _record(action: str, actor: User, hold: LegalHold, request) -> None:
    record_event(
        action=action,
        actor=actor,
        organization=hold.organization_id,
        object_type="legal_hold",
        object_ids=[hold.pk],
        subject_user=hold.user_id,
        request=request,
        details={"scope": hold_scope(hold), "until": hold.until.isoformat()},
    )
