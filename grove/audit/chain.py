"""Appending to the hash chains, and the one path that may remove events: the retention purge.

Each organization's events form a chain; events without an organization form the operator chain
(grove/audit/hashing.py says what is hashed). An append must see the chain's last link and write
the next one without another writer slipping in between, or the chain forks: the append locks
the chain's head row (AuditChainHead) for the rest of its transaction.

On PostgreSQL the append is ONE statement, one round trip: a data-modifying CTE advances the head
(``INSERT ... ON CONFLICT DO UPDATE``, whose row lock serialises appends to the same chain) and
computes the new hash with PostgreSQL's ``sha256()`` from the canonical text passed as a
parameter; the event's INSERT reads sequence and hashes from it. Elsewhere (SQLite, for
development) the same is done in Python inside a transaction; SQLite has one writer at a time.
"""

from __future__ import annotations

import datetime
import json
import uuid

from django.db import connection, models, transaction
from django.utils import timezone

from grove.tenancy.context import unscoped

from .append_only import PERMIT_TABLE
from .hashing import (
    GENESIS_HASH,
    canonical_content,
    chain_key_for,
    link_hash,
    normalize_json,
)
from .models import AuditAction, AuditChainHead, AuditEvent

# The head moves one link forward; its prev_hash keeps the hash it moved from, which the
# event row needs and RETURNING cannot give (it only sees the new row).
_POSTGRES_APPEND = """
WITH content AS (SELECT %(canonical)s::text AS canonical),
head AS (
    INSERT INTO audit_auditchainhead AS h
        (chain_key, last_sequence, last_hash, prev_hash, base_sequence, base_hash, updated_at)
    SELECT %(chain_key)s, 1,
           encode(sha256(convert_to(%(genesis)s || content.canonical, 'UTF8')), 'hex'),
           %(genesis)s, 0, %(genesis)s, %(now)s
      FROM content
    ON CONFLICT (chain_key) DO UPDATE SET
        last_sequence = h.last_sequence + 1,
        prev_hash = h.last_hash,
        last_hash = encode(
            sha256(convert_to(h.last_hash || (SELECT canonical FROM content), 'UTF8')), 'hex'),
        updated_at = EXCLUDED.updated_at
    RETURNING last_sequence, prev_hash, last_hash
){durability_cte}
INSERT INTO audit_auditevent
    (public_id, occurred_at, organization_id, actor_id, actor_role, grant_id, action,
     object_type, object_ids, subject_user_id, subject_ref, request_id, ip_prefix, details,
     chain_key, sequence, prev_hash, hash)
SELECT %(public_id)s, %(occurred_at)s, %(organization_id)s, %(actor_id)s, %(actor_role)s,
       %(grant_id)s, %(action)s, %(object_type)s, %(object_ids)s::jsonb, %(subject_user_id)s,
       %(subject_ref)s, %(request_id)s, %(ip_prefix)s, %(details)s::jsonb,
       %(chain_key)s, head.last_sequence, head.prev_hash, head.last_hash
  FROM head{durability_join}
RETURNING id, sequence, prev_hash, hash
"""
# A read event's transaction waits for the local WAL flush only, not for a synchronous standby:
# durable on the primary before the response leaves, never 'off'. Transaction-local, and part
# of the same statement (no extra round trip).
_READ_DURABILITY_CTE = (
    ",\ndurability AS (SELECT set_config('synchronous_commit', 'local', true) AS value)"
)
APPEND_SQL = _POSTGRES_APPEND.format(durability_cte="", durability_join="")
APPEND_READ_SQL = _POSTGRES_APPEND.format(
    durability_cte=_READ_DURABILITY_CTE, durability_join=" CROSS JOIN durability"
)


def canonical_of(event: AuditEvent) -> str:
    return canonical_content(
        public_id=event.public_id,
        occurred_at=event.occurred_at,
        organization=event.organization_id,
        actor_id=event.actor_id,
        actor_role=event.actor_role,
        grant_id=event.grant_id,
        action=event.action,
        object_type=event.object_type,
        object_ids=event.object_ids,
        subject_user_id=event.subject_user_id,
        subject_ref=event.subject_ref,
        request_id=event.request_id,
        ip_prefix=event.ip_prefix,
        details=event.details,
    )


