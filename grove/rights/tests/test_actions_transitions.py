# ruff: noqa: F811 -- the fixtures imported from test_actions are used as arguments
"""The state machine: every step from every state, allowed or refused (recorded, nothing
written), and who may take it (the CSM never decides; strangers get the one 404)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.http import Http404

from grove.audit.models import AuditAction
from grove.core.testing.factories import StaffUserFactory, UserFactory
from grove.rights import actions
from grove.rights.actions import RequestUnavailable, StepRefused
from grove.rights.errors import InvalidTransition, RequestNotFound, RightsRefusal
from grove.rights.models import (
    OPEN_STATES,
    DataSubjectRequest,
    RefusalGround,
    RequestState,
    RequestStep,
    RequestType,
)
from grove.rights.tests.test_actions import (  # noqa: F401 -- fixtures
    assigned_csm,
    audit_events,
    make_request,
    reload,
    run,
    steps,
)
from grove.tenancy.context import unscoped

S = RequestState
ALL_STATES = [s for s in RequestState if s != S.MERGED]
GROUND: dict[str, Any] = {
    "refusal_ground": RefusalGround.LEGAL_HOLD,
    "refusal_details": "Court order 12/345.",
}


def _snapshot(dsr):
    with unscoped("test: the row and its timeline"):
        row = DataSubjectRequest.objects.filter(pk=dsr.pk).values().get()
        count = RequestStep.objects.filter(request_id=dsr.pk).count()
    return row, count


# Each step, the states it is allowed from, and how to call it (actor: the CSM or the officer).
STEPS = {
    "start": ({S.IDENTITY_VERIFIED}, "csm", lambda a, d: actions.request_start(actor=a, dsr=d)),
    "verify_identity": (
        {S.RECEIVED},
        "csm",
        lambda a, d: actions.request_verify_identity(actor=a, dsr=d, note="Called back"),
    ),
    "send_code": ({S.RECEIVED}, "csm", lambda a, d: actions.request_send_code(actor=a, dsr=d)),
    "ask_approval_refusal": (
        {S.IN_PROGRESS},
        "csm",
        lambda a, d: actions.request_ask_approval(actor=a, dsr=d, **GROUND),
    ),
    "decide_approve": (
        {S.AWAITING_APPROVAL},
        "officer",
        lambda a, d: actions.request_decide(officer=a, dsr=d, approve=True),
    ),
    "refuse": (
        set(OPEN_STATES),
        "officer",
        lambda a, d: actions.request_refuse(officer=a, dsr=d, **GROUND),
    ),
    "fulfil": ({S.IN_PROGRESS}, "csm", lambda a, d: actions.request_fulfil(actor=a, dsr=d)),
}


@pytest.mark.parametrize("step", sorted(STEPS))
def test_each_step_is_allowed_only_from_its_states(
    step, make_request, assigned_csm, security_officer, audit_events, reload
):
    allowed, who, call = STEPS[step]
    actor = assigned_csm if who == "csm" else security_officer
    for state in ALL_STATES:
        fields = GROUND if state == S.AWAITING_APPROVAL else {}
        dsr = make_request(state, RequestType.OBJECTION, **fields)
        before = _snapshot(dsr)
        denied = len(audit_events(AuditAction.ACCESS_DENIED))
        mail.outbox.clear()

        if state in allowed:
            call(actor, dsr)
            assert reload(dsr).state != state or step == "send_code", state
            assert _snapshot(dsr)[1] > before[1], state
            assert len(audit_events(AuditAction.ACCESS_DENIED)) == denied, state
            continue
        with pytest.raises(StepRefused) as refused:
            call(actor, dsr)
        expected = "closed" if state not in OPEN_STATES else "wrong_state"
        assert str(refused.value) == str(actions.REFUSALS[expected]), state
        assert _snapshot(dsr) == before, state  # nothing written
        event = audit_events(AuditAction.ACCESS_DENIED)[-1]
        assert len(audit_events(AuditAction.ACCESS_DENIED)) == denied + 1, state
        assert event.details["refused"] == expected
        assert event.details["state"] == state
        assert event.object_ids == [str(dsr.pk)]
        assert event.actor_id == actor.pk
        assert mail.outbox == [], state


def test_a_step_refusal_is_both_a_rights_refusal_and_recorded():
    assert issubclass(StepRefused, InvalidTransition)
    assert issubclass(StepRefused, RightsRefusal)
    assert issubclass(RequestUnavailable, RequestNotFound)
    assert issubclass(RequestUnavailable, Http404)


@pytest.mark.parametrize("who", ["tech", "security_manager", "alice", "bob", "charlie"])
def test_nobody_but_the_csm_and_the_officer_takes_a_step(request, who, make_request, audit_events):
    actor = request.getfixturevalue(who)
    for step, (allowed, _, call) in sorted(STEPS.items()):
        fields = GROUND if S.AWAITING_APPROVAL in allowed else {}
        dsr = make_request(sorted(allowed)[0], **fields)
        before = _snapshot(dsr)

        with pytest.raises(RequestUnavailable):
            call(actor, dsr)

        assert _snapshot(dsr) == before, step
        event = audit_events(AuditAction.ACCESS_DENIED)[-1]
        assert event.actor_id == actor.pk
        assert event.object_ids == [str(dsr.pk)]
        assert event.details["capability"] == "requests.handle"
    assert len(audit_events(AuditAction.ACCESS_DENIED)) == len(STEPS)
    assert mail.outbox == []


def test_a_csm_not_assigned_to_the_organization_gets_the_404(csm, make_request, audit_events):
    dsr = make_request(S.IDENTITY_VERIFIED)
    with pytest.raises(RequestUnavailable):
        actions.request_start(actor=csm, dsr=dsr)
    assert len(audit_events(AuditAction.ACCESS_DENIED)) == 1


def test_a_csm_whose_assignment_ended_gets_the_404(csm, org_a, make_request):
    from grove.staff.models import CsmAssignment

    with unscoped("test set-up"):
        CsmAssignment.objects.create(
            organization=org_a, csm=csm, ended_at=make_request().received_at
        )
    dsr = make_request(S.IDENTITY_VERIFIED)
    with pytest.raises(RequestUnavailable):
        actions.request_start(actor=csm, dsr=dsr)


@pytest.mark.parametrize("state", sorted(OPEN_STATES))
def test_the_csm_never_refuses_nor_decides(state, make_request, assigned_csm, audit_events):
    dsr = make_request(state, **GROUND)
    with pytest.raises(StepRefused, match="Only the security officer"):
        actions.request_refuse(officer=assigned_csm, dsr=dsr, **GROUND)
    with pytest.raises(StepRefused, match="Only the security officer"):
        actions.request_decide(officer=assigned_csm, dsr=dsr, approve=True)
    assert [e.details["refused"] for e in audit_events(AuditAction.ACCESS_DENIED)] == [
        "not_officer",
        "not_officer",
    ]


def test_an_inactive_officer_is_refused(make_request):
    officer = StaffUserFactory(staff_role="security_officer", is_active=False)
    dsr = make_request(S.AWAITING_APPROVAL, **GROUND)
    with pytest.raises(RequestUnavailable):
        actions.request_decide(officer=officer, dsr=dsr, approve=True)


# --- Asking approval ------------------------------------------------------------------------


def test_only_an_erasure_or_a_refusal_goes_to_the_officer(make_request, assigned_csm, reload):
    dsr = make_request(S.IN_PROGRESS, RequestType.ACCESS)
    with pytest.raises(StepRefused, match="Only an erasure or a proposed refusal"):
        actions.request_ask_approval(actor=assigned_csm, dsr=dsr)
    assert reload(dsr).state == S.IN_PROGRESS


@pytest.mark.parametrize(
    ("ground", "details", "message"),
    [
        ("made_up", "Some details.", "Choose the lawful ground"),
        (RefusalGround.LEGAL_HOLD, "   ", "Explain the refusal"),
        (RefusalGround.LEGAL_HOLD, "x" * 2001, "at most 2000"),
    ],
)
def test_a_proposed_refusal_needs_a_lawful_ground_and_details(
    ground, details, message, make_request, assigned_csm, reload
):
    dsr = make_request(S.IN_PROGRESS, RequestType.ACCESS)
    with pytest.raises(StepRefused, match=message):
        actions.request_ask_approval(
            actor=assigned_csm, dsr=dsr, refusal_ground=ground, refusal_details=details
        )
    assert reload(dsr).state == S.IN_PROGRESS
    assert reload(dsr).refusal_ground == ""


def test_asking_approval_mails_the_person_and_the_officers(
    make_request, assigned_csm, security_officer, run, reload, audit_events
):
    dsr = make_request(S.IN_PROGRESS, RequestType.ERASURE)
    run(actions.request_ask_approval, actor=assigned_csm, dsr=dsr)

    assert reload(dsr).approval_asked_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@a.example", "officer@grove.example"]
    officer_mail = next(m for m in mail.outbox if m.to == ["officer@grove.example"])
    assert "Organization A" in officer_mail.body
    assert f"/rights/console/{dsr.pk}/" in officer_mail.body
    # Staff mails never name the person.
    assert "Alice" not in officer_mail.body and "alice@" not in officer_mail.body
    [event] = audit_events(AuditAction.REQUEST_APPROVAL_ASKED)
    assert event.details == {"state": S.AWAITING_APPROVAL, "proposed": "erasure"}


def test_erasing_the_last_manager_needs_a_successor(
    bob, alice, charlie, make_request, assigned_csm, reload
):
    dsr = make_request(S.IN_PROGRESS, RequestType.ERASURE, subject=bob)

    with pytest.raises(StepRefused, match="last manager"):
        actions.request_ask_approval(actor=assigned_csm, dsr=dsr)
    with pytest.raises(StepRefused, match="another active member"):
        actions.request_ask_approval(actor=assigned_csm, dsr=dsr, successor_manager=charlie)
    with pytest.raises(StepRefused, match="another active member"):
        actions.request_ask_approval(actor=assigned_csm, dsr=dsr, successor_manager=bob)
    assert reload(dsr).state == S.IN_PROGRESS

    actions.request_ask_approval(actor=assigned_csm, dsr=dsr, successor_manager=alice)
    assert reload(dsr).successor_manager_id == alice.pk
    assert reload(dsr).state == S.AWAITING_APPROVAL


def test_a_successor_is_refused_when_another_manager_remains(
    bob, alice, org_a, make_request, assigned_csm
):
    UserFactory(organization=org_a, org_role="manager")
    dsr = make_request(S.IN_PROGRESS, RequestType.ERASURE, subject=bob)
    with pytest.raises(StepRefused, match="no successor is needed"):
        actions.request_ask_approval(actor=assigned_csm, dsr=dsr, successor_manager=alice)
    actions.request_ask_approval(actor=assigned_csm, dsr=dsr)


# --- The officer's decision -----------------------------------------------------------------


def test_rejecting_a_proposed_refusal_sends_the_request_back(
    make_request, security_officer, run, reload, steps
):
    dsr = make_request(S.AWAITING_APPROVAL, RequestType.ACCESS, **GROUND)
    run(actions.request_decide, officer=security_officer, dsr=dsr, approve=False)

    dsr = reload(dsr)
    assert dsr.state == S.IN_PROGRESS
    assert dsr.refusal_ground == "" and dsr.refusal_details == ""
    assert dsr.decided_by_id == security_officer.pk
    assert steps(dsr) == [(AuditAction.REQUEST_STARTED, S.IN_PROGRESS)]
    [notice] = mail.outbox
    assert notice.to == ["alice@a.example"]
    assert "refus" not in notice.body.lower()


def test_rejecting_an_erasure_refuses_it_on_the_officers_ground(
    make_request, security_officer, run, reload
):
    dsr = make_request(S.AWAITING_APPROVAL, RequestType.ERASURE)
    with pytest.raises(StepRefused, match="Choose the lawful ground"):
        actions.request_decide(officer=security_officer, dsr=dsr, approve=False)
    assert reload(dsr).state == S.AWAITING_APPROVAL

    run(
        actions.request_decide,
        officer=security_officer,
        dsr=dsr,
        approve=False,
        refusal_ground=RefusalGround.INVESTIGATION,
        refusal_details="A security investigation concerns this account.",
    )

    dsr = reload(dsr)
    assert dsr.state == S.REFUSED
    assert dsr.refusal_ground == RefusalGround.INVESTIGATION
    [refusal] = mail.outbox
    assert "A security investigation concerns this account." in refusal.body
    assert "Ongoing security investigation" in refusal.body
    assert "supervisory authority" in refusal.body


def test_approving_with_a_ground_is_refused_as_bad_input(make_request, security_officer, reload):
    dsr = make_request(S.AWAITING_APPROVAL, RequestType.ERASURE)
    with pytest.raises(StepRefused, match="only given with a refusal"):
        actions.request_decide(officer=security_officer, dsr=dsr, approve=True, **GROUND)
    assert reload(dsr).state == S.AWAITING_APPROVAL


def test_the_officer_refuses_directly_with_ground_and_details(
    make_request, security_officer, run, reload, audit_events
):
    dsr = make_request(S.RECEIVED, RequestType.ERASURE)
    with pytest.raises(StepRefused, match="Explain the refusal"):
        actions.request_refuse(
            officer=security_officer, dsr=dsr, refusal_ground="legal_hold", refusal_details=""
        )
    run(actions.request_refuse, officer=security_officer, dsr=dsr, **GROUND)

    dsr = reload(dsr)
    assert dsr.state == S.REFUSED and dsr.decided_by_id == security_officer.pk
    [event] = audit_events(AuditAction.REQUEST_REFUSED)
    # The ground's code, never the details typed.
    assert event.details == {"state": S.REFUSED, "ground": "legal_hold"}
    assert "Court order" not in str(event.details)
    assert "Court order 12/345." in mail.outbox[0].body


# --- Fulfilment -----------------------------------------------------------------------------


def test_an_objection_is_closed_by_hand(make_request, assigned_csm, run, reload, steps):
    dsr = make_request(S.IN_PROGRESS, RequestType.RESTRICTION)
    run(actions.request_fulfil, actor=assigned_csm, dsr=dsr)
    assert reload(dsr).state == S.FULFILLED
    assert steps(dsr) == [(AuditAction.REQUEST_FULFILLED, S.FULFILLED)]
    assert mail.outbox[0].to == ["alice@a.example"]


def test_fulfilling_an_access_request_mails_a_single_use_link(
    make_request, assigned_csm, run, reload, settings
):
    from grove.rights.models import PersonalDataExport

    settings.GROVE_BASE_URL = "https://grove.example"
    dsr = make_request(S.IN_PROGRESS, RequestType.ACCESS)

    run(actions.request_fulfil, actor=assigned_csm, dsr=dsr)

    assert reload(dsr).state == S.FULFILLED
    with unscoped("test: the export"):
        export = PersonalDataExport.objects.get(request_id=dsr.pk)
    [notice] = mail.outbox
    assert notice.to == ["alice@a.example"]
    assert "https://grove.example/rights/exports/" in notice.body
    assert export.token_hash and export.token_hash not in notice.body


def test_an_erasure_is_mailed_to_the_address_it_erased(
    make_request, assigned_csm, security_officer, run, reload, alice
):
    dsr = make_request(S.APPROVED, RequestType.ERASURE, decided_by=security_officer)

    run(actions.request_fulfil, actor=assigned_csm, dsr=dsr)

    assert reload(dsr).state == S.FULFILLED
    [notice] = mail.outbox
    assert notice.to == ["alice@a.example"]
    assert "erased" in notice.body
    with unscoped("test: the erased account"):
        alice.refresh_from_db()
    assert alice.email != "alice@a.example"
    assert not alice.is_active


def test_a_failing_fulfilment_leaves_the_request_in_progress(
    make_request, assigned_csm, reload, monkeypatch
):
    import grove.rights.export as export

    def broken(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(export, "export_create", broken)
    dsr = make_request(S.IN_PROGRESS, RequestType.ACCESS)
    with pytest.raises(OSError):
        actions.request_fulfil(actor=assigned_csm, dsr=dsr)
    assert reload(dsr).state == S.IN_PROGRESS
    with unscoped("test"):
        assert not RequestStep.objects.filter(request_id=dsr.pk).exists()


def test_a_refusal_from_the_erasure_is_recorded_as_the_steps(
    make_request, assigned_csm, reload, monkeypatch, audit_events
):
    import grove.rights.erasure as erasure

    def refusing(**kwargs):
        raise RightsRefusal("The successor is no longer a member.")

    monkeypatch.setattr(erasure, "erase_person", refusing)
    dsr = make_request(S.APPROVED, RequestType.ERASURE)
    with pytest.raises(StepRefused, match="The successor is no longer a member."):
        actions.request_fulfil(actor=assigned_csm, dsr=dsr)
    assert reload(dsr).state == S.APPROVED
    assert audit_events(AuditAction.ACCESS_DENIED)[-1].details == {
        "attempted": "rights.fulfil",
        "refused": "fulfilment_refused",
        "state": S.APPROVED,
    }
    assert mail.outbox == []


def test_a_decision_is_a_yes_or_a_no(make_request, security_officer, reload):
    dsr = make_request(S.AWAITING_APPROVAL, RequestType.ERASURE)
    with pytest.raises(StepRefused, match="Approve or reject"):
        actions.request_decide(officer=security_officer, dsr=dsr, approve="no")
    assert reload(dsr).state == S.AWAITING_APPROVAL


def test_no_successor_with_a_proposed_refusal(bob, alice, make_request, assigned_csm, reload):
    dsr = make_request(S.IN_PROGRESS, RequestType.ERASURE, subject=bob)
    with pytest.raises(StepRefused, match="not for a refusal"):
        actions.request_ask_approval(actor=assigned_csm, dsr=dsr, successor_manager=alice, **GROUND)
    assert reload(dsr).state == S.IN_PROGRESS
