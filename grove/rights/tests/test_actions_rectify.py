# ruff: noqa: F811 -- the fixtures imported from test_actions are used as arguments
"""Rectification: applied by the CSM from a request, or by the person where their
organization allows it; before and after in the request, never in the access log."""

from __future__ import annotations

import pytest
from django.core import mail

from grove.accounts.models import User
from grove.accounts.tests.helpers import assert_nowhere_in
from grove.audit.models import AuditAction
from grove.core.testing.factories import JobTypeFactory
from grove.rights.actions import StepRefused, profile_rectify, request_fulfil
from grove.rights.errors import RightsRefusal
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


def _user(user) -> User:
    with unscoped("test: read the account back"):
        return User.objects.get(pk=user.pk)


def _requests() -> list[DataSubjectRequest]:
    with unscoped("test"):
        return list(DataSubjectRequest.objects.all())


def test_the_csm_applies_a_rectification_and_keeps_before_and_after(
    alice, org_a, make_request, assigned_csm, run, reload, steps, audit_events
):
    job = JobTypeFactory(organization=org_a, name="Store manager")
    old_job = str(alice.job_type_id)
    dsr = make_request(
        S.IN_PROGRESS,
        RequestType.RECTIFICATION,
        rectification={
            "last_name": {"after": "Andersen"},
            "country": {"after": "BE"},
            "job_type": {"after": str(job.pk)},
        },
    )

    run(request_fulfil, actor=assigned_csm, dsr=dsr)

    person = _user(alice)
    assert (person.last_name, str(person.country), person.job_type_id) == ("Andersen", "BE", job.pk)
    assert person.first_name == "Alice"
    dsr = reload(dsr)
    assert dsr.state == S.FULFILLED
    assert dsr.rectification == {
        "last_name": {"before": "Anders", "after": "Andersen"},
        "country": {"before": "FR", "after": "BE"},
        "job_type": {"before": old_job, "after": str(job.pk)},
    }
    assert steps(dsr) == [
        (AuditAction.RECTIFICATION_APPLIED, S.IN_PROGRESS),
        (AuditAction.REQUEST_FULFILLED, S.FULFILLED),
    ]
    [applied] = audit_events(AuditAction.RECTIFICATION_APPLIED)
    assert applied.details == {
        "state": S.IN_PROGRESS,
        "fields": ["country", "job_type", "last_name"],
    }
    [changed] = audit_events(AuditAction.USER_CHANGED)
    assert changed.details == {"fields": ["country", "job_type", "last_name"]}
    for event in audit_events():
        assert_nowhere_in(event, "Anders", "Andersen", "Store manager")
    [notice] = mail.outbox
    assert notice.to == ["alice@a.example"]
    assert "Last name" in notice.body and "Country" in notice.body
    assert "Andersen" not in notice.body  # the mail lists what changed, not the values


def test_a_job_type_deleted_since_the_request_refuses_the_fulfilment(
    alice, org_a, make_request, assigned_csm, reload
):
    job = JobTypeFactory(organization=org_a, name="Temporary")
    dsr = make_request(
        S.IN_PROGRESS,
        RequestType.RECTIFICATION,
        rectification={"first_name": {"after": "Alicia"}, "job_type": {"after": str(job.pk)}},
    )
    with unscoped("test set-up"):
        job.delete()

    with pytest.raises(StepRefused, match="Unknown job type"):
        request_fulfil(actor=assigned_csm, dsr=dsr)

    assert reload(dsr).state == S.IN_PROGRESS
    assert _user(alice).first_name == "Alice"  # nothing half-applied


def test_the_person_corrects_their_own_details(alice, org_a, run, audit_events):
    job = JobTypeFactory(organization=org_a, name="Cashier")
    old_job = str(alice.job_type_id)

    result = run(
        profile_rectify,
        actor=alice,
        first_name="Alicia",
        last_name="Anders",
        country="",
        job_type=job,
    )

    person = _user(alice)
    assert result.pk == alice.pk
    assert (person.first_name, str(person.country), person.job_type_id) == ("Alicia", "", job.pk)
    [dsr] = _requests()
    assert dsr.request_type == RequestType.RECTIFICATION
    assert dsr.channel == Channel.PROFILE
    assert dsr.state == S.FULFILLED
    assert dsr.closed_at is not None and dsr.identity_verified_at is not None
    assert dsr.rectification == {
        "first_name": {"before": "Alice", "after": "Alicia"},
        "country": {"before": "FR", "after": ""},
        "job_type": {"before": old_job, "after": str(job.pk)},
    }
    assert alice.first_name == "Alicia"  # the caller's instance too
    assert [e.action for e in audit_events() if e.action.startswith("rights.")] == [
        AuditAction.REQUEST_FILED,
        AuditAction.RECTIFICATION_APPLIED,
        AuditAction.REQUEST_FULFILLED,
    ]
    for event in audit_events():
        assert_nowhere_in(event, "Alicia", "Cashier")
    assert [m.to for m in mail.outbox] == [["alice@a.example"]]


def test_nothing_changed_writes_nothing(alice, audit_events):
    profile_rectify(
        actor=alice,
        first_name=" Alice ",
        last_name="Anders",
        country="fr",
        job_type=alice.job_type_id and str(alice.job_type_id),
    )
    assert _requests() == []
    assert audit_events() == []


def test_an_organization_may_keep_the_details_for_its_managers(alice, org_a, audit_events):
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_a.pk).update(members_may_rectify=False)

    with pytest.raises(RightsRefusal, match="file a rectification request instead"):
        profile_rectify(
            actor=alice, first_name="Alicia", last_name="Anders", country="FR", job_type=None
        )

    assert _user(alice).first_name == "Alice"
    assert _requests() == []
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.details == {"attempted": "rights.rectify", "refused": "rectification_disabled"}


def test_no_self_service_once_the_contract_ended(alice, org_a):
    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_a.pk).update(status=Organization.Status.ENDED)
    with pytest.raises(RightsRefusal, match="contract has ended"):
        profile_rectify(
            actor=alice, first_name="Alicia", last_name="Anders", country="FR", job_type=None
        )
    assert _user(alice).first_name == "Alice"


def test_staff_have_no_profile_to_rectify(csm):
    with pytest.raises(RightsRefusal, match="users of a client organization"):
        profile_rectify(actor=csm, first_name="C", last_name="S", country="", job_type=None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"first_name": ""}, "cannot be empty"),
        ({"country": "ZZ"}, "Unknown country"),
        ({"job_type": "not-a-job"}, "Unknown job type"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(changes, message, alice):
    values = {
        "first_name": "Alicia",
        "last_name": "Anders",
        "country": "FR",
        "job_type": None,
        **changes,
    }
    with pytest.raises(StepRefused, match=message):
        profile_rectify(actor=alice, **values)
    assert _user(alice).first_name == "Alice"
    assert _requests() == []


def test_another_organizations_job_type_is_refused(alice, org_b):
    other = JobTypeFactory(organization=org_b, name="Pilot")
    with pytest.raises(StepRefused, match="Unknown job type"):
        profile_rectify(
            actor=alice, first_name="Alice", last_name="Anders", country="FR", job_type=other
        )
    assert _user(alice).job_type_id != other.pk
