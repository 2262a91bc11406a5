# ruff: noqa: F811 -- the fixtures imported from test_actions are used as arguments
"""The public form and its 6-digit code: no account enumeration, a code valid 10 minutes,
5 wrong codes lock the request, every refusal recorded without anything readable."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from grove.accounts.tests.helpers import assert_nowhere_in
from grove.audit.events import pseudonymous_ref
from grove.audit.models import AuditAction
from grove.core.testing.factories import UserFactory
from grove.rights import verification
from grove.rights.actions import (
    RequestUnavailable,
    StepRefused,
    request_file_public,
    request_send_code,
    request_verify_code,
)
from grove.rights.models import (
    Channel,
    DataSubjectRequest,
    RefusalGround,
    RequestState,
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
from grove.tenancy.models import Organization

S = RequestState


def _count() -> int:
    with unscoped("test: count requests"):
        return DataSubjectRequest.objects.count()


def _code_of(message) -> str:
    found = re.search(r"^\s+(\d{6})$", message.body, re.MULTILINE)
    assert found is not None, "no code in the mail"
    return found.group(1)


@pytest.fixture
def public(alice, run):
    """Alice's access request from the public form; returns it and the code mailed."""

    def make(request_type=RequestType.ACCESS):
        mail.outbox.clear()
        dsr = run(request_file_public, email=" Alice@A.example ", request_type=request_type)
        return dsr, _code_of(mail.outbox[-1])

    return make


def test_a_known_address_gets_a_request_and_a_code(public, steps, alice, audit_events):
    dsr, code = public()

    assert dsr.subject_id == alice.pk
    assert dsr.channel == Channel.WEB_FORM
    assert dsr.state == S.RECEIVED
    assert dsr.filed_by_id is None
    assert steps(dsr) == [
        (AuditAction.REQUEST_FILED, S.RECEIVED),
        (AuditAction.REQUEST_CODE_SENT, S.RECEIVED),
    ]
    [notice] = mail.outbox
    assert notice.to == ["alice@a.example"]
    assert "10 minutes" in notice.body
    assert "Type it on the page" in notice.body
    # Only a keyed hash of the code is kept, and the code is nowhere in the log.
    stored = reload_row(dsr)
    assert code not in stored.verification_code_hash
    assert stored.verification_code_hash == verification.code_hash(request_id=dsr.pk, code=code)
    for event in audit_events():
        assert_nowhere_in(event, code, "alice@a.example")


def reload_row(dsr):
    with unscoped("test"):
        return DataSubjectRequest.objects.get(pk=dsr.pk)


@pytest.mark.parametrize("case", ["unknown", "inactive", "staff", "ended"])
def test_any_other_address_creates_nothing_and_leaves_only_a_hash(
    case, org_a, tech, run, audit_events
):
    email = {
        "unknown": "nobody@nowhere.example",
        "inactive": "gone@a.example",
        "staff": "tech@grove.example",
        "ended": "ended@ended.example",
    }[case]
    if case == "inactive":
        UserFactory(organization=org_a, email=email, is_active=False)
    if case == "ended":
        UserFactory(email=email)
        with unscoped("test set-up"):
            Organization.objects.exclude(pk=org_a.pk).update(status=Organization.Status.ENDED)

    answer = run(request_file_public, email=email, request_type=RequestType.ERASURE)

    assert answer is None
    assert _count() == 0
    assert mail.outbox == []
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.subject_ref == pseudonymous_ref(email)
    assert event.organization_id is None and event.subject_user_id is None
    assert event.details == {"attempted": "rights.file_public", "refused": "unknown_email"}
    assert_nowhere_in(event, email, email.split("@")[0])


@pytest.mark.parametrize("email", ["alice@a.example", "nobody@nowhere.example"])
def test_a_rectification_is_refused_on_the_public_form_whatever_the_address(email, alice):
    with pytest.raises(StepRefused, match="cannot be filed from the public form"):
        request_file_public(email=email, request_type=RequestType.RECTIFICATION)
    assert _count() == 0


