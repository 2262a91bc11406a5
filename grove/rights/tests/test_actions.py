"""The request workflow end to end, and the fixtures the other workflow tests import.

States: received -> identity_verified -> in_progress -> (awaiting_approval -> approved) ->
fulfilled | refused; every step one RequestStep, one audit event (ids only), one mail.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from grove.audit.models import AuditAction, AuditEvent
from grove.rights.actions import (
    StepRefused,
    request_ask_approval,
    request_decide,
    request_file,
    request_fulfil,
    request_start,
    request_verify_identity,
)
from grove.rights.models import (
    Channel,
    DataSubjectRequest,
    RefusalGround,
    RequestState,
    RequestStep,
    RequestType,
)
from grove.staff.models import CsmAssignment
from grove.tenancy.context import unscoped

S = RequestState


# --- Shared fixtures (imported by the other workflow test modules) --------------------------


@pytest.fixture
def assigned_csm(csm, org_a):
    """The CSM, assigned to organization A (set-up data)."""
    with unscoped("test set-up"):
        CsmAssignment.objects.create(organization=org_a, csm=csm)
    return csm


@pytest.fixture
def audit_events(db):
    """``audit_events("rights.filed")``: that action's events, oldest first."""

    def read(action: str | None = None) -> list[AuditEvent]:
        with unscoped("test: read the access log"):
            events = AuditEvent.objects.all()
            if action is not None:
                events = events.filter(action=str(action))
            return list(events.order_by("id"))

    return read


@pytest.fixture
def reload():
    def read(dsr: DataSubjectRequest) -> DataSubjectRequest:
        with unscoped("test: read the request back"):
            return DataSubjectRequest.objects.get(pk=dsr.pk)

    return read


@pytest.fixture
def steps():
    def read(dsr: DataSubjectRequest) -> list[tuple[str, str]]:
        with unscoped("test: read the timeline"):
            return list(
                RequestStep.objects.filter(request_id=dsr.pk)
                .order_by("occurred_at", "id")
                .values_list("action", "state")
            )

    return read


@pytest.fixture
def filed(alice, django_capture_on_commit_callbacks):
    """``filed(type)``: Alice's own request from her profile (identity verified)."""

    def make(request_type: str = RequestType.OBJECTION, **kwargs) -> DataSubjectRequest:
        with django_capture_on_commit_callbacks(execute=True):
            return request_file(
                actor=alice,
                subject=alice,
                request_type=request_type,
                channel=Channel.PROFILE,
                **kwargs,
            )

    return make


