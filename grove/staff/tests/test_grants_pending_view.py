"""Requests to decide: approvers only."""

import pytest
from django.urls import reverse

from grove.audit.models import AuditAction
from grove.staff.models import AccessGrant

URL = reverse("staff:grants_pending")


def test_it_requires_login(client, db):
    assert client.get(URL).status_code == 302


@pytest.mark.parametrize("who", ["csm", "tech"])
def test_other_staff_get_a_logged_404(staff_client, request, who, audit_events):
    user = request.getfixturevalue(who)

    assert staff_client(user).get(URL).status_code == 404
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.details == {"attempted": "grants_pending"}


@pytest.mark.parametrize("who", ["security_officer", "security_manager"])
def test_approvers_see_pending_requests_with_buttons(
    staff_client, request, who, tech, org_a, org_b, make_grant
):
    approver = request.getfixturevalue(who)
    pending = make_grant(tech, org_a, status=AccessGrant.Status.REQUESTED)
    decided = make_grant(tech, org_b, status=AccessGrant.Status.REJECTED)

    body = staff_client(approver).get(URL).content.decode()

    assert reverse("staff:grant_approve", args=[pending.pk]) in body
    assert reverse("staff:grant_reject", args=[pending.pk]) in body
    assert str(decided.pk) not in body
    assert "Organization A" in body


def test_an_approver_sees_no_buttons_on_their_own_request(
    staff_client, security_officer, org_a, make_grant
):
    own = make_grant(security_officer, org_a, status=AccessGrant.Status.REQUESTED)

    body = staff_client(security_officer).get(URL).content.decode()

    assert reverse("staff:grant_approve", args=[own.pk]) not in body