def test_the_right_code_verifies_the_identity(public, run, steps, audit_events):
    dsr, code = public()
    mail.outbox.clear()

    # Spaces and full-width digits (some phone keyboards) are read as the digits.
    typed = f" {code[:3]} " + code[3:].translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    verified = run(request_verify_code, dsr_id=str(dsr.pk), code=typed)

    assert verified.state == S.IDENTITY_VERIFIED
    row = reload_row(dsr)
    assert row.identity_verified_at is not None and row.identity_verified_by_id is None
    assert row.verification_code_hash == ""
    assert steps(dsr)[-1] == (AuditAction.REQUEST_IDENTITY_VERIFIED, S.IDENTITY_VERIFIED)
    assert audit_events(AuditAction.REQUEST_IDENTITY_VERIFIED)[0].details == {
        "state": S.IDENTITY_VERIFIED,
        "by": "code",
    }
    assert mail.outbox[0].to == ["alice@a.example"]
    # A used code is spent.
    with pytest.raises(StepRefused, match="does not wait for a code"):
        request_verify_code(dsr_id=dsr.pk, code=code)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_five_wrong_codes_lock_the_request_and_the_sixth_is_refused(
    public, run, audit_events, steps
):
    dsr, code = public()
    mail.outbox.clear()

    for attempt in range(1, 5):
        with pytest.raises(StepRefused, match=f"{5 - attempt} attempt"):
            run(request_verify_code, dsr_id=dsr.pk, code=_wrong(code))
        assert reload_row(dsr).verification_attempts == attempt
        assert reload_row(dsr).state == S.RECEIVED
    assert mail.outbox == []

    with pytest.raises(StepRefused, match="Too many wrong codes"):
        run(request_verify_code, dsr_id=dsr.pk, code=_wrong(code))

    row = reload_row(dsr)
    assert row.state == S.REFUSED
    assert row.refusal_ground == RefusalGround.IDENTITY_NOT_VERIFIED
    assert row.closed_at is not None
    assert row.verification_code_hash == ""
    failed = audit_events(AuditAction.REQUEST_CODE_FAILED)
    assert [e.details["attempts"] for e in failed] == [1, 2, 3, 4, 5]
    [refused] = audit_events(AuditAction.REQUEST_REFUSED)
    assert refused.details == {"state": S.REFUSED, "ground": "identity_not_verified"}
    [notice] = mail.outbox
    assert notice.to == ["alice@a.example"]
    assert "Identity could not be verified" in notice.body
    assert "supervisory authority" in notice.body

    # The sixth, even the right one, is refused: recorded, nothing changes.
    with pytest.raises(StepRefused, match="Too many wrong codes"):
        request_verify_code(dsr_id=dsr.pk, code=code)
    assert reload_row(dsr).state == S.REFUSED
    assert audit_events(AuditAction.ACCESS_DENIED)[-1].details == {
        "attempted": "rights.verify_code",
        "refused": "locked",
        "state": S.REFUSED,
    }
    for event in audit_events():
        assert_nowhere_in(event, code, _wrong(code))


def test_an_expired_code_is_refused_and_not_counted(public, audit_events):
    dsr, code = public()
    later = timezone.now() + datetime.timedelta(minutes=10, seconds=1)
    with time_machine.travel(later), pytest.raises(StepRefused, match="expired"):
        request_verify_code(dsr_id=dsr.pk, code=code)
    row = reload_row(dsr)
    assert row.state == S.RECEIVED and row.verification_attempts == 0
    assert audit_events(AuditAction.ACCESS_DENIED)[-1].details["refused"] == "code_expired"


def test_the_code_is_still_good_just_before_its_ten_minutes(public):
    dsr, code = public()
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=9, seconds=50)):
        assert request_verify_code(dsr_id=dsr.pk, code=code).state == S.IDENTITY_VERIFIED


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12a456", "١٢٣٤٥٦"])
def test_a_malformed_code_is_refused_and_not_counted(typed, public):
    dsr, _ = public()
    with pytest.raises(StepRefused, match="6 digits"):
        request_verify_code(dsr_id=dsr.pk, code=typed)
    assert reload_row(dsr).verification_attempts == 0


