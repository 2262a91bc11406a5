"""Concurrent appends to one chain never fork it: the head's row lock serialises them.

Several threads, each with its own PostgreSQL connection, append to the same two chains at the
same time, holding their transactions open a little while, then the chains are verified.
"""

import threading
import time

import pytest
from django.db import connection, transaction

from grove.audit.events import record_event
from grove.audit.hashing import OPERATOR_CHAIN
from grove.audit.models import AuditAction, AuditChainHead, AuditEvent
from grove.audit.verify import verify_chains
from grove.tenancy.context import tenant_context, unscoped

pytestmark = [pytest.mark.postgres]

THREADS = 6
APPENDS = 15


def test_concurrent_appends_make_one_unbroken_chain_per_organization(transactional_db, org_a):
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    backends: set[int] = set()

    def append_many(number: int) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backends.add(cursor.fetchone()[0])
            start.wait(timeout=30)
            for n in range(APPENDS):
                with tenant_context(org_a), transaction.atomic():
                    record_event(
                        action=AuditAction.VIEW,
                        organization=org_a,
                        details={"thread": number, "n": n},
                        read=n % 2 == 0,
                    )
                    record_event(action=AuditAction.LOGIN_FAILED, details={"thread": number})
                    time.sleep(0.002)  # hold the locks: the others queue behind them
        except BaseException as error:  # noqa: BLE001 -- reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=append_many, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(backends) == THREADS  # one connection each: real concurrency in the database
    with unscoped("test: read the chains"):
        for key in (org_a.pk, OPERATOR_CHAIN):
            sequences = list(
                AuditEvent.objects.filter(chain_key=key)
                .order_by("sequence")
                .values_list("sequence", flat=True)
            )
            assert sequences == list(range(1, THREADS * APPENDS + 1))
            assert AuditChainHead.objects.get(chain_key=key).last_sequence == THREADS * APPENDS
        threads_seen = {
            e["details"]["thread"]
            for e in AuditEvent.objects.filter(chain_key=org_a.pk).values("details")
        }
    assert threads_seen == set(range(THREADS))
    report = verify_chains()
    assert report.ok, report.problem_lines()
    assert report.checked == 2 * THREADS * APPENDS
