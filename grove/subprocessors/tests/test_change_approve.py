"""change_approve: only a security manager, never the proposer; with impact, a notice no sooner
than the notice period and one delivery per active organization."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from grove.audit.models import AuditAction
from grove.core.testing.factories import OrganizationFactory, StaffUserFactory
from grove.staff.models import CsmAssignment
from grove.subprocessors.actions import ChangeRefused, change_approve, change_propose
from grove.subprocessors.models import (
    ChangeNotice,
    ChangeStatus,
    NoticeDelivery,
    Subprocessor,
    SubprocessorStatus,
)
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

from .helpers import NEW_VENDOR, reload

MOMENT = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
TODAY = MOMENT.date()


@pytest.fixture
def addition(tech):
    return change_propose(
        actor=tech, kind="add", proposed=NEW_VENDOR, impact="Names and emails go to Mailjet too."
    )


def _approve(actor, change, **kwargs):
    kwargs.setdefault("summary", "We add Mailjet as a backup mail provider.")
    kwargs.setdefault("implications", "Your users' names and emails may go through Mailjet.")
    return change_approve(actor=actor, change=change, **kwargs)


def _deliveries(notice):
    with unscoped("test: every organization's deliveries"):
        return list(NoticeDelivery.objects.filter(notice=notice))


@time_machine.travel(MOMENT, tick=False)
def test_a_security_manager_approves_and_clients_get_a_notice(
    addition, security_manager, org_a, org_b, audit_events
):
    ended = OrganizationFactory(slug="gone", status=Organization.Status.ENDED)

    change = _approve(security_manager, addition, note="Fine.")

    change = reload(change)
    assert change.status == ChangeStatus.APPROVED
    assert change.decided_by_id == security_manager.pk
    assert change.decided_at == MOMENT
    assert change.decision_note == "Fine."
    # Default date: the end of the notice period (30 days).
    assert change.effective_on == TODAY + datetime.timedelta(days=30)
    # The addition is in the registry, approved, not in use yet.
    added = Subprocessor.objects.get(slug="mailjet")
    assert change.subprocessor == added
    assert added.status == SubprocessorStatus.APPROVED
    assert added.version == 0
    assert added.versions.count() == 0
    assert added.locations == NEW_VENDOR["locations"]

    notice = ChangeNotice.objects.get(change=change)
    assert notice.effective_on == change.effective_on
    assert notice.announced_at == MOMENT
    assert notice.summary == "We add Mailjet as a backup mail provider."
    deliveries = _deliveries(notice)
    assert {d.organization_id for d in deliveries} == {org_a.pk, org_b.pk}
    assert ended.pk not in {d.organization_id for d in deliveries}
    assert all(d.sent_at is None for d in deliveries)

    [approved] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_APPROVED)
    assert approved.actor_id == security_manager.pk
    assert approved.organization_id is None
    assert approved.object_ids == [str(change.pk), str(added.pk)]
    assert approved.details == {"kind": "add", "effective_on": "2026-04-01", "notice": True}
    created = audit_events(AuditAction.NOTICE_CREATED)
    assert {e.organization_id for e in created} == {org_a.pk, org_b.pk}
    for event in created:
        delivery = next(d for d in deliveries if d.organization_id == event.organization_id)
        assert event.object_ids == [str(delivery.pk), str(notice.pk), str(change.pk)]


@time_machine.travel(MOMENT, tick=False)
def test_the_csms_are_told_a_notice_waits_and_the_officers_for_unserved_clients(
    addition,
    security_manager,
    org_a,
    org_b,
    csm,
    security_officer,
    django_capture_on_commit_callbacks,
):
    with unscoped("test set-up"):
        CsmAssignment.objects.create(organization=org_a, csm=csm)
    StaffUserFactory(staff_role="csm", email="idle@grove.example")  # serves nobody: no mail

    with django_capture_on_commit_callbacks(execute=True):
        _approve(security_manager, addition)

    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {csm.email, security_officer.email}
    to_csm = by_recipient[csm.email]
    assert to_csm.subject == "Subprocessor notice to send: Mailjet"
    assert "1 organization you serve must be told" in to_csm.body
    assert "/subprocessor-registry/staff/notices/" in to_csm.body
    assert "Organization" not in to_csm.body  # counts, not client names
    assert "1 organization you serve" in by_recipient[security_officer.email].body


@time_machine.travel(MOMENT, tick=False)
def test_a_later_date_than_the_notice_period_is_kept(addition, security_manager):
    later = TODAY + datetime.timedelta(days=45)

    change = _approve(security_manager, addition, effective_on=later)

    assert reload(change).effective_on == later
    assert ChangeNotice.objects.get(change=change).effective_on == later


@time_machine.travel(MOMENT, tick=False)
def test_a_notice_under_the_notice_period_is_refused_and_logged(
    addition, security_manager, org_a, audit_events
):
    with pytest.raises(ChangeRefused) as refused:
        _approve(security_manager, addition, effective_on=TODAY + datetime.timedelta(days=29))

    assert "30 days ahead" in str(refused.value)
    assert "2026-04-01" in str(refused.value)
    assert refused.value.reason == "short_notice"
    assert reload(addition).status == ChangeStatus.PROPOSED
    assert not ChangeNotice.objects.exists()
    assert not Subprocessor.objects.filter(slug="mailjet").exists()
    assert audit_events(AuditAction.SUBPROCESSOR_CHANGE_APPROVED) == []
    [event] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_REFUSED)
    assert event.actor_id == security_manager.pk
    assert event.object_ids == [str(addition.pk)]
    assert event.details == {
        "attempted": "change.approve",
        "refused": "short_notice",
        "effective_on": "2026-03-31",
        "earliest": "2026-04-01",
    }


@override_settings(GROVE_SUBPROCESSOR_NOTICE_DAYS=60)
@time_machine.travel(MOMENT, tick=False)
def test_the_notice_period_is_configurable(addition, security_manager):
    with pytest.raises(ChangeRefused, match="60 days ahead"):
        _approve(security_manager, addition, effective_on=TODAY + datetime.timedelta(days=59))

    change = _approve(security_manager, addition)

    assert reload(change).effective_on == TODAY + datetime.timedelta(days=60)


def test_the_proposer_cannot_approve_their_own_change_and_it_is_logged(audit_events):
    manager = StaffUserFactory(staff_role="security_manager")
    own = change_propose(actor=manager, kind="add", proposed=NEW_VENDOR, impact="x")

    with pytest.raises(ChangeRefused, match="another security manager must decide"):
        _approve(manager, own)

    assert reload(own).status == ChangeStatus.PROPOSED
    assert reload(own).decided_by_id is None
    [event] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_REFUSED)
    assert event.actor_id == manager.pk
    assert event.object_ids == [str(own.pk)]
    assert event.details == {"attempted": "change.approve", "refused": "own_change"}


@pytest.mark.parametrize("who", ["csm", "security_officer", "bob"])
def test_only_a_security_manager_approves_and_refusals_are_logged(
    request, who, addition, audit_events
):
    actor = request.getfixturevalue(who)

    with pytest.raises(ChangeRefused, match="Only a security manager"):
        _approve(actor, addition)

    assert reload(addition).status == ChangeStatus.PROPOSED
    assert not ChangeNotice.objects.exists()
    [event] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_REFUSED)
    assert event.actor_id == actor.pk
    assert event.details == {"attempted": "change.approve", "refused": "not_security_manager"}


def test_a_decided_change_cannot_be_approved_again(addition, security_manager):
    _approve(security_manager, addition)
    other = StaffUserFactory(staff_role="security_manager")

    with pytest.raises(ValidationError, match="already been decided"):
        _approve(other, addition)


def test_a_notice_needs_its_text_for_clients(addition, security_manager):
    with pytest.raises(ValidationError) as error:
        change_approve(actor=security_manager, change=addition, summary=" ", implications="")

    assert set(error.value.message_dict) == {"summary", "implications"}
    assert reload(addition).status == ChangeStatus.PROPOSED
    assert not Subprocessor.objects.filter(slug="mailjet").exists()


@time_machine.travel(MOMENT, tick=False)
def test_a_change_without_impact_takes_effect_at_once_without_notice(
    tech, security_manager, make_subprocessor, audit_events
):
    vendor = make_subprocessor("vendor")
    change = change_propose(
        actor=tech,
        kind="modify",
        subprocessor=vendor,
        proposed={"security_contact": "psirt@vendor.example"},
        has_personal_data_impact=False,
        impact="A new security address; no effect on data.",
    )

    change_approve(actor=security_manager, change=change)

    assert reload(change).status == ChangeStatus.EFFECTIVE
    assert reload(change).effective_on == TODAY
    vendor = reload(vendor)
    assert vendor.security_contact == "psirt@vendor.example"
    assert vendor.version == 2
    assert not ChangeNotice.objects.exists()
    assert len(audit_events(AuditAction.SUBPROCESSOR_CHANGE_EFFECTIVE)) == 1


@time_machine.travel(MOMENT, tick=False)
def test_a_change_cannot_take_effect_in_the_past(tech, security_manager, make_subprocessor):
    vendor = make_subprocessor("vendor")
    change = change_propose(
        actor=tech,
        kind="modify",
        subprocessor=vendor,
        proposed={"security_contact": "psirt@vendor.example"},
        has_personal_data_impact=False,
        impact="None.",
    )

    with pytest.raises(ValidationError) as error:
        change_approve(
            actor=security_manager,
            change=change,
            effective_on=TODAY - datetime.timedelta(days=1),
        )

    assert "effective_on" in error.value.message_dict
    assert reload(change).status == ChangeStatus.PROPOSED


def test_the_approval_date_is_today_in_the_sites_time_zone(addition, security_manager):
    change = _approve(security_manager, addition)

    assert reload(change).effective_on == timezone.localdate() + datetime.timedelta(days=30)
