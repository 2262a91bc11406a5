"""Recompute the access log's hash chains and say where one was tampered with.

Each chain is read in sequence order, a chunk at a time (keyset pagination on the unique
(chain_key, sequence) index: constant memory, however long the chain). For every event the
verifier rebuilds its canonical content in Python (grove/audit/hashing.py) and checks that

- its hash is sha256(its prev_hash + its content)          otherwise: edited;
- its prev_hash is the hash of the event before it          otherwise: an event before it was
                                                            edited, deleted, inserted or moved;
- its sequence follows the one before it                    otherwise: events deleted;
- it belongs to the chain's organization                    otherwise: moved or inserted;

then that the chain ends where its head says, and that every anchor (the daily copies of the
heads, in the database and optionally a file kept outside it) matches the event at its sequence:
a chain rewritten from end to end, hashes and head included, still disagrees with its anchors.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import connection
from django.db.models import Q

from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

from .hashing import (
    GENESIS_HASH,
    OPERATOR_CHAIN,
    canonical_content,
    format_occurred_at,
    link_hash,
)
from .models import AuditAnchor, AuditChainHead, AuditEvent

CHUNK_SIZE = 5_000  # rows per query: as fast as larger chunks, half the memory
MAX_PROBLEMS_PER_CHAIN = 50


@dataclass(frozen=True)
class Anchor:
    chain_key: uuid.UUID
    sequence: int
    hash: str
    source: str  # "anchor of 2026-11-29 02:00 UTC" or "anchor file …"


@dataclass
class Problem:
    kind: str  # edited, unlinked, missing, misplaced, unchained, head, anchor
    message: str
    sequence: int | None = None
    public_id: str | None = None

    def where(self) -> str:
        if self.sequence is None:
            return f"event {self.public_id}" if self.public_id else "chain"
        event = f" (event {self.public_id})" if self.public_id else ""
        return f"sequence {self.sequence}{event}"


@dataclass
class ChainReport:
    chain_key: uuid.UUID
    label: str
    checked: int = 0
    last_sequence: int = 0
    problems: list[Problem] = field(default_factory=list)
    more_problems: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS_PER_CHAIN:
            self.problems.append(problem)
        else:
            self.more_problems += 1

    def lines(self) -> list[str]:
        lines = [f"chain {self.label}: {p.where()}: {p.kind}: {p.message}" for p in self.problems]
        if self.more_problems:
            lines.append(f"chain {self.label}: {self.more_problems} more problem(s) not shown")
        return lines


@dataclass
class Report:
    chains: list[ChainReport] = field(default_factory=list)
    stray: list[Problem] = field(default_factory=list)  # events outside every chain

    @property
    def ok(self) -> bool:
        return not self.stray and all(chain.ok for chain in self.chains)

    @property
    def checked(self) -> int:
        return sum(chain.checked for chain in self.chains)

    def problem_lines(self) -> list[str]:
        lines = [f"no chain: {p.where()}: {p.kind}: {p.message}" for p in self.stray]
        for chain in self.chains:
            lines += chain.lines()
        return lines


def read_anchor_file(content: bytes | str, name: str = "anchor file") -> list[Anchor]:
    """Anchors from a file written by write_anchors() (storage copy, or the mailed one)."""
    document = json.loads(content)
    return [
        Anchor(
            chain_key=uuid.UUID(entry["chain"]),
            sequence=int(entry["sequence"]),
            hash=str(entry["hash"]),
            source=f"{name} ({document.get('written_at', '?')})",
        )
        for entry in document["anchors"]
    ]


def verify_chains(
    *,
    organization: Organization | None = None,
    extra_anchors: Iterable[Anchor] = (),
    chunk_size: int = CHUNK_SIZE,
) -> Report:
    """Check every chain (or one organization's); see the module docstring."""
    report = Report()
    extra_by_chain: dict[uuid.UUID, list[Anchor]] = {}
    for anchor in extra_anchors:
        extra_by_chain.setdefault(anchor.chain_key, []).append(anchor)
    with unscoped("audit: verify the access-log chains"):
        if organization is not None:
            keys = [organization.pk]
            report.stray = _stray_events(organization.pk)
        else:
            keys = _all_chain_keys(extra_by_chain)
            report.stray = _stray_events(None)
        labels = dict(
            Organization.objects.filter(pk__in=keys).values_list("pk", "slug")  # no names
        )
        for key in keys:
            label = "operator" if key == OPERATOR_CHAIN else labels.get(key, "?")
            chain = ChainReport(chain_key=key, label=f"{label} ({key})")
            _verify_chain(chain, extra_by_chain.get(key, []), chunk_size)
            report.chains.append(chain)
    return report


def _all_chain_keys(extra_by_chain) -> list[uuid.UUID]:
    keys = set(AuditChainHead.objects.values_list("chain_key", flat=True))
    keys |= set(AuditAnchor.objects.values_list("chain_key", flat=True).distinct().order_by())
    keys |= set(extra_by_chain)
    keys |= set(_event_chain_keys())
    return sorted(keys, key=lambda k: (k != OPERATOR_CHAIN, str(k)))


def _event_chain_keys() -> Iterator[uuid.UUID]:
    """The chains events claim to be in, without reading every event (a skip scan)."""
    if connection.vendor != "postgresql":
        # chain_key__isnull=False: the nullable column yields no None here.
        yield from cast(
            "Iterable[uuid.UUID]",
            AuditEvent.objects.filter(chain_key__isnull=False)
            .values_list("chain_key", flat=True)
            .distinct()
            .order_by(),
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE chains AS (
                (SELECT chain_key FROM audit_auditevent WHERE chain_key IS NOT NULL
                  ORDER BY chain_key LIMIT 1)
                UNION ALL
                SELECT (SELECT e.chain_key FROM audit_auditevent e
                         WHERE e.chain_key > chains.chain_key ORDER BY e.chain_key LIMIT 1)
                  FROM chains WHERE chains.chain_key IS NOT NULL
            )
            SELECT chain_key FROM chains WHERE chain_key IS NOT NULL
            """
        )
        yield from (row[0] for row in cursor.fetchall())


def _stray_events(organization_id: uuid.UUID | None) -> list[Problem]:
    """Events with no place in a chain, or (for one organization) in another's chain."""
    unchained = AuditEvent.objects.filter(
        Q(chain_key__isnull=True)
        | Q(sequence__isnull=True)
        | Q(hash__isnull=True)
        | Q(prev_hash__isnull=True)
    )
    problems = []
    if organization_id is not None:
        unchained = unchained.filter(organization_id=organization_id)
        for public_id, chain_key in (
            AuditEvent.objects.filter(organization_id=organization_id)
            .exclude(chain_key=organization_id)
            .exclude(chain_key__isnull=True)
            .values_list("public_id", "chain_key")[:MAX_PROBLEMS_PER_CHAIN]
        ):
            problems.append(
                Problem(
                    "misplaced",
                    f"belongs to this organization but sits in chain {chain_key}",
                    public_id=str(public_id),
                )
            )
    for public_id in unchained.values_list("public_id", flat=True)[:MAX_PROBLEMS_PER_CHAIN]:
        problems.append(
            Problem(
                "unchained",
                "has no place in a chain: inserted outside the append path",
                public_id=str(public_id),
            )
        )
    return problems


def _anchors_by_sequence(key: uuid.UUID, extra: list[Anchor]) -> dict[int, list[Anchor]]:
    anchors: dict[int, list[Anchor]] = {}
    for sequence, digest, created_at in AuditAnchor.objects.filter(chain_key=key).values_list(
        "sequence", "hash", "created_at"
    ):
        anchors.setdefault(sequence, []).append(
            Anchor(key, sequence, digest, f"anchor of {created_at:%Y-%m-%d %H:%M:%S} UTC")
        )
    for anchor in extra:
        anchors.setdefault(anchor.sequence, []).append(anchor)
    return anchors


def _verify_chain(chain: ChainReport, extra_anchors: list[Anchor], chunk_size: int) -> None:
    key = chain.chain_key
    head = AuditChainHead.objects.filter(chain_key=key).first()
    anchors = _anchors_by_sequence(key, extra_anchors)
    if head is None:
        base_sequence, base_hash, end = 0, GENESIS_HASH, None
        chain.add(Problem("head", "events without a chain head: inserted outside the append path"))
    else:
        base_sequence, base_hash, end = head.base_sequence, head.base_hash, head.last_sequence
    for sequence, found in anchors.items():
        if sequence == base_sequence and sequence > 0:
            for anchor in found:
                if anchor.hash != base_hash:
                    chain.add(
                        Problem("anchor", f"disagrees with the {anchor.source}", sequence=sequence)
                    )

    expected, prev_hash = base_sequence + 1, base_hash
    last_sequence, last_hash = base_sequence, base_hash
    organization = None if key == OPERATOR_CHAIN else str(key)
    for row in _rows(key, after=base_sequence, until=end, chunk_size=chunk_size):
        (sequence, public_id, occurred_at, organization_id, actor_id, actor_role, grant_id,
         action, object_type, object_ids, subject_user_id, subject_ref, request_id, ip_prefix,
         details, stored_prev, stored_hash) = row  # fmt: skip
        chain.checked += 1
        if sequence != expected:
            missing = (
                f"sequence {expected} is missing"
                if sequence == expected + 1
                else f"sequences {expected} to {sequence - 1} are missing"
            )
            chain.add(Problem("missing", f"{missing}: events deleted", sequence, public_id))
        if organization_id != organization:
            chain.add(
                Problem(
                    "misplaced",
                    f"belongs to organization {organization_id or 'none'}, not to this chain: "
                    "moved or inserted",
                    sequence,
                    public_id,
                )
            )
        if stored_prev != prev_hash:
            chain.add(
                Problem(
                    "unlinked",
                    "does not link to the event before it: an event before it was edited, "
                    "deleted, inserted or reordered",
                    sequence,
                    public_id,
                )
            )
        canonical = canonical_content(
            public_id=public_id,
            occurred_at=occurred_at,
            organization=organization_id,
            actor_id=actor_id,
            actor_role=actor_role,
            grant_id=grant_id,
            action=action,
            object_type=object_type,
            object_ids=object_ids,
            subject_user_id=subject_user_id,
            subject_ref=subject_ref,
            request_id=request_id,
            ip_prefix=ip_prefix,
            details=details,
        )
        if link_hash(stored_prev, canonical) != stored_hash:
            chain.add(Problem("edited", "content does not match its hash", sequence, public_id))
        for anchor in anchors.get(sequence, ()):
            if anchor.hash != stored_hash:
                chain.add(Problem("anchor", f"disagrees with the {anchor.source}", sequence))
        expected, prev_hash = sequence + 1, stored_hash
        last_sequence, last_hash = sequence, stored_hash
    chain.last_sequence = last_sequence

    for sequence, found in sorted(anchors.items()):
        if sequence > last_sequence:
            for anchor in found:
                chain.add(
                    Problem(
                        "anchor",
                        f"the chain ends at {last_sequence}, before the {anchor.source}: "
                        "events deleted",
                        sequence,
                    )
                )
    if head is None:
        return
    if last_sequence != head.last_sequence:
        chain.add(
            Problem(
                "head",
                f"the chain ends at {last_sequence} but its head says {head.last_sequence}: "
                "the last events were deleted",
                last_sequence,
            )
        )
    elif last_hash != head.last_hash:
        chain.add(
            Problem(
                "head",
                "the last event's hash is not the head's: the head or the chain was rewritten",
                last_sequence,
            )
        )
    # Appends that happened during the walk moved the head; anything past it now is foreign.
    current = (
        AuditChainHead.objects.filter(chain_key=key).values_list("last_sequence", flat=True).first()
        or head.last_sequence
    )
    for inserted_sequence, public_id in (
        AuditEvent.objects.filter(chain_key=key, sequence__gt=current)
        .order_by("sequence")
        .values_list("sequence", "public_id")[:MAX_PROBLEMS_PER_CHAIN]
    ):
        chain.add(
            Problem(
                "head", "comes after the chain's head: inserted", inserted_sequence, str(public_id)
            )
        )


# -- Reading a chain, a chunk at a time ------------------------------------------------------

_POSTGRES_CHUNK = """
SELECT sequence, public_id::text,
       to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       organization_id::text, actor_id::text, actor_role, grant_id::text, action, object_type,
       object_ids::text, subject_user_id::text, subject_ref, request_id, ip_prefix,
       details::text, prev_hash, hash
  FROM audit_auditevent
 WHERE chain_key = %s AND sequence > %s AND sequence <= %s
 ORDER BY sequence
 LIMIT %s
"""
_NO_END = 2**63 - 1

_FIELDS = (
    "sequence", "public_id", "occurred_at", "organization_id", "actor_id", "actor_role",
    "grant_id", "action", "object_type", "object_ids", "subject_user_id", "subject_ref",
    "request_id", "ip_prefix", "details", "prev_hash", "hash",
)  # fmt: skip


def _rows(key: uuid.UUID, *, after: int, until: int | None, chunk_size: int) -> Iterator[tuple]:
    """The chain's events after ``after`` (up to ``until``), as text and JSON values."""
    last = after
    end = _NO_END if until is None else until
    while True:
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(_POSTGRES_CHUNK, [key, last, end, chunk_size])
                chunk = [
                    (*row[:9], _json(row[9]), *row[10:14], _json(row[14]), *row[15:])
                    for row in cursor.fetchall()
                ]
        else:
            chunk = [
                _as_text(row)
                for row in AuditEvent.objects.filter(
                    chain_key=key, sequence__gt=last, sequence__lte=end
                )
                .order_by("sequence")
                .values_list(*_FIELDS)[:chunk_size]
            ]
        yield from chunk
        if len(chunk) < chunk_size:
            return
        last = chunk[-1][0]


# Most details and many id lists: only encoded, never changed.
_EMPTY_JSON: dict[str, Any] = {"{}": {}, "[]": []}


def _json(text: str):
    empty = _EMPTY_JSON.get(text)
    return json.loads(text) if empty is None else empty


def _text(value) -> str | None:
    return None if value is None else str(value)


def _as_text(row: tuple) -> tuple:
    (sequence, public_id, occurred_at, organization_id, actor_id, actor_role, grant_id, action,
     object_type, object_ids, subject_user_id, subject_ref, request_id, ip_prefix, details,
     prev_hash, digest) = row  # fmt: skip
    occurred = format_occurred_at(occurred_at)
    return (
        sequence, _text(public_id), occurred, _text(organization_id), _text(actor_id),
        actor_role, _text(grant_id), action, object_type, object_ids, _text(subject_user_id),
        subject_ref, request_id, ip_prefix, details, prev_hash, digest,
    )  # fmt: skip
