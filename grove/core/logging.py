"""Log filters: every line carries the request id, and never an email address."""

import logging
import re

from .request_context import current_request_id

EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
REDACTED = "[redacted]"


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or "-"
        return True


class RedactPersonalDataFilter(logging.Filter):
    """Last line of defence: code logs ids, but an email typed by someone must not slip through."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if EMAIL_PATTERN.search(message):
            record.msg = EMAIL_PATTERN.sub(REDACTED, message)
            record.args = None
        # Django attaches the request to some records; its URL and headers stay out of the line.
        if hasattr(record, "request"):
            record.request = None
        return True
