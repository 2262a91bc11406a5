"""Log filters and formatters: every line carries the request id, and never an email address.

Code logs ids, not personal data. What slips through anyway is redacted twice: by the filter on
the record (message, query strings, ``extra=`` values) and by the formatters on everything they
write, tracebacks included, so a handler wired with either one alone still keeps the promise.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from pythonjsonlogger.json import JsonEncoder
from pythonjsonlogger.json import JsonFormatter as BaseJsonFormatter

from .redaction import EMAIL_PATTERN, REDACTED, redact, redact_text
from .request_context import current_request_id

__all__ = [
    "EMAIL_PATTERN",
    "REDACTED",
    "JsonFormatter",
    "RedactPersonalDataFilter",
    "RequestContextFilter",
    "TextFormatter",
]

# "GET /search?q=alice HTTP/1.1" (runserver's request lines): the path stays, the query goes.
QUERY_STRING = re.compile(r"(/[^\s?\"']*)\?[^\s\"']+")

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "taskName",
}


def redact_message(text: str) -> str:
    return QUERY_STRING.sub(rf"\1?{REDACTED}", redact_text(text))


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class RedactPersonalDataFilter(logging.Filter):
    """Redacts emails and query strings in the message, and emails in ``extra=`` values."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A malformed call (arguments not matching the format): the formatter reports it
            # through the handler's error path; a filter must never raise into the caller.
            message = None
        if message is not None:
            redacted = redact_message(message)
            if redacted != message:
                record.msg = redacted
                record.args = None
        # Django attaches the request to some records; its URL and headers stay out of the line.
        if hasattr(record, "request"):
            record.request = None
        for name, value in list(record.__dict__.items()):
            if name not in _STANDARD_ATTRIBUTES and isinstance(value, str | Mapping | list | tuple):
                setattr(record, name, redact(value))
        return True


class TextFormatter(logging.Formatter):
    """Readable lines for development, redacted as a whole (message, extras, traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


class JsonFormatter(BaseJsonFormatter):
    """One JSON object per line for production. Every value is redacted before serialisation:
    redacting the serialised text instead could cut through a JSON escape sequence."""

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return redact(super().process_log_record(log_data), convert=JsonEncoder().default)
