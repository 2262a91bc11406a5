"""Invitations: the mail with a single-use, expiring activation link, and the activation.

The token of a link exists only in the mail: the task that sends it makes the token and stores
its SHA-256, so no secret sits in the database, a log line or a task's arguments. Opening the
link shows a confirmation page and spends nothing (mail scanners such as Safe Links and
Proofpoint open links before the person does); only the person's button press, with a password
and the terms of use accepted, activates the account.

Writes are actions (keyword-only, atomic, with their access-log event); reads are the
``*_for`` functions below, scoped to the caller's organization.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.http import Http404, HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.retention.lifecycle import ensure_organization_writable
from grove.staff.authorization import Access, Capability, permits
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import Organization

from .actions import _write_scope, session_log_in
from .models import DeliveryStatus, Invitation, InvitationStatus, User

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 256 random bits, 43 characters


def token_hash(token: str) -> str:
    """What is stored of a link's token: its SHA-256 (a 256-bit random token needs no salt)."""
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_days() -> int:
    return settings.GROVE_INVITATION_DAYS


# --- Sending --------------------------------------------------------------------------------


# The invitations of one call are mailed by one task per chunk of this many (ids only).
INVITATIONS_PER_TASK = 500


@transaction.atomic
def invitations_send(
    *, users: Iterable[User], actor: User | None = None, request: HttpRequest | None = None
) -> list[Invitation]:
    """Invite each of ``users``: a new invitation (revoking the person's previous pending one)
    and, once the transaction commits, its mail through the ``send_invitations`` task.

    Skips staff accounts, deactivated people and people whose account is already activated
    (they have a password). Records one INVITATION_SENT event per organization and call, with
    the new invitations' ids (and the revoked ones' in ``details``); the event names the person
    when there is one. Run as the people's organization (``tenant_context``) or unscoped
    (commands, staff tools).

    Set-based, for imports: per organization, one query for the pending invitations, one
    UPDATE revoking them, one INSERT of the new ones, one event, and one task per
    ``INVITATIONS_PER_TASK`` invitations.
    """
    now = timezone.now()
    expires_at = now + datetime.timedelta(days=invitation_days())
    created_by = actor if getattr(actor, "pk", None) else None
    by_organization: dict[uuid.UUID, dict[uuid.UUID, User]] = {}
    for user in users:
        if user.organization_id is None or not user.is_active or _is_activated(user):
            continue
        by_organization.setdefault(user.organization_id, {}).setdefault(user.pk, user)
    invitations: list[Invitation] = []
    for organization_id, people in by_organization.items():
        _ensure_writable(organization_id)
        with _write_scope(organization_id):
            created, revoked_ids = _new_invitations(
                organization_id=organization_id,
                people=list(people.values()),
                created_by=created_by,
                now=now,
                expires_at=expires_at,
            )
            record_event(
                action=AuditAction.INVITATION_SENT,
                actor=actor,
                organization=organization_id,
                object_type="invitation",
                object_ids=[invitation.pk for invitation in created],
                subject_user=created[0].user_id if len(created) == 1 else None,
                request=request,
                details={"revoked": [str(pk) for pk in revoked_ids]} if revoked_ids else {},
            )
        invitations.extend(created)
        ids = [str(invitation.pk) for invitation in created]
        for start in range(0, len(ids), INVITATIONS_PER_TASK):
            chunk = ids[start : start + INVITATIONS_PER_TASK]
            transaction.on_commit(partial(_enqueue, chunk, str(organization_id)))
    return invitations


def _new_invitations(
    *,
    organization_id: uuid.UUID,
    people: list[User],
    created_by: User | None,
    now: datetime.datetime,
    expires_at: datetime.datetime,
) -> tuple[list[Invitation], list[uuid.UUID]]:
    """Revoke the people's pending invitations and create one new each (bulk)."""
    revoked_ids: list[uuid.UUID] = []
    user_ids = [user.pk for user in people]
    for start in range(0, len(user_ids), _IDS_PER_QUERY):
        chunk = user_ids[start : start + _IDS_PER_QUERY]
        revoked_ids.extend(
            Invitation.objects.select_for_update()
            .filter(user_id__in=chunk, accepted_at__isnull=True, revoked_at__isnull=True)
            .values_list("pk", flat=True)
        )
    for start in range(0, len(revoked_ids), _IDS_PER_QUERY):
        Invitation.objects.filter(pk__in=revoked_ids[start : start + _IDS_PER_QUERY]).update(
            revoked_at=now
        )
    created = Invitation.objects.bulk_create(
        [
            Invitation(
                organization_id=organization_id,
                user=user,
                created_by=created_by,
                created_at=now,
                expires_at=expires_at,
            )
            for user in people
        ],
        batch_size=1000,
    )
    return created, revoked_ids


