"""The notices' pages: the CSM's and security officer's tracking, one delivery's page (send,
resolve), and the client manager's page (acknowledge, object)."""

import pytest
from django.core import mail
from django.urls import reverse

from grove.accounts.models import OrgRole
from grove.audit.models import AuditAction
from grove.core.testing.factories import StaffUserFactory, UserFactory
from grove.subprocessors.actions import (
    change_approve,
    change_propose,
    notice_acknowledge,
    notice_object,
)
from grove.subprocessors.models import NoticeDelivery, ObjectionStatus
from grove.tenancy.context import unscoped

from .helpers import NEW_VENDOR, reload

STAFF_NOTICES = reverse("subprocessors:staff_notices")
NOTICES = reverse("subprocessors:notices")


@pytest.fixture
def notice(tech, security_manager, org_a, org_b):
    change = change_propose(actor=tech, kind="add", proposed=NEW_VENDOR, impact="Emails")
    change_approve(
        actor=security_manager,
        change=change,
        summary="We add Mailjet as a backup mail provider.",
        implications="Names and business emails may pass through Mailjet.",
    )
    return change.notice


def _delivery(notice, organization) -> NoticeDelivery:
    with unscoped("test: one organization's delivery"):
        return NoticeDelivery.objects.get(notice=notice, organization=organization)


@pytest.fixture
def delivery_a(notice, org_a):
    return _delivery(notice, org_a)


@pytest.fixture
def delivery_b(notice, org_b):
    return _delivery(notice, org_b)


def _url(name, delivery):
    return reverse(f"subprocessors:{name}", args=[delivery.pk])


# --- Staff ----------------------------------------------------------------------------------


def test_staff_pages_require_login(client, delivery_a):
    assert client.get(STAFF_NOTICES).status_code == 302
    assert client.get(_url("delivery", delivery_a)).status_code == 302
    assert client.post(_url("notice_send", delivery_a)).status_code == 302
    assert reload(delivery_a).sent_at is None


@pytest.mark.parametrize("who", ["tech", "security_manager"])
def test_staff_who_send_no_notices_get_a_logged_404(request, staff_client, who, audit_events):
    assert staff_client(request.getfixturevalue(who)).get(STAFF_NOTICES).status_code == 404
    assert len(audit_events(AuditAction.ACCESS_DENIED)) == 1


def test_a_csm_tracks_the_notices_of_the_organizations_they_serve(
    staff_client, csm, org_a, delivery_a, delivery_b, bob, assign
):
    assign(csm, org_a)
    notice_acknowledge(actor=bob, delivery=delivery_a)

    page = staff_client(csm).get(STAFF_NOTICES).content.decode()

    assert "Mailjet" in page
    assert "Organization A" in page
    assert "Organization B" not in page
    assert "Acknowledged: 1 of 1" in page
    assert _url("delivery", delivery_a) in page
    assert _url("delivery", delivery_b) not in page


def test_the_security_officer_sees_every_organization(
    staff_client, security_officer, delivery_a, delivery_b, bob
):
    notice_object(actor=bob, delivery=delivery_a, objection="Not without our DPO.")

    page = staff_client(security_officer).get(STAFF_NOTICES).content.decode()

    assert "Organization A" in page
    assert "Organization B" in page
    assert "Sent: 0 of 2" in page
    assert "1 objection open" in page


def test_a_csm_gets_a_logged_404_on_another_clients_delivery(
    staff_client, csm, org_a, delivery_b, assign, audit_events
):
    assign(csm, org_a)
    client = staff_client(csm)

    assert client.get(_url("delivery", delivery_b)).status_code == 404
    assert client.post(_url("notice_send", delivery_b)).status_code == 404
    assert reload(delivery_b).sent_at is None
    events = audit_events(AuditAction.ACCESS_DENIED)
    assert len(events) == 2
    assert all(e.object_ids == [str(delivery_b.pk)] for e in events)


def test_the_delivery_page_shows_the_objection_and_records_the_read(
    staff_client, csm, org_a, delivery_a, bob, assign, audit_events
):
    assign(csm, org_a)
    notice_object(actor=bob, delivery=delivery_a, objection="Not without our DPO.")

    page = staff_client(csm).get(_url("delivery", delivery_a)).content.decode()

    assert "Not without our DPO." in page
    assert "Bob Berg" in page
    assert _url("objection_resolve", delivery_a) in page
    [view] = audit_events(AuditAction.VIEW)
    assert view.organization_id == org_a.pk
    assert view.object_ids == [str(delivery_a.pk)]


def test_the_csm_sends_the_notice_from_the_page(
    staff_client, csm, org_a, delivery_a, bob, assign, django_capture_on_commit_callbacks
):
    assign(csm, org_a)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client(csm).post(_url("notice_send", delivery_a))

    assert response.status_code == 302
    assert reload(delivery_a).sent_by_id == csm.pk
    assert [m.to for m in mail.outbox] == [[bob.email]]


