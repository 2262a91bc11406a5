# ruff: noqa: F811 -- the fixtures imported from test_actions are used as arguments
"""request_file: from the profile (identity verified at once) or recorded by staff; who may
file about whom; duplicates merged; bad input refused, recorded, nothing written."""

from __future__ import annotations

import pytest
from django.core import mail

from grove.accounts.tests.helpers import assert_nowhere_in
from grove.audit.models import AuditAction
from grove.core.testing.factories import JobTypeFactory, UserFactory
from grove.rights.actions import RequestUnavailable, StepRefused, request_file
from grove.rights.models import Channel, DataSubjectRequest, RequestState, RequestType
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


def test_a_request_from_the_profile_is_verified_at_once(alice, run, steps, audit_events):
    dsr = run(
        request_file,
        actor=alice,
        subject=alice,
        request_type=RequestType.ACCESS,
        channel=Channel.PROFILE,
    )

    assert dsr.state == S.IDENTITY_VERIFIED
    assert dsr.identity_verified_at == dsr.received_at
    assert dsr.identity_verified_by_id is None  # the session, not a person
    assert dsr.filed_by_id == alice.pk
    assert steps(dsr) == [
        (AuditAction.REQUEST_FILED, S.RECEIVED),
        (AuditAction.REQUEST_IDENTITY_VERIFIED, S.IDENTITY_VERIFIED),
    ]
    [filed] = audit_events(AuditAction.REQUEST_FILED)
    assert filed.details == {"state": S.RECEIVED, "channel": "profile"}
    assert filed.actor_id == alice.pk
    # One mail for one click.
    [notice] = mail.outbox
    assert notice.to == ["alice@a.example"]
    assert "Access to my data" in notice.body
    assert "identity is confirmed" in notice.body


def test_nobody_files_from_the_profile_for_someone_else(alice, bob, audit_events):
    with pytest.raises(StepRefused, match="filed by the person themself"):
        request_file(
            actor=bob, subject=alice, request_type=RequestType.ACCESS, channel=Channel.PROFILE
        )
    assert _count() == 0
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.actor_id == bob.pk
    assert event.details == {"attempted": "rights.file", "refused": "profile_only_self"}


@pytest.mark.parametrize("channel", [Channel.MAIL, Channel.PHONE, Channel.CLIENT, Channel.OTHER])
def test_the_assigned_csm_records_a_request_received_otherwise(
    channel, alice, assigned_csm, run, steps
):
    dsr = run(
        request_file,
        actor=assigned_csm,
        subject=alice,
        request_type=RequestType.PORTABILITY,
        channel=channel,
    )
    assert dsr.state == S.RECEIVED
    assert dsr.channel == channel
    assert dsr.filed_by_id == assigned_csm.pk
    assert steps(dsr) == [(AuditAction.REQUEST_FILED, S.RECEIVED)]
    [notice] = mail.outbox
    assert notice.to == ["alice@a.example"]
    assert "confirm that it comes from you" in notice.body


def test_the_security_officer_may_record_one_too(alice, security_officer):
    dsr = request_file(
        actor=security_officer,
        subject=alice,
        request_type=RequestType.ERASURE,
        channel=Channel.OTHER,
    )
    assert dsr.state == S.RECEIVED


@pytest.mark.parametrize("who", ["csm", "tech", "bob", "alice"])
def test_nobody_else_records_a_request_about_a_person(request, who, alice, audit_events):
    actor = request.getfixturevalue(who)  # the CSM here is not assigned to A
    with pytest.raises(RequestUnavailable):
        request_file(
            actor=actor, subject=alice, request_type=RequestType.ACCESS, channel=Channel.MAIL
        )
    assert _count() == 0
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.actor_id == actor.pk
    assert event.organization_id == alice.organization_id
    assert event.details == {"capability": "requests.handle"}


def test_another_organizations_person_gets_the_404(charlie, assigned_csm, audit_events):
    with pytest.raises(RequestUnavailable):
        request_file(
            actor=assigned_csm,
            subject=charlie,
            request_type=RequestType.ACCESS,
            channel=Channel.MAIL,
        )
    assert _count() == 0
    assert len(audit_events(AuditAction.ACCESS_DENIED)) == 1


def test_no_new_request_once_the_contract_ended(alice, org_a, assigned_csm, audit_events):
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_a.pk).update(status=Organization.Status.ENDED)
    with pytest.raises(StepRefused, match="contract has ended"):
        request_file(
            actor=alice, subject=alice, request_type=RequestType.ACCESS, channel=Channel.PROFILE
        )
    with pytest.raises(StepRefused, match="contract has ended"):
        request_file(
            actor=assigned_csm,
            subject=alice,
            request_type=RequestType.ACCESS,
            channel=Channel.MAIL,
        )
    assert _count() == 0
    assert [e.details["refused"] for e in audit_events(AuditAction.ACCESS_DENIED)] == [
        "contract_ended",
        "contract_ended",
    ]
    assert mail.outbox == []


def test_a_request_is_about_a_client_user_not_staff(tech, assigned_csm):
    with pytest.raises(StepRefused, match="users of a client organization"):
        request_file(
            actor=assigned_csm, subject=tech, request_type=RequestType.ACCESS, channel=Channel.MAIL
        )
    assert _count() == 0


