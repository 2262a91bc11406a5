"""Per-request facts shared with logging and the access log (never personal data)."""

import contextvars

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "grove_request_id", default=None
)


def current_request_id() -> str | None:
    return _request_id.get()


def set_request_id(value: str | None) -> contextvars.Token:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)
