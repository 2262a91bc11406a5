"""The retention tasks: the daily run and the export build (django-tasks, run at once here)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django_tasks.base import TaskResultStatus as ResultStatus

from grove.retention import enforce
from grove.retention.models import ExportStatus, OrganizationExport
from grove.retention.org_export import export_for
from grove.retention.tasks import build_organization_export_task, enforce_retention_daily
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

END = datetime.date(2027, 3, 31)
DAY_AFTER = datetime.datetime(2027, 4, 1, 3, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _tasks_at_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def ending(org_a, bob):
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_a.pk).update(contract_end=END)
    return org_a


def test_the_daily_task_runs_the_scheduler_run_and_returns_counts(ending):
    with time_machine.travel(DAY_AFTER, tick=False):
        result = enforce_retention_daily.enqueue()
    assert result.status == ResultStatus.SUCCESSFUL
    assert result.return_value["today"] == "2027-04-01"
    assert result.return_value["counts"]["end_contract.done"] == 1
    with unscoped("test"):
        assert Organization.objects.get(pk=ending.pk).status == Organization.Status.ENDED


def test_the_daily_task_fails_when_an_organization_failed(ending, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(enforce.lifecycle, "end_contract", broken)
    with time_machine.travel(DAY_AFTER, tick=False):
        result = enforce_retention_daily.enqueue()
    assert result.status == ResultStatus.FAILED


def test_the_export_task_builds_the_export(org_a, bob):
    export = export_for(org_a)
    result = build_organization_export_task.enqueue(str(export.pk))
    assert result.status == ResultStatus.SUCCESSFUL
    with unscoped("test"):
        built = OrganizationExport.objects.get(pk=export.pk)
    assert built.status == ExportStatus.READY
    assert built.size_bytes > 0


def test_the_daily_task_deletes_expired_sessions_and_throttle_windows(alice):
    from importlib import import_module

    from django.conf import settings

    from grove.accounts import throttle
    from grove.accounts.models import LoginThrottle

    store = import_module(settings.SESSION_ENGINE).SessionStore
    with time_machine.travel(DAY_AFTER - datetime.timedelta(days=30), tick=False):
        gone = store()
        gone["kept"] = False
        gone.create()  # expires after SESSION_COOKIE_AGE (12 hours)
        throttle.count_login_attempt("old@example.com")
    with time_machine.travel(DAY_AFTER, tick=False):
        live = store()
        live["kept"] = True
        live.create()
        throttle.count_login_attempt("recent@example.com")
        result = enforce_retention_daily.enqueue()
    assert result.status == ResultStatus.SUCCESSFUL
    assert result.return_value["expired_deleted"] == {"sessions": 1, "login_throttles": 1}
    assert result.return_value["orphaned_files_deleted"] == 0
    model = store.get_model_class()
    assert set(model.objects.values_list("session_key", flat=True)) == {live.session_key}
    assert LoginThrottle.objects.get().pk == throttle.throttle_key("login", "recent@example.com")


def test_the_daily_task_sweeps_orphaned_files(db):
    import os

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = default_storage.save("attachments/stray.jpg", ContentFile(b"no row names it"))
    two_days_before = (DAY_AFTER - datetime.timedelta(days=2)).timestamp()
    os.utime(default_storage.path(name), (two_days_before, two_days_before))
    with time_machine.travel(DAY_AFTER, tick=False):
        result = enforce_retention_daily.enqueue()
    assert result.status == ResultStatus.SUCCESSFUL
    assert result.return_value["orphaned_files_deleted"] == 1
    assert not default_storage.exists(name)