@pytest.mark.parametrize(
    ("request_type", "channel", "message"),
    [
        ("everything", Channel.MAIL, "Unknown type"),
        (RequestType.ACCESS, "carrier_pigeon", "Unknown channel"),
        (RequestType.ACCESS, Channel.WEB_FORM, "through that form"),
    ],
)
def test_bad_input_is_refused_clearly(request_type, channel, message, alice, assigned_csm):
    with pytest.raises(StepRefused, match=message):
        request_file(actor=assigned_csm, subject=alice, request_type=request_type, channel=channel)
    assert _count() == 0


# --- Rectification values -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (None, "at least one new value"),
        ({}, "at least one new value"),
        ({"email": "new@a.example"}, "Only names, country and job type"),
        ({"first_name": "   "}, "cannot be empty"),
        ({"last_name": "x" * 151}, "at most 150"),
        ({"country": "XX"}, "Unknown country"),
        ({"job_type": "Astronaut"}, "Unknown job type"),
    ],
)
def test_a_rectification_needs_valid_new_values(values, message, alice, assigned_csm):
    with pytest.raises(StepRefused, match=message):
        request_file(
            actor=assigned_csm,
            subject=alice,
            request_type=RequestType.RECTIFICATION,
            channel=Channel.MAIL,
            rectification=values,
        )
    assert _count() == 0


def test_new_values_are_only_for_a_rectification(alice):
    with pytest.raises(StepRefused, match="only for a rectification"):
        request_file(
            actor=alice,
            subject=alice,
            request_type=RequestType.ACCESS,
            channel=Channel.PROFILE,
            rectification={"first_name": "Alicia"},
        )


def test_another_organizations_job_type_is_unknown(alice, org_b):
    other = JobTypeFactory(organization=org_b, name="Pilot")
    with pytest.raises(StepRefused, match="Unknown job type"):
        request_file(
            actor=alice,
            subject=alice,
            request_type=RequestType.RECTIFICATION,
            channel=Channel.PROFILE,
            rectification={"job_type": str(other.pk)},
        )


def test_a_rectification_keeps_the_new_values_checked(alice, org_a, assigned_csm, audit_events):
    job = JobTypeFactory(organization=org_a, name="Store manager")
    dsr = request_file(
        actor=assigned_csm,
        subject=alice,
        request_type=RequestType.RECTIFICATION,
        channel=Channel.MAIL,
        rectification={"last_name": " Andersen ", "country": "be", "job_type": "store MANAGER"},
    )
    assert dsr.rectification == {
        "last_name": {"after": "Andersen"},
        "country": {"after": "BE"},
        "job_type": {"after": str(job.pk)},
    }
    for event in audit_events():
        assert_nowhere_in(event, "Andersen")


# --- Duplicates -----------------------------------------------------------------------------


def test_a_duplicate_open_request_is_merged_into_the_open_one(
    alice, assigned_csm, run, steps, audit_events
):
    first = run(
        request_file,
        actor=alice,
        subject=alice,
        request_type=RequestType.ACCESS,
        channel=Channel.PROFILE,
    )
    mail.outbox.clear()

    again = run(
        request_file,
        actor=assigned_csm,
        subject=alice,
        request_type=RequestType.ACCESS,
        channel=Channel.PHONE,
    )

    assert again.pk == first.pk
    assert _count() == 1
    assert steps(first)[-1] == (AuditAction.REQUEST_MERGED, S.IDENTITY_VERIFIED)
    [merged] = audit_events(AuditAction.REQUEST_MERGED)
    assert merged.details == {"state": S.IDENTITY_VERIFIED, "channel": "phone"}
    assert merged.actor_id == assigned_csm.pk
    [notice] = mail.outbox
    assert notice.to == ["alice@a.example"]
    assert "already open" in notice.subject


def test_a_rectification_merged_joins_its_new_values(alice, run):
    first = run(
        request_file,
        actor=alice,
        subject=alice,
        request_type=RequestType.RECTIFICATION,
        channel=Channel.PROFILE,
        rectification={"first_name": "Alicia", "country": "BE"},
    )
    run(
        request_file,
        actor=alice,
        subject=alice,
        request_type=RequestType.RECTIFICATION,
        channel=Channel.PROFILE,
        rectification={"country": "NL"},
    )
    with unscoped("test"):
        first.refresh_from_db()
    assert first.rectification == {"first_name": {"after": "Alicia"}, "country": {"after": "NL"}}


def test_another_type_or_a_closed_request_is_not_a_duplicate(alice, make_request):
    closed = make_request(S.FULFILLED, RequestType.ACCESS)
    other_type = make_request(S.IN_PROGRESS, RequestType.ERASURE)

    dsr = request_file(
        actor=alice, subject=alice, request_type=RequestType.ACCESS, channel=Channel.PROFILE
    )
    assert dsr.pk not in (closed.pk, other_type.pk)
    assert _count() == 3


def test_a_deactivated_person_may_still_be_recorded_by_the_csm(org_a, assigned_csm):
    gone = UserFactory(organization=org_a, is_active=False)
    dsr = request_file(
        actor=assigned_csm, subject=gone, request_type=RequestType.ACCESS, channel=Channel.MAIL
    )
    assert dsr.state == S.RECEIVED
