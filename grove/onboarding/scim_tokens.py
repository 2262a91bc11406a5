"""SCIM tokens of an organization: create (the secret shown once), revoke, and their page.

A client manager manages their own organization's tokens at /onboarding/scim-tokens/; a CSM
serving an organization does at /onboarding/scim-tokens/org/<id or slug>/. Both go through
``grove.staff.authorization`` with USERS_MANAGE (a token provisions users). Every creation,
revocation and listing records its audit event (ids only).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from grove.api.actions import hash_secret
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.staff.authorization import (
    Access,
    Capability,
    access_scope,
    authorize,
    organization_for,
    permits,
)
from grove.tenancy.models import Organization

from .models import ScimToken
from .scim.auth import format_token, new_token_parts

NAME_MAX_LENGTH = 100


@dataclass(frozen=True)
class CreatedScimToken:
    token: ScimToken
    secret: str  # the whole ``grove_scim_<prefix>_<secret>``: shown once, never stored


def _check_may_manage(actor, organization: Organization) -> None:
    if not permits(user=actor, organization=organization, capability=Capability.USERS_MANAGE):
        raise PermissionDenied(_("You cannot manage SCIM tokens."))


@transaction.atomic
def scim_token_create(
    *, actor, organization: Organization, name: str, request=None
) -> CreatedScimToken:
    """Create a SCIM token for ``organization`` (manager or serving CSM). Returns the secret
    once; only its SHA-256 is stored. Run inside the organization's tenant scope."""
    _check_may_manage(actor, organization)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the token a name.")]})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": [_("At most %(n)d characters.") % {"n": NAME_MAX_LENGTH}]})
    prefix, secret = new_token_parts()
    token = ScimToken(
        organization=organization,
        name=name,
        prefix=prefix,
        secret_hash=hash_secret(secret),
        created_by=actor,
    )
    token.save(force_insert=True)
    record_event(
        action=AuditAction.CREATE,
        actor=actor,
        organization=organization,
        object_type="scim_token",
        object_ids=[token.pk],
        request=request,
    )
    return CreatedScimToken(token=token, secret=format_token(prefix, secret))


@transaction.atomic
def scim_token_revoke(*, actor, token: ScimToken, request=None) -> ScimToken:
    """Revoke a token: the identity provider's next call gets a 401. Idempotent (a revoked
    token changes nothing and records nothing)."""
    _check_may_manage(actor, token.organization)
    if token.revoked_at is not None:
        return token
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(
        action=AuditAction.DELETE,
        actor=actor,
        organization=token.organization_id,
        object_type="scim_token",
        object_ids=[token.pk],
        request=request,
    )
    return token


def scim_tokens_for(access: Access, *, request=None) -> list[ScimToken]:
    """The organization's tokens, newest first; records a LIST of the ids shown."""
    with access_scope(access):
        tokens = list(ScimToken.objects.select_related("created_by").order_by("-created_at"))
    record_event(
        action=AuditAction.LIST,
        actor=access.user,
        organization=access.organization,
        object_type="scim_token",
        object_ids=[t.pk for t in tokens],
        request=request,
        grant=access.grant,
        read=True,
    )
    return tokens


def scim_token_for(access: Access, token_id) -> ScimToken:
    """One token of the organization, or 404 (forged ids and other organizations' alike)."""
    try:
        token_uuid = token_id if isinstance(token_id, uuid.UUID) else uuid.UUID(str(token_id))
    except (TypeError, ValueError, AttributeError):
        raise Http404("Not found.") from None
    with access_scope(access):
        token = ScimToken.objects.select_related("organization").filter(pk=token_uuid).first()
    if token is None:
        raise Http404("Not found.")
    return token


# --- The page ---------------------------------------------------------------------------------


class ScimTokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=NAME_MAX_LENGTH,
        help_text=gettext_lazy("Which identity provider uses it, e.g. Okta or Entra ID."),
    )


def _access(request, organization: str | None) -> Access:
    user = request.user
    if organization is not None:
        return organization_for(
            user=user,
            organization_id_or_slug=organization,
            capability=Capability.USERS_MANAGE,
            request=request,
        )
    if user.organization_id is None:
        raise Http404("Not found.")  # staff name the organization in the URL
    return authorize(
        user=user,
        organization=user.organization,
        capability=Capability.USERS_MANAGE,
        request=request,
    )


def _page_url(organization: str | None) -> str:
    from django.urls import reverse

    if organization is None:
        return reverse("scim_tokens:list")
    return reverse("scim_tokens:org_list", args=[organization])


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def scim_tokens_view(request, organization: str | None = None):
    access = _access(request, organization)
    created = None
    form = ScimTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with access_scope(access):
                created = scim_token_create(
                    actor=request.user,
                    organization=access.organization,
                    name=form.cleaned_data["name"],
                    request=request,
                )
        except ValidationError as error:
            for field, messages_ in error.message_dict.items():
                form.add_error(field if field in form.fields else None, messages_)
        else:
            form = ScimTokenForm()
    status = 400 if request.method == "POST" and created is None else 200
    base_url = request.build_absolute_uri("/scim/v2/")
    return render(
        request,
        "onboarding/scim_tokens.html",
        {
            "organization": access.organization,
            "organization_param": organization,
            "form": form,
            "created": created,
            "tokens": scim_tokens_for(access, request=request),
            "scim_base_url": base_url,
        },
        status=status,
    )


@require_POST
@never_cache
@login_required
def scim_token_revoke_view(request, token_id, organization: str | None = None):
    access = _access(request, organization)
    token = scim_token_for(access, token_id)
    with access_scope(access):
        scim_token_revoke(actor=request.user, token=token, request=request)
    messages.success(request, _("The SCIM token is revoked."))
    return redirect(_page_url(organization))
