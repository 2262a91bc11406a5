"""The access log's hash chain, as a specification: what is hashed, and how.

Pure functions, no models: the append path (chain.py), the verifier (verify.py), the migration
that chained the events written before the chain existed, and the benchmark all use these, so
there is one definition of an event's bytes. Changing anything here breaks every existing chain.

An event's *canonical content* is a JSON object of its fields: keys sorted, no spaces, ASCII only
(non-ASCII characters as \\u escapes), the time in UTC with microseconds::

    {"action":"data.view","actor_id":"…","actor_role":"member","details":{},"grant_id":null,
     "ip_prefix":"203.0.113.0/24","object_ids":["…"],"object_type":"user",
     "occurred_at":"2026-11-29T01:53:00.123456Z","organization":"…","public_id":"…",
     "request_id":"…","subject_ref":"","subject_user_id":null}

Its hash is ``sha256(prev_hash + canonical)`` in lower-case hex, where ``prev_hash`` is the hex
hash of the event before it in the same chain (``GENESIS_HASH`` for the first). On PostgreSQL the
append statement computes the same thing with the built-in ``sha256()``; Python recomputes it
when verifying. The sequence number is not hashed: an event's position is bound by its link to
the event before it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

GENESIS_HASH = "0" * 64
# Events without an organization (operator staff, failed logins of unknown people, the log's own
# events) form one chain of their own, keyed by the nil UUID.
OPERATOR_CHAIN = uuid.UUID(int=0)

# jsonb keeps numbers as decimals: a float at or above this prints back without its exponent,
# and the verifier could not rebuild the same bytes. The log holds ids, not measurements.
_LARGEST_FLOAT = 1e15


def chain_key_for(organization_id: uuid.UUID | str | None) -> uuid.UUID:
    if organization_id is None or organization_id == "":
        return OPERATOR_CHAIN
    if isinstance(organization_id, uuid.UUID):
        return organization_id
    return uuid.UUID(str(organization_id))


def format_occurred_at(value: datetime.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("occurred_at must be an aware datetime")
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def normalize_json(value: Any) -> Any:
    """The value as it will read back from the database (JSON types only, string keys).

    Refuses NaN, infinities and floats too large to survive jsonb's decimal text unchanged.
    """
    normalized = json.loads(json.dumps(value, cls=DjangoJSONEncoder, allow_nan=False))
    _check_floats(normalized)
    return normalized


def _check_floats(value: Any) -> None:
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= _LARGEST_FLOAT:
            raise ValueError("access-log details: float out of range (store ids and strings)")
    elif isinstance(value, dict):
        for item in value.values():
            _check_floats(item)
    elif isinstance(value, list):
        for item in value:
            _check_floats(item)


# json.dumps(..., sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False),
# built once: the verifier encodes millions of events.
_CANONICAL_JSON = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def canonical_content(
    *,
    public_id,
    occurred_at: datetime.datetime | str,
    organization,
    actor_id,
    actor_role: str,
    grant_id,
    action: str,
    object_type: str,
    object_ids: list,
    subject_user_id,
    subject_ref: str,
    request_id: str,
    ip_prefix: str,
    details: dict,
) -> str:
    """The bytes an event's hash covers (see the module docstring). Ids may be UUIDs or text."""
    if not isinstance(occurred_at, str):
        occurred_at = format_occurred_at(occurred_at)
    return _CANONICAL_JSON.encode(
        {
            "action": action,
            "actor_id": _text(actor_id),
            "actor_role": actor_role,
            "details": details,
            "grant_id": _text(grant_id),
            "ip_prefix": ip_prefix,
            "object_ids": object_ids,
            "object_type": object_type,
            "occurred_at": occurred_at,
            "organization": _text(organization),
            "public_id": _text(public_id),
            "request_id": request_id,
            "subject_ref": subject_ref,
            "subject_user_id": _text(subject_user_id),
        }
    )


def link_hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256((prev_hash + canonical).encode("ascii")).hexdigest()
