"""``manage.py dsr erase``: the whole workflow for operators, approved by a security officer."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from grove.accounts.models import OrgRole, User
from grove.audit.models import AuditAction, AuditEvent
from grove.rights import erasure
from grove.rights.errors import RightsRefusal
from grove.rights.models import Channel, DataSubjectRequest, ErasureRecord, RequestState
from grove.tenancy.context import unscoped

from .test_erasure_support import EMAIL, make_person, needles, search_blindly

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _reload(user) -> User:
    with unscoped("test"):
        return User._base_manager.get(pk=user.pk)


def _actions() -> list[str]:
    with unscoped("test"):
        return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_the_command_runs_the_whole_workflow(
    org_a, bob, security_officer, capsys, django_capture_on_commit_callbacks
):
    person = make_person(org_a)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("dsr", "erase", EMAIL, "--officer", security_officer.email, "--yes")
    out = capsys.readouterr().out
    assert out.startswith("Erased: request ")
    assert EMAIL not in out
    assert _reload(person).is_erased
    with unscoped("test"):
        dsr = DataSubjectRequest.objects.get(subject=person)
        record = ErasureRecord.objects.get()
    assert dsr.state == RequestState.FULFILLED and dsr.channel == Channel.OTHER
    assert dsr.decided_by_id == security_officer.pk and dsr.filed_by_id == security_officer.pk
    assert record.request_id == dsr.pk and str(record.pk) in out
    actions = _actions()
    for action in (
        AuditAction.REQUEST_FILED,
        AuditAction.REQUEST_IDENTITY_VERIFIED,
        AuditAction.REQUEST_STARTED,
        AuditAction.REQUEST_APPROVAL_ASKED,
        AuditAction.REQUEST_APPROVED,
        AuditAction.ERASURE_APPLIED,
        AuditAction.REQUEST_FULFILLED,
    ):
        assert action in actions, action
    assert actions.index(AuditAction.REQUEST_APPROVED) < actions.index(AuditAction.ERASURE_APPLIED)
    # The person is told, at the address they had, before it was erased.
    assert any(EMAIL in message.to for message in mail.outbox)
    assert search_blindly(needles()) == []


def test_the_command_needs_yes(org_a, bob, security_officer):
    person = make_person(org_a)
    with pytest.raises(CommandError, match="--yes"):
        call_command("dsr", "erase", EMAIL, "--officer", security_officer.email)
    assert not _reload(person).is_erased


def test_an_unknown_email_is_refused_and_nothing_is_written(org_a, security_officer):
    with pytest.raises(CommandError):
        call_command(
            "dsr", "erase", "nobody@a.example", "--officer", security_officer.email, "--yes"
        )
    with unscoped("test"):
        assert not DataSubjectRequest.objects.exists()


@pytest.mark.parametrize("officer_fixture", ["csm", "security_manager", "bob"])
def test_only_a_security_officer_may_approve(request, org_a, bob, officer_fixture):
    person = make_person(org_a)
    officer = request.getfixturevalue(officer_fixture)
    with pytest.raises(RightsRefusal, match="security officer"):
        erasure.erase_for_operator(email=EMAIL, officer_email=officer.email)
    assert not _reload(person).is_erased
    with unscoped("test"):
        assert not DataSubjectRequest.objects.exists()


def test_an_ended_contract_is_refused(org_a, bob, security_officer):
    person = make_person(org_a)
    org_a.status = org_a.Status.ENDED
    with unscoped("test"):
        org_a.save(update_fields=["status"])
    with pytest.raises(RightsRefusal, match="contract"):
        erasure.erase_for_operator(email=EMAIL, officer_email=security_officer.email)
    assert not _reload(person).is_erased


def test_the_last_manager_needs_a_successor_named_on_the_command_line(
    org_a, alice, charlie, security_officer
):
    manager = make_person(org_a, role=OrgRole.MANAGER)
    with pytest.raises(RightsRefusal, match="last manager"):
        erasure.erase_for_operator(email=EMAIL, officer_email=security_officer.email)
    with pytest.raises(RightsRefusal, match="same organization"):
        erasure.erase_for_operator(
            email=EMAIL, officer_email=security_officer.email, successor_email=charlie.email
        )
    assert not _reload(manager).is_erased
    summary = erasure.erase_for_operator(
        email=EMAIL, officer_email=security_officer.email, successor_email=alice.email
    )
    assert summary.startswith("Erased: ")
    assert _reload(manager).is_erased
    assert _reload(alice).org_role == OrgRole.MANAGER


def test_an_erased_person_cannot_be_erased_again_by_email(org_a, bob, security_officer):
    make_person(org_a)
    erasure.erase_for_operator(email=EMAIL, officer_email=security_officer.email)
    with pytest.raises(RightsRefusal):
        erasure.erase_for_operator(email=EMAIL, officer_email=security_officer.email)


def test_an_open_erasure_request_of_the_person_is_carried_to_its_end(org_a, bob, security_officer):
    from grove.rights import actions
    from grove.rights.models import RequestType
    from grove.tenancy.context import tenant_context

    person = make_person(org_a)
    with tenant_context(org_a):
        filed = actions.request_file(
            actor=person, subject=person, request_type=RequestType.ERASURE, channel=Channel.PROFILE
        )
    erasure.erase_for_operator(email=EMAIL, officer_email=security_officer.email)
    with unscoped("test"):
        open_or_done = DataSubjectRequest.objects.exclude(state=RequestState.MERGED)
        (dsr,) = open_or_done
    assert dsr.pk == filed.pk and dsr.state == RequestState.FULFILLED
    assert _reload(person).is_erased
