"""The one authorisation function: the whole matrix, the logged 404, grants used and ended."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone

from grove.accounts.tests.helpers import assert_nowhere_in
from grove.audit.models import AuditAction
from grove.staff.authorization import (
    Access,
    Capability,
    access_scope,
    authorize,
    capabilities_of,
    organization_for,
    permits,
)
from grove.staff.models import AccessGrant
from grove.tenancy.context import current_organization_id, unscoped
from grove.tenancy.models import Organization

C = Capability
ALL = frozenset(Capability)
MEMBER = {C.CONTENT_READ, C.CONTENT_WRITE}
MANAGER = MEMBER | {
    C.CONTENT_CURATE,
    C.USERS_READ,
    C.USERS_MANAGE,
    C.SETTINGS_MANAGE,
    C.DASHBOARD_READ,
    C.ACCESS_LOG_READ,
}
CSM = {
    C.CONTENT_READ,
    C.USERS_READ,
    C.USERS_MANAGE,
    C.DASHBOARD_READ,
    C.ACCESS_LOG_READ,
    C.REQUESTS_HANDLE,
}
OFFICER = {C.ACCESS_LOG_READ, C.REQUESTS_HANDLE}
GRANT = {C.CONTENT_READ, C.USERS_READ, C.DASHBOARD_READ, C.ACCESS_LOG_READ}

# (who, their situation, organization asked about) -> (capabilities allowed, basis)
MATRIX = [
    ("alice", "", "org_a", MEMBER, "member"),
    ("alice", "", "org_b", set(), None),
    ("bob", "", "org_a", MANAGER, "manager"),
    ("bob", "", "org_b", set(), None),
    ("charlie", "", "org_a", set(), None),
    ("charlie", "", "org_b", MEMBER, "member"),
    ("csm", "", "org_a", set(), None),
    ("csm", "assigned to A", "org_a", CSM, "csm"),
    ("csm", "assigned to A", "org_b", set(), None),
    ("csm", "assignment to A ended", "org_a", set(), None),
    ("security_officer", "", "org_a", OFFICER, "security_officer"),
    ("security_officer", "", "org_b", OFFICER, "security_officer"),
    ("security_manager", "", "org_a", set(), None),
    ("tech", "", "org_a", set(), None),
    ("tech", "approved grant on A", "org_a", GRANT, "grant"),
    ("tech", "approved grant on A", "org_b", set(), None),
    ("tech", "expired grant on A", "org_a", set(), None),
    ("tech", "revoked grant on A", "org_a", set(), None),
    ("tech", "requested grant on A", "org_a", set(), None),
    ("tech", "rejected grant on A", "org_a", set(), None),
    ("security_manager", "approved grant on A", "org_a", GRANT, "grant"),
    ("security_officer", "approved grant on A", "org_a", OFFICER | GRANT, None),
    ("csm", "approved grant on B", "org_b", GRANT, "grant"),
]


def _situation(request, who, situation, assign, make_grant):
    user = request.getfixturevalue(who)
    org_a = request.getfixturevalue("org_a")
    org_b = request.getfixturevalue("org_b")
    past = timezone.now() - datetime.timedelta(hours=3)
    setups = {
        "": lambda: None,
        "assigned to A": lambda: assign(user, org_a),
        "assignment to A ended": lambda: assign(user, org_a, ended=True),
        "approved grant on A": lambda: make_grant(user, org_a),
        "approved grant on B": lambda: make_grant(user, org_b),
        "expired grant on A": lambda: make_grant(user, org_a, started=past, minutes=120),
        "revoked grant on A": lambda: make_grant(user, org_a, status=AccessGrant.Status.REVOKED),
        "requested grant on A": lambda: make_grant(
            user, org_a, status=AccessGrant.Status.REQUESTED
        ),
        "rejected grant on A": lambda: make_grant(user, org_a, status=AccessGrant.Status.REJECTED),
    }
    setups[situation]()
    return user


def _label(case) -> str:
    who, situation, org, _allowed, _basis = case
    return f"{who}-{situation or 'as such'}-{org}".replace(" ", "_")


@pytest.mark.parametrize("case", MATRIX, ids=[_label(c) for c in MATRIX])
def test_the_matrix_allows_exactly_these_capabilities(request, case, assign, make_grant):
    who, situation, org_name, allowed, basis = case
    user = _situation(request, who, situation, assign, make_grant)
    organization = request.getfixturevalue(org_name)

    assert capabilities_of(user=user, organization=organization) == allowed
    for capability in ALL:
        if capability in allowed:
            access = authorize(user=user, organization=organization, capability=capability)
            assert access.organization == organization
            assert access.capability == capability
            if basis:
                assert access.basis == basis
        else:
            with pytest.raises(Http404):
                authorize(user=user, organization=organization, capability=capability)


def test_a_manager_reads_content_as_a_manager(bob, org_a):
    assert authorize(user=bob, organization=org_a, capability=C.USERS_READ).basis == "manager"
    assert authorize(user=bob, organization=org_a, capability=C.CONTENT_READ).basis == "manager"


def test_a_role_basis_is_used_before_a_grant(csm, org_a, assign, make_grant):
    assign(csm, org_a)
    make_grant(csm, org_a)

    access = authorize(user=csm, organization=org_a, capability=C.CONTENT_READ)

    assert access.basis == "csm"
    assert access.grant is None


def _end_contract(organization):
    organization.status = Organization.Status.ENDED
    with unscoped("test set-up"):
        organization.save(update_fields=["status"])


WRITES = [C.CONTENT_WRITE, C.CONTENT_CURATE, C.USERS_MANAGE, C.SETTINGS_MANAGE]


@pytest.mark.parametrize("capability", WRITES)
def test_an_ended_organization_refuses_writes_to_everyone(
    capability, bob, csm, org_a, assign, audit_events
):
    assign(csm, org_a)
    _end_contract(org_a)

    for user in (bob, csm):
        if user is csm and capability != C.USERS_MANAGE:
            with pytest.raises(Http404):  # not theirs anyway: the usual 404
                authorize(user=user, organization=org_a, capability=capability)
            continue
        # Theirs but for the ended contract: a 403 saying the organization is read-only.
        with pytest.raises(PermissionDenied, match="contract has ended"):
            authorize(user=user, organization=org_a, capability=capability)
    assert audit_events(AuditAction.ACCESS_DENIED)


def test_an_ended_organization_still_allows_reads_to_its_csm(csm, org_a, assign):
    assign(csm, org_a)
    _end_contract(org_a)

    assert authorize(user=csm, organization=org_a, capability=C.USERS_READ).basis == "csm"


def test_a_deactivated_account_gets_nothing(bob, org_a):
    bob.is_active = False

    assert capabilities_of(user=bob, organization=org_a) == frozenset()


def test_an_anonymous_user_gets_a_404_and_the_attempt_is_logged(org_a, audit_events):
    with pytest.raises(Http404):
        authorize(user=AnonymousUser(), organization=org_a, capability=C.CONTENT_READ)
    with pytest.raises(Http404):
        authorize(user=None, organization=org_a, capability=C.CONTENT_READ)

    events = audit_events(AuditAction.ACCESS_DENIED)
    assert len(events) == 2
    assert all(e.actor_id is None and e.organization_id == org_a.pk for e in events)


def test_a_denial_is_logged_with_ids_only(charlie, alice, org_a, audit_events):
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.77")

    with pytest.raises(Http404):
        authorize(
            user=charlie,
            organization=org_a,
            capability=C.CONTENT_READ,
            request=request,
            object_type="user",
            object_id=alice.pk,
        )

    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.actor_id == charlie.pk
    assert event.actor_role == "member"
    assert event.organization_id == org_a.pk
    assert event.object_type == "user"
    assert event.object_ids == [str(alice.pk)]
    assert event.details == {"capability": "content.read"}
    assert event.ip_prefix == "203.0.113.0/24"
    assert event.grant_id is None
    assert_nowhere_in(event, "charlie", "Chen", "alice", "Anders", "org-a", "Organization A")


def test_an_allowed_access_by_role_records_nothing(bob, org_a, audit_events):
    authorize(user=bob, organization=org_a, capability=C.USERS_READ)

    assert audit_events() == []


def test_an_unknown_and_a_forbidden_organization_give_the_same_404(csm, org_a, audit_events):
    with pytest.raises(Http404) as unknown:
        organization_for(
            user=csm,
            organization_id_or_slug="no-such-client",
            capability=C.CONTENT_READ,
        )
    with pytest.raises(Http404) as forbidden:
        organization_for(user=csm, organization_id_or_slug="org-a", capability=C.CONTENT_READ)
    with pytest.raises(Http404) as forbidden_by_id:
        organization_for(user=csm, organization_id_or_slug=str(org_a.pk), capability=C.CONTENT_READ)

    assert type(unknown.value) is type(forbidden.value) is type(forbidden_by_id.value)
    assert str(unknown.value) == str(forbidden.value) == str(forbidden_by_id.value)
    unknown_event, forbidden_event, by_id_event = audit_events(AuditAction.ACCESS_DENIED)
    assert unknown_event.organization_id is None
    assert unknown_event.details == {"capability": "content.read", "organization": "unknown"}
    assert_nowhere_in(unknown_event, "no-such-client")
    assert forbidden_event.organization_id == by_id_event.organization_id == org_a.pk


def test_a_forged_organization_id_is_logged_as_an_id(csm, db, audit_events):
    forged = "0b7e5b5e-6d1c-4d57-9a1e-3f2d1c0b9a88"

    with pytest.raises(Http404):
        organization_for(user=csm, organization_id_or_slug=forged, capability=C.USERS_READ)

    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.details["forged_id"] == forged


def test_organization_for_finds_by_slug_or_id(bob, org_a):
    by_slug = organization_for(user=bob, organization_id_or_slug="org-a", capability=C.USERS_READ)
    by_id = organization_for(user=bob, organization_id_or_slug=org_a.pk, capability=C.USERS_READ)

    assert by_slug.organization == by_id.organization == org_a
    assert isinstance(by_slug, Access)


def test_access_scope_runs_the_block_as_the_organization(csm, org_a, assign):
    assign(csm, org_a)
    access = authorize(user=csm, organization=org_a, capability=C.USERS_READ)

    with access_scope(access):
        assert current_organization_id() == org_a.pk
    assert current_organization_id() is None


def test_a_grant_use_is_recorded_with_the_grant(tech, alice, org_a, make_grant, audit_events):
    grant = make_grant(tech, org_a)

    access = authorize(
        user=tech,
        organization=org_a,
        capability=C.USERS_READ,
        object_type="user",
        object_id=alice.pk,
    )

    assert access.basis == "grant"
    assert access.grant == grant
    [event] = audit_events(AuditAction.GRANT_USED)
    assert event.grant_id == grant.pk
    assert event.actor_id == tech.pk
    assert event.actor_role == "technical"
    assert event.organization_id == org_a.pk
    assert event.object_type == "user"
    assert event.object_ids == [str(alice.pk)]
    assert event.details == {"capability": "users.read"}


def test_a_grant_use_is_recorded_once_per_request_and_object(tech, org_a, make_grant, audit_events):
    make_grant(tech, org_a)
    request = RequestFactory().get("/")

    for _ in range(3):
        authorize(user=tech, organization=org_a, capability=C.USERS_READ, request=request)
    authorize(
        user=tech, organization=org_a, capability=C.USERS_READ, request=RequestFactory().get("/")
    )

    assert len(audit_events(AuditAction.GRANT_USED)) == 2


def test_a_grant_ends_at_its_expiry(tech, org_a, make_grant):
    grant = make_grant(tech, org_a, minutes=30)
    with time_machine.travel(grant.expires_at - datetime.timedelta(seconds=1)):
        assert authorize(user=tech, organization=org_a, capability=C.USERS_READ).grant == grant
    with (
        time_machine.travel(grant.expires_at + datetime.timedelta(seconds=1)),
        pytest.raises(Http404),
    ):
        authorize(user=tech, organization=org_a, capability=C.USERS_READ)


def test_permits_answers_without_recording(charlie, org_a, audit_events):
    assert permits(user=charlie, organization=org_a, capability=C.CONTENT_READ) is False

    assert audit_events() == []