# Ids per IN (...) list: well below SQLite's bound on a statement's parameters.
_IDS_PER_QUERY = 2000


@transaction.atomic
def invitation_resend(
    *, actor: User, invitation: Invitation, request: HttpRequest | None = None
) -> Invitation:
    """Send the person a new link (the previous one stops working). Managers of the
    organization and the CSMs serving it (USERS_MANAGE); PermissionDenied otherwise, and
    ValueError for an account already activated or deactivated."""
    _check_may_manage(actor, invitation.organization_id)
    user = _user_of(invitation)
    if not user.is_active or _is_activated(user):
        raise ValueError("this account cannot be invited")
    return invitations_send(users=[user], actor=actor, request=request)[0]


@transaction.atomic
def invitation_revoke(
    *, actor: User, invitation: Invitation, request: HttpRequest | None = None
) -> bool:
    """Stop the invitation's link from working and record INVITATION_REVOKED. Returns False
    (and records nothing) when it was already accepted or revoked."""
    _check_may_manage(actor, invitation.organization_id)
    with tenant_context(invitation.organization_id):
        updated = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        if not updated:
            return False
        invitation.refresh_from_db(fields=["revoked_at"])
        record_event(
            action=AuditAction.INVITATION_REVOKED,
            actor=actor,
            organization=invitation.organization_id,
            object_type="invitation",
            object_ids=[invitation.pk],
            subject_user=invitation.user_id,
            request=request,
        )
    return True


def deliver_invitation(*, invitation_id: str, organization_id: str) -> bool:
    """The former single-invitation task's work (``send_invitation``, kept for tasks enqueued
    before ``send_invitations``): make the token, store its hash, send the mail in the
    person's language, keep the provider's message id. Returns whether a mail left; raises
    RuntimeError (its text holds the id only) when the transport failed.

    Nothing is sent for an invitation already sent (a task run twice), revoked, accepted or
    expired, nor to a person deactivated or activated meanwhile. The row stays locked until
    the mail has left, so two workers never send two links.
    """
    with tenant_context(organization_id):
        return _deliver_one(invitation_id, connection=None)


@dataclass(frozen=True)
class DeliveryReport:
    sent: int
    skipped: int  # already sent, revoked, accepted, expired, activated or deactivated
    failed: int  # a transport error: nothing stored, the invitation stays sendable


def deliver_invitations(*, invitation_ids: list[str], organization_id: str) -> DeliveryReport:
    """The ``send_invitations`` task's work: deliver each invitation in turn (as
    ``deliver_invitation`` does, each row locked while its mail leaves) over one mail
    connection opened for the batch. A transport error for one mail is logged (the error's
    type and the invitation's id, never the address) and the others still go."""
    sent = skipped = failed = 0
    with tenant_context(organization_id):
        connection = _fresh_connection(None)
        try:
            for invitation_id in invitation_ids:
                try:
                    delivered = _deliver_one(invitation_id, connection=connection)
                except InvitationNotSent:
                    failed += 1
                    connection = _fresh_connection(connection)
                    continue
                if delivered:
                    sent += 1
                else:
                    skipped += 1
        finally:
            _close_quietly(connection)
    return DeliveryReport(sent=sent, skipped=skipped, failed=failed)


class InvitationNotSent(RuntimeError):
    """A mail transport error; the message holds the invitation's id only."""


