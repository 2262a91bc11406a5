"""The access log is append-only: the ORM, and below it the database, refuse edits and deletes.

On PostgreSQL the suite runs as grove_app_test, which has no UPDATE or DELETE privilege on the
events and anchors; the triggers refuse even the owner. On SQLite the triggers refuse. The only
way out is the retention purge, which is itself recorded in the operator chain.
"""

import pytest
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from grove.audit.anchors import write_anchors
from grove.audit.chain import purge_chain
from grove.audit.events import record_event
from grove.audit.hashing import OPERATOR_CHAIN
from grove.audit.models import AuditAction, AuditAnchor, AuditChainHead, AuditEvent
from grove.audit.verify import verify_chains
from grove.tenancy.context import unscoped

from .tamper import SQLITE_TRIGGERS, on_postgres


@pytest.fixture
def logged(org_a, alice):
    events = [
        record_event(action=AuditAction.VIEW, actor=alice, organization=org_a, object_ids=[n])
        for n in range(5)
    ]
    return events


def _refused(run) -> None:
    with pytest.raises(DatabaseError) as excinfo, transaction.atomic():
        run()
    message = str(excinfo.value)
    assert "append-only" in message or "permission denied" in message or "only moves" in message


def _sql(statement: str, params=()) -> None:
    with unscoped("test: raw SQL on the access log"), connection.cursor() as cursor:
        cursor.execute(statement, list(params))


def _stored(logged):
    with unscoped("test: read back"):
        return list(
            AuditEvent.objects.filter(pk__in=[e.pk for e in logged]).values_list(
                "pk", "action", "hash"
            )
        )


def test_the_orm_refuses_to_change_or_delete_an_event(logged):
    event = logged[0]
    event.action = AuditAction.DELETE
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with unscoped("test"):
        with pytest.raises(TypeError):
            AuditEvent.objects.filter(pk=event.pk).update(action="x")
        with pytest.raises(TypeError):
            AuditEvent.objects.filter(pk=event.pk).delete()


def test_the_database_refuses_queryset_updates_and_deletes(logged):
    before = _stored(logged)
    plain = models.QuerySet(AuditEvent)  # past the ORM's guard, straight to SQL
    with unscoped("test"):
        _refused(lambda: plain.filter(pk=logged[0].pk).update(action="x"))
        _refused(lambda: plain.all().update(details={}))
        _refused(lambda: plain.filter(pk=logged[1].pk).delete())
        _refused(lambda: plain.all().delete())
    assert _stored(logged) == before


def test_the_database_refuses_raw_sql_updates_and_deletes(logged):
    before = _stored(logged)
    _refused(lambda: _sql("UPDATE audit_auditevent SET action = 'x'"))
    _refused(lambda: _sql("UPDATE audit_auditevent SET hash = prev_hash WHERE sequence = 2"))
    _refused(lambda: _sql("DELETE FROM audit_auditevent WHERE sequence = 5"))
    _refused(lambda: _sql("DELETE FROM audit_auditevent"))
    assert _stored(logged) == before
    assert verify_chains().ok


def test_the_chain_head_moves_forward_only(logged, org_a):
    head = "audit_auditchainhead"
    _refused(lambda: _sql(f"UPDATE {head} SET last_sequence = last_sequence - 1"))
    _refused(lambda: _sql(f"UPDATE {head} SET last_hash = prev_hash"))
    _refused(lambda: _sql(f"UPDATE {head} SET base_sequence = 3"))
    _refused(lambda: _sql(f"UPDATE {head} SET last_sequence = last_sequence + 2"))
    _refused(lambda: _sql(f"DELETE FROM {head}"))
    with unscoped("test"):
        assert AuditChainHead.objects.get(chain_key=org_a.pk).last_sequence == 5
    record_event(action=AuditAction.VIEW, organization=org_a)
    assert verify_chains().ok


def test_anchors_cannot_be_changed_or_deleted(logged):
    write_anchors()
    _refused(lambda: _sql("UPDATE audit_auditanchor SET hash = 'x'"))
    _refused(lambda: _sql("DELETE FROM audit_auditanchor"))
    with unscoped("test"):
        _refused(lambda: models.QuerySet(AuditAnchor).all().update(sequence=1))
        assert AuditAnchor.objects.count() == 1  # organization A's chain


def test_the_triggers_are_in_place(db):
    # SQLite migrations rebuild a table to alter it, dropping its triggers: this catches it.
    with connection.cursor() as cursor:
        if on_postgres():
            cursor.execute(
                "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
                "WHERE tgname LIKE 'grove_%%' AND NOT tgisinternal AND tgenabled = 'O'"
            )
            assert set(cursor.fetchall()) == {
                ("audit_auditevent", "grove_append_only"),
                ("audit_auditanchor", "grove_append_only"),
                ("audit_auditchainhead", "grove_forward_only"),
            }
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            assert set(SQLITE_TRIGGERS) <= {row[0] for row in cursor.fetchall()}


