"""grant_request: any staff member asks for break-glass access, with a reason and a ticket."""

import pytest
from django.core.exceptions import ValidationError

from grove.audit.models import AuditAction
from grove.staff.actions import ActionRefused, grant_request
from grove.staff.models import AccessGrant
from grove.tenancy.context import unscoped


def _grants():
    with unscoped("test: read grants"):
        return list(AccessGrant.objects.all())


def test_it_creates_a_pending_grant_and_records_the_request(tech, org_a, audit_events):
    grant = grant_request(
        actor=tech,
        organization=org_a,
        reason="  Search returns nothing for store managers  ",
        ticket_ref="INC-1042",
        duration_minutes=90,
    )

    [stored] = _grants()
    assert stored.pk == grant.pk
    assert stored.status == AccessGrant.Status.REQUESTED
    assert stored.requester_id == tech.pk
    assert stored.reason == "Search returns nothing for store managers"
    assert stored.ticket_ref == "INC-1042"
    assert stored.duration_minutes == 90
    assert stored.expires_at is None
    [event] = audit_events(AuditAction.GRANT_REQUESTED)
    assert event.actor_id == tech.pk
    assert event.organization_id == org_a.pk
    assert event.grant_id == grant.pk
    assert event.object_type == "access_grant"
    assert event.object_ids == [str(grant.pk)]
    assert event.details == {"duration_minutes": 90}
    assert "INC-1042" not in str(event.details) and "Search" not in str(event.details)


def test_the_default_duration_is_two_hours(tech, org_a):
    grant = grant_request(actor=tech, organization=org_a, reason="Bug", ticket_ref="INC-1")

    assert grant.duration_minutes == 120


@pytest.mark.parametrize(
    ("reason", "ticket_ref", "minutes", "field"),
    [
        ("", "INC-1", 60, "reason"),
        ("   ", "INC-1", 60, "reason"),
        ("Bug", "", 60, "ticket_ref"),
        ("Bug", "INC-1", 481, "duration_minutes"),
        ("Bug", "INC-1", 0, "duration_minutes"),
    ],
)
def test_it_requires_a_reason_a_ticket_and_at_most_eight_hours(
    tech, org_a, audit_events, reason, ticket_ref, minutes, field
):
    with pytest.raises(ValidationError) as error:
        grant_request(
            actor=tech,
            organization=org_a,
            reason=reason,
            ticket_ref=ticket_ref,
            duration_minutes=minutes,
        )

    assert field in error.value.message_dict
    assert _grants() == []
    assert audit_events() == []


def test_eight_hours_is_allowed(tech, org_a):
    grant = grant_request(
        actor=tech, organization=org_a, reason="Bug", ticket_ref="INC-1", duration_minutes=480
    )

    assert grant.duration_minutes == 480


def test_a_second_request_while_one_is_pending_is_refused(tech, org_a, org_b):
    grant_request(actor=tech, organization=org_a, reason="Bug", ticket_ref="INC-1")

    with pytest.raises(ValidationError):
        grant_request(actor=tech, organization=org_a, reason="Bug", ticket_ref="INC-1")
    # Another organization is another request.
    grant_request(actor=tech, organization=org_b, reason="Bug", ticket_ref="INC-1")
    assert len(_grants()) == 2


def test_a_request_while_a_grant_is_active_is_refused(tech, org_a, make_grant):
    make_grant(tech, org_a)

    with pytest.raises(ValidationError):
        grant_request(actor=tech, organization=org_a, reason="Bug", ticket_ref="INC-2")


def test_a_client_user_cannot_request_and_the_attempt_is_logged(bob, org_a, audit_events):
    with pytest.raises(ActionRefused):
        grant_request(actor=bob, organization=org_a, reason="Please", ticket_ref="X")

    assert _grants() == []
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.actor_id == bob.pk
    assert event.details == {"attempted": "grant.request", "refused": "not_staff"}
