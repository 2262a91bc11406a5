"""Every write of the data-subject request workflow.

States: received -> identity_verified -> in_progress -> fulfilled, or refused. Erasures and
every refusal wait in awaiting_approval for the security officer (never the CSM alone); an
approved erasure is then fulfilled. Who may take which step from which state is checked here,
whoever calls (views, the ``dsr`` command, the erasure of H4).

Each step writes one ``RequestStep`` (the request page's timeline) and one access-log event
(ids and enumerations only: object_type "rights.request", the request's id, the person as
subject_user), and mails the person in their language after the commit. One click, one mail:
a request filed from the profile records two steps (filed, identity verified by the session)
and sends one mail; the public form's filing sends the code mail only; a wrong code is recorded
without a mail (the lock that ends five of them is mailed, as a refusal); a reminder goes to
staff, not to the person. Free text typed by staff (the identity note, the extension's reason,
the refusal's details) stays on the request and its timeline, never in the access log.

Refusals. A caller who may not see the request gets the one 404 (``RequestUnavailable``: a
``RequestNotFound`` that is also the access log's ``AccessDenied``). A step refused to someone
who may see the request (wrong state, wrong role, bad input) raises ``StepRefused`` (an
``InvalidTransition``) with a message safe to show. Both are recorded as ACCESS_DENIED *after*
the step's own transaction rolled back, so nothing of the step is half-written and the record
of the attempt stays; ``DeniedAccessMiddleware`` writes it again if a caller's outer
transaction rolls back anyway. Views should catch ``RightsRefusal`` and answer with the message
(the request's transaction then commits the record, and a wrong code's count with it).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, cast

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries import countries

from grove.accounts.models import OrgRole, StaffRole, User
from grove.audit.events import pseudonymous_ref, record_event
from grove.audit.models import AuditAction
from grove.staff.authorization import (
    AccessDenied,
    Capability,
    RecordedRefusal,
    deny,
    is_staff,
    permits,
)
from grove.staff.models import CsmAssignment
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import JobType, Organization

from . import mails, verification
from .errors import InvalidTransition, RequestNotFound, RightsRefusal
from .models import (
    OPEN_STATES,
    Channel,
    DataSubjectRequest,
    RefusalGround,
    RequestState,
    RequestStep,
    RequestType,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

S = RequestState
OBJECT_TYPE = "rights.request"
RECTIFIABLE_FIELDS = ("first_name", "last_name", "country", "job_type")
STAFF_CHANNELS = frozenset({Channel.MAIL, Channel.PHONE, Channel.CLIENT, Channel.OTHER})
NOTE_MAX = 500
REASON_MAX = 1000
DETAILS_MAX = 2000


class StepRefused(InvalidTransition, RecordedRefusal):
    """A step refused to someone who may see the request; the message is safe to show and
    the attempt is already in the access log."""


class RequestUnavailable(RequestNotFound, AccessDenied):
    """The one 404 of the workflow: unknown, forged, or not the caller's to see (recorded).

    Both a ``RightsRefusal`` (for the views' ``except``) and an ``Http404``."""


# Why a step is refused: the message shown, by the code recorded in the event's details.
REFUSALS = {
    "wrong_state": _("This step is not possible in the request's current state."),
    "closed": _("This request is closed."),
    "not_officer": _("Only the security officer can decide this."),
    "not_subject": _("You can only file a request about yourself."),
    "not_client_user": _("Requests are about users of a client organization."),
    "contract_ended": _(
        "This organization's contract has ended: no new request can be filed here. "
        "Write to the privacy contact instead."
    ),
    "inactive_subject": _("This account is not active."),
    "erased_subject": _("This person's data has already been erased."),
    "unknown_type": _("Unknown type of request."),
    "received_at_invalid": _("The date of receipt is for requests recorded by staff."),
    "received_at_future": _("The date of receipt cannot be in the future."),
    "received_at_old": _("The date of receipt is more than a year ago: check it."),
    "unknown_channel": _("Unknown channel."),
    "profile_only_self": _("A request from the profile is filed by the person themself."),
    "web_form_is_public": _("Requests from the public form are filed through that form."),
    "rectification_needed": _(
        "A rectification needs at least one new value (names, country or job type)."
    ),
    "rectification_not_expected": _("New values are only for a rectification."),
    "rectification_fields": _("Only names, country and job type can be rectified."),
    "empty_name": _("A name cannot be empty."),
    "name_too_long": _("A name has at most 150 characters."),
    "unknown_country": _("Unknown country."),
    "unknown_job_type": _("Unknown job type for this organization."),
    "rectification_invalid": _("These new values cannot be applied."),
    "not_public_type": _("This type of request cannot be filed from the public form."),
    "too_many_codes": _("Too many codes were sent for this request: file a new request."),
    "no_code": _("No code was sent for this request: ask for one."),
    "code_shape": _("Type the 6 digits of the code, nothing else."),
    "code_expired": _("This code has expired: ask for a new one."),
    "code_wrong": _("This code is not the right one."),
    "locked": _(
        "Too many wrong codes: this request is closed and your identity was not verified. "
        "You can file a new request."
    ),
    "not_waiting_code": _("This request does not wait for a code."),
    "note_needed": _("Say how the identity was confirmed."),
    "note_too_long": _("The note has at most 500 characters."),
    "extension_late": _(
        "The deadline can only be extended within the first month after the request was received."
    ),
    "extension_months": _("The deadline can be extended by %(most)s more month(s) at most."),
    "reason_needed": _("Give the reason for the extension: it is sent to the person."),
    "reason_too_long": _("The reason has at most 1000 characters."),
    "approval_not_needed": _(
        "Only an erasure or a proposed refusal needs the security officer's approval."
    ),
    "unknown_ground": _("Choose the lawful ground of the refusal."),
    "details_needed": _("Explain the refusal: the details are sent to the person."),
    "details_too_long": _("The details have at most 2000 characters."),
    "ground_not_expected": _("A lawful ground is only given with a refusal."),
    "successor_needed": _("This person is the organization's last manager: choose who takes over."),
    "successor_not_needed": _(
        "This person is not the organization's last manager: no successor is needed."
    ),
    "successor_with_refusal": _("A successor is chosen for an erasure, not for a refusal."),
    "decision_invalid": _("Approve or reject."),
    "successor_invalid": _("The successor must be another active member of the organization."),
    "erasure_not_approved": _(
        "An erasure is carried out only once the security officer approved it."
    ),
    "fulfilment_refused": _("This request cannot be fulfilled as it stands."),
    "rectification_disabled": _(
        "Your organization does not let members edit these details: file a rectification "
        "request instead."
    ),
}


# --- Filing ---------------------------------------------------------------------------------


def request_file(
    *,
    actor: User,
    subject: User,
    request_type: str,
    channel: str,
    rectification: dict | None = None,
    request=None,
    received_at: datetime.datetime | None = None,
) -> DataSubjectRequest:
    """File a request about ``subject``: by the person themself from their profile (channel
    PROFILE: identity verified by the logged-in session), or by a CSM or the security officer
    who received it another way (MAIL, PHONE, CLIENT, OTHER: identity still to verify).

    A rectification carries the new values ``{field: value}`` (names, country code, job type
    id or name; "" clears country or job type). An open request of the same type about the
    same person absorbs the new one: it is returned, with a REQUEST_MERGED step (a
    rectification's new values join its own). Refused: another organization's person (404),
    an organization whose contract ended, bad input.

    ``received_at``: when staff record a request that arrived earlier (a letter opened days
    ago), the day it was received: the deadline runs from then (GDPR Art. 12(3)), and may
    already have passed (it shows as overdue). Not in the future, not more than a year back,
    and only for requests recorded by staff.
    """
    channel = str(channel)
    organization_id = getattr(subject, "organization_id", None)
    if channel == Channel.PROFILE:
        if actor is None or subject is None or actor.pk != subject.pk:
            _refuse_step(actor, None, organization_id, "rights.file", "profile_only_self", request)
    elif channel in STAFF_CHANNELS:
        if organization_id is None:
            _refuse_step(actor, None, None, "rights.file", "not_client_user", request)
        _authorize_handler(actor, _organization(organization_id), request=request, dsr=None)
    elif channel == Channel.WEB_FORM:
        _refuse_step(actor, None, organization_id, "rights.file", "web_form_is_public", request)
    else:
        _refuse_step(actor, None, organization_id, "rights.file", "unknown_channel", request)

    def body() -> DataSubjectRequest:
        organization = _organization(organization_id) if organization_id else None
        if organization is None or subject.staff_role:
            raise _Refused("not_client_user")
        if not organization.is_active:
            raise _Refused("contract_ended")
        if channel == Channel.PROFILE and not subject.is_active:
            raise _Refused("inactive_subject")
        if _is_erased(subject):
            raise _Refused("erased_subject")
        if request_type not in RequestType.values:
            raise _Refused("unknown_type")
        received = _checked_received_at(received_at, channel)
        values = _checked_rectification(request_type, rectification, organization)
        with tenant_context(organization):
            _lock_person(subject)
            existing = _open_duplicate(subject, request_type)
            if existing is not None:
                return _merge(
                    existing, actor=actor, channel=channel, values=values, request=request
                )
            return _create(
                organization=organization,
                subject=subject,
                request_type=request_type,
                channel=channel,
                filed_by=actor,
                values=values,
                request=request,
                received_at=received,
            )

    return _run(actor, None, organization_id, "rights.file", body, request)


def request_file_public(
    *, email: str, request_type: str, request=None
) -> DataSubjectRequest | None:
    """The public form: file a request for the person whose business email this is and mail
    them a 6-digit code, if (and only if) it is an active user of an active organization.

    Returns the request, or None for any other address: the caller answers the same either
    way (no account enumeration). An unknown address creates nothing and is recorded as
    ACCESS_DENIED with a keyed hash of the address only. A type that needs more than an
    address (rectification) is refused whatever the address.
    """
    if request_type not in RequestType.values or request_type == RequestType.RECTIFICATION:
        why = "not_public_type" if request_type in RequestType.values else "unknown_type"
        _refuse_step(None, None, None, "rights.file_public", why, request)
    normalized = User.objects.normalize_email(email)
    with unscoped("public request form: find the person by their business email"):
        subject = (
            User.objects.select_related("organization").filter(email=normalized).first()
            if normalized
            else None
        )
    if (
        subject is None
        or subject.organization is None
        or not subject.is_active
        or not subject.organization.is_active
        or _is_erased(subject)
    ):
        with transaction.atomic():
            record_event(
                action=AuditAction.ACCESS_DENIED,
                subject_ref=pseudonymous_ref(normalized),
                request=request,
                details={"attempted": "rights.file_public", "refused": "unknown_email"},
            )
            # The same task as a known address's code, for a request that does not exist.
            request_public_decoy(kind="code")
        return None

    @transaction.atomic
    def file() -> DataSubjectRequest:
        with tenant_context(subject.organization_id):
            _lock_person(subject)
            existing = _open_duplicate(subject, request_type)
            if existing is not None:
                existing = _lock(existing)
                if _awaits_code(existing) and _codes_sent(existing) < verification.MAX_CODES_SENT:
                    _step(existing, AuditAction.REQUEST_MERGED, None, request, channel="web_form")
                    _send_code(existing, actor=None, request=request)
                    return existing
                return _merge(
                    existing,
                    actor=None,
                    channel=Channel.WEB_FORM,
                    values={},
                    request=request,
                    by_task=True,
                )
            dsr = _new_request(
                organization=subject.organization,
                subject=subject,
                request_type=request_type,
                channel=Channel.WEB_FORM,
                filed_by=None,
            )
            _step(dsr, AuditAction.REQUEST_FILED, None, request, channel=dsr.channel)
            _send_code(dsr, actor=None, request=request)
            return dsr

    return file()


# --- Identity -------------------------------------------------------------------------------


def request_send_code(*, dsr: DataSubjectRequest, actor: User | None = None, request=None) -> None:
    """Mail the person a new 6-digit code (valid 10 minutes) for a request not yet verified.

    Without ``actor``: the person asking again from the public code page. With one: the CSM or
    officer handling it. The code goes to the person's own address whoever asks, so anyone may
    ask; wrong codes still count across codes, and a request is sent MAX_CODES_SENT codes at
    most.
    """
    if actor is not None:
        _authorize_handler(actor, _organization(dsr.organization_id), request=request, dsr=dsr)

    def body(locked: DataSubjectRequest) -> None:
        _require_state(locked, {S.RECEIVED})
        if _codes_sent(locked) >= verification.MAX_CODES_SENT:
            raise _Refused("too_many_codes")
        _send_code(locked, actor=actor, request=request)

    _run_locked(actor, dsr, "rights.send_code", body, request)


# The public pages' mails (the code, "already open", the lock's refusal) are made and sent by
# a task (grove/rights/tasks.py: ids and the mail's kind only), never inside the web request:
# a known address would answer slower than an unknown one. Where an unknown address (the
# decoy) stands in for a request, the same task is enqueued for an id that is no request.
PUBLIC_MAIL_KINDS = ("code", "merged", "refused")


def request_public_decoy(*, kind: str = "code") -> None:
    """Enqueue (after the commit) the public mail task for a request that does not exist: the
    unknown address's stand-in for a known one's mail, so both answers do the same work."""
    if kind not in PUBLIC_MAIL_KINDS:
        raise ValueError(f"unknown public mail kind: {kind!r}")
    _mail_by_task(uuid.uuid4(), kind)


def deliver_public_mail(*, request_id, kind: str) -> bool:
    """The public mail task's work: mail the person the ``kind`` mail of request
    ``request_id``; for "code", a new code (its keyed hash and expiry stored). Nothing for an
    id that is no request (a decoy's) or a request that moved on since (a code for a request
    no longer waiting for one, a refusal for a request not refused). Returns whether a mail
    went."""
    if kind not in PUBLIC_MAIL_KINDS:
        raise ValueError(f"unknown public mail kind: {kind!r}")
    request_uuid = _as_uuid(request_id)
    with unscoped("public mail task: the request the mail is about"):
        organization_id = (
            DataSubjectRequest.objects.filter(pk=request_uuid)
            .values_list("organization_id", flat=True)
            .first()
            if request_uuid is not None
            else None
        )
    if organization_id is None:
        return False
    with transaction.atomic(), tenant_context(organization_id):
        dsr = DataSubjectRequest.objects.select_for_update().filter(pk=request_uuid).first()
        if dsr is None:
            return False
        if kind == "code":
            if not _awaits_code(dsr):
                return False
            _deliver_code(dsr, on_page=True)
        elif kind == "refused":
            if dsr.state != S.REFUSED:
                return False
            _mail_person(dsr, "refused", **_refusal_extra(dsr))
        else:
            _mail_person(dsr, "merged")
    return True


def request_verify_code(*, dsr_id, code: str, request=None) -> DataSubjectRequest:
    """Check the code typed on the public code page; right: the identity is verified.

    Wrong: the attempt is counted and recorded (REQUEST_CODE_FAILED), and the refusal says so;
    the MAX_ATTEMPTS-th wrong code locks the request (refused: identity not verified, the
    person is mailed). An unknown or forged id is the one 404, recorded. An expired code, a
    malformed one, or a request that waits for no code: refused, recorded, not counted.
    """
    request_id = _as_uuid(dsr_id)
    with unscoped("public code page: the request the code is for"):
        dsr = (
            DataSubjectRequest.objects.filter(pk=request_id).first()
            if request_id is not None
            else None
        )
    if dsr is None:
        _not_found(None, None, request, forged_id=request_id, attempted="rights.verify_code")
    typed = verification.normalized(code)
    outcome: dict[str, Any] = {}

    def body(locked: DataSubjectRequest) -> DataSubjectRequest:
        if (
            locked.state == S.REFUSED
            and locked.refusal_ground == RefusalGround.IDENTITY_NOT_VERIFIED
        ):
            raise _Refused("locked")
        if locked.state != S.RECEIVED:
            raise _Refused("not_waiting_code")
        if not locked.verification_code_hash:
            raise _Refused("no_code")
        if typed is None:
            raise _Refused("code_shape")
        if (
            locked.verification_expires_at is None
            or locked.verification_expires_at <= timezone.now()
        ):
            raise _Refused("code_expired")
        if verification.matches(
            request_id=locked.pk, code=typed, stored_hash=locked.verification_code_hash
        ):
            _verified(locked, actor=None, note="", request=request)
            return locked
        # Wrong: counted and kept (this transaction commits); the refusal is raised after it.
        locked.verification_attempts += 1
        locked.save(update_fields=["verification_attempts"])
        left = verification.MAX_ATTEMPTS - locked.verification_attempts
        event = _step(
            locked,
            AuditAction.REQUEST_CODE_FAILED,
            None,
            request,
            attempts=locked.verification_attempts,
        )
        if left <= 0:
            _close_refused(
                locked,
                actor=None,
                ground=RefusalGround.IDENTITY_NOT_VERIFIED,
                details="",
                request=request,
                by_task=True,
            )
        outcome["event"] = event
        outcome["left"] = left
        return locked

    result = _run_locked(None, dsr, "rights.verify_code", body, request)
    if "event" in outcome:
        left = outcome["left"]
        if left <= 0:
            message = str(REFUSALS["locked"])
        else:
            message = ngettext(
                "This code is not the right one. %(left)s attempt left.",
                "This code is not the right one. %(left)s attempts left.",
                left,
            ) % {"left": left}
        event = outcome["event"]
        raise StepRefused(message, event_fields=_fields_of(event), event_public_id=event.public_id)
    return result


def request_verify_identity(
    *, actor: User, dsr: DataSubjectRequest, note: str, request=None
) -> DataSubjectRequest:
    """The CSM or officer confirms the person's identity another way (a call back, a known
    mailbox...), saying how in ``note`` (kept on the timeline, not in the access log)."""
    _authorize_handler(actor, _organization(dsr.organization_id), request=request, dsr=dsr)
    note = (note or "").strip()

    def body(locked: DataSubjectRequest) -> DataSubjectRequest:
        _require_state(locked, {S.RECEIVED})
        if not note:
            raise _Refused("note_needed")
        if len(note) > NOTE_MAX:
            raise _Refused("note_too_long")
        _verified(locked, actor=actor, note=note, request=request)
        return locked

    return _run_locked(actor, dsr, "rights.verify_identity", body, request)


# --- Handling -------------------------------------------------------------------------------


def request_start(*, actor: User, dsr: DataSubjectRequest, request=None) -> DataSubjectRequest:
    """Take a verified request: in progress, ``actor`` (CSM or officer) its handler."""
    _authorize_handler(actor, _organization(dsr.organization_id), request=request, dsr=dsr)

    def body(locked: DataSubjectRequest) -> DataSubjectRequest:
        _require_state(locked, {S.IDENTITY_VERIFIED})
        locked.state = S.IN_PROGRESS
        locked.handler = actor
        locked.save(update_fields=["state", "handler"])
        _step(locked, AuditAction.REQUEST_STARTED, actor, request)
        _mail_person(locked, "started")
        return locked

    return _run_locked(actor, dsr, "rights.start", body, request)


def request_extend(
    *, actor: User, dsr: DataSubjectRequest, months: int, reason: str, request=None
) -> DataSubjectRequest:
    """Extend the deadline by ``months`` (GDPR Art. 12(3)): only within the first month after
    receipt, with a reason, by GROVE_DSR_MAX_EXTENSION_MONTHS in all; the person is mailed the
    notice (the reason and the new date) at once."""
    _authorize_handler(actor, _organization(dsr.organization_id), request=request, dsr=dsr)
    reason = (reason or "").strip()

    def body(locked: DataSubjectRequest) -> DataSubjectRequest:
        _require_state(locked, OPEN_STATES)
        now = timezone.now()
        if now >= locked.received_at + relativedelta(months=1):
            raise _Refused("extension_late")
        already = extension_months(locked)
        most = settings.GROVE_DSR_MAX_EXTENSION_MONTHS - already
        try:
            months_value = int(months)
        except (TypeError, ValueError):
            months_value = 0
        if not 1 <= months_value <= most:
            raise _Refused("extension_months", most=max(most, 0))
        if not reason:
            raise _Refused("reason_needed")
        if len(reason) > REASON_MAX:
            raise _Refused("reason_too_long")
        locked.due_at = deadline(locked.received_at, extra_months=already + months_value)
        locked.extended_at = now
        locked.extension_reason = reason
        locked.extension_notified_at = now
        locked.reminded_at = None  # the new deadline gets its own reminder
        locked.save(
            update_fields=[
                "due_at",
                "extended_at",
                "extension_reason",
                "extension_notified_at",
                "reminded_at",
            ]
        )
        _step(
            locked,
            AuditAction.REQUEST_EXTENDED,
            actor,
            request,
            note=reason,
            months=months_value,
            due_at=locked.due_at.isoformat(),
        )
        _mail_person(locked, "extended", reason=reason)
        return locked

    return _run_locked(actor, dsr, "rights.extend", body, request)


def request_ask_approval(
    *,
    actor: User,
    dsr: DataSubjectRequest,
    refusal_ground: str = "",
    refusal_details: str = "",
    successor_manager: User | None = None,
    request=None,
) -> DataSubjectRequest:
    """Send a request in progress to the security officer: an erasure (with the successor
    when the person is the organization's last manager), or a proposed refusal of any request
    (lawful ground and details). The officer decides (``request_decide``); the security
    officers are mailed."""
    _authorize_handler(actor, _organization(dsr.organization_id), request=request, dsr=dsr)
    ground = (refusal_ground or "").strip()
    details = (refusal_details or "").strip()

    def body(locked: DataSubjectRequest) -> DataSubjectRequest:
        _require_state(locked, {S.IN_PROGRESS})
        if ground or details:
            _check_ground(ground, details)
            if successor_manager is not None:
                raise _Refused("successor_with_refusal")
            locked.refusal_ground = ground
            locked.refusal_details = details
            locked.successor_manager = None
        elif locked.request_type == RequestType.ERASURE:
            locked.successor_manager = _checked_successor(locked, successor_manager)
        else:
            raise _Refused("approval_not_needed")
        locked.state = S.AWAITING_APPROVAL
        locked.approval_asked_at = timezone.now()
        locked.save(
            update_fields=[
                "state",
                "approval_asked_at",
                "refusal_ground",
                "refusal_details",
                "successor_manager",
            ]
        )
        proposal = {"proposed": "refusal", "ground": ground} if ground else {"proposed": "erasure"}
        _step(locked, AuditAction.REQUEST_APPROVAL_ASKED, actor, request, **proposal)
        _mail_person(locked, "approval_asked")
        _mail_officers(locked, "approval_needed")
        return locked

    return _run_locked(actor, dsr, "rights.ask_approval", body, request)


def request_decide(
    *,
    officer: User,
    dsr: DataSubjectRequest,
    approve: bool,
    refusal_ground: str = "",
    refusal_details: str = "",
    request=None,
) -> DataSubjectRequest:
    """The security officer's decision on a request awaiting approval.

    A proposed refusal: approved, the request is refused (the person is mailed the ground, the
    details and their right to complain); rejected, it goes back in progress. An erasure:
    approved, it may be fulfilled; rejected, it is refused on the lawful ground and details
    the officer gives here. Only a security officer decides, never the CSM.
    """
    _authorize_handler(officer, _organization(dsr.organization_id), request=request, dsr=dsr)
    ground = (refusal_ground or "").strip()
    details = (refusal_details or "").strip()

    def body(locked: DataSubjectRequest) -> DataSubjectRequest:
        if not _is_officer(officer):
            raise _Refused("not_officer")
        _require_state(locked, {S.AWAITING_APPROVAL})
        if not isinstance(approve, bool):
            raise _Refused("decision_invalid")
        now = timezone.now()
        proposed_refusal = bool(locked.refusal_ground)
        if proposed_refusal or approve:
            if ground or details:
                raise _Refused("ground_not_expected")
        else:
            _check_ground(ground, details)
        locked.decided_by = officer
        locked.decided_at = now
        if proposed_refusal and approve:
            locked.save(update_fields=["decided_by", "decided_at"])
            _step(locked, AuditAction.REQUEST_APPROVED, officer, request, decision="refusal")
            _close_refused(
                locked,
                actor=officer,
                ground=locked.refusal_ground,
                details=locked.refusal_details,
                request=request,
            )
        elif proposed_refusal:
            locked.state = S.IN_PROGRESS
            locked.refusal_ground = ""
            locked.refusal_details = ""
            locked.save(
                update_fields=[
                    "state",
                    "decided_by",
                    "decided_at",
                    "refusal_ground",
                    "refusal_details",
                ]
            )
            _step(
                locked,
                AuditAction.REQUEST_STARTED,
                officer,
                request,
                decision="refusal_rejected",
            )
            _mail_person(locked, "continued")
        elif approve:
            locked.state = S.APPROVED
            locked.save(update_fields=["state", "decided_by", "decided_at"])
            _step(locked, AuditAction.REQUEST_APPROVED, officer, request, decision="erasure")
            _mail_person(locked, "approved")
        else:
            locked.save(update_fields=["decided_by", "decided_at"])
            _close_refused(locked, actor=officer, ground=ground, details=details, request=request)
        return locked

    return _run_locked(officer, dsr, "rights.decide", body, request)


def request_refuse(
    *,
    officer: User,
    dsr: DataSubjectRequest,
    refusal_ground: str,
    refusal_details: str,
    request=None,
) -> DataSubjectRequest:
    """The security officer refuses an open request directly, on a lawful ground with details
    (both sent to the person with their right to complain). Never the CSM."""
    _authorize_handler(officer, _organization(dsr.organization_id), request=request, dsr=dsr)
    ground = (refusal_ground or "").strip()
    details = (refusal_details or "").strip()

    def body(locked: DataSubjectRequest) -> DataSubjectRequest:
        if not _is_officer(officer):
            raise _Refused("not_officer")
        _require_state(locked, OPEN_STATES)
        _check_ground(ground, details)
        locked.decided_by = officer
        locked.decided_at = timezone.now()
        locked.save(update_fields=["decided_by", "decided_at"])
        _close_refused(locked, actor=officer, ground=ground, details=details, request=request)
        return locked

    return _run_locked(officer, dsr, "rights.refuse", body, request)


def request_fulfil(*, actor: User, dsr: DataSubjectRequest, request=None) -> DataSubjectRequest:
    """Carry the request out and close it (fulfilled), mailing the person the outcome.

    Access and portability: an export of everything about the person, its single-use link
    mailed. Rectification: the new values applied to the account, before and after kept in
    the request (the access log gets the field names only). Erasure: only once approved by the
    security officer; the person is erased (grove.rights.erasure). Objection and restriction
    are handled by hand: this records that it was done.
    """
    _authorize_handler(actor, _organization(dsr.organization_id), request=request, dsr=dsr)

    def body(locked: DataSubjectRequest) -> DataSubjectRequest:
        if locked.request_type == RequestType.ERASURE:
            if locked.state in (S.IN_PROGRESS, S.AWAITING_APPROVAL):
                raise _Refused("erasure_not_approved")
            _require_state(locked, {S.APPROVED})
        else:
            _require_state(locked, {S.IN_PROGRESS})
        subject = _subject_of(locked)
        try:
            kind, extra = _carry_out(locked, actor=actor, subject=subject, request=request)
        except _Refused:
            raise
        except RightsRefusal as refusal:  # the export's or the erasure's own refusal
            raise _Refused("fulfilment_refused", message=str(refusal)) from refusal
        person = extra.pop("_person", subject)
        locked.state = S.FULFILLED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["state", "closed_at"])
        _step(locked, AuditAction.REQUEST_FULFILLED, actor, request)
        message = mails.person_mail(kind=kind, dsr=locked, person=person, **extra)
        mails.send_after_commit([message], dsr_id=locked.pk)
        return locked

    return _run_locked(actor, dsr, "rights.fulfil", body, request)


