# ruff: noqa: F811 -- the fixtures imported from test_actions are used as arguments
"""Reads scoped to the caller: the person's own, the assigned CSM's, the officer's, the
client manager's; the one 404 (recorded) for everything else."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.http import Http404
from django.utils import timezone

from grove.audit.models import AuditAction
from grove.core.testing.factories import UserFactory
from grove.rights.errors import RequestNotFound
from grove.rights.models import RequestState, RequestType
from grove.rights.queries import (
    request_for_manager,
    request_for_staff,
    request_of_subject,
    requests_of_subject,
    requests_visible_to,
)
from grove.rights.tests.test_actions import (  # noqa: F401 -- fixtures
    assigned_csm,
    audit_events,
    make_request,
    reload,
    run,
    steps,
)
from grove.tenancy.context import tenant_context

S = RequestState
DAY = datetime.timedelta(days=1)


@pytest.fixture
def two_orgs(make_request, alice, charlie):
    """Alice's request (A) and Charlie's (B)."""
    return make_request(S.RECEIVED), make_request(S.RECEIVED, subject=charlie)


def test_the_person_lists_only_their_own_requests(alice, bob, make_request, two_orgs):
    own, _ = two_orgs
    make_request(S.RECEIVED, subject=bob)
    older = make_request(S.FULFILLED, received_at=timezone.now() - 40 * DAY)

    with tenant_context(alice.organization_id):  # the request middleware's scope
        assert [d.pk for d in requests_of_subject(alice)] == [own.pk, older.pk]
        assert request_of_subject(alice, str(own.pk)).pk == own.pk


def test_staff_have_no_own_requests(csm):
    assert list(requests_of_subject(csm)) == []


@pytest.mark.parametrize("whose", ["bob", "charlie", "forged", "garbage"])
def test_someone_elses_request_is_the_404_recorded(
    request, whose, alice, bob, make_request, two_orgs, audit_events
):
    _, charlies = two_orgs
    target = {
        "bob": lambda: make_request(S.RECEIVED, subject=bob).pk,
        "charlie": lambda: charlies.pk,
        "forged": uuid.uuid4,
        "garbage": lambda: "../../etc",
    }[whose]()

    with pytest.raises(RequestNotFound) as refused:
        request_of_subject(alice, target)

    assert isinstance(refused.value, Http404)
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.actor_id == alice.pk
    assert event.details["attempted"] == "rights.view_own"


def test_the_assigned_csm_sees_their_organizations_requests(assigned_csm, two_orgs):
    alices, _ = two_orgs
    assert [d.pk for d in requests_visible_to(assigned_csm)] == [alices.pk]


def test_the_officer_sees_every_organization(security_officer, two_orgs):
    assert {d.pk for d in requests_visible_to(security_officer)} == {d.pk for d in two_orgs}


def test_a_client_manager_sees_their_own_organization(bob, two_orgs):
    alices, _ = two_orgs
    assert [d.pk for d in requests_visible_to(bob)] == [alices.pk]


@pytest.mark.parametrize("who", ["alice", "csm", "tech", "security_manager"])
def test_others_see_nothing(request, who, two_orgs):
    assert requests_visible_to(request.getfixturevalue(who)) == []


def test_overdue_requests_come_first_then_by_due_date(security_officer, make_request):
    now = timezone.now()
    due_later = make_request(S.IN_PROGRESS, due_at=now + 20 * DAY)
    due_soon = make_request(S.RECEIVED, due_at=now + 2 * DAY)
    overdue = make_request(S.AWAITING_APPROVAL, due_at=now - DAY)
    very_overdue = make_request(S.IN_PROGRESS, due_at=now - 9 * DAY)
    closed = make_request(S.FULFILLED, due_at=now - 30 * DAY)

    listed = requests_visible_to(security_officer)
    assert [d.pk for d in listed] == [
        very_overdue.pk,
        overdue.pk,
        due_soon.pk,
        due_later.pk,
        closed.pk,
    ]
    assert [d.pk for d in requests_visible_to(security_officer, overdue_only=True)] == [
        very_overdue.pk,
        overdue.pk,
    ]
    assert closed.pk not in {d.pk for d in requests_visible_to(security_officer, open_only=True)}


def test_staff_open_a_request_and_the_view_is_recorded(
    assigned_csm, security_officer, two_orgs, audit_events
):
    alices, charlies = two_orgs
    assert request_for_staff(assigned_csm, alices.pk).pk == alices.pk
    assert request_for_staff(security_officer, str(charlies.pk)).subject.first_name == "Charlie"
    views = audit_events(AuditAction.VIEW)
    assert [(e.actor_id, e.object_ids) for e in views] == [
        (assigned_csm.pk, [str(alices.pk)]),
        (security_officer.pk, [str(charlies.pk)]),
    ]
    assert views[0].subject_user_id == alices.subject_id


@pytest.mark.parametrize("who", ["csm", "tech", "alice", "bob", "charlie"])
def test_anyone_else_gets_the_404_from_the_console(request, who, two_orgs, audit_events):
    user = request.getfixturevalue(who)  # the CSM here is not assigned to A
    alices, _ = two_orgs
    with pytest.raises(RequestNotFound):
        request_for_staff(user, alices.pk)
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.actor_id == user.pk
    assert event.object_ids == [str(alices.pk)]
    assert audit_events(AuditAction.VIEW) == []


@pytest.mark.parametrize("forged", [uuid.uuid4(), "1 OR 1=1", None])
def test_a_forged_id_in_the_console_is_the_404_recorded(forged, security_officer, audit_events):
    with pytest.raises(Http404):
        request_for_staff(security_officer, forged)
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.organization_id is None
    assert event.details["request"] == "unknown"


def test_the_manager_reads_their_users_requests(bob, two_orgs, audit_events):
    alices, _ = two_orgs
    assert request_for_manager(bob, alices.pk).pk == alices.pk
    assert audit_events(AuditAction.VIEW)[0].actor_id == bob.pk


@pytest.mark.parametrize("who", ["alice", "charlie_manager", "assigned_csm", "security_officer"])
def test_only_the_organizations_managers_read_as_manager(request, who, org_b, two_orgs):
    if who == "charlie_manager":
        user = UserFactory(organization=org_b, org_role="manager")
    else:
        user = request.getfixturevalue(who)
    alices, _ = two_orgs
    with pytest.raises(RequestNotFound):
        request_for_manager(user, alices.pk)


def test_the_manager_of_b_reads_only_bs_requests(org_b, two_orgs, audit_events):
    manager_b = UserFactory(organization=org_b, org_role="manager")
    alices, charlies = two_orgs
    assert request_for_manager(manager_b, charlies.pk).pk == charlies.pk
    with pytest.raises(RequestNotFound):
        request_for_manager(manager_b, alices.pk)
    assert audit_events(AuditAction.ACCESS_DENIED)[-1].actor_id == manager_b.pk


def test_requests_listed_to_the_manager_carry_the_type_and_state(bob, make_request):
    make_request(S.IN_PROGRESS, RequestType.ERASURE)
    [dsr] = requests_visible_to(bob)
    assert (dsr.request_type, dsr.state, dsr.subject.first_name) == (
        "erasure",
        S.IN_PROGRESS,
        "Alice",
    )
