# ruff: noqa: F811 -- the fixtures imported from test_actions are used as arguments
"""Reminders: GROVE_DSR_REMINDER_DAYS before the deadline, once, to the handler (else the
organization's CSMs) and the security officers; `dsr remind` and the task run the same."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from grove.accounts.models import StaffRole
from grove.audit.models import AuditAction
from grove.core.testing.factories import StaffUserFactory
from grove.rights.actions import requests_remind_due
from grove.rights.models import RequestState, RequestType
from grove.rights.tests.test_actions import (  # noqa: F401 -- fixtures
    assigned_csm,
    audit_events,
    make_request,
    reload,
    run,
    steps,
)
from grove.staff.models import CsmAssignment
from grove.tenancy.context import unscoped

S = RequestState
DAY = datetime.timedelta(days=1)


@pytest.fixture
def now():
    moment = timezone.now().replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        yield moment


def _due_in(make_request, days: float, state=S.IN_PROGRESS, **fields):
    due = timezone.now() + datetime.timedelta(days=days)
    return make_request(state, RequestType.ACCESS, due_at=due, **fields)


def test_a_request_due_within_the_reminder_days_is_reminded_once(
    now,
    make_request,
    assigned_csm,
    security_officer,
    reload,
    steps,
    audit_events,
    django_capture_on_commit_callbacks,
):
    dsr = _due_in(make_request, 6.9, handler=assigned_csm)
    later = _due_in(make_request, 7.1)
    closed = _due_in(make_request, 1, state=S.FULFILLED)

    with django_capture_on_commit_callbacks(execute=True):
        assert requests_remind_due() == 1

    assert reload(dsr).reminded_at == now
    assert reload(later).reminded_at is None
    assert reload(closed).reminded_at is None
    assert steps(dsr) == [(AuditAction.REQUEST_REMINDER, S.IN_PROGRESS)]
    [event] = audit_events(AuditAction.REQUEST_REMINDER)
    assert event.actor_id is None
    assert event.object_ids == [str(dsr.pk)]
    assert event.details == {"state": S.IN_PROGRESS, "recipients": 2, "overdue": False}
    assert sorted(m.to[0] for m in mail.outbox) == ["csm@grove.example", "officer@grove.example"]
    for message in mail.outbox:
        assert "Organization A" in message.body
        assert f"/rights/console/{dsr.pk}/" in message.body
        assert "Alice" not in message.body and "alice@" not in message.body

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert requests_remind_due() == 0
    assert mail.outbox == []


def test_without_a_handler_the_assigned_csms_are_reminded(
    now,
    make_request,
    assigned_csm,
    csm,
    security_officer,
    org_b,
    django_capture_on_commit_callbacks,
):
    elsewhere = StaffUserFactory(email="other.csm@grove.example", staff_role=StaffRole.CSM)
    former = StaffUserFactory(email="former.csm@grove.example", staff_role=StaffRole.CSM)
    with unscoped("test set-up"):
        CsmAssignment.objects.create(organization=org_b, csm=elsewhere)
        CsmAssignment.objects.create(
            organization_id=make_request().organization_id, csm=former, ended_at=now
        )
    _due_in(make_request, 2, state=S.RECEIVED)

    with django_capture_on_commit_callbacks(execute=True):
        requests_remind_due()

    assert sorted(m.to[0] for m in mail.outbox) == ["csm@grove.example", "officer@grove.example"]


def test_a_handler_no_longer_assigned_is_replaced_by_the_assigned_csms(
    now, make_request, assigned_csm, security_officer, django_capture_on_commit_callbacks
):
    gone = StaffUserFactory(email="gone.csm@grove.example", staff_role=StaffRole.CSM)
    _due_in(make_request, 2, handler=gone)

    with django_capture_on_commit_callbacks(execute=True):
        requests_remind_due()

    assert sorted(m.to[0] for m in mail.outbox) == ["csm@grove.example", "officer@grove.example"]


def test_an_overdue_request_never_reminded_is_reminded(
    now, make_request, security_officer, reload, audit_events
):
    dsr = _due_in(make_request, -3, state=S.AWAITING_APPROVAL)
    assert requests_remind_due() == 1
    assert reload(dsr).reminded_at == now
    assert audit_events(AuditAction.REQUEST_REMINDER)[0].details["overdue"] is True


def test_the_reminder_days_follow_the_setting(now, make_request, settings):
    settings.GROVE_DSR_REMINDER_DAYS = 2
    _due_in(make_request, 3)
    assert requests_remind_due() == 0
    _due_in(make_request, 1.5, state=S.RECEIVED)
    assert requests_remind_due() == 1


def test_the_reminder_is_in_each_recipients_language(
    now, make_request, assigned_csm, security_officer, django_capture_on_commit_callbacks
):
    with unscoped("test set-up"):
        security_officer.language = "fr"
        security_officer.save(update_fields=["language"])
    dsr = make_request(
        S.IN_PROGRESS,
        RequestType.ACCESS,
        due_at=datetime.datetime(2099, 3, 5, tzinfo=datetime.UTC),
        handler=assigned_csm,
    )
    with (
        time_machine.travel(dsr.due_at - 2 * DAY, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        requests_remind_due()
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert "March" in by_recipient["csm@grove.example"].body
    assert "mars" in by_recipient["officer@grove.example"].body


def test_the_dsr_remind_command_and_the_task_send_them(
    now, make_request, security_officer, django_capture_on_commit_callbacks
):
    from grove.rights.tasks import remind_due_requests

    _due_in(make_request, 1)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("dsr", "remind", stdout=out)
    assert out.getvalue().strip() == "1 reminder(s) sent."
    assert [m.to for m in mail.outbox] == [["officer@grove.example"]]

    _due_in(make_request, 2)
    assert remind_due_requests.call() == 1
