"""Invitation pages: the activation link (a confirmation page, then the person's form), the
terms of use, and the invitation status page of managers and CSMs. Thin views over
grove/accounts/invitations.py."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.onboarding.provisioning import deactivate_person
from grove.staff.authorization import Access, Capability, authorize, organization_for, permits

from . import invitations
from .invitations import LinkState

# Status answers of a link that cannot activate: gone for a spent or expired one, not found
# for an unknown or revoked one (the same page: a guessed token learns nothing).
LINK_STATUS = {LinkState.USED: 410, LinkState.EXPIRED: 410, LinkState.INVALID: 404}


class ActivationForm(SetPasswordForm):
    """A new password, typed twice (Django's validators), and the terms of use accepted."""

    accept_terms = forms.BooleanField(
        required=True,
        label=gettext_lazy("I accept the terms of use"),
        error_messages={"required": gettext_lazy("Please accept the terms of use.")},
    )


@sensitive_variables("token")
@sensitive_post_parameters("new_password1", "new_password2")
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_view(request, token: str):
    """GET shows the confirmation page and spends nothing (mail scanners open links); the
    person's POST of the form activates the account, logs them in and opens the feed."""
    lookup = invitations.invitation_for_token(token)
    if lookup.state != LinkState.USABLE:
        return _link_refused(request, lookup.state)
    invitation = lookup.invitation
    assert invitation is not None  # noqa: S101 -- a usable link has its invitation
    form = ActivationForm(invitation.user, request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            accepted = invitations.invitation_accept(
                request=request,
                invitation=invitation,
                password=form.cleaned_data["new_password1"],
            )
            if accepted:
                return redirect("practices:feed")
            return _link_refused(request, invitations.invitation_for_token(token).state)
    else:
        invitations.invitation_opened(invitation=invitation)
    # In the language of the person's profile when it names one (the mail's), else the browser's.
    with translation.override(invitation.user.language or translation.get_language()):
        return render(
            request,
            "accounts/invitation_activate.html",
            {"form": form, "invited_user": invitation.user, "invitation": invitation},
            status=400 if request.method == "POST" else 200,
        )


def _link_refused(request, state: str):
    return render(
        request,
        "accounts/invitation_invalid.html",
        {"state": state},
        status=LINK_STATUS.get(state, 404),
    )


@require_GET
def terms_view(request):
    return render(request, "accounts/terms.html")


# --- Status page of managers and CSMs -------------------------------------------------------


@require_GET
@never_cache
@login_required
def invitations_view(request, organization: str | None = None):
    access = _authorize(request, organization, Capability.USERS_READ)
    listing = invitations.member_invitations(access, page_number=request.GET.get("page"))
    rows = listing.rows
    record_event(
        action=AuditAction.LIST,
        actor=request.user,
        organization=access.organization,
        object_type="user",
        object_ids=[row.user.pk for row in rows],
        request=request,
        grant=access.grant,
        read=True,
    )
    return render(
        request,
        "accounts/invitations.html",
        {
            "organization": access.organization,
            "organization_param": organization,
            "rows": rows,
            "page": listing.page,
            "may_manage": permits(
                user=request.user,
                organization=access.organization,
                capability=Capability.USERS_MANAGE,
            ),
            "invitation_days": invitations.invitation_days(),
        },
    )


@require_POST
@login_required
def invitation_resend_view(request, invitation_id, organization: str | None = None):
    access = _authorize(request, organization, Capability.USERS_MANAGE)
    invitation = invitations.invitation_for_access(access, invitation_id)
    try:
        invitations.invitation_resend(actor=request.user, invitation=invitation, request=request)
    except ValueError:
        messages.error(request, _("This account can no longer be invited."))
    else:
        messages.success(
            request, _("A new invitation is on its way; the previous link no longer works.")
        )
    return _back(organization)


@require_POST
@login_required
def invitation_revoke_view(request, invitation_id, organization: str | None = None):
    access = _authorize(request, organization, Capability.USERS_MANAGE)
    invitation = invitations.invitation_for_access(access, invitation_id)
    if invitations.invitation_revoke(actor=request.user, invitation=invitation, request=request):
        messages.success(request, _("The invitation was revoked: its link no longer works."))
    return _back(organization)


@require_POST
@login_required
def member_invite_view(request, user_id, organization: str | None = None):
    """Invite a person who has no pending invitation (never invited, or the last one ended)."""
    access = _authorize(request, organization, Capability.USERS_MANAGE)
    user = invitations.member_for_access(access, user_id)
    if not permits(
        user=request.user, organization=access.organization, capability=Capability.USERS_MANAGE
    ):
        raise PermissionDenied
    if invitations.invitations_send(users=[user], actor=request.user, request=request):
        messages.success(request, _("The invitation is on its way."))
    else:
        messages.error(request, _("This account can no longer be invited."))
    return _back(organization)


@require_POST
@login_required
def member_deactivate_view(request, user_id, organization: str | None = None):
    """Deactivate a person: they can no longer log in, and what they published stays.

    Their open sessions end at their next request: the login backend refuses an inactive
    account each time it loads a session's user. The session rows themselves are not deleted
    here: the database sessions are signed, encoded blobs, so finding one person's would mean
    decoding every session; they expire with SESSION_COOKIE_AGE."""
    access = _authorize(request, organization, Capability.USERS_MANAGE)
    user = invitations.member_for_access(access, user_id)
    if user.pk == request.user.pk:
        messages.error(request, _("You cannot deactivate your own account."))
        return _back(organization)
    if deactivate_person(
        organization=access.organization,
        user=user,
        actor=request.user,
        source="manager",
        request=request,
    ):
        messages.success(request, _("The account was deactivated."))
    return _back(organization)


def _authorize(request, organization: str | None, capability: str) -> Access:
    """The caller's access to the organization named in the URL (staff), or their own."""
    user = request.user
    if organization is not None:
        return organization_for(
            user=user, organization_id_or_slug=organization, capability=capability, request=request
        )
    if user.organization_id is None:
        raise Http404("Not found.")  # staff name the organization in the URL
    return authorize(
        user=user, organization=user.organization, capability=capability, request=request
    )


def _back(organization: str | None):
    if organization is not None:
        return redirect("accounts:org_invitations", organization=organization)
    return redirect("accounts:invitations")
