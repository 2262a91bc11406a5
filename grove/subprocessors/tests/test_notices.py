"""notice_send, notice_acknowledge, notice_object, objection_resolve: the CSM (or a security
officer) tells the client managers; they acknowledge or object; objections stay open until
resolved."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from grove.accounts.models import OrgRole
from grove.audit.models import AuditAction
from grove.core.testing.factories import StaffUserFactory, UserFactory
from grove.subprocessors.actions import (
    ChangeRefused,
    change_approve,
    change_propose,
    notice_acknowledge,
    notice_object,
    notice_send,
    objection_resolve,
)
from grove.subprocessors.models import NoticeDelivery, ObjectionStatus
from grove.tenancy.context import unscoped

from .helpers import NEW_VENDOR, reload


@pytest.fixture
def notice(tech, security_manager, org_a, org_b):
    change = change_propose(
        actor=tech, kind="add", proposed=NEW_VENDOR, impact="Names and emails go to Mailjet."
    )
    change_approve(
        actor=security_manager,
        change=change,
        summary="We add Mailjet as a backup mail provider.",
        implications="Names and business emails may pass through Mailjet (Belgium).",
    )
    return change.notice


def _delivery(notice, organization) -> NoticeDelivery:
    with unscoped("test: one organization's delivery"):
        return NoticeDelivery.objects.get(notice=notice, organization=organization)


@pytest.fixture
def delivery_a(notice, org_a):
    return _delivery(notice, org_a)


# --- Sending --------------------------------------------------------------------------------


def test_the_assigned_csm_mails_the_client_managers_in_their_language(
    notice,
    delivery_a,
    org_a,
    bob,
    alice,
    csm,
    assign,
    audit_events,
    django_capture_on_commit_callbacks,
):
    assign(csm, org_a)
    french = UserFactory(
        email="fleur@a.example", organization=org_a, org_role=OrgRole.MANAGER, language="fr"
    )
    UserFactory(
        email="gone@a.example", organization=org_a, org_role=OrgRole.MANAGER, is_active=False
    )

    with django_capture_on_commit_callbacks(execute=True):
        notice_send(actor=csm, delivery=delivery_a)

    delivery = reload(delivery_a)
    assert delivery.sent_at is not None
    assert delivery.sent_by_id == csm.pk
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {bob.email, french.email}  # managers only, active only
    english = by_recipient[bob.email]
    assert english.subject == f"Subprocessor change from {notice.effective_on:%Y-%m-%d}: Mailjet"
    assert "We add Mailjet as a backup mail provider." in english.body
    assert "Names and business emails may pass through Mailjet (Belgium)." in english.body
    assert "Belgium (St. Ghislain)" in english.body
    assert "Business email, First and last name" in english.body
    assert "/subprocessor-registry/notices/" in english.body
    assert "Organization A" in english.body
    # Rendered in the manager's language (this sentence is already in the French catalogue).
    assert "Répondez à ce message" in by_recipient[french.email].body
    assert "Répondez à ce message" not in english.body
    [event] = audit_events(AuditAction.NOTICE_SENT)
    assert event.organization_id == org_a.pk
    assert event.actor_id == csm.pk
    assert event.object_ids == [str(delivery.pk), str(notice.pk)]
    assert event.details == {"recipients": 2, "resend": False}
    assert bob.email not in str(event.details)


def test_a_security_officer_sends_for_any_organization(
    notice, org_b, security_officer, charlie, django_capture_on_commit_callbacks
):
    manager_b = UserFactory(email="boss@b.example", organization=org_b, org_role=OrgRole.MANAGER)

    with django_capture_on_commit_callbacks(execute=True):
        notice_send(actor=security_officer, delivery=_delivery(notice, org_b))

    assert [m.to for m in mail.outbox] == [[manager_b.email]]


@pytest.mark.parametrize("who", ["unassigned_csm", "tech", "security_manager", "bob"])
def test_others_cannot_send_and_the_attempt_is_logged(
    request, who, delivery_a, org_a, bob, audit_events, django_capture_on_commit_callbacks
):
    actor = (
        StaffUserFactory(staff_role="csm")
        if who == "unassigned_csm"
        else request.getfixturevalue(who)
    )

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ChangeRefused, match="customer success manager or a security officer"),
    ):
        notice_send(actor=actor, delivery=delivery_a)

    assert reload(delivery_a).sent_at is None
    assert mail.outbox == []
    [event] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_REFUSED)
    assert event.organization_id == org_a.pk
    assert event.object_ids == [str(delivery_a.pk)]
    assert event.details == {"attempted": "notice.send", "refused": "not_notice_handler"}


def test_a_notice_without_any_manager_to_tell_is_refused(notice, org_b, security_officer):
    with pytest.raises(ValidationError, match="no active manager"):
        notice_send(actor=security_officer, delivery=_delivery(notice, org_b))

    assert reload(_delivery(notice, org_b)).sent_at is None


def test_sending_again_is_recorded_again(
    delivery_a, bob, security_officer, audit_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(actor=security_officer, delivery=delivery_a)
        notice_send(actor=security_officer, delivery=delivery_a)

    assert len(mail.outbox) == 2
    events = audit_events(AuditAction.NOTICE_SENT)
    assert [e.details["resend"] for e in events] == [False, True]


# --- Acknowledging and objecting ------------------------------------------------------------


def test_a_client_manager_acknowledges(delivery_a, bob, org_a, audit_events):
    notice_acknowledge(actor=bob, delivery=delivery_a)

    delivery = reload(delivery_a)
    assert delivery.acknowledged_at is not None
    assert delivery.acknowledged_by_id == bob.pk
    [event] = audit_events(AuditAction.NOTICE_ACKNOWLEDGED)
    assert event.organization_id == org_a.pk
    assert event.actor_id == bob.pk
    with pytest.raises(ValidationError, match="already been acknowledged"):
        notice_acknowledge(actor=bob, delivery=delivery_a)


@pytest.mark.parametrize("who", ["alice", "charlie", "csm"])
def test_only_a_manager_of_that_organization_answers(request, who, delivery_a, audit_events):
    actor = request.getfixturevalue(who)

    with pytest.raises(ChangeRefused, match="Only a manager of the organization"):
        notice_acknowledge(actor=actor, delivery=delivery_a)
    with pytest.raises(ChangeRefused):
        notice_object(actor=actor, delivery=delivery_a, objection="No")

    delivery = reload(delivery_a)
    assert delivery.acknowledged_at is None
    assert delivery.objection_status == ""
    refused = audit_events(AuditAction.SUBPROCESSOR_CHANGE_REFUSED)
    assert [e.details["attempted"] for e in refused] == ["notice.acknowledge", "notice.object"]


def test_an_objection_stays_open_until_resolved(delivery_a, bob, org_a, csm, assign, audit_events):
    assign(csm, org_a)

    notice_object(actor=bob, delivery=delivery_a, objection="Our works council must agree first.")

    delivery = reload(delivery_a)
    assert delivery.objection_status == ObjectionStatus.OPEN
    assert delivery.objection == "Our works council must agree first."
    assert delivery.objected_by_id == bob.pk
    [objected] = audit_events(AuditAction.NOTICE_OBJECTED)
    assert objected.organization_id == org_a.pk
    assert "works council" not in str(objected.details)  # the client's words stay off the log
    with pytest.raises(ValidationError, match="already been recorded"):
        notice_object(actor=bob, delivery=delivery_a, objection="Again")

    objection_resolve(actor=csm, delivery=delivery_a, resolution="Agreed to delay in the DPA.")

    delivery = reload(delivery_a)
    assert delivery.objection_status == ObjectionStatus.RESOLVED
    assert delivery.resolution == "Agreed to delay in the DPA."
    assert delivery.resolved_by_id == csm.pk
    assert delivery.objection == "Our works council must agree first."
    [resolved] = audit_events(AuditAction.OBJECTION_RESOLVED)
    assert resolved.actor_id == csm.pk
    assert resolved.organization_id == org_a.pk
    with pytest.raises(ValidationError, match="no open objection"):
        objection_resolve(actor=csm, delivery=delivery_a, resolution="Twice")


def test_an_objection_is_mailed_to_the_assigned_csm_without_its_words(
    delivery_a, bob, org_a, csm, assign, security_officer, django_capture_on_commit_callbacks
):
    assign(csm, org_a)

    with django_capture_on_commit_callbacks(execute=True):
        notice_object(actor=bob, delivery=delivery_a, objection="Our works council says no.")

    [message] = mail.outbox
    assert message.to == [csm.email]
    assert message.subject == "Organization A objects to a subprocessor change (Mailjet)"
    assert f"/subprocessor-registry/staff/deliveries/{delivery_a.pk}/" in message.body
    assert "works council" not in message.body


def test_without_a_csm_the_security_officers_are_told(
    delivery_a, bob, security_officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notice_object(actor=bob, delivery=delivery_a, objection="No.")

    assert [m.to for m in mail.outbox] == [[security_officer.email]]


def test_an_objection_needs_words(delivery_a, bob):
    with pytest.raises(ValidationError) as error:
        notice_object(actor=bob, delivery=delivery_a, objection="   ")

    assert "objection" in error.value.message_dict
    assert reload(delivery_a).objection_status == ""


def test_a_security_officer_resolves_too_but_not_a_csm_of_another_client(
    delivery_a, bob, security_officer, audit_events
):
    notice_object(actor=bob, delivery=delivery_a, objection="No US transfer please.")
    other_csm = StaffUserFactory(staff_role="csm")

    with pytest.raises(ChangeRefused):
        objection_resolve(actor=other_csm, delivery=delivery_a, resolution="Done")
    assert reload(delivery_a).objection_status == ObjectionStatus.OPEN
    with pytest.raises(ValidationError):
        objection_resolve(actor=security_officer, delivery=delivery_a, resolution=" ")

    objection_resolve(actor=security_officer, delivery=delivery_a, resolution="EU region only.")

    assert reload(delivery_a).objection_status == ObjectionStatus.RESOLVED
    [refused] = audit_events(AuditAction.SUBPROCESSOR_CHANGE_REFUSED)
    assert refused.details == {"attempted": "objection.resolve", "refused": "not_notice_handler"}
