"""The staff second factor's pages: enrolment (then the recovery codes, once) and verification."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from . import second_factor
from .second_factor import Outcome
from .second_factor_forms import SecondFactorCodeForm


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@login_required
def second_factor_verify_view(request):
    user = request.user
    if not second_factor.requires_second_factor(user):
        return redirect(settings.LOGIN_REDIRECT_URL)
    if second_factor.is_second_factor_verified(user):
        return redirect(_next_url(request) or settings.LOGIN_REDIRECT_URL)
    if second_factor.confirmed_totp_device(user) is None:
        return redirect(_with_next(reverse("accounts:otp_enrol"), request))

    form = SecondFactorCodeForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = second_factor.second_factor_verify(
            request=request, user=user, code=form.cleaned_data["code"]
        )
        if result.ok:
            return redirect(_next_url(request) or settings.LOGIN_REDIRECT_URL)
        form = SecondFactorCodeForm()  # never echo a code back
    return render(
        request,
        "accounts/second_factor_verify.html",
        {
            "form": form,
            "next": _next_url(request),
            "failed": result is not None and result.outcome == Outcome.WRONG_CODE,
            "locked_until": result.locked_until if result is not None else None,
        },
        status=_status(result),
    )


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@login_required
def second_factor_enrol_view(request):
    user = request.user
    if not second_factor.requires_second_factor(user):
        return redirect(settings.LOGIN_REDIRECT_URL)
    if second_factor.confirmed_totp_device(user) is not None:
        return redirect(_with_next(reverse("accounts:otp_verify"), request))

    form = SecondFactorCodeForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = second_factor.second_factor_enrolment_confirm(
            request=request, user=user, code=form.cleaned_data["code"]
        )
        if result.ok:
            # Shown once, in this response only (never cached): no other page shows them.
            return render(
                request,
                "accounts/second_factor_recovery_codes.html",
                {
                    "recovery_codes": result.recovery_codes,
                    "continue_url": _next_url(request) or reverse(settings.LOGIN_REDIRECT_URL),
                },
            )
        form = SecondFactorCodeForm()
    device = second_factor.second_factor_enrolment_start(user=user)
    uri = second_factor.provisioning_uri(device, user=user)
    return render(
        request,
        "accounts/second_factor_enrol.html",
        {
            "form": form,
            "next": _next_url(request),
            "secret": second_factor.secret_text(device),
            "qr_svg": second_factor.qr_code_svg(uri),
            "failed": result is not None and result.outcome == Outcome.WRONG_CODE,
            "locked_until": result.locked_until if result is not None else None,
        },
        status=_status(result),
    )


def _status(result) -> int:
    return 429 if result is not None and result.outcome == Outcome.THROTTLED else 200


def _next_url(request) -> str:
    """Where to go once verified, if the request names a safe place on this site."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _with_next(url: str, request) -> str:
    next_url = _next_url(request)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url
