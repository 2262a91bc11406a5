"""The grant request form."""

from django.urls import reverse

from grove.audit.models import AuditAction
from grove.staff.models import AccessGrant
from grove.tenancy.context import unscoped

URL = reverse("staff:grant_request")


def _grants():
    with unscoped("test: read grants"):
        return list(AccessGrant.objects.all())


def test_it_requires_login(client, db):
    assert client.get(URL).status_code == 302


def test_a_client_user_gets_a_404(client, alice):
    client.force_login(alice)

    assert client.post(URL, {"organization": "org-a"}).status_code == 404
    assert _grants() == []


def test_staff_request_access_with_a_reason_and_a_ticket(staff_client, tech, org_a, audit_events):
    client = staff_client(tech)
    assert client.get(URL).status_code == 200

    response = client.post(
        URL,
        {
            "organization": "org-a",
            "reason": "Members cannot open the feed",
            "ticket_ref": "INC-88",
            "duration_minutes": "240",
        },
    )

    assert response.status_code == 302
    [grant] = _grants()
    assert grant.organization_id == org_a.pk
    assert grant.requester_id == tech.pk
    assert grant.duration_minutes == 240
    assert grant.status == AccessGrant.Status.REQUESTED
    [event] = audit_events(AuditAction.GRANT_REQUESTED)
    assert event.grant_id == grant.pk
    assert event.ip_prefix == "127.0.0.0/24"


def test_more_than_eight_hours_is_refused(staff_client, tech, org_a):
    response = staff_client(tech).post(
        URL,
        {"organization": "org-a", "reason": "x", "ticket_ref": "INC-1", "duration_minutes": "600"},
    )

    assert response.status_code == 200
    assert _grants() == []


def test_a_missing_reason_or_unknown_organization_shows_errors(staff_client, tech, org_a):
    client = staff_client(tech)

    no_reason = client.post(
        URL, {"organization": "org-a", "reason": "", "ticket_ref": "INC-1", "duration_minutes": 60}
    )
    unknown = client.post(
        URL, {"organization": "nope", "reason": "x", "ticket_ref": "INC-1", "duration_minutes": 60}
    )

    assert no_reason.status_code == unknown.status_code == 200
    assert "No organization has this identifier" in unknown.content.decode()
    assert _grants() == []


def test_a_duplicate_request_shows_the_actions_error(staff_client, tech, org_a, make_grant):
    make_grant(tech, org_a, status=AccessGrant.Status.REQUESTED)

    response = staff_client(tech).post(
        URL, {"organization": "org-a", "reason": "x", "ticket_ref": "INC-1", "duration_minutes": 60}
    )

    assert response.status_code == 200
    assert "already have a pending request" in response.content.decode()
    assert len(_grants()) == 1


def test_the_form_needs_the_csrf_token(tech, org_a):
    from django.test import Client

    from grove.core.testing.fixtures import log_in_verified_staff

    client = Client(enforce_csrf_checks=True)
    log_in_verified_staff(client, tech)

    response = client.post(
        URL,
        {"organization": "org-a", "reason": "x", "ticket_ref": "INC-1", "duration_minutes": 60},
        secure=True,
    )

    assert response.status_code == 403
    assert _grants() == []