def profile_rectify(
    *,
    actor: User,
    first_name: str,
    last_name: str,
    country: str,
    job_type: JobType | str | None,
    request=None,
) -> User:
    """The person corrects their own names, country and job type, where their organization
    allows it (``members_may_rectify``). Recorded as a rectification request fulfilled at once
    (before and after in the request; the access log holds the field names). Nothing changes,
    nothing is written."""
    organization_id = getattr(actor, "organization_id", None)
    if actor is None or organization_id is None or not actor.is_active:
        _refuse_step(actor, None, organization_id, "rights.rectify", "not_client_user", request)
    organization = _organization(organization_id)
    if not organization.is_active:
        _refuse_step(actor, None, organization_id, "rights.rectify", "contract_ended", request)
    if not organization.members_may_rectify:
        _refuse_step(
            actor, None, organization_id, "rights.rectify", "rectification_disabled", request
        )
    wanted = {
        "first_name": first_name,
        "last_name": last_name,
        "country": country,
        "job_type": getattr(job_type, "pk", job_type),
    }

    def body() -> User:
        with tenant_context(organization):
            values = _checked_rectification(RequestType.RECTIFICATION, wanted, organization)
            changed = {
                name: change
                for name, change in values.items()
                if change["after"] != _current_value(actor, name)
            }
            if not changed:
                return actor
            dsr = _new_request(
                organization=organization,
                subject=actor,
                request_type=RequestType.RECTIFICATION,
                channel=Channel.PROFILE,
                filed_by=actor,
                values=changed,
            )
            dsr.identity_verified_at = dsr.received_at
            _step(dsr, AuditAction.REQUEST_FILED, actor, request, channel=dsr.channel)
            kind, extra = _rectify(dsr, actor=actor, subject=actor, request=request)
            dsr.state = S.FULFILLED
            dsr.closed_at = timezone.now()
            dsr.save(update_fields=["state", "closed_at", "identity_verified_at"])
            _step(dsr, AuditAction.REQUEST_FULFILLED, actor, request, self_service=True)
            message = mails.person_mail(kind=kind, dsr=dsr, person=actor, **extra)
            mails.send_after_commit([message], dsr_id=dsr.pk)
            return actor

    return _run(actor, None, organization_id, "rights.rectify", body, request)


