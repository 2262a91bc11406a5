"""manage.py enforce_retention [--dry-run] [--now ISO-DATETIME] [--org SLUG] [--enqueue]."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import CommandError, call_command
from django_tasks.backends.dummy import DummyBackend

from grove.retention import enforce
from grove.retention.management.commands.enforce_retention import parse_now
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

from .conftest import table_counts

END = datetime.date(2027, 3, 31)


@pytest.fixture(autouse=True)
def _tasks_not_run(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def ending(org_a, bob):
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_a.pk).update(contract_end=END)
    return org_a


def command(*args, clock: str = "2027-04-01T03:00:00+00:00") -> str:
    """The command, run while the clock reads ``clock``."""
    out = StringIO()
    with time_machine.travel(datetime.datetime.fromisoformat(clock), tick=False):
        call_command("enforce_retention", *args, stdout=out)
    return out.getvalue()


def status(organization) -> str:
    with unscoped("test"):
        return Organization.objects.get(pk=organization.pk).status


def test_now_must_be_an_aware_iso_datetime():
    assert parse_now("2027-04-01T03:00:00+02:00").utcoffset() == datetime.timedelta(hours=2)
    assert parse_now("2027-04-01T03:00:00Z").utcoffset() == datetime.timedelta(0)
    with pytest.raises(CommandError, match="offset"):
        command("--now", "2027-04-01T03:00:00")
    with pytest.raises(CommandError, match="ISO 8601"):
        command("--now", "next tuesday")


def test_an_unknown_organization_is_refused(db):
    with pytest.raises(CommandError, match="no organization"):
        command("--org", "nobody")


def test_it_ends_the_contract_as_of_now(ending):
    out = command("--now", "2027-04-01T03:00:00+00:00")
    assert "retention run for 2027-04-01" in out
    assert "org-a" in out and "end_contract" in out and "done" in out
    assert status(ending) == Organization.Status.ENDED


def test_a_real_run_in_the_future_is_refused(ending):
    with pytest.raises(CommandError, match="dry-run"):
        command("--now", "2027-04-02T03:00:00+00:00")
    assert status(ending) == Organization.Status.ACTIVE
    assert "end_contract" in command("--dry-run", "--now", "2027-04-02T03:00:00+00:00")


def test_a_run_as_of_a_past_moment_catches_up(ending):
    command("--now", "2027-04-01T03:00:00+00:00", clock="2027-04-05T03:00:00+00:00")
    with unscoped("test"):
        ended = Organization.objects.get(pk=ending.pk)
    assert ended.status == Organization.Status.ENDED
    assert ended.ended_at == datetime.datetime(2027, 4, 1, 3, tzinfo=datetime.UTC)


def test_before_the_end_nothing_is_due(ending):
    out = command("--now", "2027-03-31T23:00:00+00:00")
    assert out.strip() == "retention run for 2027-03-31: nothing due"
    assert status(ending) == Organization.Status.ACTIVE


def test_dry_run_prints_and_changes_nothing(ending, org_b):
    before = table_counts()
    out = command("--dry-run", "--now", "2027-04-01T03:00:00+00:00")
    assert "(dry run)" in out
    assert "end_contract" in out and "due" in out
    assert table_counts() == before
    assert mail.outbox == []
    assert status(ending) == Organization.Status.ACTIVE


def test_only_the_organization_named(ending, org_b):
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_b.pk).update(contract_end=END)
    command("--org", "org-b", "--now", "2027-04-01T03:00:00+00:00")
    assert status(org_b) == Organization.Status.ENDED
    assert status(ending) == Organization.Status.ACTIVE


def test_a_failure_exits_non_zero_after_the_report(ending, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(enforce.lifecycle, "end_contract", broken)
    with pytest.raises(CommandError, match="1 step"):
        command("--now", "2027-04-01T03:00:00+00:00")


def test_enqueue_enqueues_the_daily_task(db):
    out = command("--enqueue")
    assert out.startswith("enqueued task ")
    from django_tasks import task_backends

    backend = task_backends["default"]
    assert isinstance(backend, DummyBackend)
    assert [r.task.name for r in backend.results] == ["enforce_retention_daily"]
    with pytest.raises(CommandError):
        command("--enqueue", "--dry-run")


def test_the_whole_run_also_deletes_expired_sessions_and_orphaned_files(db):
    import os
    from importlib import import_module

    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    store = import_module(settings.SESSION_ENGINE).SessionStore
    with time_machine.travel(datetime.datetime(2027, 3, 1, tzinfo=datetime.UTC), tick=False):
        store().create()  # expired by 1 April
    name = default_storage.save("attachments/stray.jpg", ContentFile(b"no row names it"))
    month_before = datetime.datetime(2027, 3, 1, tzinfo=datetime.UTC).timestamp()
    os.utime(default_storage.path(name), (month_before, month_before))

    out = command()
    assert "expired sessions deleted: 1, login-throttle windows: 0, orphaned files: 1" in out
    assert not default_storage.exists(name)
    assert not store.get_model_class().objects.exists()


def test_one_organization_or_a_dry_run_sweeps_nothing_else(ending):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = default_storage.save("attachments/stray.jpg", ContentFile(b"no row names it"))
    old = datetime.datetime(2027, 3, 1, tzinfo=datetime.UTC).timestamp()
    import os

    os.utime(default_storage.path(name), (old, old))
    assert "orphaned files" not in command("--org", "org-a")
    assert "orphaned files" not in command("--dry-run")
    assert default_storage.exists(name)
