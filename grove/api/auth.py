"""Who calls the API: the browser's session (CSRF enforced on unsafe methods) or a bearer
token for integrations, acting as the member who made it.

The request middleware sets the tenant only for session users; a token request is anonymous
to it. So every API operation runs inside a request-held ``ExitStack`` (``api_scope``, wrapped
around ninja's operation) and the authenticator that accepts the caller enters
``tenant_context(their organization)`` on it: the endpoint, its serialisation and every query
after authentication run as that organization. On PostgreSQL the RLS setting follows the
context variable statement by statement (grove/tenancy/db.py), inside the request's
transaction (ATOMIC_REQUESTS).
"""

from __future__ import annotations

import datetime
import functools
import hmac
from contextlib import ExitStack
from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from grove.tenancy.context import tenant_context, unscoped

from .actions import TOKEN_PREFIX, hash_secret
from .models import ApiToken

if TYPE_CHECKING:
    from grove.accounts.models import User

# last_used_at is written at most this often per token: no write on every request.
LAST_USED_PRECISION = datetime.timedelta(minutes=1)
_UNKNOWN_TOKEN_HASH = "0" * 64
_SCOPE_ATTRIBUTE = "_grove_api_scope"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})  # as Django's CSRF check


class MemberRequest(HttpRequest):
    """For annotations only: an operation's request once an authenticator below accepted it
    (ninja sets ``auth`` to what the authenticator returned, the member)."""

    auth: User


def api_scope(run):
    """Wrap a ninja operation's ``run``: the scope the authenticator enters ends with it."""

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args, **kwargs):
        with ExitStack() as stack:
            setattr(request, _SCOPE_ATTRIBUTE, stack)
            try:
                return run(request, *args, **kwargs)
            finally:
                delattr(request, _SCOPE_ATTRIBUTE)

    return wrapper


def _enter_member_scope(request: HttpRequest, user) -> None:
    stack = getattr(request, _SCOPE_ATTRIBUTE, None)
    if stack is None:  # an operation not wrapped by api_scope: refuse rather than run unscoped
        raise RuntimeError("API operation without api_scope")
    stack.enter_context(tenant_context(user.organization_id))


def is_client_member(user) -> bool:
    """The API serves client members only (staff tools have their own console)."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.organization_id is not None
        and not user.staff_role
    )


class MemberSessionAuth(APIKeyCookie):
    """The browser's Django session. CSRF is checked for a logged-in session only, so that an
    anonymous request gets a 401 rather than a CSRF 403."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest):
        user = request.user
        if not is_client_member(user):
            return None
        if request.method not in SAFE_METHODS and check_csrf(request):
            raise HttpError(403, "CSRF check failed.")
        _enter_member_scope(request, user)
        return user

    def _get_key(self, request: HttpRequest):  # pragma: no cover -- __call__ does it all
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key):  # pragma: no cover
        return None


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer grove_<prefix>_<secret>``. A header that is present but wrong
    (unknown, revoked, expired, its member deactivated, their organization ended) is a 401."""

    def authenticate(self, request: HttpRequest, token: str):
        user = token_user(token)
        if user is None:
            raise AuthenticationError()
        request.user = user  # the actions and the access log see the member
        _enter_member_scope(request, user)
        return user


def parse_token(raw: str) -> tuple[str, str] | None:
    parts = (raw or "").strip().split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


def token_user(raw: str, *, now: datetime.datetime | None = None):
    """The member a token acts as, or None. Touches ``last_used_at`` at most once a minute."""
    parsed = parse_token(raw)
    if parsed is None or len(parsed[0]) > 16 or len(parsed[1]) > 200:
        return None
    prefix, secret = parsed
    now = now or timezone.now()
    with unscoped("API authentication: find the token by its public prefix"):
        token = ApiToken.objects.select_related("user__organization").filter(prefix=prefix).first()
    expected = token.secret_hash if token is not None else _UNKNOWN_TOKEN_HASH
    if not hmac.compare_digest(expected, hash_secret(secret)) or token is None:
        return None
    user = token.user
    if (
        not token.is_usable(now)
        or not is_client_member(user)
        or user.organization_id != token.organization_id
        or not user.organization.is_active
    ):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        with tenant_context(token.organization_id):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return user