# --- Reminders ------------------------------------------------------------------------------


@transaction.atomic
def requests_remind_due(*, now: datetime.datetime | None = None) -> int:
    """Remind, once, of every open request due within GROVE_DSR_REMINDER_DAYS (or overdue and
    never reminded): its handler (else the organization's assigned CSMs) and the security
    officers get a mail; ``reminded_at`` is set and REQUEST_REMINDER recorded. Returns how
    many requests were reminded. Safe to run often and concurrently (rows another run holds
    are skipped)."""
    now = now or timezone.now()
    horizon = now + datetime.timedelta(days=settings.GROVE_DSR_REMINDER_DAYS)
    with unscoped("reminders: the requests of every organization due soon"):
        due = list(
            DataSubjectRequest.objects.select_for_update(skip_locked=True)
            .filter(state__in=list(OPEN_STATES), reminded_at__isnull=True, due_at__lte=horizon)
            .order_by("due_at")
        )
        officers = list(
            User.objects.filter(staff_role=StaffRole.SECURITY_OFFICER, is_active=True).order_by(
                "pk"
            )
        )
        organizations = {
            organization.pk: organization
            for organization in Organization.objects.filter(
                pk__in={dsr.organization_id for dsr in due}
            )
        }
    for dsr in due:
        recipients = {user.pk: user for user in [*_handlers_of(dsr), *officers]}
        organization = organizations[dsr.organization_id]
        with tenant_context(dsr.organization_id):
            dsr.reminded_at = now
            dsr.save(update_fields=["reminded_at"])
            _step(
                dsr,
                AuditAction.REQUEST_REMINDER,
                None,
                None,
                recipients=len(recipients),
                overdue=dsr.due_at <= now,
            )
        messages = [
            mails.staff_mail(
                kind="reminder", dsr=dsr, recipient=user, organization_name=organization.name
            )
            for user in recipients.values()
        ]
        mails.send_after_commit(messages, dsr_id=dsr.pk)
    return len(due)


