"""Sentry, initialised only when SENTRY_DSN is set, and scrubbed of personal data."""

from __future__ import annotations

import re
from typing import Any

from .logging import EMAIL_PATTERN, REDACTED

SENSITIVE_KEYS = re.compile(
    r"(email|e-mail|mail|first_name|last_name|name|prénom|nom|password|cookie|session|csrf|token|"
    r"authorization|secret|key)",
    re.IGNORECASE,
)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return EMAIL_PATTERN.sub(REDACTED, value)
    if isinstance(value, dict):
        return {
            k: (REDACTED if isinstance(k, str) and SENSITIVE_KEYS.search(k) else _scrub(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    return value


def before_send(event: dict, hint: dict | None = None) -> dict:
    """Drop the request's cookies, headers, body and query; drop the user but for its id;
    redact emails and name-like keys everywhere else (messages, frames' local variables)."""
    request = event.get("request")
    if isinstance(request, dict):
        event["request"] = {
            k: v for k, v in request.items() if k in ("method", "url") and isinstance(v, str)
        }
        if "url" in event["request"]:
            event["request"]["url"] = event["request"]["url"].split("?")[0]
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": str(user["id"])} if user.get("id") else {}
    for key in ("breadcrumbs", "exception", "logentry", "message", "extra", "contexts", "tags"):
        if key in event:
            event[key] = _scrub(event[key])
    return event


def init_sentry(dsn: str, *, environment: str, transport=None) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    options: dict[str, Any] = {
        "dsn": dsn,
        "environment": environment,
        "send_default_pii": False,
        "include_local_variables": False,
        "max_request_body_size": "never",
        "before_send": before_send,
        "before_send_transaction": before_send,
        "integrations": [DjangoIntegration()],
    }
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(**options)