def _deliver_one(invitation_id: str, *, connection) -> bool:
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("user", "user__organization")
            .filter(pk=invitation_id)
            .first()
        )
        now = timezone.now()
        if (
            invitation is None
            or invitation.sent_at is not None
            or invitation.accepted_at is not None
            or invitation.revoked_at is not None
            or invitation.expires_at <= now
            or not invitation.user.is_active
            or _is_activated(invitation.user)
        ):
            return False
        token = secrets.token_urlsafe(TOKEN_BYTES)
        message = _invitation_message(invitation, token)
        if connection is not None:
            message.connection = connection
        try:
            message.send()
        except Exception as error:  # any transport error: its text may hold the address
            logger.error("invitation mail %s not sent: %s", invitation.pk, type(error).__name__)
            raise InvitationNotSent(f"invitation mail {invitation.pk} not sent") from None
        invitation.token_hash = token_hash(token)
        invitation.sent_at = now
        invitation.provider_message_id = _provider_message_id(message)
        invitation.save(update_fields=["token_hash", "sent_at", "provider_message_id"])
    return True


def _fresh_connection(connection):
    """A newly opened mail connection, closing ``connection`` first: after a transport error
    an SMTP session may be unusable. If it does not open, each send tries again (and fails)."""
    if connection is not None:
        _close_quietly(connection)
    fresh = get_connection()
    try:
        fresh.open()
    except Exception as error:  # the next send opens it again, or fails and is counted
        logger.error("mail connection not reopened: %s", type(error).__name__)
    return fresh


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception as error:
        logger.error("mail connection not closed: %s", type(error).__name__)