@pytest.fixture
def in_progress(filed, assigned_csm, django_capture_on_commit_callbacks):
    """``in_progress(type)``: Alice's request, taken by the CSM."""

    def make(request_type: str = RequestType.OBJECTION, **kwargs) -> DataSubjectRequest:
        dsr = filed(request_type, **kwargs)
        with django_capture_on_commit_callbacks(execute=True):
            request_start(actor=assigned_csm, dsr=dsr)
        return dsr

    return make


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """``run(action, **kwargs)``: call an action and send its mails (after the commit)."""

    def call(action, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(**kwargs)

    return call


# --- The journeys ---------------------------------------------------------------------------


def test_a_recorded_request_goes_from_receipt_to_fulfilment(
    alice, assigned_csm, run, reload, steps, audit_events
):
    dsr = run(
        request_file,
        actor=assigned_csm,
        subject=alice,
        request_type=RequestType.OBJECTION,
        channel=Channel.PHONE,
    )
    assert reload(dsr).state == S.RECEIVED
    assert reload(dsr).filed_by_id == assigned_csm.pk

    run(request_verify_identity, actor=assigned_csm, dsr=dsr, note="Called back on file number")
    run(request_start, actor=assigned_csm, dsr=dsr)
    run(request_fulfil, actor=assigned_csm, dsr=dsr)

    dsr = reload(dsr)
    assert dsr.state == S.FULFILLED
    assert dsr.handler_id == assigned_csm.pk
    assert dsr.identity_verified_by_id == assigned_csm.pk
    assert dsr.closed_at is not None
    assert steps(dsr) == [
        (AuditAction.REQUEST_FILED, S.RECEIVED),
        (AuditAction.REQUEST_IDENTITY_VERIFIED, S.IDENTITY_VERIFIED),
        (AuditAction.REQUEST_STARTED, S.IN_PROGRESS),
        (AuditAction.REQUEST_FULFILLED, S.FULFILLED),
    ]
    # One event per step, about Alice, naming the request by id only.
    events = [e for e in audit_events() if e.action.startswith("rights.")]
    assert [e.action for e in events] == [a for a, _ in steps(dsr)]
    for event in events:
        assert event.object_type == "rights.request"
        assert event.object_ids == [str(dsr.pk)]
        assert event.subject_user_id == alice.pk
        assert event.organization_id == alice.organization_id
    # One mail per step, to Alice only.
    assert [m.to for m in mail.outbox] == [["alice@a.example"]] * 4


def test_an_erasure_needs_the_officers_approval_before_fulfilment(
    in_progress, assigned_csm, security_officer, run, reload, audit_events
):
    dsr = in_progress(RequestType.ERASURE)

    with pytest.raises(StepRefused, match="only once the security officer approved"):
        request_fulfil(actor=assigned_csm, dsr=dsr)
    run(request_ask_approval, actor=assigned_csm, dsr=dsr)
    assert reload(dsr).state == S.AWAITING_APPROVAL
    with pytest.raises(StepRefused, match="Only the security officer"):
        request_decide(officer=assigned_csm, dsr=dsr, approve=True)
    assert reload(dsr).state == S.AWAITING_APPROVAL

    run(request_decide, officer=security_officer, dsr=dsr, approve=True)

    dsr = reload(dsr)
    assert dsr.state == S.APPROVED
    assert dsr.decided_by_id == security_officer.pk
    refusals = audit_events(AuditAction.ACCESS_DENIED)
    assert [e.details["refused"] for e in refusals] == ["erasure_not_approved", "not_officer"]
    assert all(e.actor_id == assigned_csm.pk for e in refusals)


def test_a_proposed_refusal_is_refused_only_once_the_officer_approves(
    in_progress, assigned_csm, security_officer, run, reload
):
    dsr = in_progress(RequestType.ACCESS)
    run(
        request_ask_approval,
        actor=assigned_csm,
        dsr=dsr,
        refusal_ground=RefusalGround.LEGAL_HOLD,
        refusal_details="Litigation hold until the court rules.",
    )
    assert reload(dsr).state == S.AWAITING_APPROVAL
    mail.outbox.clear()

    run(request_decide, officer=security_officer, dsr=dsr, approve=True)

    dsr = reload(dsr)
    assert dsr.state == S.REFUSED
    assert dsr.refusal_ground == RefusalGround.LEGAL_HOLD
    assert dsr.closed_at is not None
    [refusal] = mail.outbox
    assert refusal.to == ["alice@a.example"]
    assert "Litigation hold until the court rules." in refusal.body
    assert "Data under a legal hold" in refusal.body
    assert "complaint" in refusal.body and "CNIL" in refusal.body
    assert timezone.now() >= dsr.closed_at


@pytest.fixture
def make_request(alice):
    """``make_request(state, type)``: a request about Alice already in ``state`` (set-up data,
    not the actions under test)."""
    from grove.rights.actions import deadline

    def make(
        state: str = S.RECEIVED,
        request_type: str = RequestType.OBJECTION,
        *,
        subject=None,
        channel: str = Channel.MAIL,
        **fields,
    ) -> DataSubjectRequest:
        subject = subject or alice
        now = timezone.now()
        fields.setdefault("received_at", now)
        fields.setdefault("due_at", deadline(fields["received_at"]))
        dsr = DataSubjectRequest(
            organization_id=subject.organization_id,
            subject=subject,
            request_type=request_type,
            channel=channel,
            state=state,
            closed_at=now if state in (S.FULFILLED, S.REFUSED) else None,
            **fields,
        )
        with unscoped("test set-up"):
            dsr.save()
        return dsr

    return make


def test_the_access_log_holds_ids_only_whatever_was_typed(
    alice, assigned_csm, security_officer, run, audit_events
):
    from grove.accounts.tests.helpers import assert_nowhere_in
    from grove.rights.actions import request_extend, request_file_public, request_refuse

    typed = {
        "note": "Called Alice Anders back on +33 6 12 34 56 78",
        "reason": "Alice's mailbox archive must be restored first",
        "details": "Alice Anders is party to case 2027-14",
    }
    dsr = run(
        request_file,
        actor=assigned_csm,
        subject=alice,
        request_type=RequestType.ERASURE,
        channel=Channel.MAIL,
    )
    run(request_verify_identity, actor=assigned_csm, dsr=dsr, note=typed["note"])
    run(request_start, actor=assigned_csm, dsr=dsr)
    run(request_extend, actor=assigned_csm, dsr=dsr, months=1, reason=typed["reason"])
    run(
        request_ask_approval,
        actor=assigned_csm,
        dsr=dsr,
        refusal_ground=RefusalGround.LEGAL_CLAIMS,
        refusal_details=typed["details"],
    )
    run(request_decide, officer=security_officer, dsr=dsr, approve=False)
    run(
        request_refuse,
        officer=security_officer,
        dsr=dsr,
        **{
            "refusal_ground": RefusalGround.LEGAL_CLAIMS,
            "refusal_details": typed["details"],
        },
    )
    run(request_file_public, email="alice@a.example", request_type=RequestType.ACCESS)
    run(request_file_public, email="Nobody@Else.example", request_type=RequestType.ACCESS)

    events = audit_events()
    assert len(events) >= 10
    for event in events:
        assert_nowhere_in(
            event,
            "alice@a.example",
            "nobody@else.example",
            "Alice",
            "Anders",
            "+33 6",
            "mailbox archive",
            "case 2027-14",
        )
    # The typed texts are on the request and its timeline, for those who may see it.
    with unscoped("test"):
        notes = set(RequestStep.objects.filter(request_id=dsr.pk).values_list("note", flat=True))
    assert {typed["note"], typed["reason"]} <= notes
