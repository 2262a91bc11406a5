"""The REST API: one NinjaAPI, its authentication, and one answer per kind of refusal.

The endpoints (practices.py, organization.py, people.py) call the same queries and actions as
the web pages. Refusals map to status codes here, once: a missing or foreign object is 404
with the same body whatever the reason, a role refusal 403, invalid input 422 with a message
per field, a forged cursor 400, no authentication 401.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError

from grove.practices.queries import BadCursor
from grove.staff.authorization import NOT_FOUND_MESSAGE

from .auth import BearerTokenAuth, MemberSessionAuth, api_scope

api = NinjaAPI(
    title="Grove API",
    version="1",
    description=(
        "Best practices of your organization. Authenticate with the browser session (send the "
        "CSRF token on unsafe methods) or with a bearer token made at /api/tokens/."
    ),
    urls_namespace="api",
    openapi_url="/schema",
    docs_url="/docs",
    # The token first: a request carrying one never depends on a session or its CSRF check.
    auth=[BearerTokenAuth(), MemberSessionAuth()],
)
# Each operation runs inside a scope the authenticator enters (the caller's organization).
api.add_decorator(api_scope, mode="view")


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404):
    # Never the exception's text: the same body for "does not exist" and "not yours".
    return api.create_response(request, {"detail": NOT_FOUND_MESSAGE}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied):
    message = str(exc) or _("You are not allowed to do this.")
    return api.create_response(request, {"detail": message}, status=403)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError):
    if hasattr(exc, "error_dict"):
        errors = {field: [str(m) for m in messages] for field, messages in exc.message_dict.items()}
    else:
        errors = {"__all__": [str(m) for m in exc.messages]}
    return api.create_response(
        request, {"detail": _("The input is not valid."), "errors": errors}, status=422
    )


@api.exception_handler(BadCursor)
def bad_cursor(request: HttpRequest, exc: BadCursor):
    return api.create_response(request, {"detail": _("Invalid cursor.")}, status=400)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError):
    response = api.create_response(request, {"detail": _("Authentication required.")}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="grove"'
    return response


from . import organization, people, practices  # noqa: E402  (the endpoints register on api)

api.add_router("", practices.router)
api.add_router("", organization.router)
api.add_router("", people.router)
