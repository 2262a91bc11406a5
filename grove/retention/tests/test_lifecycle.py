"""The contract lifecycle's actions: a contract ends (its date, or early), sessions are cut,
the organization becomes read-only."""

import datetime

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from grove.audit.models import AuditAction, AuditEvent
from grove.retention.errors import RetentionRefused
from grove.retention.lifecycle import (
    OrganizationReadOnly,
    contract_end_early,
    end_contract,
    ensure_organization_writable,
    organization_is_writable,
)
from grove.retention.models import EarlyEndNote
from grove.staff.models import CsmAssignment
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

NOW = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()
END_DATE = Organization.EndReason.CONTRACT_END_DATE
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _events(action):
    with unscoped("test: read the access log"):
        return list(AuditEvent.objects.filter(action=action).order_by("id"))


def _row(organization):
    with unscoped("test: read the organization"):
        return Organization.objects.get(pk=organization.pk)


def _assign(csm, organization, *, ended=False):
    with unscoped("test set-up"):
        CsmAssignment.objects.create(
            organization=organization, csm=csm, ended_at=timezone.now() if ended else None
        )


def _logged_in(user) -> str:
    client = Client()
    client.force_login(user)
    session_key = client.session.session_key
    assert session_key is not None  # force_login saved the session
    return session_key


def test_end_contract_ends_an_active_organization(org_a):
    assert end_contract(organization=org_a, now=NOW, reason=END_DATE) is True

    row = _row(org_a)
    assert row.status == Organization.Status.ENDED
    assert row.ended_at == NOW and row.end_reason == END_DATE
    assert org_a.status == Organization.Status.ENDED  # the caller's instance follows
    (event,) = _events(AuditAction.CONTRACT_ENDED)
    assert event.organization_id == org_a.pk and event.actor_id is None
    assert event.object_type == "organization" and event.object_ids == [str(org_a.pk)]
    assert event.details == {
        "reason": "end_date",
        "contract_end": row.contract_end.isoformat(),
        "sessions_cut": 0,
    }


def test_end_contract_runs_once(org_a):
    end_contract(organization=org_a, now=NOW, reason=END_DATE)

    assert end_contract(organization=org_a, now=NOW, reason=END_DATE) is False
    assert len(_events(AuditAction.CONTRACT_ENDED)) == 1


def test_end_contract_cuts_the_members_sessions_only(org_a, alice, bob, charlie, csm):
    alice_key, bob_key = _logged_in(alice), _logged_in(bob)
    charlie_key, csm_key = _logged_in(charlie), _logged_in(csm)

    end_contract(organization=org_a, now=NOW, reason=END_DATE)

    keys = set(Session.objects.values_list("session_key", flat=True))
    assert alice_key not in keys and bob_key not in keys
    assert {charlie_key, csm_key} <= keys
    assert _events(AuditAction.CONTRACT_ENDED)[0].details["sessions_cut"] == 2


def test_an_ended_organization_is_read_only(org_a, org_b):
    end_contract(organization=org_a, now=NOW, reason=END_DATE)

    assert organization_is_writable(org_b)
    ensure_organization_writable(org_b)
    assert not organization_is_writable(org_a)
    with pytest.raises(PermissionDenied) as refused:
        ensure_organization_writable(org_a)
    assert isinstance(refused.value, OrganizationReadOnly)
    assert "contract has ended" in str(refused.value)


@pytest.mark.parametrize("status", [Organization.Status.PURGED, Organization.Status.TOMBSTONE])
def test_a_purged_organization_is_read_only_too(status, org_a):
    org_a.status = status

    with pytest.raises(OrganizationReadOnly):
        ensure_organization_writable(org_a)


def test_a_serving_csm_ends_a_contract_early(csm, org_a, alice):
    _assign(csm, org_a)
    alice_key = _logged_in(alice)
    planned_end = org_a.contract_end

    contract_end_early(actor=csm, organization=org_a, reason="Client went bankrupt")

    row = _row(org_a)
    assert row.status == Organization.Status.ENDED
    assert row.contract_end == TODAY and row.ended_at == NOW
    assert row.end_reason == Organization.EndReason.ENDED_EARLY
    assert not Session.objects.filter(session_key=alice_key).exists()
    (event,) = _events(AuditAction.CONTRACT_ENDED)
    assert event.actor_id == csm.pk
    # The reason is recorded in its own note (purged with the logs), named by id in the log.
    with unscoped("test: read the note"):
        (note,) = EarlyEndNote.objects.filter(organization=org_a)
    assert (note.reason, note.ended_by_id, note.previous_contract_end) == (
        "Client went bankrupt",
        csm.pk,
        planned_end,
    )
    assert event.details == {
        "reason": "early",
        "contract_end": TODAY.isoformat(),
        "previous_contract_end": planned_end.isoformat(),
        "sessions_cut": 1,
        "early_end_note": str(note.pk),
    }
    assert "bankrupt" not in str(event.details)


def test_a_security_officer_ends_any_contract_early(security_officer, org_b):
    contract_end_early(actor=security_officer, organization=org_b, reason="Terminated")

    assert _row(org_b).status == Organization.Status.ENDED


@pytest.mark.parametrize("who", ["other_csm", "former_csm", "tech", "security_manager", "bob"])
def test_others_cannot_end_a_contract_early(who, request, csm, org_a, org_b):
    if who == "other_csm":
        _assign(csm, org_b)
    elif who == "former_csm":
        _assign(csm, org_a, ended=True)
    actor = csm if who.endswith("csm") else request.getfixturevalue(who)

    with pytest.raises(RetentionRefused):
        contract_end_early(actor=actor, organization=org_a, reason="Because")

    assert _row(org_a).status == Organization.Status.ACTIVE
    assert _events(AuditAction.CONTRACT_ENDED) == []
    (denied,) = _events(AuditAction.ACCESS_DENIED)
    assert denied.actor_id == actor.pk and denied.organization_id == org_a.pk
    assert denied.details == {"attempted": "contract.end_early", "refused": "not_allowed"}


def test_ending_early_needs_a_reason(security_officer, org_a):
    with pytest.raises(ValidationError) as refused:
        contract_end_early(actor=security_officer, organization=org_a, reason="  ")

    assert "reason" in refused.value.message_dict
    assert _row(org_a).status == Organization.Status.ACTIVE
    with unscoped("test: no note"):
        assert not EarlyEndNote.objects.exists()


def test_an_ended_contract_cannot_end_early_again(security_officer, org_a):
    end_contract(organization=org_a, now=NOW, reason=END_DATE)
    ended_on = _row(org_a).contract_end

    with pytest.raises(ValidationError):
        contract_end_early(actor=security_officer, organization=org_a, reason="Again")

    assert _row(org_a).contract_end == ended_on
    assert len(_events(AuditAction.CONTRACT_ENDED)) == 1


def test_a_contract_not_started_yet_is_refused(security_officer, org_a):
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_a.pk).update(
            contract_start=TODAY + datetime.timedelta(days=3)
        )
    org_a = _row(org_a)

    with pytest.raises(ValidationError):
        contract_end_early(actor=security_officer, organization=org_a, reason="Cancelled")
    assert _row(org_a).status == Organization.Status.ACTIVE