def invitation_demo_link(*, invitation: Invitation) -> str:
    """Demo only (``seed_demo``, which prints it): give a pending invitation a fresh token,
    mark it sent without mailing (the demo's addresses do not exist) and return its link.
    The invitation's previous link, if any, stops working."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with tenant_context(invitation.organization_id):
        Invitation.objects.filter(pk=invitation.pk).update(
            token_hash=token_hash(token), sent_at=invitation.sent_at or timezone.now()
        )
    return invitation_url(token)


def invitation_url(token: str) -> str:
    return settings.GROVE_BASE_URL + reverse("accounts:invitation", kwargs={"token": token})


def _invitation_message(invitation: Invitation, token: str) -> EmailMultiAlternatives:
    user = invitation.user
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {
            "user": user,
            "organization": user.organization,
            "invitation_url": invitation_url(token),
            "expires_at": invitation.expires_at,
            "days": invitation_days(),
        }
        subject = render_to_string("accounts/invitation_subject.txt", context).strip()
        body = render_to_string("accounts/invitation_email.txt", context)
    message = EmailMultiAlternatives(subject=subject, body=body, to=[user.email])
    # anymail: Brevo's reports group the invitations (an attribute anymail reads, not in stubs).
    message.tags = ["invitation"]  # type: ignore[attr-defined]
    return message


def _provider_message_id(message: EmailMultiAlternatives) -> str:
    # anymail sets anymail_status on messages it sends; other backends (locmem) do not.
    status = getattr(message, "anymail_status", None)
    return str(getattr(status, "message_id", None) or "")[:255]


def _enqueue(invitation_ids: list[str], organization_id: str) -> None:
    from .tasks import send_invitations

    send_invitations.enqueue(invitation_ids, organization_id)


def _is_activated(user: User) -> bool:
    return user.has_usable_password()


def _user_of(invitation: Invitation) -> User:
    with tenant_context(invitation.organization_id):
        return User.objects.get(pk=invitation.user_id)


def _ensure_writable(organization_id: uuid.UUID) -> None:
    with unscoped("invitations: is the organization's contract still active?"):
        organization = Organization.objects.only("status").get(pk=organization_id)
    ensure_organization_writable(organization)


def _check_may_manage(actor: User, organization_id: uuid.UUID) -> None:
    with unscoped("invitations: the actor's permission on the invitation's organization"):
        organization = Organization.objects.get(pk=organization_id)
    ensure_organization_writable(organization)  # an ended contract: read-only, said so (403)
    if not permits(user=actor, organization=organization, capability=Capability.USERS_MANAGE):
        raise PermissionDenied


# --- Activation -----------------------------------------------------------------------------


class LinkState:
    USABLE = "usable"
    USED = "used"
    EXPIRED = "expired"
    INVALID = "invalid"  # unknown, revoked, never sent, or an account that may not log in


@dataclass(frozen=True)
class LinkLookup:
    state: str
    invitation: Invitation | None = None


def invitation_for_token(token: str) -> LinkLookup:
    """The invitation a link's token opens, and whether it may still activate the account.

    Whoever opens the link is not logged in: the lookup crosses organizations, by the token's
    hash (a unique column), so it reveals nothing without the token. Unknown and revoked
    tokens answer the same.
    """
    if not token or len(token) > 100:
        return LinkLookup(LinkState.INVALID)
    with unscoped("activation: find the invitation by its token's hash"):
        invitation = (
            Invitation.objects.select_related("user", "user__organization")
            .filter(token_hash=token_hash(token))
            .first()
        )
    if invitation is None or invitation.revoked_at is not None:
        return LinkLookup(LinkState.INVALID)
    if invitation.accepted_at is not None:
        return LinkLookup(LinkState.USED, invitation)
    user = invitation.user
    from .backends import EmailBackend

    if not EmailBackend().user_can_authenticate(user) or _is_activated(user):
        return LinkLookup(LinkState.INVALID)
    if invitation.expires_at <= timezone.now():
        return LinkLookup(LinkState.EXPIRED, invitation)
    return LinkLookup(LinkState.USABLE, invitation)


def invitation_opened(*, invitation: Invitation) -> None:
    """Stamp ``opened_at`` the first time the confirmation page is shown. Not an access-log
    event: mail scanners open links too, so an opening says little about the person."""
    if invitation.opened_at is not None:
        return
    with tenant_context(invitation.organization_id):
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(
            opened_at=timezone.now()
        )


@transaction.atomic
def invitation_accept(*, request: HttpRequest, invitation: Invitation, password: str) -> bool:
    """Activate the account: set the password, stamp the terms' acceptance, spend the link,
    record INVITATION_ACCEPTED, and log the person in (LOGIN). Returns False, changing
    nothing, when the link was spent, revoked or expired meanwhile (the row is locked, so two
    presses activate once)."""
    organization_id = invitation.organization_id
    with tenant_context(organization_id):
        locked = Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
        now = timezone.now()
        if locked is None or not locked.is_usable_at(now):
            return False
        user = User.objects.select_for_update().get(pk=locked.user_id)
        if not user.is_active or _is_activated(user):
            return False
        user.set_password(password)
        user.terms_accepted_at = now
        user.save(update_fields=["password", "terms_accepted_at"])
        locked.accepted_at = now
        locked.save(update_fields=["accepted_at"])
        record_event(
            action=AuditAction.INVITATION_ACCEPTED,
            actor=user,
            organization=organization_id,
            object_type="invitation",
            object_ids=[locked.pk],
            subject_user=user,
            request=request,
        )
    user.organization = invitation.user.organization
    session_log_in(request=request, user=user)
    return True


# --- Delivery reports (the mail provider's tracking webhook) --------------------------------

# anymail's normalised event types that change what managers see; the rest (queued, opened,
# clicked...) are ignored.
DELIVERY_EVENTS = {
    "delivered": DeliveryStatus.DELIVERED,
    "deferred": DeliveryStatus.DEFERRED,
    "bounced": DeliveryStatus.BOUNCED,
    "rejected": DeliveryStatus.BOUNCED,  # refused before sending (e.g. a blocked address)
    "complained": DeliveryStatus.COMPLAINED,
}
# A later report never hides a worse one (a "delivered" after a complaint).
_SEVERITY = {
    DeliveryStatus.NONE: 0,
    DeliveryStatus.DEFERRED: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.BOUNCED: 3,
    DeliveryStatus.COMPLAINED: 4,
}


@transaction.atomic
def invitation_delivery_event(*, event_type: str, message_id: str | None) -> Invitation | None:
    """Record the provider's delivery report of an invitation mail: delivered, deferred,
    bounced or complained. Returns the invitation changed, or None (unknown message, event
    type ignored, nothing new). Bounces and complaints record INVITATION_DELIVERY.

    The webhook's request belongs to no organization: the invitation is found by the
    provider's message id across organizations (an id only Grove and the provider know),
    then written in its own organization's scope.
    """
    status = DELIVERY_EVENTS.get(str(event_type))
    if status is None or not message_id:
        return None
    with unscoped("delivery report: find the invitation by the provider's message id"):
        organization_id = (
            Invitation.objects.filter(provider_message_id=message_id)
            .values_list("organization_id", flat=True)
            .first()
        )
    if organization_id is None:
        return None
    with tenant_context(organization_id):
        invitation = (
            Invitation.objects.select_for_update().filter(provider_message_id=message_id).first()
        )
        if invitation is None or _SEVERITY[status] <= _SEVERITY[invitation.delivery_status]:
            return None
        invitation.delivery_status = status
        invitation.save(update_fields=["delivery_status"])
        if status in (DeliveryStatus.BOUNCED, DeliveryStatus.COMPLAINED):
            record_event(
                action=AuditAction.INVITATION_DELIVERY,
                organization=organization_id,
                object_type="invitation",
                object_ids=[invitation.pk],
                subject_user=invitation.user_id,
                details={"delivery_status": str(status)},
            )
    return invitation


# --- Reads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberInvitation:
    """One person of the status page: their latest invitation (if any) and its status."""

    user: User
    invitation: Invitation | None
    status: str  # an InvitationStatus, or "active" / "not_invited" / "deactivated"

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def may_invite(self) -> bool:
        return self.status == NOT_INVITED

    @property
    def may_resend(self) -> bool:
        return self.invitation is not None and self.status in RESENDABLE

    @property
    def may_revoke(self) -> bool:
        return self.invitation is not None and self.status in REVOCABLE


ACCOUNT_ACTIVE = "active"
NOT_INVITED = "not_invited"
DEACTIVATED = "deactivated"
STATUS_LABELS = {
    **dict(InvitationStatus.choices),
    ACCOUNT_ACTIVE: gettext_lazy("Active"),
    NOT_INVITED: gettext_lazy("Not invited"),
    DEACTIVATED: gettext_lazy("Deactivated"),
}
_LIVE = {InvitationStatus.PENDING, InvitationStatus.SENT, InvitationStatus.OPENED}
REVOCABLE = frozenset(_LIVE | {InvitationStatus.BOUNCED, InvitationStatus.COMPLAINED})
RESENDABLE = frozenset(REVOCABLE | {InvitationStatus.EXPIRED, InvitationStatus.REVOKED})


MEMBERS_PER_PAGE = 100


@dataclass(frozen=True)
class MemberInvitationsPage:
    rows: list[MemberInvitation]
    page: Page


def member_invitations(access: Access, *, page_number=None) -> MemberInvitationsPage:
    """One page of the people of the organization ``access`` was granted on, ordered by name,
    each with their latest invitation's status. Run after ``authorize`` (USERS_READ)."""
    now = timezone.now()
    with tenant_context(access.organization):
        users = User.objects.filter(organization=access.organization).order_by(
            "last_name", "first_name", "pk"
        )
        page = Paginator(users, MEMBERS_PER_PAGE).get_page(page_number)
        people = list(page.object_list)
        latest: dict = {}
        for invitation in Invitation.objects.filter(user__in=people).order_by("created_at"):
            latest[invitation.user_id] = invitation  # the newest wins
        rows = [
            MemberInvitation(
                user, latest.get(user.pk), _member_status(user, latest.get(user.pk), now)
            )
            for user in people
        ]
    return MemberInvitationsPage(rows=rows, page=page)


def _member_status(user: User, invitation: Invitation | None, now) -> str:
    if not user.is_active:
        return DEACTIVATED
    if invitation is None:
        return ACCOUNT_ACTIVE if _is_activated(user) else NOT_INVITED
    status = invitation.status_at(now)
    if status != InvitationStatus.ACTIVATED and _is_activated(user):
        return ACCOUNT_ACTIVE  # e.g. a password reset after an earlier invitation
    return status


def invitation_for_access(access: Access, invitation_id: uuid.UUID) -> Invitation:
    """One invitation of the organization ``access`` was granted on, or Http404 (the same for
    another organization's invitation and one that does not exist)."""
    with tenant_context(access.organization):
        invitation = Invitation.objects.filter(pk=invitation_id).first()
    if invitation is None:
        raise Http404("Not found.")
    return invitation


def member_for_access(access: Access, user_id: uuid.UUID) -> User:
    """One person of the organization ``access`` was granted on, or Http404."""
    with tenant_context(access.organization):
        user = User.objects.filter(pk=user_id, organization=access.organization).first()
    if user is None:
        raise Http404("Not found.")
    return user
