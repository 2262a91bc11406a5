"""Sentry, initialised only when SENTRY_DSN is set, and scrubbed of personal data."""

from __future__ import annotations

from typing import Any

from .redaction import redact, redact_text

# Kept from the request: what was called, not by whom nor with what.
_REQUEST_KEYS = ("method", "url")

# The event's own bookkeeping: ids, timestamps and SDK facts, with no data from the request.
_UNTOUCHED_KEYS = frozenset(
    {"event_id", "timestamp", "start_timestamp", "level", "platform", "sdk", "type"}
)


def before_send(event: dict, hint: dict | None = None) -> dict:
    """Keep only the request's method and URL without its query string (no cookies, headers,
    body or environment); keep only the user's id; then redact email addresses in every string
    and the values of keys that name personal data or secrets (messages, exception values,
    breadcrumbs, frames' local variables, extra data, contexts, tags, spans)."""
    request = event.get("request")
    if isinstance(request, dict):
        kept = {k: request[k] for k in _REQUEST_KEYS if isinstance(request.get(k), str)}
        if "url" in kept:
            kept["url"] = redact_text(kept["url"].split("?", 1)[0].split("#", 1)[0])
        event["request"] = kept
    if "user" in event:
        user = event["user"] if isinstance(event["user"], dict) else {}
        event["user"] = {"id": str(user["id"])} if user.get("id") else {}
    for key, value in event.items():
        if key not in _UNTOUCHED_KEYS and key not in ("request", "user"):
            event[key] = redact(value, convert=_unwrap)
    return event


def _unwrap(value: Any) -> Any:
    # The SDK wraps some values it trimmed or removed; keep what is left, as for any value.
    from sentry_sdk.utils import AnnotatedValue

    return value.value if isinstance(value, AnnotatedValue) else str(value)


def init_sentry(dsn: str, *, environment: str, transport=None) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    # send_default_pii stays unset: the SDK then collects no user, cookie or IP address (and
    # recent SDKs deprecate the option). before_send still removes whatever comes through.
    options: dict[str, Any] = {
        "dsn": dsn,
        "environment": environment,
        "include_local_variables": False,
        "max_request_body_size": "never",
        "before_send": before_send,
        "before_send_transaction": before_send,
        "integrations": [DjangoIntegration()],
    }
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(**options)