def append(event: AuditEvent, *, read: bool = False) -> AuditEvent:
    """Append an unsaved event to its chain; fills in id, sequence and hashes.

    ``read=True`` marks an event recording a read: on PostgreSQL its transaction then commits
    with ``synchronous_commit = local`` (docs/operations.md). Use it only in transactions that
    change nothing else: the setting holds for the whole transaction.
    """
    if not event._state.adding or event.sequence is not None:
        raise TypeError("audit events are append-only: this one is already in its chain")
    if event.occurred_at is None:
        event.occurred_at = timezone.now()
    # What the database will give back, so the hash covers exactly what is stored.
    event.occurred_at = event.occurred_at.astimezone(datetime.UTC)
    event.object_ids = normalize_json(list(event.object_ids or []))
    event.details = normalize_json(dict(event.details or {}))
    if event.public_id is None:
        event.public_id = uuid.uuid4()
    chain_key = chain_key_for(event.organization_id)
    event.chain_key = chain_key
    canonical = canonical_of(event)
    with unscoped("audit: append an access-log event"):
        if connection.vendor == "postgresql":
            _append_in_one_statement(event, canonical, read=read)
        else:
            _append_in_python(event, canonical, chain_key)
    event._state.adding = False
    event._state.db = connection.alias
    return event


def _append_in_one_statement(event: AuditEvent, canonical: str, *, read: bool) -> None:
    params = {
        "canonical": canonical,
        "chain_key": event.chain_key,
        "genesis": GENESIS_HASH,
        "now": timezone.now(),
        "public_id": event.public_id,
        "occurred_at": event.occurred_at,
        "organization_id": event.organization_id,
        "actor_id": event.actor_id,
        "actor_role": event.actor_role,
        "grant_id": event.grant_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_ids": json.dumps(event.object_ids),
        "subject_user_id": event.subject_user_id,
        "subject_ref": event.subject_ref,
        "request_id": event.request_id,
        "ip_prefix": event.ip_prefix,
        "details": json.dumps(event.details),
    }
    with connection.cursor() as cursor:
        cursor.execute(APPEND_READ_SQL if read else APPEND_SQL, params)
        event.pk, event.sequence, event.prev_hash, event.hash = cursor.fetchone()


def _append_in_python(event: AuditEvent, canonical: str, chain_key: uuid.UUID) -> None:
    now = timezone.now()
    with transaction.atomic():
        head = AuditChainHead.objects.filter(chain_key=chain_key).first()
        if head is None:
            event.sequence, event.prev_hash = 1, GENESIS_HASH
            event.hash = link_hash(event.prev_hash, canonical)
            AuditChainHead.objects.create(
                chain_key=chain_key,
                last_sequence=1,
                last_hash=event.hash,
                prev_hash=GENESIS_HASH,
                base_sequence=0,
                base_hash=GENESIS_HASH,
                updated_at=now,
            )
        else:
            event.sequence, event.prev_hash = head.last_sequence + 1, head.last_hash
            event.hash = link_hash(event.prev_hash, canonical)
            updated = AuditChainHead.objects.filter(
                chain_key=chain_key, last_sequence=head.last_sequence
            ).update(
                last_sequence=event.sequence,
                last_hash=event.hash,
                prev_hash=event.prev_hash,
                updated_at=now,
            )
            if updated != 1:  # another writer got there first: never fork
                raise transaction.TransactionManagementError("access-log chain moved; retry")
        models.Model.save(event, force_insert=True)


# -- The retention purge ---------------------------------------------------------------------


@transaction.atomic
def purge_chain(*, chain_key: uuid.UUID, through_sequence: int, reason: str, actor=None) -> int:
    """Delete a chain's events up to ``through_sequence`` (retention); returns how many.

    The chain stays verifiable: its head remembers where it now starts (base sequence and the
    hash of the last purged event). The purge is recorded first, in the operator chain, with
    the chain, the sequence and the count: ids only, ``reason`` is a retention rule's name.
    """
    from .events import record_event

    with unscoped("audit: retention purge of the access log"):
        head = AuditChainHead.objects.select_for_update().get(chain_key=chain_key)
        if through_sequence <= head.base_sequence:
            return 0
        if through_sequence > head.last_sequence:
            raise ValueError(f"chain {chain_key} ends at {head.last_sequence}")
        # From the base up (the events below it are gone; see grove_audit_purge).
        to_purge = AuditEvent.objects.filter(
            chain_key=chain_key,
            sequence__gt=head.base_sequence,
            sequence__lte=through_sequence,
        )
        base_hash = (
            AuditEvent.objects.filter(chain_key=chain_key, sequence=through_sequence)
            .values_list("hash", flat=True)
            .get()
        )
        count = to_purge.count()
        record_event(
            action=AuditAction.PURGED,
            actor=actor,
            object_type="access_log_chain",
            object_ids=[chain_key],
            details={
                "chain": str(chain_key),
                "through_sequence": through_sequence,
                "events": count,
                "base_hash": base_hash,
                "reason": reason,
            },
        )
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT grove_audit_purge(%s, %s)", [chain_key, through_sequence])
                return cursor.fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {PERMIT_TABLE} (id) VALUES (1)")  # noqa: S608
            deleted, _ = models.QuerySet.delete(to_purge)
            AuditChainHead.objects.filter(chain_key=chain_key).update(
                base_sequence=through_sequence, base_hash=base_hash
            )
            cursor.execute(f"DELETE FROM {PERMIT_TABLE}")  # noqa: S608
        return deleted
