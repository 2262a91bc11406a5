"""The operator console: thin views over authorize(), the staff queries and actions.

Staff only: anyone else gets the same logged 404 as for a page that does not exist. Every page
showing an organization's data asks ``authorize()``; every change is a POST with a CSRF token.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from grove.accounts import second_factor
from grove.accounts.second_factor import SecondFactorResetRefused

from . import actions, queries
from .authorization import (
    Capability,
    authorize,
    capabilities_of,
    deny,
    is_assignment_manager,
    is_grant_decider,
    is_second_factor_resetter,
    is_staff,
    organization_for,
    permits,
    visible_organizations,
)
from .forms import AssignmentForm, GrantRequestForm, SecondFactorResetForm


def staff_only(view):
    """Logged-in, active operator staff (second factor verified: see the accounts middleware);
    anyone else gets the logged 404."""

    @login_required
    @never_cache
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_staff(request.user):
            _deny_page(request, "staff_console")
        return view(request, *args, **kwargs)

    return wrapper


def _deny_page(request, page: str):
    deny(
        user=request.user,
        organization_id=None,
        capability=None,
        request=request,
        object_type="",
        object_id=None,
        details={"attempted": page},
    )


def _refused(request, refusal):
    """An action the staff member may not take: say why (the attempt is already logged)."""
    return render(request, "staff/refused.html", {"message": str(refusal)}, status=403)


@require_http_methods(["GET"])
@staff_only
def home(request):
    user = request.user
    return render(
        request,
        "staff/home.html",
        {
            "visible": visible_organizations(user=user),
            "own_grants": queries.own_grants(user=user),
            "is_decider": is_grant_decider(user),
            "is_assignment_manager": is_assignment_manager(user),
            "pending_count": len(queries.pending_grants()) if is_grant_decider(user) else 0,
        },
    )


@require_http_methods(["GET"])
@staff_only
def organization(request, slug):
    """An organization's page: its grants (the staff-access record), and its users when the
    staff member may see them (one LIST event with the ids shown)."""
    user = request.user
    access = organization_for(
        user=user,
        organization_id_or_slug=slug,
        capability=Capability.ACCESS_LOG_READ,
        request=request,
    )
    org = access.organization
    users_page = None
    if permits(user=user, organization=org, capability=Capability.USERS_READ):
        users_access = authorize(
            user=user, organization=org, capability=Capability.USERS_READ, request=request
        )
        users_page = queries.users_page_for_staff(
            access=users_access, page_number=request.GET.get("page"), request=request
        )
    return render(
        request,
        "staff/organization.html",
        {
            "organization": org,
            "access": access,
            "capabilities": sorted(capabilities_of(user=user, organization=org)),
            "users_page": users_page,
            "grants": queries.grants_of_organization(access=access),
            "is_decider": is_grant_decider(user),
        },
    )


@require_http_methods(["GET", "POST"])
@staff_only
def grant_request(request):
    form = GrantRequestForm(request.POST or None, initial={"organization": request.GET.get("org")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.grant_request(
                actor=request.user,
                organization=data["organization"],
                reason=data["reason"],
                ticket_ref=data["ticket_ref"],
                duration_minutes=data["duration_minutes"],
                request=request,
            )
        except actions.ActionRefused as refusal:
            return _refused(request, refusal)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Your request was sent to the security team."))
            return redirect("staff:home")
    return render(request, "staff/grant_request.html", {"form": form})


@require_http_methods(["GET"])
@staff_only
def grants_pending(request):
    if not is_grant_decider(request.user):
        _deny_page(request, "grants_pending")
    return render(request, "staff/grants_pending.html", {"rows": queries.pending_grants()})


@require_POST
@staff_only
def grant_approve(request, grant_id):
    return _decide(request, grant_id, actions.grant_approve, _("Access approved."))


@require_POST
@staff_only
def grant_reject(request, grant_id):
    return _decide(request, grant_id, actions.grant_reject, _("Request rejected."))


@require_POST
@staff_only
def grant_revoke(request, grant_id):
    return _decide(request, grant_id, actions.grant_revoke, _("Access revoked."))


def _decide(request, grant_id, action, done: str):
    grant = queries.grant_for_staff(user=request.user, grant_id=grant_id, request=request)
    try:
        action(actor=request.user, grant=grant, request=request)
    except actions.ActionRefused as refusal:
        return _refused(request, refusal)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("staff:grants_pending" if is_grant_decider(request.user) else "staff:home")


@require_http_methods(["GET", "POST"])
@staff_only
def assignments(request):
    if not is_assignment_manager(request.user):
        _deny_page(request, "assignments")
    form = AssignmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.assignment_create(
                actor=request.user,
                organization=form.cleaned_data["organization"],
                csm=form.cleaned_data["csm"],
                request=request,
            )
        except actions.ActionRefused as refusal:
            return _refused(request, refusal)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Assignment recorded."))
            return redirect("staff:assignments")
    return render(
        request,
        "staff/assignments.html",
        {"form": form, "rows": queries.open_assignments()},
    )


@require_POST
@staff_only
def assignment_end(request, assignment_id):
    assignment = queries.assignment_for_manager(
        user=request.user, assignment_id=assignment_id, request=request
    )
    try:
        actions.assignment_end(actor=request.user, assignment=assignment, request=request)
    except actions.ActionRefused as refusal:
        return _refused(request, refusal)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Assignment ended."))
    return redirect("staff:assignments")


@require_http_methods(["GET"])
@staff_only
def second_factors(request):
    """The staff members and the state of their second factor (security officers and
    managers only), each with a link to reset it."""
    if not is_second_factor_resetter(request.user):
        _deny_page(request, "second_factors")
    return render(
        request, "staff/second_factors.html", {"rows": second_factor.staff_second_factors()}
    )


@require_http_methods(["GET", "POST"])
@staff_only
def second_factor_reset(request, user_id):
    """Confirm, with a reason, the reset of a staff member's lost second factor."""
    if not is_second_factor_resetter(request.user):
        _deny_page(request, "second_factor_reset")
    member = second_factor.staff_member_for_second_factor_reset(user_id)
    if member is None:  # a client user (no second factor) or an unknown id
        deny(
            user=request.user,
            organization_id=None,
            capability=None,
            request=request,
            object_type="user",
            object_id=user_id,
            details={"attempted": "second_factor_reset"},
        )
    try:
        second_factor.second_factor_reset_check(actor=request.user, user=member, request=request)
    except SecondFactorResetRefused as refusal:
        return _refused(request, refusal)
    form = SecondFactorResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            second_factor.second_factor_reset(
                actor=request.user,
                user=member,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except SecondFactorResetRefused as refusal:
            return _refused(request, refusal)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "Second factor reset and sessions ended. The staff member sets up a new "
                    "one at their next login."
                ),
            )
            return redirect("staff:second_factors")
    return render(
        request,
        "staff/second_factors_reset.html",
        {
            "form": form,
            "member": member,
            "has_authenticator": second_factor.confirmed_totp_device(member) is not None,
            "recovery_codes_left": second_factor.recovery_codes_left(member),
        },
    )


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
