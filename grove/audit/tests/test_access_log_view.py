"""The access-log page: a client manager reads their organization's log (filters, newest first,
staff highlighted with their grant), staff read it through the same authorisation, and every
page shown is itself logged."""

import datetime
import uuid

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from grove.audit.events import record_event
from grove.audit.models import AuditAction, AuditEvent
from grove.core.testing.factories import UserFactory
from grove.staff.models import AccessGrant, CsmAssignment
from grove.tenancy.context import unscoped

URL = reverse("audit:access_log")
DAY = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)


def org_url(organization) -> str:
    return reverse("audit:org_access_log", args=[organization.slug])


def events(action: str | None = None) -> list[AuditEvent]:
    with unscoped("test: read the access log"):
        found = AuditEvent.objects.order_by("id")
        return list(found.filter(action=action) if action else found)


def at(moment: datetime.datetime, **fields) -> AuditEvent:
    """An event recorded at ``moment``, through the real writer."""
    with time_machine.travel(moment, tick=False):
        return record_event(**fields)


def shown_ids(response) -> list[uuid.UUID]:
    return [row["event"].public_id for row in response.context["rows"]]


def grant_for(requester, organization, *, decided_by, start=DAY) -> AccessGrant:
    """An approved two-hour grant from ``start`` (set-up data, not the action under test)."""
    with unscoped("test set-up"):
        return AccessGrant.objects.create(
            organization=organization,
            requester=requester,
            reason="Incident: the feed is empty for some members",
            ticket_ref="INC-7",
            duration_minutes=120,
            status=AccessGrant.Status.APPROVED,
            decided_by=decided_by,
            decided_at=start,
            expires_at=start + datetime.timedelta(hours=2),
        )


def assign(csm, organization) -> CsmAssignment:
    with unscoped("test set-up"):
        return CsmAssignment.objects.create(organization=organization, csm=csm)


@pytest.fixture
def history(alice, bob, charlie, tech, security_manager, org_a, org_b):
    """A's log: Alice's login and read, a staff read under a grant; B's: Charlie's read."""
    grant = grant_for(tech, org_a, decided_by=security_manager)
    return {
        "alice_login": at(
            DAY, action=AuditAction.LOGIN, actor=alice, organization=org_a, subject_user=alice
        ),
        "alice_view": at(
            DAY + datetime.timedelta(days=1),
            action=AuditAction.VIEW,
            actor=alice,
            organization=org_a,
            object_type="practice",
            object_ids=[uuid.uuid4()],
        ),
        "staff_view": at(
            DAY + datetime.timedelta(days=2),
            action=AuditAction.VIEW,
            actor=tech,
            organization=org_a,
            object_type="user",
            object_ids=[bob.pk],
            subject_user=bob,
            grant=grant,
        ),
        "charlie_view": at(
            DAY + datetime.timedelta(days=2, hours=1),
            action=AuditAction.VIEW,
            actor=charlie,
            organization=org_b,
            object_type="practice",
            object_ids=[uuid.uuid4()],
        ),
        "grant": grant,
    }


# --- Who may read it ------------------------------------------------------------------------


def test_login_is_required(client, db):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_a_member_gets_404_and_the_refusal_is_logged(client, alice, history):
    client.force_login(alice)

    response = client.get(URL)

    assert response.status_code == 404
    [denied] = events(AuditAction.ACCESS_DENIED)
    assert denied.actor_id == alice.pk
    assert denied.organization_id == alice.organization_id
    assert denied.details["capability"] == "access_log.read"
    assert events(AuditAction.LIST) == []


def test_a_manager_sees_their_organizations_events_newest_first(client, bob, history):
    client.force_login(bob)

    response = client.get(URL)

    assert response.status_code == 200
    assert shown_ids(response) == [
        history["staff_view"].public_id,
        history["alice_view"].public_id,
        history["alice_login"].public_id,
    ]


