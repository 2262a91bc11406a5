# ruff: noqa: F811 -- the fixtures imported from test_actions are used as arguments
"""Deadlines (GDPR Art. 12(3)): one calendar month from receipt; extended by two more months
at most, only within the first month, with a reason mailed to the person at once."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail

from grove.audit.models import AuditAction
from grove.rights.actions import (
    StepRefused,
    deadline,
    extension_months,
    may_extend,
    request_extend,
    request_file,
)
from grove.rights.models import Channel, RequestState, RequestType
from grove.rights.tests.test_actions import (  # noqa: F401 -- fixtures
    assigned_csm,
    audit_events,
    make_request,
    reload,
    run,
    steps,
)

S = RequestState
UTC = datetime.UTC


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (at(2027, 3, 15, 9, 30), at(2027, 4, 15, 9, 30)),
        (at(2027, 1, 31, 12, 0), at(2027, 2, 28, 12, 0)),  # no 31 February: its last day
        (at(2028, 1, 31, 12, 0), at(2028, 2, 29, 12, 0)),  # a leap year
        (at(2027, 12, 20, 8, 0), at(2028, 1, 20, 8, 0)),
    ],
)
def test_the_deadline_is_one_calendar_month_after_receipt(received, due, alice):
    assert deadline(received) == due
    with time_machine.travel(received, tick=False):
        dsr = request_file(
            actor=alice, subject=alice, request_type=RequestType.ACCESS, channel=Channel.PROFILE
        )
    assert dsr.received_at == received
    assert dsr.due_at == due


def test_the_deadline_follows_the_setting(settings):
    settings.GROVE_DSR_DEADLINE_MONTHS = 2
    assert deadline(at(2027, 1, 31)) == at(2027, 3, 31)


def test_an_extension_within_the_first_month_moves_the_deadline_and_tells_the_person(
    make_request, assigned_csm, run, reload, steps, audit_events
):
    received = at(2027, 1, 31, 12, 0)
    dsr = make_request(S.IN_PROGRESS, RequestType.ACCESS, received_at=received)

    with time_machine.travel(at(2027, 2, 27, 12, 0), tick=False):
        run(
            request_extend,
            actor=assigned_csm,
            dsr=dsr,
            months=2,
            reason="Several systems must be searched for the data asked for.",
        )

    dsr = reload(dsr)
    assert dsr.due_at == at(2027, 4, 30, 12, 0)
    assert dsr.extended_at == at(2027, 2, 27, 12, 0)
    assert dsr.extension_notified_at == at(2027, 2, 27, 12, 0)
    assert dsr.extension_reason == "Several systems must be searched for the data asked for."
    assert extension_months(dsr) == 2
    assert steps(dsr) == [(AuditAction.REQUEST_EXTENDED, S.IN_PROGRESS)]
    [event] = audit_events(AuditAction.REQUEST_EXTENDED)
    # The months and the date; the reason stays on the request, out of the log.
    assert event.details == {"state": S.IN_PROGRESS, "months": 2, "due_at": dsr.due_at.isoformat()}
    [notice] = mail.outbox
    assert notice.to == ["alice@a.example"]
    assert "Several systems must be searched" in notice.body
    assert "April 30, 2027" in notice.body


def test_no_extension_after_the_first_month(make_request, assigned_csm, reload, audit_events):
    received = at(2027, 1, 31, 12, 0)
    dsr = make_request(S.IN_PROGRESS, received_at=received)

    with time_machine.travel(at(2027, 2, 28, 12, 0), tick=False):  # one month, to the second
        assert not may_extend(dsr)
        with pytest.raises(StepRefused, match="within the first month"):
            request_extend(actor=assigned_csm, dsr=dsr, months=1, reason="Too late")

    assert reload(dsr).due_at == at(2027, 2, 28, 12, 0)
    assert reload(dsr).extended_at is None
    assert audit_events(AuditAction.ACCESS_DENIED)[-1].details["refused"] == "extension_late"
    assert mail.outbox == []


def test_two_months_in_all_in_one_or_two_steps(make_request, assigned_csm, reload):
    received = at(2027, 3, 1, 9, 0)
    dsr = make_request(S.IN_PROGRESS, received_at=received)

    with time_machine.travel(at(2027, 3, 10, 9, 0), tick=False):
        assert may_extend(dsr)
        request_extend(actor=assigned_csm, dsr=dsr, months=1, reason="Complex request")
        assert reload(dsr).due_at == at(2027, 5, 1, 9, 0)
        request_extend(actor=assigned_csm, dsr=dsr, months=1, reason="Still complex")
        assert reload(dsr).due_at == at(2027, 6, 1, 9, 0)
        assert not may_extend(reload(dsr))
        with pytest.raises(StepRefused, match="0 more month"):
            request_extend(actor=assigned_csm, dsr=dsr, months=1, reason="Once more")
    assert reload(dsr).due_at == at(2027, 6, 1, 9, 0)


@pytest.mark.parametrize(
    ("months", "reason", "message"),
    [
        (3, "Complex", "2 more month"),
        (0, "Complex", "2 more month"),
        ("two", "Complex", "2 more month"),
        (1, "   ", "Give the reason"),
        (1, "x" * 1001, "at most 1000"),
    ],
)
def test_an_extension_needs_a_reason_and_at_most_two_months(
    months, reason, message, make_request, assigned_csm, reload
):
    dsr = make_request(S.IN_PROGRESS)
    due = dsr.due_at
    with pytest.raises(StepRefused, match=message):
        request_extend(actor=assigned_csm, dsr=dsr, months=months, reason=reason)
    assert reload(dsr).due_at == due


def test_an_extension_brings_a_new_reminder(make_request, assigned_csm, reload):
    dsr = make_request(S.IN_PROGRESS, reminded_at=at(2027, 1, 1))
    request_extend(actor=assigned_csm, dsr=dsr, months=1, reason="Complex")
    assert reload(dsr).reminded_at is None


def test_a_closed_request_is_not_extended(make_request, assigned_csm):
    dsr = make_request(S.FULFILLED)
    assert not may_extend(dsr)
    with pytest.raises(StepRefused, match="closed"):
        request_extend(actor=assigned_csm, dsr=dsr, months=1, reason="Complex")


def test_overdue_means_open_and_due(make_request):
    past = at(2027, 1, 1)
    with time_machine.travel(at(2027, 3, 1), tick=False):
        assert make_request(S.IN_PROGRESS, received_at=past).is_overdue
        assert not make_request(S.FULFILLED, received_at=past).is_overdue
        assert not make_request(S.IN_PROGRESS).is_overdue


def test_a_request_recorded_late_runs_from_its_receipt(alice, assigned_csm):
    with time_machine.travel(at(2027, 3, 20, 10, 0), tick=False):
        dsr = request_file(
            actor=assigned_csm,
            subject=alice,
            request_type=RequestType.ACCESS,
            channel=Channel.MAIL,
            received_at=at(2027, 3, 16, 8, 0),
        )
    assert dsr.received_at == at(2027, 3, 16, 8, 0)
    assert dsr.due_at == at(2027, 4, 16, 8, 0)


@pytest.mark.parametrize(
    ("channel", "received", "message"),
    [
        (Channel.MAIL, at(2027, 3, 21), "cannot be in the future"),
        (Channel.MAIL, at(2026, 3, 19), "more than a year ago"),
        (Channel.MAIL, datetime.datetime(2027, 3, 19), "recorded by staff"),  # noqa: DTZ001
        (Channel.PROFILE, at(2027, 3, 19), "recorded by staff"),
    ],
)
def test_a_date_of_receipt_is_checked(channel, received, message, alice, assigned_csm):
    actor = alice if channel == Channel.PROFILE else assigned_csm
    with (
        time_machine.travel(at(2027, 3, 20, 10, 0), tick=False),
        pytest.raises(StepRefused, match=message),
    ):
        request_file(
            actor=actor,
            subject=alice,
            request_type=RequestType.ACCESS,
            channel=channel,
            received_at=received,
        )
