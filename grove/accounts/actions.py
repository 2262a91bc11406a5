"""Every write to accounts: users, staff accounts, sessions and password resets.

Each action is keyword-only and atomic, and appends its access-log event in the same
transaction. Events carry ids and pseudonymous references, never a name or an email.
"""

from __future__ import annotations

import logging
import uuid
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from grove.audit.events import pseudonymous_ref, record_event
from grove.audit.models import AuditAction
from grove.tenancy.context import TenantScopeError, current_scope, tenant_context, unscoped
from grove.tenancy.models import JobType, Organization

from .backends import EmailBackend
from .models import OrgRole, StaffRole, User

if TYPE_CHECKING:
    from django.db.models import Field

logger = logging.getLogger(__name__)

# The fields user_update may change; anything else is refused.
UPDATABLE_FIELDS = frozenset(
    {"email", "first_name", "last_name", "country", "job_type", "org_role", "is_active"}
)


# --- Users ----------------------------------------------------------------------------------


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    organization: Organization,
    email: str,
    first_name: str,
    last_name: str,
    country: str,
    job_type: JobType | None,
    org_role: str,
    password: str | None = None,
) -> User:
    """Create a client's employee in ``organization`` and record USER_CREATED.

    Run as that organization (``tenant_context``) or inside ``unscoped(reason)``. Without a
    ``password`` the account has an unusable one (an invitation sets it later). The business
    email is stored in lower case and must be unique across every organization.
    """
    from grove.retention.lifecycle import ensure_organization_writable  # (import cycle)

    ensure_organization_writable(organization)  # an ended contract: read-only
    if org_role not in OrgRole.values:
        raise ValidationError({"org_role": _("Unknown organization role.")})
    _check_job_type(job_type, organization.pk)
    user = User(
        email=User.objects.normalize_email(email),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        country=country,
        organization=organization,
        job_type=job_type,
        org_role=org_role,
    )
    user.set_password(password)
    with _write_scope(organization.pk):
        _check_email_free(user.email)
        user.full_clean(exclude=["password"], validate_unique=False)
        user.save(force_insert=True)
        record_event(
            action=AuditAction.USER_CREATED,
            actor=actor,
            organization=organization,
            object_type="user",
            object_ids=[user.pk],
            subject_user=user,
            details={"org_role": org_role},
        )
    return user


@transaction.atomic
def staff_user_create(
    *,
    actor: User | None,
    email: str,
    first_name: str,
    last_name: str,
    staff_role: str,
    password: str | None = None,
) -> User:
    """Create an operator staff account (no organization) and record USER_CREATED.

    Staff accounts belong to no tenant, so a request running as a client organization may
    never create one: the caller runs unscoped (staff tools, commands) or with no tenant.
    """
    if staff_role not in StaffRole.values:
        raise ValidationError({"staff_role": _("Unknown staff role.")})
    user = User(
        email=User.objects.normalize_email(email),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        staff_role=staff_role,
    )
    user.set_password(password)
    with _write_scope(None):
        _check_email_free(user.email)
        user.full_clean(exclude=["password"], validate_unique=False)
        user.save(force_insert=True)
        record_event(
            action=AuditAction.USER_CREATED,
            actor=actor,
            object_type="user",
            object_ids=[user.pk],
            subject_user=user,
            details={"staff_role": staff_role},
        )
    return user


@transaction.atomic
def user_update(*, actor: User | None, user: User, **changes: Any) -> User:
    """Change some of a user's fields and record USER_CHANGED with the changed field names.

    Only names go into the access log, never old or new values. Fields that already hold the
    given value are not counted as changed; when nothing changes, nothing is written.
    """
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"user_update cannot change: {', '.join(sorted(unknown))}")
    if "email" in changes:
        changes["email"] = User.objects.normalize_email(changes["email"])
    if "job_type" in changes:
        _check_job_type(changes["job_type"], user.organization_id)
    if "org_role" in changes and changes["org_role"] not in OrgRole.values:
        raise ValidationError({"org_role": _("Unknown organization role.")})

    changed = sorted(
        name for name, value in changes.items() if _stored_value(user, name) != _raw(value)
    )
    if not changed:
        return user
    with _write_scope(user.organization_id):
        if "email" in changed:
            _check_email_free(changes["email"], excluding=user.pk)
        for name in changed:
            setattr(user, name, changes[name])
        user.full_clean(exclude=["password"], validate_unique=False)
        user.save(update_fields=changed)
        record_event(
            action=AuditAction.USER_CHANGED,
            actor=actor,
            organization=user.organization_id,
            object_type="user",
            object_ids=[user.pk],
            subject_user=user,
            details={"fields": changed},
        )
    return user


@transaction.atomic
def user_language_set(*, actor: User, language: str) -> User:
    """Set the person's own interface language ("" follows the browser) and record
    USER_CHANGED with the field name only. Nothing is written when it does not change."""
    if language not in ("", *dict(settings.LANGUAGES)):
        raise ValidationError({"language": _("Unknown language.")})
    if actor.language == language:
        return actor
    with _own_account_scope(actor, reason="profile: a staff account's own language"):
        actor.language = language
        actor.save(update_fields=["language"])
        record_event(
            action=AuditAction.USER_CHANGED,
            actor=actor,
            organization=actor.organization_id,
            object_type="user",
            object_ids=[actor.pk],
            subject_user=actor,
            details={"fields": ["language"]},
        )
    return actor


# --- Sessions -------------------------------------------------------------------------------