@pytest.mark.postgres
def test_the_application_role_has_no_update_or_delete_privilege(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t, p, has_table_privilege(current_user, t, p) FROM "
            "unnest(ARRAY['audit_auditevent', 'audit_auditanchor', 'audit_auditchainhead']) t, "
            "unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) p"
        )
        privileges = {(table, privilege): held for table, privilege, held in cursor.fetchall()}
        cursor.execute("SELECT current_user")
        assert cursor.fetchone() == ("grove_app_test",)
    assert privileges == {
        ("audit_auditevent", "SELECT"): True,
        ("audit_auditevent", "INSERT"): True,
        ("audit_auditevent", "UPDATE"): False,
        ("audit_auditevent", "DELETE"): False,
        ("audit_auditanchor", "SELECT"): True,
        ("audit_auditanchor", "INSERT"): True,
        ("audit_auditanchor", "UPDATE"): False,
        ("audit_auditanchor", "DELETE"): False,
        ("audit_auditchainhead", "SELECT"): True,
        ("audit_auditchainhead", "INSERT"): True,
        ("audit_auditchainhead", "UPDATE"): True,  # the append advances it (trigger-guarded)
        ("audit_auditchainhead", "DELETE"): False,
    }


@pytest.mark.postgres
def test_the_triggers_refuse_even_the_owner_and_the_purge_switch_alone(logged):
    before = _stored(logged)
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")  # the login superuser: every privilege, RLS bypassed
        try:
            _refused(lambda: cursor.execute("UPDATE audit_auditevent SET action = 'x'"))
            _refused(lambda: cursor.execute("DELETE FROM audit_auditevent"))
            with transaction.atomic():
                cursor.execute("SELECT set_config('grove.audit_purge', 'on', true)")
                _refused(lambda: cursor.execute("UPDATE audit_auditevent SET action = 'x'"))
        finally:
            cursor.execute("SET ROLE grove_app_test")
    assert _stored(logged) == before


# -- The retention purge ---------------------------------------------------------------------


def test_the_purge_deletes_a_chains_oldest_events_and_records_itself(
    logged, org_a, security_officer
):
    assert (
        purge_chain(
            chain_key=org_a.pk, through_sequence=3, reason="contract+90d", actor=security_officer
        )
        == 3
    )
    with unscoped("test: what is left"):
        left = list(
            AuditEvent.objects.filter(chain_key=org_a.pk)
            .order_by("sequence")
            .values_list("sequence", flat=True)
        )
        head = AuditChainHead.objects.get(chain_key=org_a.pk)
        purge = AuditEvent.objects.get(chain_key=OPERATOR_CHAIN, action=AuditAction.PURGED)
    assert left == [4, 5]
    assert (head.base_sequence, head.base_hash) == (3, logged[2].hash)
    assert purge.actor_id == security_officer.pk
    assert purge.object_ids == [str(org_a.pk)]
    assert purge.details == {
        "chain": str(org_a.pk),
        "through_sequence": 3,
        "events": 3,
        "base_hash": logged[2].hash,
        "reason": "contract+90d",
    }
    # The rest of the chain still verifies from its new start, and still appends.
    record_event(action=AuditAction.VIEW, organization=org_a)
    report = verify_chains()
    assert report.ok, report.problem_lines()


def test_the_purge_switch_does_not_outlive_the_purge(logged, org_a):
    with transaction.atomic():
        purge_chain(chain_key=org_a.pk, through_sequence=2, reason="test")
        # Same transaction, right after: deletes are refused again.
        _refused(lambda: _sql("DELETE FROM audit_auditevent"))
        _refused(lambda: _sql("DELETE FROM audit_auditchainhead"))
    with unscoped("test"):
        assert AuditEvent.objects.filter(chain_key=org_a.pk).count() == 3


def test_a_whole_chain_can_be_purged_and_anchors_before_it_still_verify(logged, org_a):
    write_anchors(now=timezone.now())
    assert purge_chain(chain_key=org_a.pk, through_sequence=5, reason="contract+90d") == 5
    report = verify_chains()
    assert report.ok, report.problem_lines()
    with unscoped("test"):
        assert not AuditEvent.objects.filter(chain_key=org_a.pk).exists()
    assert record_event(action=AuditAction.VIEW, organization=org_a).sequence == 6


@pytest.mark.postgres
def test_the_purge_function_refuses_a_purge_that_was_not_recorded(logged, org_a):
    # Called directly, without the audit.purged event in the same transaction.
    with pytest.raises(DatabaseError, match="record the purge"), transaction.atomic():
        _sql("SELECT grove_audit_purge(%s, 2)", [org_a.pk])
    # Nor with a recorded purge of something else.
    with pytest.raises(DatabaseError, match="record the purge"), transaction.atomic():
        record_event(
            action=AuditAction.PURGED,
            details={"chain": str(org_a.pk), "through_sequence": 1},
        )
        _sql("SELECT grove_audit_purge(%s, 2)", [org_a.pk])
    with unscoped("test"):
        assert AuditEvent.objects.filter(chain_key=org_a.pk).count() == 5


def test_the_test_runners_flush_may_empty_the_log_and_nothing_else_may(transactional_db, org_a):
    # Django empties the tables after a transactional test (DELETE on SQLite, TRUNCATE on
    # PostgreSQL): that is a purge, allowed to the test runner alone (grove/audit/testing.py).
    record_event(action=AuditAction.VIEW, organization=org_a)
    connection.ops.execute_sql_flush(
        connection.ops.sql_flush(
            no_style(), ["audit_auditevent", "audit_auditchainhead"], allow_cascade=False
        )
    )
    with unscoped("test"):
        assert not AuditEvent.objects.exists()
    # The permit went with the flush's transaction.
    record_event(action=AuditAction.VIEW, organization=org_a)
    _refused(lambda: _sql("DELETE FROM audit_auditevent"))
    with unscoped("test"):
        assert AuditEvent.objects.count() == 1