@pytest.mark.parametrize("forged", [uuid.uuid4(), "not-an-id", None])
def test_an_unknown_or_forged_request_id_is_the_404_recorded(forged, audit_events):
    with pytest.raises(RequestUnavailable):
        request_verify_code(dsr_id=forged, code="123456")
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.actor_id is None
    assert event.details["attempted"] == "rights.verify_code"
    if isinstance(forged, uuid.UUID):
        assert event.details["forged_id"] == str(forged)


def test_a_new_code_replaces_the_old_one_but_wrong_codes_still_count(public, run):
    dsr, first = public()
    with pytest.raises(StepRefused):
        request_verify_code(dsr_id=dsr.pk, code=_wrong(first))
    mail.outbox.clear()

    run(request_send_code, dsr=reload_row(dsr))
    second = _code_of(mail.outbox[0])

    if second != first:
        with pytest.raises(StepRefused, match="not the right one"):
            request_verify_code(dsr_id=dsr.pk, code=first)
    assert reload_row(dsr).verification_attempts >= 1
    assert request_verify_code(dsr_id=dsr.pk, code=second).state == S.IDENTITY_VERIFIED


def test_codes_sent_are_limited(public, audit_events):
    dsr, _ = public()
    for _sent in range(verification.MAX_CODES_SENT - 1):
        request_send_code(dsr=reload_row(dsr))
    with pytest.raises(StepRefused, match="Too many codes"):
        request_send_code(dsr=reload_row(dsr))
    assert audit_events(AuditAction.ACCESS_DENIED)[-1].details["refused"] == "too_many_codes"
    assert len(audit_events(AuditAction.REQUEST_CODE_SENT)) == verification.MAX_CODES_SENT


def test_a_recorded_request_is_verified_by_a_code_too(make_request, assigned_csm, run):
    dsr = make_request(S.RECEIVED, channel=Channel.MAIL)
    run(request_send_code, dsr=dsr, actor=assigned_csm)
    code = _code_of(mail.outbox[0])
    assert "will ask you for it" in mail.outbox[0].body
    assert request_verify_code(dsr_id=dsr.pk, code=code).state == S.IDENTITY_VERIFIED


def test_the_public_form_sends_a_code_for_a_recorded_request_still_unverified(
    make_request, run, audit_events
):
    recorded = make_request(S.RECEIVED, RequestType.ACCESS, channel=Channel.MAIL)
    answer = run(request_file_public, email="alice@a.example", request_type=RequestType.ACCESS)
    assert answer.pk == recorded.pk
    assert len(audit_events(AuditAction.REQUEST_MERGED)) == 1
    code = _code_of(mail.outbox[0])
    assert request_verify_code(dsr_id=recorded.pk, code=code).state == S.IDENTITY_VERIFIED


def test_the_public_form_twice_sends_a_new_code_for_the_same_request(public, run, audit_events):
    dsr, first = public()
    again, second = public()

    assert again.pk == dsr.pk
    assert _count() == 1
    assert len(audit_events(AuditAction.REQUEST_MERGED)) == 1
    assert request_verify_code(dsr_id=dsr.pk, code=second).state == S.IDENTITY_VERIFIED


def test_the_public_form_for_a_request_already_in_progress_merges_it(
    alice, make_request, run, audit_events
):
    open_one = make_request(S.IN_PROGRESS, RequestType.ACCESS, channel=Channel.PROFILE)
    answer = run(request_file_public, email="alice@a.example", request_type=RequestType.ACCESS)
    assert answer.pk == open_one.pk
    assert reload_row(open_one).state == S.IN_PROGRESS
    [notice] = mail.outbox
    assert "already open" in notice.subject
    assert len(audit_events(AuditAction.REQUEST_MERGED)) == 1


def test_the_code_is_random_and_six_digits():
    codes = {verification.new_code() for _ in range(200)}
    assert all(re.fullmatch(r"\d{6}", code) for code in codes)
    assert len(codes) > 190
    request_id = uuid.uuid4()
    assert verification.matches(
        request_id=request_id,
        code="012345",
        stored_hash=verification.code_hash(request_id=request_id, code="012345"),
    )
    # Bound to its request: the same code's hash does not verify another one.
    assert not verification.matches(
        request_id=uuid.uuid4(),
        code="012345",
        stored_hash=verification.code_hash(request_id=request_id, code="012345"),
    )
    assert not verification.matches(request_id=request_id, code="012345", stored_hash="")
