"""Redaction shared by the log formatters and the Sentry scrubber: the last line of defence.

Code logs and raises with ids, never personal data (CONVENTIONS.md); these helpers catch what
slips through anyway: email addresses anywhere in text, and values stored under keys that name
personal data or secrets (``email``, ``first_name``, ``sessionid``, ``csrftoken``, ...).
Names in free text cannot be recognised: that part of the promise rests on the code passing ids.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

REDACTED = "[redacted]"

# An address, plain or URL-encoded (alice%40a.example in a query string). The quantifiers are
# bounded so that a long run of word characters costs linear time, not quadratic: this runs on
# every log line and every Sentry event, some of them carrying text typed by strangers.
EMAIL_PATTERN = re.compile(
    r"[\w.+%-]{1,64}(?:@|%40)[\w-]{1,63}(?:\.[\w-]{1,63}){1,8}",
    re.IGNORECASE,
)

# Keys whose value is personal data or a secret, whatever it looks like. Matched as a whole
# word inside the key ("user_email", "HTTP_COOKIE", "X-CSRFToken"), so that "filename" or
# "runtime.name" stay readable.
SENSITIVE_KEY = re.compile(
    r"(?:^|[^a-z])"
    r"(e-?mail|mail|first_?name|last_?name|full_?name|user_?name|display_?name|"
    r"given_?name|family_?name|surname|prénom|nom|phone|password|passwd|secret|token|api_?key|"
    r"authorization|cookies?|set-cookie|session(?:_?id|_?key)?|csrf(?:_?token)?|"
    r"csrfmiddlewaretoken|ip_?address|remote_addr|x-forwarded-for|x-real-ip)"
    r"(?:$|[^a-z])",
    re.IGNORECASE,
)

_PLAIN_TYPES = (bool, int, float, Decimal, uuid.UUID, datetime.date, datetime.time)


def redact_text(text: str) -> str:
    """The text with every email address replaced by ``[redacted]``."""
    if "@" not in text and "%40" not in text:
        return text  # the common case, without running the pattern
    return EMAIL_PATTERN.sub(REDACTED, text)


_CAMEL_HUMP = re.compile(r"(?<=[a-z])(?=[A-Z])")


def is_sensitive_key(key: object) -> bool:
    # "userEmail" is read as "user_Email".
    return isinstance(key, str) and SENSITIVE_KEY.search(_CAMEL_HUMP.sub("_", key)) is not None


def redact(value: Any, *, convert: Callable[[Any], Any] = str) -> Any:
    """A copy of ``value`` (str, mappings, sequences, nested) with emails redacted in every string
    and the values of sensitive keys replaced. Other objects go through ``convert`` (``str`` by
    default) first, so that their text representation cannot carry an email either."""
    if value is None or isinstance(value, _PLAIN_TYPES):
        return value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        return redact_text(value.decode("utf-8", errors="replace"))
    if isinstance(value, Mapping):
        return {
            key: REDACTED if is_sensitive_key(key) else redact(item, convert=convert)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(item, convert=convert) for item in value]
    converted = convert(value)
    if converted is value:
        converted = str(value)
    return redact(converted, convert=str)