def test_a_manager_never_sees_another_organizations_events(client, bob, history):
    client.force_login(bob)

    response = client.get(URL)

    assert history["charlie_view"].public_id not in shown_ids(response)
    assert str(history["charlie_view"].public_id) not in response.text
    assert "Charlie" not in response.text


def test_a_manager_cannot_open_another_organizations_log_by_its_slug(client, bob, org_b, history):
    client.force_login(bob)

    response = client.get(org_url(org_b))

    assert response.status_code == 404
    [denied] = events(AuditAction.ACCESS_DENIED)
    assert denied.organization_id == org_b.pk


def test_a_manager_may_name_their_own_organization(client, bob, org_a, history):
    client.force_login(bob)

    response = client.get(org_url(org_a))

    assert response.status_code == 200
    assert len(shown_ids(response)) == 3


def test_staff_without_an_organization_in_the_url_get_404(staff_client, csm, history):
    assert staff_client(csm).get(URL).status_code == 404


def test_the_csm_serving_the_organization_reads_its_log(staff_client, csm, org_a, history):
    assign(csm, org_a)

    response = staff_client(csm).get(org_url(org_a))

    assert response.status_code == 200
    assert history["alice_view"].public_id in shown_ids(response)
    assert history["charlie_view"].public_id not in shown_ids(response)
    assert "Alice Anders" in response.text  # a CSM may see the organization's users


def test_a_csm_not_serving_the_organization_gets_404(staff_client, csm, org_a, org_b, history):
    assign(csm, org_b)

    response = staff_client(csm).get(org_url(org_a))

    assert response.status_code == 404
    assert events(AuditAction.ACCESS_DENIED)[0].actor_id == csm.pk


def test_a_security_officer_reads_the_log_without_the_clients_names(
    staff_client, security_officer, alice, org_a, history
):
    response = staff_client(security_officer).get(org_url(org_a))

    assert response.status_code == 200
    assert history["alice_view"].public_id in shown_ids(response)
    assert "Alice" not in response.text
    assert str(alice.pk) in response.text


def test_technical_staff_without_a_grant_get_404(staff_client, tech, org_b, history):
    assert staff_client(tech).get(org_url(org_b)).status_code == 404


# --- What it shows --------------------------------------------------------------------------


def test_staff_are_highlighted_with_the_grant_they_used(client, bob, tech, history):
    client.force_login(bob)

    response = client.get(URL)

    [staff_row] = [r for r in response.context["rows"] if r["event"] == history["staff_view"]]
    assert staff_row["actor_is_staff"] is True
    assert staff_row["grant"].pk == history["grant"].pk
    assert staff_row["actor_name"] == tech.full_name
    assert 'class="staff-actor"' in response.text
    assert "INC-7" in response.text
    assert "Incident: the feed is empty for some members" in response.text
    other_rows = [r for r in response.context["rows"] if r["event"] != history["staff_view"]]
    assert not any(r["actor_is_staff"] for r in other_rows)


def test_the_organizations_own_users_are_shown_by_name(client, bob, history):
    client.force_login(bob)

    response = client.get(URL)

    assert "Alice Anders" in response.text
    assert "Bob Berg" in response.text  # the subject of the staff read


def test_the_names_of_people_outside_the_organization_and_staff_stay_ids(
    client, bob, org_a, charlie, history
):
    # An event of A's log naming Charlie (of B) as its actor: his name is not A's to see.
    at(DAY, action=AuditAction.VIEW, actor=charlie.pk, organization=org_a)
    client.force_login(bob)

    response = client.get(URL)

    assert "Charlie" not in response.text
    assert str(charlie.pk) in response.text


# --- Filters --------------------------------------------------------------------------------


def test_it_filters_by_date_range_whole_days_included(client, bob, history):
    client.force_login(bob)

    response = client.get(URL, {"date_from": "2026-03-11", "date_to": "2026-03-11"})

    assert shown_ids(response) == [history["alice_view"].public_id]


