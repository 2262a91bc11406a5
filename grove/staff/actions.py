"""Every write of the staff app: break-glass grants and CSM assignments.

Each action is keyword-only and records its access-log event in the same transaction (ids only;
the grant's reason and ticket stay on the grant row, never in the log). Mail leaves after the
commit.

A refusal of who may act (a self-approval, a CSM assigning themselves) is recorded as
ACCESS_DENIED *before* the action's transaction opens, then raised as ``ActionRefused``: the
exception rolls the action back, not the record of the attempt. Views answer it with a page
(the request's transaction then commits, the event with it); ``DeniedAccessMiddleware`` writes
it again if a caller let it roll back anyway.
"""

from __future__ import annotations

import datetime
import logging
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grove.accounts.models import OrgRole, StaffRole, User
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import Organization

from .authorization import (
    RecordedRefusal,
    is_assignment_manager,
    is_grant_decider,
    is_staff,
)
from .models import GRANT_DEFAULT_MINUTES, GRANT_MAX_MINUTES, AccessGrant, CsmAssignment

logger = logging.getLogger(__name__)


class ActionRefused(RecordedRefusal):
    """The actor may not do this. The message is safe to show (no personal data); the attempt
    is already in the access log."""


# --- Break-glass grants ---------------------------------------------------------------------


def grant_request(
    *,
    actor: User,
    organization: Organization,
    reason: str,
    ticket_ref: str,
    duration_minutes: int = GRANT_DEFAULT_MINUTES,
    request=None,
    at: datetime.datetime | None = None,
) -> AccessGrant:
    """Ask for break-glass read access to ``organization`` and record GRANT_REQUESTED.

    Any staff member may ask; a reason and an incident or ticket reference are required, and
    the duration is at most eight hours. The grant does nothing until a security officer or
    security manager other than the requester approves it. ``at`` (default now) dates a
    request of the past, for the demo's history.
    """
    if not is_staff(actor):
        _refuse(actor, organization.pk, "grant.request", "not_staff", request=request)
    return _grant_request(
        actor=actor,
        organization=organization,
        reason=reason,
        ticket_ref=ticket_ref,
        duration_minutes=duration_minutes,
        request=request,
        at=at,
    )