# --- Deadlines ------------------------------------------------------------------------------


def deadline(received_at: datetime.datetime, *, extra_months: int = 0) -> datetime.datetime:
    """GDPR Art. 12(3): GROVE_DSR_DEADLINE_MONTHS calendar months after receipt (the same day
    of the month, or the month's last day), plus any extension."""
    return received_at + relativedelta(months=settings.GROVE_DSR_DEADLINE_MONTHS + extra_months)


def extension_months(dsr: DataSubjectRequest) -> int:
    """How many months the deadline was extended by so far."""
    if dsr.extended_at is None:
        return 0
    delta = relativedelta(dsr.due_at, deadline(dsr.received_at))
    return max(delta.years * 12 + delta.months, 0)


def may_extend(dsr: DataSubjectRequest, *, now: datetime.datetime | None = None) -> bool:
    """Whether an extension is still possible (for showing the form; the action decides)."""
    now = now or timezone.now()
    return (
        dsr.is_open
        and now < dsr.received_at + relativedelta(months=1)
        and extension_months(dsr) < settings.GROVE_DSR_MAX_EXTENSION_MONTHS
    )


# --- Internals: running a step --------------------------------------------------------------


class _Refused(Exception):
    """Raised inside a step's transaction: rolls it back, then recorded and re-raised."""

    def __init__(self, why: str, **params) -> None:
        super().__init__(why)
        self.why = why
        self.params = params


