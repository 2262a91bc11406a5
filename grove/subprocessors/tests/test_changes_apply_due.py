"""changes_apply_due / change_apply: approved changes take effect on their date, each a new
version; nothing takes effect without a security manager's approval."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command

from grove.audit.models import AuditAction
from grove.core.testing.factories import StaffUserFactory
from grove.subprocessors.actions import (
    ChangeRefused,
    change_apply,
    change_approve,
    change_propose,
    change_reject,
    changes_apply_due,
)
from grove.subprocessors.models import (
    ChangeStatus,
    Subprocessor,
    SubprocessorChange,
    SubprocessorStatus,
)
from grove.subprocessors.tasks import apply_subprocessor_changes

from .helpers import NEW_VENDOR, reload

APPROVED_AT = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
DAY_BEFORE = datetime.datetime(2026, 3, 31, 23, 0, tzinfo=datetime.UTC)
EFFECTIVE_DAY = datetime.datetime(2026, 4, 1, 3, 0, tzinfo=datetime.UTC)
TEXT = {"summary": "What changes", "implications": "What it means"}


def _approved(actor, change):
    with time_machine.travel(APPROVED_AT, tick=False):
        return change_approve(actor=actor, change=change, **TEXT)


def test_an_addition_becomes_active_on_its_date_with_version_1(
    tech, security_manager, audit_events
):
    change = _approved(
        security_manager,
        change_propose(actor=tech, kind="add", proposed=NEW_VENDOR, impact="Emails to Mailjet"),
    )

    with time_machine.travel(DAY_BEFORE, tick=False):
        assert changes_apply_due() == []
    assert Subprocessor.objects.get(slug="mailjet").status == SubprocessorStatus.APPROVED

    with time_machine.travel(EFFECTIVE_DAY, tick=False):
        assert changes_apply_due() == [change.pk]

    added = Subprocessor.objects.get(slug="mailjet")
    assert added.status == SubprocessorStatus.ACTIVE
    assert added.effective_from == datetime.date(2026, 4, 1)
    assert added.version == 1
    [version] = added.versions.all()
    assert version.number == 1
    assert version.change_id == change.pk
    assert version.snapshot["status"] == "active"
    assert version.snapshot["effective_from"] == "2026-04-01"
    assert version.snapshot["name"] == "Mailjet"
    assert reload(change).status == ChangeStatus.EFFECTIVE
    [event] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_EFFECTIVE)
    assert event.actor_id is None
    assert event.object_ids == [str(change.pk), str(added.pk)]
    assert event.details == {"kind": "add", "version": 1}
    # Once only.
    with time_machine.travel(EFFECTIVE_DAY, tick=False):
        assert changes_apply_due() == []


def test_a_modification_updates_the_record_and_keeps_the_history(
    tech, security_manager, make_subprocessor
):
    vendor = make_subprocessor("vendor")
    change = _approved(
        security_manager,
        change_propose(
            actor=tech,
            kind="modify",
            subprocessor=vendor,
            proposed={"locations": [{"name": "Germany", "region": "Frankfurt"}]},
            impact="Data moves to Germany",
        ),
    )

    with time_machine.travel(EFFECTIVE_DAY, tick=False):
        changes_apply_due()

    vendor = reload(vendor)
    assert vendor.locations == [{"name": "Germany", "region": "Frankfurt"}]
    assert vendor.version == 2
    first, second = vendor.versions.order_by("number")
    assert first.snapshot["locations"] == [{"name": "France", "region": "Paris"}]
    assert second.snapshot["locations"] == [{"name": "Germany", "region": "Frankfurt"}]
    assert second.change_id == change.pk


def test_a_removal_retires_the_subprocessor(tech, security_manager, make_subprocessor):
    vendor = make_subprocessor("vendor")
    _approved(
        security_manager,
        change_propose(actor=tech, kind="remove", subprocessor=vendor, impact="No more mail"),
    )

    with time_machine.travel(EFFECTIVE_DAY, tick=False):
        changes_apply_due()

    vendor = reload(vendor)
    assert vendor.status == SubprocessorStatus.RETIRED
    assert vendor.effective_until == datetime.date(2026, 4, 1)
    assert vendor.versions.get(number=2).snapshot["status"] == "retired"


def test_an_approved_re_addition_brings_a_retired_subprocessor_back(
    tech, security_manager, make_subprocessor
):
    retired = make_subprocessor("old", status="retired")
    change = _approved(
        security_manager,
        change_propose(
            actor=tech,
            kind="add",
            subprocessor=retired,
            proposed={"dpa_reference": "Vendor DPA v2"},
            impact="Back in use",
        ),
    )
    # Approved, announced, but not back before its date.
    assert reload(retired).status == SubprocessorStatus.RETIRED

    with time_machine.travel(EFFECTIVE_DAY, tick=False):
        assert changes_apply_due() == [change.pk]

    retired = reload(retired)
    assert retired.status == SubprocessorStatus.ACTIVE
    assert retired.effective_from == datetime.date(2026, 4, 1)
    assert retired.effective_until is None
    assert retired.dpa_reference == "Vendor DPA v2"
    assert retired.version == 2


@pytest.mark.parametrize("state", ["proposed", "rejected"])
def test_a_retired_subprocessor_reactivated_without_approval_is_refused_and_logged(
    state, tech, security_manager, make_subprocessor, audit_events
):
    retired = make_subprocessor("old", status="retired")
    change = change_propose(actor=tech, kind="add", subprocessor=retired, impact="Back in use")
    if state == "rejected":
        change_reject(actor=security_manager, change=change, note="No")

    with pytest.raises(ChangeRefused, match="comes back only through an approved re-addition"):
        change_apply(change=change)

    assert reload(retired).status == SubprocessorStatus.RETIRED
    assert reload(retired).version == 1
    assert reload(change).status == state
    [event] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_REFUSED)
    assert event.object_ids == [str(change.pk)]
    assert event.details == {
        "attempted": "change.apply",
        "refused": "retired_reactivation",
        "status": state,
    }


def test_an_unapproved_change_never_takes_effect(tech, make_subprocessor, audit_events):
    vendor = make_subprocessor("vendor")
    change = change_propose(actor=tech, kind="remove", subprocessor=vendor, impact="x")

    with pytest.raises(ChangeRefused, match="not been approved"):
        change_apply(change=change)
    with time_machine.travel(EFFECTIVE_DAY + datetime.timedelta(days=400), tick=False):
        assert changes_apply_due() == []

    assert reload(vendor).status == SubprocessorStatus.ACTIVE
    [event] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_REFUSED)
    assert event.details["refused"] == "not_approved"


def test_a_change_marked_approved_by_its_own_proposer_is_refused(make_subprocessor, audit_events):
    # A row forged past the actions (e.g. from a shell): the apply step checks again.
    manager = StaffUserFactory(staff_role="security_manager")
    vendor = make_subprocessor("vendor")
    change = change_propose(actor=manager, kind="remove", subprocessor=vendor, impact="x")
    SubprocessorChange.objects.filter(pk=change.pk).update(
        status=ChangeStatus.APPROVED, decided_by=manager, effective_on=datetime.date(2026, 1, 1)
    )

    with pytest.raises(ChangeRefused):
        change_apply(change=change)

    assert reload(vendor).status == SubprocessorStatus.ACTIVE
    assert audit_events(AuditAction.SUBPROCESSOR_CHANGE_REFUSED)[0].details["refused"] == (
        "not_approved"
    )


def test_the_daily_command_applies_due_changes(tech, security_manager, make_subprocessor):
    vendor = make_subprocessor("vendor")
    change = _approved(
        security_manager,
        change_propose(actor=tech, kind="remove", subprocessor=vendor, impact="x"),
    )
    out = io.StringIO()

    with time_machine.travel(EFFECTIVE_DAY, tick=False):
        call_command("subprocessors_apply", stdout=out)

    assert "1 subprocessor change(s) applied" in out.getvalue()
    assert str(change.pk) in out.getvalue()
    assert reload(vendor).status == SubprocessorStatus.RETIRED


def test_the_task_applies_due_changes(tech, security_manager, make_subprocessor):
    vendor = make_subprocessor("vendor")
    _approved(
        security_manager,
        change_propose(actor=tech, kind="remove", subprocessor=vendor, impact="x"),
    )

    with time_machine.travel(EFFECTIVE_DAY, tick=False):
        assert apply_subprocessor_changes.call() == 1

    assert reload(vendor).status == SubprocessorStatus.RETIRED


def test_the_command_can_enqueue_the_task(db):
    out = io.StringIO()

    call_command("subprocessors_apply", "--enqueue", stdout=out)

    assert out.getvalue().startswith("enqueued task ")
