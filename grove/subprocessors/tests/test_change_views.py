"""A change's page, the security managers' queue, approving and rejecting by POST."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from grove.audit.models import AuditAction
from grove.core.testing.factories import StaffUserFactory
from grove.subprocessors.actions import change_propose, notice_object
from grove.subprocessors.models import ChangeNotice, ChangeStatus, NoticeDelivery, Subprocessor
from grove.tenancy.context import unscoped

from .helpers import NEW_VENDOR, reload

QUEUE = reverse("subprocessors:queue")


@pytest.fixture
def addition(tech):
    return change_propose(
        actor=tech, kind="add", proposed=NEW_VENDOR, impact="Names and emails go to Mailjet."
    )


def _url(name, change):
    return reverse(f"subprocessors:{name}", args=[change.pk])


def _approval(days: int) -> dict:
    return {
        "effective_on": (timezone.localdate() + datetime.timedelta(days=days)).isoformat(),
        "summary": "We add Mailjet.",
        "implications": "Emails may pass through Mailjet.",
        "note": "OK",
    }


def test_login_is_required(client, addition):
    assert client.get(_url("change", addition)).status_code == 302
    assert client.post(_url("change_approve", addition), _approval(30)).status_code == 302
    assert reload(addition).status == ChangeStatus.PROPOSED


def test_a_client_gets_a_logged_404(client, bob, addition, audit_events):
    client.force_login(bob)

    assert client.get(_url("change", addition)).status_code == 404
    assert client.post(_url("change_approve", addition), _approval(30)).status_code == 404
    assert reload(addition).status == ChangeStatus.PROPOSED
    assert len(audit_events(AuditAction.ACCESS_DENIED)) == 2


def test_the_queue_is_the_security_managers(staff_client, security_manager, addition):
    page = staff_client(security_manager).get(QUEUE).content.decode()

    assert "Mailjet" in page
    assert _url("change", addition) in page


@pytest.mark.parametrize("who", ["csm", "tech", "security_officer"])
def test_other_staff_get_a_logged_404_on_the_queue(request, staff_client, who, audit_events):
    assert staff_client(request.getfixturevalue(who)).get(QUEUE).status_code == 404
    [event] = audit_events(AuditAction.ACCESS_DENIED)
    assert event.details == {"attempted": "subprocessor_changes_queue"}


def test_the_change_page_shows_the_proposal_and_the_decision_forms(
    staff_client, security_manager, addition
):
    page = staff_client(security_manager).get(_url("change", addition)).content.decode()

    assert "Addition: Mailjet" in page
    assert "Names and emails go to Mailjet." in page
    assert "Belgium (St. Ghislain)" in page
    assert _url("change_approve", addition) in page
    assert _url("change_reject", addition) in page
    earliest = timezone.localdate() + datetime.timedelta(days=30)
    assert f'value="{earliest.isoformat()}"' in page
    assert f'min="{earliest.isoformat()}"' in page


def test_the_proposer_sees_no_decision_form(staff_client, addition, tech):
    page = staff_client(tech).get(_url("change", addition)).content.decode()

    assert _url("change_approve", addition) not in page
    assert "another security manager decides it" in page


def test_an_unknown_change_is_a_logged_404(staff_client, csm, audit_events):
    response = staff_client(csm).get(
        reverse("subprocessors:change", args=["00000000-0000-0000-0000-000000000000"])
    )

    assert response.status_code == 404
    assert len(audit_events(AuditAction.ACCESS_DENIED)) == 1


def test_a_security_manager_approves(staff_client, security_manager, addition, org_a, audit_events):
    response = staff_client(security_manager).post(_url("change_approve", addition), _approval(30))

    assert response.status_code == 302
    change = reload(addition)
    assert change.status == ChangeStatus.APPROVED
    assert change.decided_by_id == security_manager.pk
    assert ChangeNotice.objects.get(change=change).summary == "We add Mailjet."
    assert Subprocessor.objects.filter(slug="mailjet").exists()
    [event] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_APPROVED)
    assert event.request_id


def test_a_short_notice_is_refused_with_a_page_and_logged(
    staff_client, security_manager, addition, audit_events
):
    response = staff_client(security_manager).post(_url("change_approve", addition), _approval(7))

    assert response.status_code == 403
    assert "30 days ahead" in response.content.decode()
    assert reload(addition).status == ChangeStatus.PROPOSED
    [event] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_REFUSED)
    assert event.details["refused"] == "short_notice"


def test_a_csm_approving_is_refused_with_a_page_and_logged(
    staff_client, csm, addition, audit_events
):
    response = staff_client(csm).post(_url("change_approve", addition), _approval(30))

    assert response.status_code == 403
    assert "Only a security manager" in response.content.decode()
    assert reload(addition).status == ChangeStatus.PROPOSED
    [event] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_REFUSED)
    assert event.actor_id == csm.pk
    assert event.details == {"attempted": "change.approve", "refused": "not_security_manager"}


def test_the_proposer_approving_is_refused_with_a_page_and_logged(staff_client, audit_events):
    manager = StaffUserFactory(staff_role="security_manager")
    own = change_propose(actor=manager, kind="add", proposed=NEW_VENDOR, impact="x")

    response = staff_client(manager).post(_url("change_approve", own), _approval(30))

    assert response.status_code == 403
    assert "another security manager must decide" in response.content.decode()
    assert reload(own).status == ChangeStatus.PROPOSED
    [event] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_REFUSED)
    assert event.details["refused"] == "own_change"


def test_an_approval_without_the_clients_text_comes_back_with_errors(
    staff_client, security_manager, addition
):
    response = staff_client(security_manager).post(
        _url("change_approve", addition), {**_approval(30), "summary": ""}
    )

    assert response.status_code == 400
    assert "Tell clients what changes." in response.content.decode()
    assert reload(addition).status == ChangeStatus.PROPOSED


def test_a_security_manager_rejects_with_a_note(
    staff_client, security_manager, addition, audit_events
):
    response = staff_client(security_manager).post(
        _url("change_reject", addition), {"reject-note": "No DPA yet."}
    )

    assert response.status_code == 302
    change = reload(addition)
    assert change.status == ChangeStatus.REJECTED
    assert change.decision_note == "No DPA yet."
    assert len(audit_events(AuditAction.SUBPROCESSOR_CHANGE_REJECTED)) == 1


def test_a_rejection_without_a_note_comes_back(staff_client, security_manager, addition):
    response = staff_client(security_manager).post(_url("change_reject", addition), {})

    assert response.status_code == 400
    assert reload(addition).status == ChangeStatus.PROPOSED


def test_a_csm_rejecting_is_refused_and_logged(staff_client, csm, addition, audit_events):
    response = staff_client(csm).post(_url("change_reject", addition), {"reject-note": "No"})

    assert response.status_code == 403
    assert reload(addition).status == ChangeStatus.PROPOSED
    assert len(audit_events(AuditAction.SUBPROCESSOR_CHANGE_REFUSED)) == 1


def test_get_is_not_allowed_on_decisions(staff_client, security_manager, addition):
    client = staff_client(security_manager)

    assert client.get(_url("change_approve", addition)).status_code == 405
    assert client.get(_url("change_reject", addition)).status_code == 405


def test_an_approved_change_shows_how_clients_received_its_notice(
    staff_client, security_manager, addition, bob, org_a, org_b
):
    staff_client(security_manager).post(_url("change_approve", addition), _approval(30))

    with unscoped("test: organization A's delivery"):
        delivery = NoticeDelivery.objects.get(notice__change=addition, organization=org_a)
    notice_object(actor=bob, delivery=delivery, objection="No.")

    page = staff_client(security_manager).get(_url("change", addition)).content.decode()
    registry = staff_client(security_manager).get(reverse("subprocessors:registry"))

    assert "Organizations: 2. Sent: 0. Acknowledged: 0. Objections open: 1." in page
    assert "Organization A" not in page
    assert "Approved, waiting for their date" in registry.content.decode()
    assert _url("change", addition) in registry.content.decode()
