"""SCIM writes: every one goes through grove.onboarding.provisioning (validation,
minimisation, audit) with source "scim"; an email change through the accounts action.

Unknown job types and countries are left empty rather than refused: the identity provider
cannot fix our list of job types, and refusing would stop the person's provisioning.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from grove.accounts.actions import user_update
from grove.audit.events import record_event
from grove.audit.models import AuditAction

from .. import provisioning
from .errors import ScimError
from .resources import UserState

SOURCE = "scim"
_LENIENT = {("country", "unknown_country"), ("job_type", "unknown_job_type")}
_CONFLICTS = {"other_organization", "duplicate"}


def _error_from(error: provisioning.ProvisioningError) -> ScimError:
    codes = {e.code for e in error.errors}
    if codes & _CONFLICTS:
        return ScimError(409, "uniqueness", "userName is already taken.")
    fields = sorted({e.field or "user" for e in error.errors})
    return ScimError(400, "invalidValue", "Invalid value: " + ", ".join(fields) + ".")


def _clean(organization, state: UserState) -> provisioning.PersonRecord:
    values: dict[str, Any] = {
        "email": state.email,
        "first_name": state.first_name,
        "last_name": state.last_name,
        "country": state.country,
        "job_type": state.job_type,
    }
    try:
        return provisioning.clean_person(organization=organization, **values)
    except provisioning.ProvisioningError as error:
        if not error.errors or any((e.field, e.code) not in _LENIENT for e in error.errors):
            raise _error_from(error) from None
        for e in error.errors:
            values[e.field] = ""
    try:
        return provisioning.clean_person(organization=organization, **values)
    except provisioning.ProvisioningError as error:
        raise _error_from(error) from None


def _provision(organization, record, *, request, invite: bool):
    try:
        return provisioning.provision_person(
            organization=organization,
            record=record,
            source=SOURCE,
            request=request,
            invite=invite,
            reactivate=False,
        )
    except provisioning.ProvisioningError as error:
        raise _error_from(error) from None


def _set_active(organization, user, active: bool, *, request) -> None:
    if active and not user.is_active:
        provisioning.reactivate_person(
            organization=organization, user=user, source=SOURCE, request=request
        )
        _invite_if_never_activated(user, request=request)
    elif not active and user.is_active:
        provisioning.deactivate_person(
            organization=organization, user=user, source=SOURCE, request=request
        )


def _invite_if_never_activated(user, *, request) -> None:
    """A person created inactive (never invited) or whose invitation has lapsed is invited
    when the provider activates them; a pending invitation is left as it is."""
    from grove.accounts.models import Invitation

    if user.has_usable_password():
        return
    pending = Invitation.objects.filter(
        user=user,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    ).exists()
    if not pending:
        provisioning.send_invitations(users=[user], request=request)


@transaction.atomic
def scim_user_create(*, organization, state: UserState, request=None):
    """POST /Users: a new person (invited when active). An email already in use, here or in
    another organization, is a 409; a person this organization deprovisioned comes back."""
    from grove.accounts.models import User

    record = _clean(organization, state)
    existing = User.objects.filter(email=record.email).first()  # this organization only
    if existing is not None and (existing.deprovisioned_at is None or existing.is_erased):
        # An erased person's placeholder address never comes back to life.
        raise ScimError(409, "uniqueness", "userName is already taken.")
    result = _provision(organization, record, request=request, invite=state.active)
    user = result.user
    if user.deprovisioned_at is not None:
        user.deprovisioned_at = None
        user.save(update_fields=["deprovisioned_at"])
    _set_active(organization, user, state.active, request=request)
    return user


@transaction.atomic
def scim_user_replace(*, organization, user, state: UserState, request=None):
    """PUT or PATCH: the person's attributes become ``state`` (a rectification, recorded by
    the provisioning path with field names only); active deactivates or reactivates."""
    record = _clean(organization, state)
    if record.email != user.email:
        try:
            user_update(actor=None, user=user, email=record.email)
        except ValidationError:
            raise ScimError(409, "uniqueness", "userName is already taken.") from None
    result = _provision(organization, record, request=request, invite=False)
    user = result.user
    _set_active(organization, user, state.active, request=request)
    return user


@transaction.atomic
def scim_user_delete(*, organization, user, request=None) -> None:
    """DELETE: deactivate (never delete) and mark deprovisioned: the person is no longer
    served by SCIM (GET answers 404), their data follows the retention rules."""
    provisioning.deactivate_person(
        organization=organization, user=user, source=SOURCE, request=request
    )
    user.deprovisioned_at = timezone.now()
    user.save(update_fields=["deprovisioned_at"])
    record_event(
        action=AuditAction.USER_CHANGED,
        actor=None,
        organization=organization,
        object_type="user",
        object_ids=[user.pk],
        subject_user=user,
        request=request,
        details={"source": SOURCE, "fields": ["deprovisioned_at"]},
    )