def _run(actor, dsr, organization_id, attempted: str, body: Callable[[], Any], request):
    """Run ``body`` atomically; a ``_Refused`` rolls it back and is recorded after."""
    try:
        with transaction.atomic():
            return body()
    except _Refused as refused:
        _refuse_step(actor, dsr, organization_id, attempted, refused.why, request, refused.params)


def _run_locked(actor, dsr: DataSubjectRequest, attempted: str, body, request):
    """Run ``body`` on the request's row, locked, as its organization; the caller's instance
    is refreshed with what the step wrote."""

    def locked_body():
        with tenant_context(dsr.organization_id):
            return body(_lock(dsr))

    result = _run(actor, dsr, dsr.organization_id, attempted, locked_body, request)
    with tenant_context(dsr.organization_id):
        dsr.refresh_from_db()
    return result


def _lock(dsr: DataSubjectRequest) -> DataSubjectRequest:
    return DataSubjectRequest.objects.select_for_update().get(pk=dsr.pk)


def _refuse_step(actor, dsr, organization_id, attempted: str, why: str, request, params=None):
    """Record ACCESS_DENIED (ids and codes only), then raise ``StepRefused``."""
    fields = {
        "action": AuditAction.ACCESS_DENIED,
        "actor": actor if getattr(actor, "is_authenticated", False) else None,
        "organization": organization_id,
        "object_type": OBJECT_TYPE if dsr is not None else "",
        "object_ids": [dsr.pk] if dsr is not None else [],
        "subject_user": dsr.subject_id if dsr is not None else None,
        "details": {
            "attempted": attempted,
            "refused": why,
            **({"state": str(dsr.state)} if dsr is not None else {}),
        },
    }
    with transaction.atomic():
        event = record_event(request=request, **fields)
    params = dict(params or {})
    message = params.pop("message", None) or str(REFUSALS[why])
    if params:
        message = message % params
    raise StepRefused(message, event_fields=fields, event_public_id=event.public_id)


