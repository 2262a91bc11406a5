import functools
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.urls import URLPattern, include, path

from . import views
from .api import api
from .auth import SAFE_METHODS


def reads_without_request_transaction(view: Callable[..., Any]) -> Callable[..., Any]:
    """ATOMIC_REQUESTS by method: a safe method (GET, HEAD...) runs without the request's
    transaction, an unsafe one inside it, as before.

    ninja serves every method of a path with one view, so the URL cannot simply opt out. A read
    then saves BEGIN/COMMIT: each statement commits on its own, the access-log append included
    (one statement: the read is recorded before the response leaves), and the tenant reaches
    RLS statement by statement (grove/tenancy/db.py). A write keeps the whole operation in one
    atomic block, exactly where Django would put it: an exception that escapes the operation
    rolls everything back, then DeniedAccessMiddleware keeps any denial past the rollback.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method in SAFE_METHODS or not connections.settings[DEFAULT_DB_ALIAS].get(
            "ATOMIC_REQUESTS"
        ):
            return view(request, *args, **kwargs)
        with transaction.atomic(using=DEFAULT_DB_ALIAS):
            return view(request, *args, **kwargs)

    # Django's make_view_atomic leaves the view alone (transaction.non_atomic_requests).
    wrapper._non_atomic_requests = {DEFAULT_DB_ALIAS}  # type: ignore[attr-defined]
    return wrapper


def _by_method(patterns: list) -> list:
    return [
        URLPattern(p.pattern, reads_without_request_transaction(p.callback), p.default_args, p.name)
        for p in patterns
    ]


_api_patterns, _api_app_name, _api_namespace = api.urls

token_patterns = [
    path("", views.tokens_view, name="list"),
    path("<uuid:token_id>/revoke/", views.token_revoke_view, name="revoke"),
]

urlpatterns = [
    # The token page is HTML for people; everything else under /api/ is the REST API.
    path("tokens/", include((token_patterns, "api_tokens"))),
    path("", (_by_method(_api_patterns), _api_app_name, _api_namespace)),
]
