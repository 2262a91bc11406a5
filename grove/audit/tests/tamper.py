"""Tampering with the access log as an attacker with the database's keys would: for the tests.

The application cannot edit the log; an attacker holding the superuser (or the SQLite file) can.
``tampering()`` becomes that attacker inside the test's own transaction: on PostgreSQL it drops
the test role (``RESET ROLE``: back to the login superuser, whom RLS does not restrict) and turns
triggers off (``session_replication_role = replica``); on SQLite it drops the triggers. Both are
undone on exit (and by the test's rollback in any case).
"""

from __future__ import annotations

from contextlib import contextmanager

from django.conf import settings
from django.db import connection, models

from grove.audit.append_only import SQLITE_TRIGGERS_SQL
from grove.audit.chain import canonical_of
from grove.audit.hashing import link_hash
from grove.audit.models import AuditChainHead, AuditEvent
from grove.tenancy.context import unscoped

SQLITE_TRIGGERS = [
    "grove_audit_auditevent_no_update",
    "grove_audit_auditevent_no_delete",
    "grove_audit_auditanchor_no_update",
    "grove_audit_auditanchor_no_delete",
    "grove_audit_auditchainhead_forward_only",
    "grove_audit_auditchainhead_no_delete",
]


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def tampering():
    with connection.cursor() as cursor:
        if on_postgres():
            cursor.execute("RESET ROLE")
            cursor.execute("SET session_replication_role = replica")
        else:
            for trigger in SQLITE_TRIGGERS:
                cursor.execute(f"DROP TRIGGER {trigger}")
    try:
        with unscoped("test: an attacker edits the access log"):
            yield
    finally:
        with connection.cursor() as cursor:
            if on_postgres():
                cursor.execute("SET session_replication_role = origin")
                cursor.execute(f'SET ROLE "{settings.GROVE_DB_APP_ROLE}"')
            else:
                for statement in SQLITE_TRIGGERS_SQL:
                    cursor.execute(statement)


def events(chain_key) -> models.QuerySet:
    """The chain's events, through the plain QuerySet (past the ORM's append-only guard)."""
    return models.QuerySet(AuditEvent).filter(chain_key=chain_key).order_by("sequence")


def edit(chain_key, sequence: int, /, **fields) -> None:
    assert models.QuerySet.update(events(chain_key).filter(sequence=sequence), **fields) == 1


def remove(chain_key, sequence: int) -> None:
    assert models.QuerySet.delete(events(chain_key).filter(sequence=sequence))[0] == 1


def rehash(event: AuditEvent, prev_hash: str) -> str:
    """What an attacker computes to make an edited event look intact (the hashing is public)."""
    return link_hash(prev_hash, canonical_of(event))


def rewrite_chain(chain_key, *, from_sequence: int = 1) -> None:
    """Recompute every hash from ``from_sequence`` on and move the head to match."""
    previous = events(chain_key).filter(sequence__lt=from_sequence).last()
    prev_hash = previous.hash if previous else "0" * 64
    last = None
    for event in events(chain_key).filter(sequence__gte=from_sequence):
        digest = rehash(event, prev_hash)
        models.QuerySet.update(
            events(chain_key).filter(pk=event.pk), prev_hash=prev_hash, hash=digest
        )
        last, prev_hash = event, digest
    if last is not None:
        models.QuerySet(AuditChainHead).filter(chain_key=chain_key).update(
            last_sequence=last.sequence, last_hash=prev_hash
        )
