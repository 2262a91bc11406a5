"""Opaque, signed pagination cursors: a page's last sort key, never trusted unsigned.

``encode`` signs a small JSON list with the project's secret (django.core.signing, URL-safe
base64); ``decode`` returns it or raises ``BadCursor`` for anything forged, truncated or of
another kind of list. The values inside are re-validated by the query that reads them.
"""

from __future__ import annotations

from django.core import signing

MAX_CURSOR_LENGTH = 500


class BadCursor(ValueError):
    """A pagination cursor that does not parse (forged or truncated): a 400, not a 500."""


def encode(kind: str, values: list) -> str:
    return signing.dumps([kind, *values], salt=f"grove.practices.cursor.{kind}", compress=False)


def decode(kind: str, cursor: str, *, length: int) -> list:
    """The ``length`` values of a cursor made by ``encode(kind, ...)``, or BadCursor."""
    if not isinstance(cursor, str) or not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise BadCursor("bad cursor")
    try:
        payload = signing.loads(cursor, salt=f"grove.practices.cursor.{kind}")
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError) as error:
        raise BadCursor("bad cursor") from error
    if not isinstance(payload, list) or len(payload) != length + 1 or payload[0] != kind:
        raise BadCursor("bad cursor")
    return payload[1:]