def _not_found(user, organization_id, request, *, forged_id=None, attempted: str) -> NoReturn:
    """Record ACCESS_DENIED for an unknown or forged request id; raise the one 404."""
    _deny(
        user=user,
        organization_id=organization_id,
        capability=None,
        request=request,
        object_type=OBJECT_TYPE,
        object_id=None,
        details={
            "attempted": attempted,
            "request": "unknown",
            **({"forged_id": str(forged_id)} if forged_id else {}),
        },
    )


def _deny(**fields) -> NoReturn:
    """``deny()`` (ACCESS_DENIED, ids only) in a transaction of its own that commits, then the
    one 404 raised as ``RequestUnavailable``."""
    with transaction.atomic():
        try:
            deny(**fields)
        except AccessDenied as denied:
            refusal = denied
    raise RequestUnavailable(
        str(refusal), event_fields=refusal.event_fields, event_public_id=refusal.event_public_id
    )


def _authorize_handler(actor, organization: Organization, *, request, dsr) -> None:
    """The CSM assigned to the organization, or a security officer (REQUESTS_HANDLE); anyone
    else gets the one 404, recorded. Checked before the step's transaction opens."""
    if permits(user=actor, organization=organization, capability=Capability.REQUESTS_HANDLE):
        return
    _deny(
        user=actor,
        organization_id=organization.pk,
        capability=Capability.REQUESTS_HANDLE,
        request=request,
        object_type=OBJECT_TYPE if dsr is not None else "organization",
        object_id=dsr.pk if dsr is not None else None,
    )


def _require_state(dsr: DataSubjectRequest, allowed) -> None:
    if dsr.state not in allowed:
        raise _Refused("closed" if not dsr.is_open else "wrong_state")


def _is_officer(user) -> bool:
    return is_staff(user) and user.staff_role == StaffRole.SECURITY_OFFICER


def _organization(organization_id) -> Organization:
    with unscoped("rights: the organization a request belongs to"):
        return Organization.objects.get(pk=organization_id)


def _as_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        return None


def _fields_of(event) -> dict:
    return {
        "action": event.action,
        "actor": event.actor_id,
        "organization": event.organization_id,
        "object_type": event.object_type,
        "object_ids": event.object_ids,
        "subject_user": event.subject_user_id,
        "details": event.details,
    }


def _is_erased(user) -> bool:
    return bool(getattr(user, "erased_at", None)) or (user.email or "").endswith("@erased.invalid")


# --- Internals: the steps' writes -----------------------------------------------------------


def _step(dsr: DataSubjectRequest, action: str, actor, request, *, note: str = "", **details):
    """One timeline row and one access-log event (ids and enumerations only)."""
    RequestStep.objects.create(
        organization_id=dsr.organization_id,
        request=dsr,
        actor=actor if getattr(actor, "pk", None) else None,
        action=str(action),
        state=dsr.state,
        note=note,
    )
    return record_event(
        action=action,
        actor=actor,
        organization=dsr.organization_id,
        object_type=OBJECT_TYPE,
        object_ids=[dsr.pk],
        subject_user=dsr.subject_id,
        request=request,
        details={"state": str(dsr.state), **details},
    )


def _new_request(
    *, organization, subject, request_type, channel, filed_by, values=None, received_at=None
) -> DataSubjectRequest:
    now = received_at or timezone.now()
    dsr = DataSubjectRequest(
        organization=organization,
        subject=subject,
        request_type=request_type,
        channel=channel,
        filed_by=filed_by if getattr(filed_by, "pk", None) else None,
        received_at=now,
        due_at=deadline(now),
        rectification=values or {},
    )
    dsr.save(force_insert=True)
    return dsr