@transaction.atomic
def _grant_request(
    *,
    actor: User,
    organization: Organization,
    reason: str,
    ticket_ref: str,
    duration_minutes: int,
    request,
    at: datetime.datetime | None,
) -> AccessGrant:
    reason = (reason or "").strip()
    ticket_ref = (ticket_ref or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = _("Say why you need access.")
    if not ticket_ref:
        errors["ticket_ref"] = _("Give the incident or ticket reference.")
    if not 1 <= int(duration_minutes) <= GRANT_MAX_MINUTES:
        errors["duration_minutes"] = _("Between 1 and %(maximum)s minutes (8 hours).") % {
            "maximum": GRANT_MAX_MINUTES
        }
    if errors:
        raise ValidationError(errors)
    now = at or timezone.now()
    with tenant_context(organization):
        pending_or_active = Q(status=AccessGrant.Status.REQUESTED) | Q(
            status=AccessGrant.Status.APPROVED, revoked_at__isnull=True, expires_at__gt=now
        )
        if AccessGrant.objects.filter(pending_or_active, requester_id=actor.pk).exists():
            raise ValidationError(
                _("You already have a pending request or an active grant for this organization.")
            )
        grant = AccessGrant(
            organization=organization,
            requester=actor,
            reason=reason,
            ticket_ref=ticket_ref,
            duration_minutes=int(duration_minutes),
            requested_at=now,
        )
        grant.save(force_insert=True)
    _record(
        AuditAction.GRANT_REQUESTED,
        actor,
        grant,
        request,
        at=at,
        duration_minutes=duration_minutes,
    )
    return grant


def grant_approve(
    *, actor: User, grant: AccessGrant, request=None, at: datetime.datetime | None = None
) -> AccessGrant:
    """Approve a pending grant: it starts now (or ``at``, for the demo's history) and ends after
    its duration. Records GRANT_APPROVED; after the commit, each manager of the organization
    gets a mail saying who, why, under which ticket, and from when to when (unless the grant
    has already ended by then).

    Only a security officer or security manager may approve, and never their own request: the
    refusal is recorded and raised as ActionRefused.
    """
    _check_decider(actor, grant, "grant.approve", request=request)
    return _grant_approve(actor=actor, grant=grant, request=request, at=at)


def grant_reject(*, actor: User, grant: AccessGrant, request=None) -> AccessGrant:
    """Reject a pending grant and record GRANT_REJECTED (same deciders as approval)."""
    _check_decider(actor, grant, "grant.reject", request=request)
    return _grant_reject(actor=actor, grant=grant, request=request)


def grant_revoke(*, actor: User, grant: AccessGrant, request=None) -> AccessGrant:
    """End a grant at once (or withdraw a pending request) and record GRANT_REVOKED.

    A security officer or security manager may revoke any grant; the requester may end their
    own early. Access stops with the next request: authorize() reads the grant every time.
    """
    if actor.pk != grant.requester_id and not is_grant_decider(actor):
        _refuse(actor, grant.organization_id, "grant.revoke", "not_allowed", grant, request)
    return _grant_revoke(actor=actor, grant=grant, request=request)


@transaction.atomic
def grant_expire_due(*, now: datetime.datetime | None = None) -> list[uuid.UUID]:
    """Record GRANT_EXPIRED once for each approved grant whose end has passed; return their ids.

    Access already stopped at ``expires_at`` (authorize() checks it); this writes the fact into
    each organization's access log. Safe to run often and concurrently: a grant is recorded
    once (``expired_recorded_at``), rows another run holds are skipped. A ``now`` in the past
    (the demo's history) also dates the events.
    """
    at = now
    now = now or timezone.now()
    with unscoped("grant expiry job: the due grants of every organization"):
        due = list(
            AccessGrant.objects.select_for_update(skip_locked=True)
            .filter(
                status=AccessGrant.Status.APPROVED,
                revoked_at__isnull=True,
                expires_at__lte=now,
                expired_recorded_at__isnull=True,
            )
            .order_by("expires_at")
        )
    for grant in due:
        with tenant_context(grant.organization_id):
            grant.expired_recorded_at = now
            grant.save(update_fields=["expired_recorded_at"])
        _record(AuditAction.GRANT_EXPIRED, None, grant, None, at=at, expires_at=grant.expires_at)
    return [grant.pk for grant in due]


@transaction.atomic
def _grant_approve(
    *, actor: User, grant: AccessGrant, request, at: datetime.datetime | None
) -> AccessGrant:
    grant = _locked_pending(grant)
    now = at or timezone.now()
    grant.status = AccessGrant.Status.APPROVED
    grant.decided_by = actor
    grant.decided_at = now
    grant.expires_at = now + datetime.timedelta(minutes=grant.duration_minutes)
    with tenant_context(grant.organization_id):
        grant.save(update_fields=["status", "decided_by", "decided_at", "expires_at"])
    _record(AuditAction.GRANT_APPROVED, actor, grant, request, at=at, expires_at=grant.expires_at)
    if grant.expires_at > timezone.now():  # no news for a grant that is already over
        messages = _grant_approved_mails(grant)
        grant_id = grant.pk
        transaction.on_commit(lambda: _send(messages, grant_id=grant_id))
    return grant


@transaction.atomic
def _grant_reject(*, actor: User, grant: AccessGrant, request) -> AccessGrant:
    grant = _locked_pending(grant)
    grant.status = AccessGrant.Status.REJECTED
    grant.decided_by = actor
    grant.decided_at = timezone.now()
    with tenant_context(grant.organization_id):
        grant.save(update_fields=["status", "decided_by", "decided_at"])
    _record(AuditAction.GRANT_REJECTED, actor, grant, request)
    return grant


@transaction.atomic
def _grant_revoke(*, actor: User, grant: AccessGrant, request) -> AccessGrant:
    grant = _locked(grant)
    if not (grant.status == AccessGrant.Status.REQUESTED or grant.is_active):
        raise ValidationError(_("This grant has already ended."))
    grant.status = AccessGrant.Status.REVOKED
    grant.revoked_by = actor
    grant.revoked_at = timezone.now()
    with tenant_context(grant.organization_id):
        grant.save(update_fields=["status", "revoked_by", "revoked_at"])
    _record(AuditAction.GRANT_REVOKED, actor, grant, request)
    return grant


def _check_decider(actor: User, grant: AccessGrant, attempted: str, *, request) -> None:
    if actor.pk == grant.requester_id:
        _refuse(actor, grant.organization_id, attempted, "own_request", grant, request)
    if not is_grant_decider(actor):
        _refuse(actor, grant.organization_id, attempted, "not_a_decider", grant, request)


def _locked(grant: AccessGrant) -> AccessGrant:
    with tenant_context(grant.organization_id):
        return AccessGrant.objects.select_for_update().get(pk=grant.pk)


def _locked_pending(grant: AccessGrant) -> AccessGrant:
    grant = _locked(grant)
    if grant.status != AccessGrant.Status.REQUESTED:
        raise ValidationError(_("This request has already been decided or withdrawn."))
    return grant


def _record(
    action: str,
    actor: User | None,
    grant: AccessGrant,
    request,
    *,
    at: datetime.datetime | None = None,
    **details,
) -> None:
    record_event(
        action=action,
        actor=actor,
        organization=grant.organization_id,
        object_type="access_grant",
        object_ids=[grant.pk],
        subject_user=grant.requester_id,
        grant=grant,
        request=request,
        details={
            key: value.isoformat() if isinstance(value, datetime.datetime) else value
            for key, value in details.items()
        },
        occurred_at=at,  # None: dated by the log itself; only a backdated event names its time
    )


def _grant_approved_mails(grant: AccessGrant) -> list[EmailMultiAlternatives]:
    """One mail per manager of the grant's organization (each sees only their own address)."""
    with tenant_context(grant.organization_id):
        organization = Organization.objects.get(pk=grant.organization_id)
        managers = list(
            User.objects.filter(org_role=OrgRole.MANAGER, is_active=True).order_by("pk")
        )
    with unscoped("grant mail: the staff member's name and role, shown to the client"):
        requester = User.objects.get(pk=grant.requester_id)
    mails = []
    for manager in managers:
        # In the manager's own language (the profile's; English when it follows the browser).
        with translation.override(manager.language or settings.LANGUAGE_CODE):
            context = {
                "organization": organization,
                "requester_name": requester.full_name,
                "requester_role": requester.get_staff_role_display(),
                "grant": grant,
            }
            subject = render_to_string("staff/grant_approved_subject.txt", context).strip()
            body = render_to_string("staff/grant_approved_email.txt", context)
        mails.append(EmailMultiAlternatives(subject=subject, body=body, to=[manager.email]))
    return mails


def _send(messages: list[EmailMultiAlternatives], *, grant_id: uuid.UUID) -> None:
    for message in messages:
        try:
            message.send()
        except Exception as error:  # any transport error; logged by type, never its text
            logger.error("grant %s: approval mail not sent: %s", grant_id, type(error).__name__)


# --- CSM assignments ------------------------------------------------------------------------


def assignment_create(
    *,
    actor: User,
    organization: Organization,
    csm: User,
    request=None,
    at: datetime.datetime | None = None,
) -> CsmAssignment:
    """Assign ``csm`` to serve ``organization`` and record ASSIGNMENT_CREATED.

    Security managers only (a refusal is recorded and raised as ActionRefused). The CSM then
    reaches the organization's users, dashboards, access log and requests, and reads content.
    ``at`` (default now) dates an assignment of the past, for the demo's history.
    """
    if not is_assignment_manager(actor):
        _refuse(
            actor, organization.pk, "assignment.create", "not_a_security_manager", None, request
        )
    return _assignment_create(
        actor=actor, organization=organization, csm=csm, request=request, at=at
    )


def assignment_end(*, actor: User, assignment: CsmAssignment, request=None) -> CsmAssignment:
    """End an open assignment now and record ASSIGNMENT_ENDED (security managers only)."""
    if not is_assignment_manager(actor):
        _refuse(
            actor,
            assignment.organization_id,
            "assignment.end",
            "not_a_security_manager",
            None,
            request,
            object_type="csm_assignment",
            object_id=assignment.pk,
        )
    return _assignment_end(actor=actor, assignment=assignment, request=request)


@transaction.atomic
def _assignment_create(
    *, actor: User, organization: Organization, csm: User, request, at: datetime.datetime | None
) -> CsmAssignment:
    if csm.staff_role != StaffRole.CSM or not csm.is_active:
        raise ValidationError(
            {"csm": _("Only an active customer success manager can be assigned.")}
        )
    with tenant_context(organization):
        if CsmAssignment.objects.filter(csm_id=csm.pk, ended_at__isnull=True).exists():
            raise ValidationError({"csm": _("This CSM already serves this organization.")})
        assignment = CsmAssignment(
            organization=organization,
            csm=csm,
            assigned_by=actor,
            assigned_at=at or timezone.now(),
        )
        try:
            with transaction.atomic():
                assignment.save(force_insert=True)
        except IntegrityError as error:  # a concurrent assignment of the same pair
            raise ValidationError(
                {"csm": _("This CSM already serves this organization.")}
            ) from error
    record_event(
        action=AuditAction.ASSIGNMENT_CREATED,
        actor=actor,
        organization=organization,
        object_type="csm_assignment",
        object_ids=[assignment.pk],
        subject_user=csm,
        request=request,
        occurred_at=at,  # None: dated by the log itself
    )
    return assignment


@transaction.atomic
def _assignment_end(*, actor: User, assignment: CsmAssignment, request) -> CsmAssignment:
    with tenant_context(assignment.organization_id):
        assignment = CsmAssignment.objects.select_for_update().get(pk=assignment.pk)
        if assignment.ended_at is not None:
            raise ValidationError(_("This assignment has already ended."))
        assignment.ended_at = timezone.now()
        assignment.save(update_fields=["ended_at"])
    record_event(
        action=AuditAction.ASSIGNMENT_ENDED,
        actor=actor,
        organization=assignment.organization_id,
        object_type="csm_assignment",
        object_ids=[assignment.pk],
        subject_user=assignment.csm_id,
        request=request,
    )
    return assignment


# --- Helpers --------------------------------------------------------------------------------


REFUSAL_MESSAGES = {
    "own_request": gettext_lazy(
        "You cannot decide your own access request: another approver must."
    ),
    "not_a_decider": gettext_lazy(
        "Only a security officer or a security manager can decide access requests."
    ),
    "not_allowed": gettext_lazy("Only an approver or the requester can revoke this grant."),
    "not_staff": gettext_lazy("Only Grove staff can request access."),
    "not_a_security_manager": gettext_lazy("Only a security manager can change CSM assignments."),
}


def _refuse(
    actor,
    organization_id,
    attempted: str,
    why: str,
    grant: AccessGrant | None = None,
    request=None,
    *,
    object_type: str = "access_grant",
    object_id=None,
) -> None:
    """Record ACCESS_DENIED for an action the actor may not take, then raise ActionRefused."""
    object_id = object_id or (grant.pk if grant is not None else None)
    fields = {
        "action": AuditAction.ACCESS_DENIED,
        "actor": actor,
        "organization": organization_id,
        "object_type": object_type if object_id else "",
        "object_ids": [object_id] if object_id else [],
        "details": {"attempted": attempted, "refused": why},
    }
    with transaction.atomic():
        event = record_event(request=request, **fields)
    raise ActionRefused(
        str(REFUSAL_MESSAGES[why]), event_fields=fields, event_public_id=event.public_id
    )
