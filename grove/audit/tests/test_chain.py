"""The hash chain: each event links to the one before it in its organization's chain."""

import datetime
import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from grove.audit.chain import canonical_of
from grove.audit.events import record_event
from grove.audit.hashing import (
    GENESIS_HASH,
    OPERATOR_CHAIN,
    canonical_content,
    link_hash,
    normalize_json,
)
from grove.audit.models import AuditAction, AuditChainHead, AuditEvent
from grove.audit.verify import verify_chains
from grove.tenancy.context import TenantScopeError, tenant_context, unscoped


def _chain(key) -> list[AuditEvent]:
    with unscoped("test: read a chain"):
        return list(AuditEvent.objects.filter(chain_key=key).order_by("sequence"))


def _head(key) -> AuditChainHead:
    with unscoped("test: read a head"):
        return AuditChainHead.objects.get(chain_key=key)


def test_each_organization_has_its_own_chain_and_operators_share_one(org_a, org_b, alice):
    first = record_event(action=AuditAction.VIEW, actor=alice, organization=org_a)
    record_event(action=AuditAction.LOGIN_FAILED, subject_ref="abc")
    second = record_event(action=AuditAction.LIST, actor=alice, organization=org_a)
    other = record_event(action=AuditAction.VIEW, organization=org_b)

    chain_a = _chain(org_a.pk)
    assert [e.pk for e in chain_a] == [first.pk, second.pk]
    assert [e.sequence for e in chain_a] == [1, 2]
    assert chain_a[0].prev_hash == GENESIS_HASH
    assert chain_a[1].prev_hash == chain_a[0].hash
    assert [e.sequence for e in _chain(org_b.pk)] == [1]
    assert _chain(org_b.pk)[0].pk == other.pk
    assert [e.action for e in _chain(OPERATOR_CHAIN)] == [AuditAction.LOGIN_FAILED]
    head = _head(org_a.pk)
    assert (head.last_sequence, head.last_hash, head.prev_hash) == (
        2,
        chain_a[1].hash,
        chain_a[0].hash,
    )
    assert verify_chains().ok


def test_the_stored_hash_is_sha256_of_the_previous_hash_and_the_canonical_content(org_a, alice):
    subject = uuid.uuid4()
    event = record_event(
        action=AuditAction.VIEW,
        actor=alice,
        organization=org_a,
        object_type="user",
        object_ids=[subject],
        subject_user=subject,
        details={"b": 1, "a": ["x", "é"]},
    )
    with unscoped("test: read back"):
        stored = AuditEvent.objects.get(pk=event.pk)
    canonical = canonical_content(
        public_id=str(stored.public_id),
        occurred_at=stored.occurred_at,
        organization=str(org_a.pk),
        actor_id=str(alice.pk),
        actor_role="member",
        grant_id=None,
        action="data.view",
        object_type="user",
        object_ids=[str(subject)],
        subject_user_id=str(subject),
        subject_ref="",
        request_id="",
        ip_prefix="",
        details={"a": ["x", "é"], "b": 1},
    )
    assert canonical.isascii() and '"a":["x","\\u00e9"]' in canonical
    assert canonical == canonical_of(stored)
    # On PostgreSQL the database computed this hash; Python agrees byte for byte.
    assert stored.hash == link_hash(GENESIS_HASH, canonical) == event.hash
    assert (stored.sequence, stored.prev_hash, stored.chain_key) == (1, GENESIS_HASH, org_a.pk)


def test_the_time_is_hashed_in_utc_with_microseconds(org_a):
    paris = datetime.timezone(datetime.timedelta(hours=1))
    when = datetime.datetime(2026, 3, 1, 12, 0, 0, 0, tzinfo=paris)
    event = record_event(action=AuditAction.VIEW, organization=org_a, occurred_at=when)
    assert '"occurred_at":"2026-03-01T11:00:00.000000Z"' in canonical_of(event)
    with unscoped("test: read back"):
        assert AuditEvent.objects.get(pk=event.pk).occurred_at == when
    assert verify_chains().ok


def test_details_are_stored_as_they_read_back(org_a):
    grant = uuid.uuid4()
    event = record_event(action=AuditAction.VIEW, organization=org_a, details={"grant": grant})
    assert event.details == {"grant": str(grant)}
    with pytest.raises(ValueError):
        normalize_json({"big": 1e20})
    with pytest.raises(ValueError):
        record_event(action=AuditAction.VIEW, organization=org_a, details={"x": float("nan")})
    assert verify_chains().ok


def test_saving_a_new_event_appends_it_to_its_chain(org_a, org_b):
    with tenant_context(org_a):
        AuditEvent(organization=org_a, action=AuditAction.UPDATE).save()
        AuditEvent.objects.create(organization=org_a, action=AuditAction.CREATE)
        AuditEvent.objects.bulk_create(
            [AuditEvent(organization=org_a, action=AuditAction.DELETE) for _ in range(2)]
        )
        with pytest.raises(TenantScopeError):
            AuditEvent.objects.bulk_create([AuditEvent(organization=org_b, action="x")])
    assert [e.sequence for e in _chain(org_a.pk)] == [1, 2, 3, 4]
    assert _chain(org_b.pk) == []
    assert verify_chains().ok


def test_an_appended_event_cannot_be_appended_again(org_a):
    event = record_event(action=AuditAction.VIEW, organization=org_a)
    with pytest.raises(TypeError):
        event.save()
    assert len(_chain(org_a.pk)) == 1


def test_a_rolled_back_append_leaves_the_chain_as_it_was(org_a):
    record_event(action=AuditAction.VIEW, organization=org_a)
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event(action=AuditAction.UPDATE, organization=org_a)
        raise RuntimeError("the action failed")
    record_event(action=AuditAction.LIST, organization=org_a)
    chain = _chain(org_a.pk)
    assert [(e.sequence, e.action) for e in chain] == [(1, "data.view"), (2, "data.list")]
    assert verify_chains().ok


@pytest.mark.postgres
def test_an_append_is_one_statement_on_postgresql(org_a, alice):
    with tenant_context(org_a), transaction.atomic():
        list(AuditEvent.objects.all())  # the transaction's tenant is A; the writer crosses
        with CaptureQueriesContext(connection) as queries:
            record_event(action=AuditAction.VIEW, actor=alice, organization=org_a)
            record_event(action=AuditAction.VIEW, actor=alice, organization=org_a, read=True)
    # Two appends, two round trips: each one statement, the head's update and the event's insert
    # together; the first also carries the writer's RLS bypass as a prefix (same round trip).
    assert len(queries) == 2
    assert all(q["sql"].count("INSERT INTO") == 2 for q in queries)
    assert "set_config('grove.rls_bypass', 'on', true); \nWITH content AS" in queries[0]["sql"]
    assert [e.sequence for e in _chain(org_a.pk)] == [1, 2]


@pytest.mark.postgres
def test_a_read_event_commits_with_local_synchronous_commit_never_off(transactional_db, org_a):
    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    with transaction.atomic():
        default = setting()
        record_event(action=AuditAction.UPDATE, organization=org_a)
        assert setting() == default  # a write keeps the server's durability
        record_event(action=AuditAction.VIEW, organization=org_a, read=True)
        assert setting() == "local"
    assert default != "off"
    with transaction.atomic():
        assert setting() == default  # transaction-local: gone with the transaction
