"""Operator staff reach nothing but the second-factor pages until their session is verified."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse

from .second_factor import is_second_factor_verified, requires_second_factor


class StaffSecondFactorMiddleware:
    """Placed after django-otp's OTPMiddleware, which tells whether the session is verified.

    An unverified staff session may open the second-factor pages, log out and load static
    files. Any other page redirects to the verification page (which sends a staff member
    without a device on to enrolment); an API or JSON request gets 403. Only a session that
    proved a confirmed device counts: a login by password alone (or a test's force_login) does
    not. Client users pass through untouched.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            requires_second_factor(user)
            and not is_second_factor_verified(user)
            and not _is_open(request.path)
        ):
            return _refuse(request)
        return self.get_response(request)


def _is_open(path: str) -> bool:
    open_paths = {
        reverse("accounts:otp_verify"),
        reverse("accounts:otp_enrol"),
        reverse("accounts:logout"),
    }
    return path in open_paths or path.startswith(settings.STATIC_URL)


def _wants_json(request) -> bool:
    return request.path.startswith("/api/") or (
        request.accepts("application/json") and not request.accepts("text/html")
    )


def _refuse(request):
    if _wants_json(request):
        return JsonResponse({"detail": "second factor required"}, status=403)
    # The path only, never the query string: a search term is no business of the next URL.
    query = urlencode({"next": request.path})
    return HttpResponseRedirect(f"{reverse('accounts:otp_verify')}?{query}")