def _create(
    *, organization, subject, request_type, channel, filed_by, values, request, received_at=None
) -> DataSubjectRequest:
    dsr = _new_request(
        organization=organization,
        subject=subject,
        request_type=request_type,
        channel=channel,
        filed_by=filed_by,
        values=values,
        received_at=received_at,
    )
    _step(dsr, AuditAction.REQUEST_FILED, filed_by, request, channel=channel)
    if channel == Channel.PROFILE:
        # The logged-in session is the identity check.
        dsr.state = S.IDENTITY_VERIFIED
        dsr.identity_verified_at = dsr.received_at
        dsr.save(update_fields=["state", "identity_verified_at"])
        _step(dsr, AuditAction.REQUEST_IDENTITY_VERIFIED, filed_by, request, by="session")
    _mail_person(dsr, "filed")
    return dsr


def _merge(existing, *, actor, channel, values, request, by_task=False) -> DataSubjectRequest:
    existing = _lock(existing)
    if values:
        merged = dict(existing.rectification)
        merged.update(values)
        existing.rectification = merged
        existing.save(update_fields=["rectification"])
    step_details: dict[str, Any] = {"fields": sorted(values)} if values else {}
    _step(
        existing, AuditAction.REQUEST_MERGED, actor, request, channel=str(channel), **step_details
    )
    if by_task:
        _mail_by_task(existing.pk, "merged")
    else:
        _mail_person(existing, "merged")
    return existing


def _checked_received_at(received_at, channel: str) -> datetime.datetime | None:
    if received_at is None:
        return None
    now = timezone.now()
    if (
        channel not in STAFF_CHANNELS
        or not isinstance(received_at, datetime.datetime)
        or timezone.is_naive(received_at)
    ):
        raise _Refused("received_at_invalid")
    if received_at > now:
        raise _Refused("received_at_future")
    if received_at < now - relativedelta(years=1):
        raise _Refused("received_at_old")
    return received_at


def _lock_person(subject) -> None:
    """Two filings about the same person at once: the second waits, then finds the first
    (one open request per type)."""
    User.objects.select_for_update().filter(pk=subject.pk).values_list("pk", flat=True).first()


def _open_duplicate(subject, request_type) -> DataSubjectRequest | None:
    return (
        DataSubjectRequest.objects.filter(
            subject_id=subject.pk, request_type=request_type, state__in=list(OPEN_STATES)
        )
        .order_by("received_at")
        .first()
    )


def _awaits_code(dsr: DataSubjectRequest) -> bool:
    # Whatever the channel: the code proves the person holds the mailbox.
    return dsr.state == S.RECEIVED


def _codes_sent(dsr: DataSubjectRequest) -> int:
    return RequestStep.objects.filter(request=dsr, action=AuditAction.REQUEST_CODE_SENT).count()


def _send_code(dsr: DataSubjectRequest, *, actor, request) -> None:
    """Record the code sent; asked from the public pages, the task makes and mails it (after
    the commit), sent by staff it is made here and mailed after the commit."""
    _step(dsr, AuditAction.REQUEST_CODE_SENT, actor, request)
    if actor is None:
        _mail_by_task(dsr.pk, "code")
    else:
        _deliver_code(dsr, on_page=False)


