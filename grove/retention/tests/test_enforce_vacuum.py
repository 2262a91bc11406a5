"""On PostgreSQL, outside a test transaction: the daily run's purge VACUUMs what it touched.

The other tests run inside a transaction, where VACUUM cannot run (the purge then lists every
table as skipped). Here each step commits, as in production; the test database's login role
owns the tables, as the owner running the job does (docs/operations.md).
"""

from __future__ import annotations

import datetime

import pytest
import time_machine

from grove.retention.enforce import DONE, ORG_DATA, enforce_retention
from grove.retention.models import DeletionCertificate, PurgeKind
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

END = datetime.date(2027, 3, 31)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def at(days: int) -> datetime.datetime:
    day = END + datetime.timedelta(days=days)
    return datetime.datetime(day.year, day.month, day.day, 3, tzinfo=datetime.UTC)


def test_the_data_purge_vacuums_the_tables_it_touched(retention_world, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    org = retention_world.a.organization
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org.pk).update(contract_end=END)
    for days in (1, 2, 23):
        with time_machine.travel(at(days), tick=False):
            assert enforce_retention().ok
    with time_machine.travel(at(30), tick=False):
        report = enforce_retention()
    assert [(o.step, o.result) for o in report.outcomes] == [(ORG_DATA, DONE)]
    with unscoped("test"):
        certificate = DeletionCertificate.objects.get(kind=PurgeKind.ORGANIZATION_DATA)
    assert "practices_practice" in certificate.vacuum["vacuumed"]
    assert "accounts_user" in certificate.vacuum["vacuumed"]
    assert certificate.vacuum["skipped"] == []
