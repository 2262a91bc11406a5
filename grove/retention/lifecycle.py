"""The contract lifecycle's writes: a contract ends (its end date passed, or ended early by the
operator), and from then on the organization is read-only.

``end_contract`` is what the daily job (grove/retention/enforce.py) calls for an organization
whose contract end date has passed; ``contract_end_early`` is the staff action (a CSM serving
the organization, or a security officer). Both record CONTRACT_ENDED (ids, dates and the reason
code only) in the same transaction and cut the open sessions of the organization's members; the
notice mail to the managers is sent by the daily job, which retries it until it leaves.

An ended organization's members can no longer log in (grove/accounts/backends.py), its API and
SCIM tokens authenticate nothing, and every write on its client data calls
``ensure_organization_writable`` first (imports, invitations, provisioning, practices, members).
Data-subject requests stay open during the grace period: they do not go through it.
"""

from __future__ import annotations

import datetime

from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grove.accounts.models import StaffRole, User
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.staff.authorization import has_open_assignment, is_staff
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import Organization

from .errors import OrganizationReadOnly, refuse
from .models import EarlyEndNote

__all__ = [
    "OrganizationReadOnly",
    "contract_end_early",
    "cut_member_sessions",
    "end_contract",
    "ensure_organization_writable",
    "organization_is_writable",
]

REASON_MAX = 2000
# Sessions are decoded this many at a time (no index on the user: every live one is read).
SESSION_CHUNK = 2000

REFUSAL_MESSAGES = {
    "not_allowed": gettext_lazy(
        "Only a customer success manager serving this organization or a security officer can "
        "end its contract."
    ),
}


def organization_is_writable(organization: Organization) -> bool:
    """Whether the organization's client data may still change: its contract is active."""
    return organization.status == Organization.Status.ACTIVE


def ensure_organization_writable(organization: Organization) -> None:
    """Raise OrganizationReadOnly (a 403 saying why) unless the contract is active.

    Reads the instance's status (no query): the callers hold an organization loaded with the
    request's user or fresh from the row they write under.
    """
    if not organization_is_writable(organization):
        raise OrganizationReadOnly


def contract_end_early(
    *, actor: User, organization: Organization, reason: str, request=None
) -> Organization:
    """End an active contract today, at the operator's decision: the contract's last day
    becomes today and the organization is ENDED at once (reason code ENDED_EARLY). The grace
    period and the log tail count from today.

    A CSM serving the organization (open assignment) or a security officer; anyone else is
    refused (ACCESS_DENIED recorded, RetentionRefused raised). A reason is required (kept out of
    the access log, like every free text); an organization already ended is refused.
    """
    if not _may_end_early(actor, organization):
        _refuse(actor, organization, "contract.end_early", "not_allowed", request=request)
    return _contract_end_early(
        actor=actor, organization=organization, reason=reason, request=request
    )


@transaction.atomic
def _contract_end_early(
    *, actor: User, organization: Organization, reason: str, request
) -> Organization:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the contract ends early.")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("At most %(max)d characters.") % {"max": REASON_MAX}})
    now = timezone.now()
    today = timezone.localdate(now)
    locked = _locked(organization)
    if locked.status != Organization.Status.ACTIVE:
        raise ValidationError(_("This organization's contract has already ended."))
    if today < locked.contract_start:
        raise ValidationError(_("This contract has not started yet: change its dates instead."))
    previous_end = locked.contract_end
    locked.contract_end = min(today, locked.contract_end)
    with tenant_context(locked):
        locked.save(update_fields=["contract_end"])
        # The reason is free text: kept in its own record (purged with the logs), never in
        # the access log, whose event names the note by id.
        note = EarlyEndNote.objects.create(
            organization=locked,
            ended_by=actor,
            reason=reason,
            previous_contract_end=previous_end,
            created_at=now,
        )
    _end(
        locked,
        now=now,
        reason=Organization.EndReason.ENDED_EARLY,
        actor=actor,
        previous_contract_end=previous_end,
        request=request,
        note=note,
    )
    _refresh(organization, locked)
    return organization