@transaction.atomic
def session_log_in(*, request: HttpRequest, user: User) -> None:
    """Start an authenticated session for ``user`` (already authenticated) and record LOGIN."""
    with _own_account_scope(user, reason="login: a staff account's last login"):
        login(request, user)  # rotates the session key and the CSRF token; sets last_login
        record_event(
            action=AuditAction.LOGIN,
            actor=user,
            organization=user.organization_id,
            subject_user=user,
            request=request,
        )


@transaction.atomic
def session_log_out(*, request: HttpRequest) -> None:
    """End the session and, when someone was logged in, record LOGOUT."""
    user = request.user
    if user.is_authenticated:
        record_event(
            action=AuditAction.LOGOUT,
            actor=user,
            organization=user.organization_id,
            subject_user=user,
            request=request,
        )
    logout(request)


@transaction.atomic
def login_failed(*, request: HttpRequest, attempted_email: str, throttled: bool = False) -> None:
    """Record LOGIN_FAILED. The typed email is kept only as a keyed hash (links attempts);
    ``throttled``: refused unchecked, past the login's limit of failed attempts (throttle.py)."""
    record_event(
        action=AuditAction.LOGIN_FAILED,
        subject_ref=pseudonymous_ref(attempted_email),
        request=request,
        details={"throttled": True} if throttled else None,
    )


# --- Password reset -------------------------------------------------------------------------


@transaction.atomic
def password_reset_request(*, request: HttpRequest, email: str) -> None:
    """Mail a reset link if ``email`` belongs to an account that may log in; else do nothing.

    The caller answers the same either way (no account enumeration). The event is recorded in
    both cases, with a keyed hash of the typed email; the mail leaves after the commit.
    """
    normalized = User.objects.normalize_email(email)
    with unscoped("password reset: find the account by its email"):
        user = User.objects.select_related("organization").filter(email=normalized).first()
    if user is not None and not (
        user.has_usable_password() and EmailBackend().user_can_authenticate(user)
    ):
        user = None  # invitation pending, deactivated, or organization ended: no mail
    record_event(
        action=AuditAction.PASSWORD_RESET_REQUESTED,
        organization=user.organization_id if user else None,
        subject_user=user,
        subject_ref=pseudonymous_ref(normalized),
        request=request,
    )
    if user is None:
        return
    message = _password_reset_message(request=request, user=user)
    user_id = user.pk
    transaction.on_commit(lambda: _send(message, user_id=user_id))


@transaction.atomic
def password_reset_complete(*, request: HttpRequest, user: User, new_password: str) -> None:
    """Set the password chosen through a valid reset link and record PASSWORD_RESET_DONE.

    Changing the password invalidates the link (the token hashes the password) and every
    other session of the user (the session hash changes too).
    """
    with _own_account_scope(user, reason="password reset: a staff account"):
        user.set_password(new_password)
        user.save(update_fields=["password"])
        record_event(
            action=AuditAction.PASSWORD_RESET_DONE,
            actor=user,
            organization=user.organization_id,
            subject_user=user,
            request=request,
        )


def _password_reset_message(*, request: HttpRequest, user: User) -> EmailMultiAlternatives:
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {"user": user, "reset_url": request.build_absolute_uri(path)}
    subject = render_to_string("accounts/password_reset_subject.txt", context).strip()
    body = render_to_string("accounts/password_reset_email.txt", context)
    return EmailMultiAlternatives(subject=subject, body=body, to=[user.email])


def _send(message: EmailMultiAlternatives, *, user_id: uuid.UUID) -> None:
    # A failed send must not turn into a 500 that only existing accounts would get.
    try:
        message.send()
    except Exception as error:  # any transport error; logged by type, never its text
        logger.error("password reset mail for user %s not sent: %s", user_id, type(error).__name__)


# --- Helpers --------------------------------------------------------------------------------


def _write_scope(organization_id: uuid.UUID | None) -> AbstractContextManager:
    """The scope a write to an account of ``organization_id`` (None: staff) runs in.

    A caller running as one organization may write that organization's accounts only, and
    never a staff account. Staff tools and commands (unscoped or with no tenant) may write any.
    """
    scope = current_scope()
    if (
        not scope.is_unscoped
        and scope.organization_id is not None
        and scope.organization_id != organization_id
    ):
        raise TenantScopeError("refusing to write an account outside the current organization")
    if organization_id is None:
        return unscoped("accounts: staff accounts belong to no organization")
    return tenant_context(organization_id)


def _own_account_scope(user: User, *, reason: str) -> AbstractContextManager:
    """The scope of a person acting on their own account, just proven by a password or a reset
    token: whatever the request ran as before (nobody, or the previous session's user)."""
    if user.organization_id is None:
        return unscoped(reason)
    return tenant_context(user.organization_id)


def _stored_value(user: User, name: str) -> object:
    # The column value (job_type_id, not job_type): reading a relation would need a scope.
    # The names are the user's own columns, never a reverse relation (which has no attname).
    return getattr(user, cast("Field", User._meta.get_field(name)).attname)


def _raw(value: object) -> object:
    return getattr(value, "pk", value)


def _check_email_free(email: str, *, excluding: uuid.UUID | None = None) -> None:
    with unscoped("accounts: the business email is unique across organizations"):
        others = User.objects.filter(email=email)
        if excluding is not None:
            others = others.exclude(pk=excluding)
        taken = others.exists()
    if taken:
        raise ValidationError({"email": _("An account with this business email already exists.")})


def _check_job_type(job_type: JobType | None, organization_id: uuid.UUID | None) -> None:
    if job_type is not None and job_type.organization_id != organization_id:
        raise ValidationError({"job_type": _("This job type belongs to another organization.")})
