"""The identity check of a request filed outside a logged-in session: a 6-digit code.

The code goes to the person's business email only; the request keeps a keyed hash of it (a
6-digit code has a million values: an unkeyed hash would be read back by trying them all), when
it expires, and how many wrong codes were typed. Wrong codes count across every code sent for
the request, so sending a new code never buys more guesses.
"""

from __future__ import annotations

import datetime
import hmac
import re
import secrets
import unicodedata

from django.utils.crypto import salted_hmac

CODE_DIGITS = 6
CODE_VALID_FOR = datetime.timedelta(minutes=10)
# Wrong codes a request takes; the last one locks it (refused: identity not verified).
MAX_ATTEMPTS = 5
# Codes one request may be sent in all (resends included): the mailbox is not a target.
MAX_CODES_SENT = 5

_SHAPE = re.compile(r"^[0-9]{6}$")
_SALT = "grove.rights.verification"


def new_code() -> str:
    """Six random digits, from the system's secure source."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(*, request_id, code: str) -> str:
    """The keyed hash stored for ``code`` (bound to the request: no reuse across requests)."""
    return salted_hmac(_SALT, f"{request_id}:{code}", algorithm="sha256").hexdigest()


def normalized(code: str | None) -> str | None:
    """The code as typed without spaces, or None when it is not six digits (full-width digits,
    as some phone keyboards type them, count as digits)."""
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", code or ""))
    return value if _SHAPE.match(value) else None


def matches(*, request_id, code: str, stored_hash: str) -> bool:
    """Whether ``code`` is the one whose hash is stored (constant-time comparison)."""
    if not stored_hash:
        return False
    return hmac.compare_digest(code_hash(request_id=request_id, code=code), stored_hash)