def test_it_filters_by_actor(client, bob, alice, history):
    client.force_login(bob)

    response = client.get(URL, {"actor": str(alice.pk)})

    assert shown_ids(response) == [
        history["alice_view"].public_id,
        history["alice_login"].public_id,
    ]


def test_it_filters_on_staff(client, bob, history):
    client.force_login(bob)

    response = client.get(URL, {"actor": "staff"})

    assert shown_ids(response) == [history["staff_view"].public_id]


def test_it_filters_by_action(client, bob, history):
    client.force_login(bob)

    response = client.get(URL, {"action": AuditAction.LOGIN})

    assert shown_ids(response) == [history["alice_login"].public_id]


def test_an_invalid_filter_is_reported(client, bob, history):
    client.force_login(bob)

    response = client.get(URL, {"date_from": "2026-03-12", "date_to": "2026-03-10"})

    assert response.status_code == 200
    assert "The start date is after the end date." in response.text


def test_the_actor_filter_offers_the_organizations_users_and_staff(client, bob, alice, charlie):
    client.force_login(bob)

    response = client.get(URL)

    choices = dict(response.context["form"].fields["actor"].widget.choices)
    assert choices["staff"] == "Grove staff"
    assert choices[str(alice.pk)] == "Alice Anders"
    assert str(charlie.pk) not in choices


# --- Pages and the log of the log -----------------------------------------------------------


def test_it_pages_with_a_cursor(client, bob, alice, org_a):
    created = [
        at(
            DAY + datetime.timedelta(minutes=i),
            action=AuditAction.VIEW,
            actor=alice,
            organization=org_a,
        )
        for i in range(53)
    ]
    client.force_login(bob)

    first = client.get(URL)
    # A new event between the two pages does not shift the second one.
    at(DAY + datetime.timedelta(days=9), action=AuditAction.LOGIN, actor=alice, organization=org_a)
    second = client.get(URL, {"before": str(first.context["next_before"])})

    newest_first = [e.public_id for e in reversed(created)]
    assert shown_ids(first) == newest_first[:50]
    assert shown_ids(second) == newest_first[50:]
    assert second.context["next_before"] is None
    assert 'rel="next"' in first.text and 'rel="next"' not in second.text


def test_an_unknown_cursor_starts_from_the_newest(client, bob, history):
    client.force_login(bob)

    response = client.get(URL, {"before": str(history["charlie_view"].public_id)})

    assert len(shown_ids(response)) == 3


def test_viewing_the_log_records_one_list_event_with_the_ids_shown(client, bob, alice, history):
    client.force_login(bob)

    response = client.get(URL, {"actor": str(alice.pk)})

    [listed] = events(AuditAction.LIST)
    assert listed.actor_id == bob.pk
    assert listed.actor_role == "manager"
    assert listed.organization_id == bob.organization_id
    assert listed.object_type == "audit_event"
    assert listed.object_ids == [str(i) for i in shown_ids(response)]
    assert listed.details == {"filters": {"actor": str(alice.pk)}}
    assert listed.request_id == response["X-Request-ID"]


def test_a_staff_read_under_a_grant_is_logged_with_the_grant(
    staff_client, tech, security_manager, org_b, history
):
    grant = grant_for(tech, org_b, decided_by=security_manager, start=timezone.now())
    response = staff_client(tech).get(org_url(org_b))

    assert response.status_code == 200
    [listed] = events(AuditAction.LIST)
    assert listed.grant_id == grant.pk
    assert listed.organization_id == org_b.pk
    assert [e.grant_id for e in events(AuditAction.GRANT_USED)] == [grant.pk]


def test_a_person_named_like_a_script_is_escaped(client, bob, org_a):
    mallory = UserFactory(organization=org_a, first_name="<script>alert(1)</script>")
    at(DAY, action=AuditAction.LOGIN, actor=mallory, organization=org_a)
    client.force_login(bob)

    response = client.get(URL)

    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text