def _deliver_code(dsr: DataSubjectRequest, *, on_page: bool) -> None:
    """A new code replaces the last one: its keyed hash and expiry stored, the code mailed
    after the commit (never stored, logged or passed to a task)."""
    code = verification.new_code()
    dsr.verification_code_hash = verification.code_hash(request_id=dsr.pk, code=code)
    dsr.verification_expires_at = timezone.now() + verification.CODE_VALID_FOR
    dsr.save(update_fields=["verification_code_hash", "verification_expires_at"])
    minutes = int(verification.CODE_VALID_FOR.total_seconds() // 60)
    # Asked from the public page: typed there; sent by staff: they ask the person for it.
    _mail_person(dsr, "code", code=code, minutes=minutes, on_page=on_page)


def _verified(dsr: DataSubjectRequest, *, actor, note: str, request) -> None:
    dsr.state = S.IDENTITY_VERIFIED
    dsr.identity_verified_at = timezone.now()
    dsr.identity_verified_by = actor
    dsr.verification_code_hash = ""
    dsr.verification_expires_at = None
    dsr.save(
        update_fields=[
            "state",
            "identity_verified_at",
            "identity_verified_by",
            "verification_code_hash",
            "verification_expires_at",
        ]
    )
    _step(
        dsr,
        AuditAction.REQUEST_IDENTITY_VERIFIED,
        actor,
        request,
        note=note,
        by="staff" if actor is not None else "code",
    )
    _mail_person(dsr, "identity_verified")


def _close_refused(
    dsr: DataSubjectRequest, *, actor, ground: str, details: str, request, by_task=False
) -> None:
    dsr.state = S.REFUSED
    dsr.refusal_ground = ground
    dsr.refusal_details = details
    dsr.closed_at = timezone.now()
    dsr.verification_code_hash = ""
    dsr.save(
        update_fields=[
            "state",
            "refusal_ground",
            "refusal_details",
            "closed_at",
            "verification_code_hash",
        ]
    )
    _step(dsr, AuditAction.REQUEST_REFUSED, actor, request, ground=str(ground))
    if by_task:
        _mail_by_task(dsr.pk, "refused")
    else:
        _mail_person(dsr, "refused", **_refusal_extra(dsr))


def _refusal_extra(dsr: DataSubjectRequest) -> dict:
    return {
        "ground": RefusalGround(dsr.refusal_ground).label,
        "details": dsr.refusal_details,
        "authority_name": _("the CNIL (Commission nationale de l'informatique et des libertés)"),
        "authority_url": "https://www.cnil.fr/fr/plaintes",
    }


def _check_ground(ground: str, details: str) -> None:
    if ground not in RefusalGround.values:
        raise _Refused("unknown_ground")
    if not details:
        raise _Refused("details_needed")
    if len(details) > DETAILS_MAX:
        raise _Refused("details_too_long")


def _is_last_manager(subject: User) -> bool:
    if subject.org_role != OrgRole.MANAGER:
        return False
    return (
        not User.objects.filter(
            # A manager has an organization (a constraint of accounts_user).
            organization_id=cast(uuid.UUID, subject.organization_id),
            org_role=OrgRole.MANAGER,
            is_active=True,
        )
        .exclude(pk=subject.pk)
        .exists()
    )


def _checked_successor(dsr: DataSubjectRequest, successor: User | None) -> User | None:
    subject = _subject_of(dsr)
    if not _is_last_manager(subject):
        if successor is not None:
            raise _Refused("successor_not_needed")
        return None
    if successor is None:
        raise _Refused("successor_needed")
    successor = User.objects.filter(pk=successor.pk).first()  # this organization's, or none
    if (
        successor is None
        or successor.pk == subject.pk
        or not successor.is_active
        or successor.organization_id != dsr.organization_id
        or _is_erased(successor)
    ):
        raise _Refused("successor_invalid")
    return successor


def _subject_of(dsr: DataSubjectRequest) -> User:
    return User.objects.get(pk=dsr.subject_id)


def _mail_person(dsr: DataSubjectRequest, kind: str, **extra) -> None:
    subject = _subject_of(dsr)
    mails.send_after_commit(
        [mails.person_mail(kind=kind, dsr=dsr, person=subject, **extra)], dsr_id=dsr.pk
    )


def _mail_by_task(request_id, kind: str) -> None:
    """Enqueue the public mail task after the commit (nothing if the step rolls back)."""
    from .tasks import send_public_mail  # tasks.py imports this module

    transaction.on_commit(lambda: send_public_mail.enqueue(str(request_id), kind))


def _mail_officers(dsr: DataSubjectRequest, kind: str) -> None:
    organization = _organization(dsr.organization_id)
    with unscoped("rights: the security officers to tell"):
        officers = list(
            User.objects.filter(staff_role=StaffRole.SECURITY_OFFICER, is_active=True).order_by(
                "pk"
            )
        )
    mails.send_after_commit(
        [
            mails.staff_mail(
                kind=kind, dsr=dsr, recipient=officer, organization_name=organization.name
            )
            for officer in officers
        ],
        dsr_id=dsr.pk,
    )


def _handlers_of(dsr: DataSubjectRequest) -> list[User]:
    """The handler if still entitled, else the CSMs assigned to the organization."""
    with unscoped("reminders: who handles this request"):
        assigned = set(
            CsmAssignment.objects.filter(
                organization_id=dsr.organization_id, ended_at__isnull=True
            ).values_list("csm_id", flat=True)
        )
        if dsr.handler_id is not None:
            handler = User.objects.filter(pk=dsr.handler_id, is_active=True).first()
            if handler is not None and (
                handler.pk in assigned or handler.staff_role == StaffRole.SECURITY_OFFICER
            ):
                return [handler]
        return list(
            User.objects.filter(pk__in=assigned, is_active=True, staff_role=StaffRole.CSM).order_by(
                "pk"
            )
        )


# --- Internals: rectification ---------------------------------------------------------------


def _checked_rectification(request_type, values, organization) -> dict:
    """``{field: {"after": value}}`` from ``{field: value}``, checked; {} for other types."""
    if request_type != RequestType.RECTIFICATION:
        if values:
            raise _Refused("rectification_not_expected")
        return {}
    values = dict(values or {})
    if not values:
        raise _Refused("rectification_needed")
    if set(values) - set(RECTIFIABLE_FIELDS):
        raise _Refused("rectification_fields")
    checked: dict[str, dict] = {}
    for name in RECTIFIABLE_FIELDS:
        if name not in values:
            continue
        value = values[name]
        if name in ("first_name", "last_name"):
            value = str(value or "").strip()
            if not value:
                raise _Refused("empty_name")
            if len(value) > 150:
                raise _Refused("name_too_long")
        elif name == "country":
            value = str(value or "").strip().upper()
            if value and value not in dict(countries):
                raise _Refused("unknown_country")
        else:
            value = _job_type_id(value, organization)
        checked[name] = {"after": value}
    return checked


def _job_type_id(value, organization) -> str:
    """A job type of the organization by id or name, as its id ("" for none)."""
    value = getattr(value, "pk", value)
    if value in (None, ""):
        return ""
    with tenant_context(organization):
        job_types = JobType.objects.all()
        as_id = _as_uuid(value)
        found = (
            job_types.filter(pk=as_id).first()
            if as_id is not None
            else job_types.filter(name__iexact=str(value).strip()).first()
        )
    if found is None:
        raise _Refused("unknown_job_type")
    return str(found.pk)


def _current_value(user: User, name: str) -> str:
    if name == "job_type":
        return str(user.job_type_id or "")
    if name == "country":
        return str(user.country or "")
    return getattr(user, name)


def _rectify(dsr: DataSubjectRequest, *, actor, subject: User, request) -> tuple[str, dict]:
    """Apply the request's new values; keep before and after in the request."""
    from grove.accounts.actions import user_update

    record = {}
    changes: dict[str, Any] = {}
    for name, change in (dsr.rectification or {}).items():
        after = change.get("after", "")
        record[name] = {"before": _current_value(subject, name), "after": after}
        if name == "job_type":
            changes[name] = JobType.objects.filter(pk=after).first() if after else None
            if after and changes[name] is None:
                raise _Refused("unknown_job_type")
        else:
            changes[name] = after
    try:
        user_update(actor=actor, user=subject, **changes)
    except ValidationError as error:
        raise _Refused("rectification_invalid") from error
    dsr.rectification = record
    dsr.save(update_fields=["rectification"])
    _step(dsr, AuditAction.RECTIFICATION_APPLIED, actor, request, fields=sorted(record))
    return "fulfilled_rectification", {"fields": _field_labels(record)}


def _field_labels(record: dict) -> list[StrOrPromise]:
    labels = {
        "first_name": _("First name"),
        "last_name": _("Last name"),
        "country": _("Country"),
        "job_type": _("Job type"),
    }
    return [labels[name] for name in RECTIFIABLE_FIELDS if name in record]


# --- Internals: fulfilment ------------------------------------------------------------------


def _carry_out(dsr: DataSubjectRequest, *, actor, subject: User, request) -> tuple[str, dict]:
    """Do what the request asks; returns the outcome mail's kind and context."""
    if dsr.request_type in (RequestType.ACCESS, RequestType.PORTABILITY):
        from .export import export_create

        export, token = export_create(actor=actor, subject=subject, dsr=dsr, request=request)
        link = settings.GROVE_BASE_URL + reverse("rights:export_download", args=[token])
        return "fulfilled_export", {"link": link, "expires_at": export.expires_at}
    if dsr.request_type == RequestType.RECTIFICATION:
        return _rectify(dsr, actor=actor, subject=subject, request=request)
    if dsr.request_type == RequestType.ERASURE:
        from .erasure import erase_person

        # The mail is written before the erasure: afterwards the account holds no address.
        person = _PersonForMail(
            email=subject.email, first_name=subject.first_name, language=subject.language
        )
        erase_person(
            actor=actor,
            subject=subject,
            dsr=dsr,
            successor_manager=dsr.successor_manager,
            request=request,
        )
        return "fulfilled_erasure", {"_person": person}
    return "fulfilled", {}


@dataclass(frozen=True)
class _PersonForMail:
    email: str
    first_name: str
    language: str