def test_sending_without_a_manager_says_why(staff_client, security_officer, delivery_b):
    client = staff_client(security_officer)

    response = client.post(_url("notice_send", delivery_b), follow=True)

    assert "no active manager" in response.content.decode()
    assert reload(delivery_b).sent_at is None


def test_the_csm_resolves_an_objection(
    staff_client, csm, org_a, delivery_a, bob, assign, audit_events
):
    assign(csm, org_a)
    notice_object(actor=bob, delivery=delivery_a, objection="Not without our DPO.")
    client = staff_client(csm)

    empty = client.post(_url("objection_resolve", delivery_a), {"resolution": ""})
    assert empty.status_code == 400
    response = client.post(_url("objection_resolve", delivery_a), {"resolution": "DPO agreed."})

    assert response.status_code == 302
    delivery = reload(delivery_a)
    assert delivery.objection_status == ObjectionStatus.RESOLVED
    assert delivery.resolution == "DPO agreed."
    assert len(audit_events(AuditAction.OBJECTION_RESOLVED)) == 1


# --- The client manager ---------------------------------------------------------------------


def test_the_client_page_requires_login(client, db):
    assert client.get(NOTICES).status_code == 302


def test_a_member_gets_a_logged_404(client, alice, audit_events):
    client.force_login(alice)

    assert client.get(NOTICES).status_code == 404
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.details == {"attempted": "subprocessor_notices_client"}


def test_staff_get_a_404_on_the_client_page(staff_client, csm, audit_events):
    assert staff_client(csm).get(NOTICES).status_code == 404
    assert len(audit_events(AuditAction.ACCESS_DENIED)) == 1


def test_a_member_cannot_post_an_acknowledgement(client, alice, delivery_a):
    client.force_login(alice)

    assert client.post(_url("notice_acknowledge", delivery_a)).status_code == 404
    assert reload(delivery_a).acknowledged_at is None


def test_the_manager_lists_their_organizations_notices(client, bob, delivery_a, audit_events):
    client.force_login(bob)

    response = client.get(NOTICES)

    page = response.content.decode()
    assert response.status_code == 200
    assert "We add Mailjet as a backup mail provider." in page
    assert "Names and business emails may pass through Mailjet." in page
    assert _url("notice_acknowledge", delivery_a) in page
    assert _url("notice_object", delivery_a) in page
    [listed] = audit_events(AuditAction.LIST)
    assert listed.object_ids == [str(delivery_a.pk)]


def test_the_manager_acknowledges(client, bob, delivery_a, audit_events):
    client.force_login(bob)

    response = client.post(_url("notice_acknowledge", delivery_a))

    assert response.status_code == 302
    assert reload(delivery_a).acknowledged_by_id == bob.pk
    assert len(audit_events(AuditAction.NOTICE_ACKNOWLEDGED)) == 1
    assert "Acknowledged on" in client.get(NOTICES).content.decode()


def test_the_manager_objects(client, bob, delivery_a, audit_events):
    client.force_login(bob)

    response = client.post(_url("notice_object", delivery_a), {"objection": "Not in Belgium."})

    assert response.status_code == 302
    delivery = reload(delivery_a)
    assert delivery.objection_status == ObjectionStatus.OPEN
    assert delivery.objection == "Not in Belgium."
    assert len(audit_events(AuditAction.NOTICE_OBJECTED)) == 1
    assert "waiting for an answer" in client.get(NOTICES).content.decode()


def test_an_empty_objection_comes_back_with_an_error(client, bob, delivery_a):
    client.force_login(bob)

    response = client.post(_url("notice_object", delivery_a), {"objection": ""})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert reload(delivery_a).objection_status == ""


def test_another_organizations_notice_is_a_logged_404(client, org_b, delivery_a, audit_events):
    manager_b = UserFactory(email="boss@b.example", organization=org_b, org_role=OrgRole.MANAGER)
    client.force_login(manager_b)

    assert client.post(_url("notice_acknowledge", delivery_a)).status_code == 404
    assert client.post(_url("notice_object", delivery_a), {"objection": "x"}).status_code == 404
    delivery = reload(delivery_a)
    assert delivery.acknowledged_at is None
    assert delivery.objection_status == ""
    assert "Mailjet" in client.get(NOTICES).content.decode()  # their own copy
    assert len(audit_events(AuditAction.ACCESS_DENIED)) == 2


def test_a_staff_member_cannot_answer_for_a_client(staff_client, delivery_a):
    client = staff_client(StaffUserFactory(staff_role="security_officer"))

    assert client.post(_url("notice_acknowledge", delivery_a)).status_code == 404
    assert reload(delivery_a).acknowledged_at is None