@transaction.atomic
def end_contract(
    *,
    organization: Organization,
    now: datetime.datetime,
    reason: Organization.EndReason,
    actor: User | None = None,
) -> bool:
    """ACTIVE → ENDED: set ``ended_at`` and ``end_reason``, record CONTRACT_ENDED and cut the
    members' open sessions. Returns False (and changes nothing) when the organization is not
    active any more: a second run, or a concurrent one, ends it once.

    The end notice is not sent here: the daily job sends it (and retries it) after this.
    """
    locked = _locked(organization)
    if locked.status != Organization.Status.ACTIVE:
        _refresh(organization, locked)
        return False
    _end(locked, now=now, reason=Organization.EndReason(reason), actor=actor)
    _refresh(organization, locked)
    return True


def cut_member_sessions(organization: Organization) -> int:
    """Delete the database sessions logged in as a user of ``organization``; return how many.

    Sessions carry the user id in their signed data only, so every live one is decoded (as
    grove/rights/erasure.py does for one person), a chunk at a time. The authentication backend
    already refuses a session of an ended organization's member at its next request; deleting
    the rows leaves nothing to come back to.
    """
    with unscoped("contract end: the ids of the organization's users, to find their sessions"):
        wanted = {
            str(pk)
            for pk in User.objects.filter(organization_id=organization.pk).values_list(
                "pk", flat=True
            )
        }
    if not wanted:
        return 0
    now = timezone.now()
    live = Session.objects.filter(expire_date__gt=now).order_by("session_key")
    doomed: list[str] = []
    last_key = ""
    while True:
        chunk = list(
            live.filter(session_key__gt=last_key).values_list("session_key", "session_data")[
                :SESSION_CHUNK
            ]
        )
        if not chunk:
            break
        last_key = chunk[-1][0]
        for key, data in chunk:
            decoded = Session(session_key=key, session_data=data).get_decoded()
            if str(decoded.get("_auth_user_id", "")) in wanted:
                doomed.append(key)
    cut = 0
    for start in range(0, len(doomed), SESSION_CHUNK):
        cut += Session.objects.filter(
            session_key__in=doomed[start : start + SESSION_CHUNK]
        ).delete()[0]
    return cut


# --- Helpers ------------------------------------------------------------------------------------


def _end(
    organization: Organization,
    *,
    now: datetime.datetime,
    reason: Organization.EndReason,
    actor: User | None,
    previous_contract_end: datetime.date | None = None,
    request=None,
    note: EarlyEndNote | None = None,
) -> None:
    organization.status = Organization.Status.ENDED
    organization.ended_at = now
    organization.end_reason = reason
    with tenant_context(organization):
        organization.save(update_fields=["status", "ended_at", "end_reason"])
    sessions_cut = cut_member_sessions(organization)
    details = {
        "reason": str(reason),
        "contract_end": organization.contract_end.isoformat(),
        "sessions_cut": sessions_cut,
    }
    if previous_contract_end is not None:
        details["previous_contract_end"] = previous_contract_end.isoformat()
    if note is not None:
        details["early_end_note"] = str(note.pk)
    record_event(
        action=AuditAction.CONTRACT_ENDED,
        actor=actor,
        organization=organization,
        object_type="organization",
        object_ids=[organization.pk],
        details=details,
        request=request,
    )


def _locked(organization: Organization) -> Organization:
    with tenant_context(organization):
        return Organization.objects.select_for_update().get(pk=organization.pk)


def _refresh(organization: Organization, locked: Organization) -> None:
    """The caller's instance follows the row as written (status, dates)."""
    for name in ("status", "contract_end", "ended_at", "end_reason"):
        setattr(organization, name, getattr(locked, name))


def _may_end_early(actor, organization: Organization) -> bool:
    if not is_staff(actor):
        return False
    if actor.staff_role == StaffRole.SECURITY_OFFICER:
        return True
    return actor.staff_role == StaffRole.CSM and has_open_assignment(
        user=actor, organization=organization
    )


def _refuse(actor, organization: Organization, attempted: str, why: str, *, request=None) -> None:
    refuse(
        actor=actor,
        organization_id=organization.pk,
        attempted=attempted,
        refused=why,
        message=REFUSAL_MESSAGES[why],
        object_type="organization",
        object_id=organization.pk,
        request=request,
    )
