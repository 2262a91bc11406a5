"""Resetting a staff member's lost second factor: who may, what it deletes and ends, what it
records, and who is told."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from grove.accounts.models import StaffRole
from grove.accounts.second_factor import (
    RESET_REASON_MAX_LENGTH,
    SecondFactorResetRefused,
    recovery_code_hash,
    second_factor_reset,
)
from grove.audit.models import AuditAction
from grove.core.testing.factories import StaffUserFactory

from .helpers import assert_nowhere_in, logged_in_staff_browser, second_factor_devices

HOME = reverse("core:home")
REASON = "Phone and recovery codes lost; identity checked by video call (SEC-12)."


def add_recovery_codes(user, count: int = 3) -> None:
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    for n in range(count):
        StaticToken.objects.create(device=device, token=recovery_code_hash(f"code{n:012d}"))


def enrolled(user):
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    add_recovery_codes(user)
    return user


def is_logged_out(browser) -> bool:
    response = browser.get(HOME)
    return response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )


def test_an_officer_resets_a_csm(
    csm, security_officer, audit_events, django_capture_on_commit_callbacks
):
    csm_browser = logged_in_staff_browser(csm)  # a confirmed authenticator, and a verified session
    add_recovery_codes(csm)
    TOTPDevice.objects.create(user=csm, name="authenticator", confirmed=False)
    assert second_factor_devices(csm) == 3

    with django_capture_on_commit_callbacks(execute=True):
        second_factor_reset(actor=security_officer, user=csm, reason=f"  {REASON}  ")

    assert second_factor_devices(csm) == 0
    assert not StaticToken.objects.filter(device__user_id=csm.pk).exists()
    assert is_logged_out(csm_browser)
    [event] = audit_events(AuditAction.SECOND_FACTOR_RESET)
    assert event.actor_id == security_officer.pk
    assert event.actor_role == StaffRole.SECURITY_OFFICER
    assert event.subject_user_id == csm.pk
    assert event.organization_id is None
    assert event.details == {"reason": REASON}
    assert len(event.object_ids) == 3
    assert_nowhere_in(event, csm.email, csm.full_name, security_officer.email)
    [message] = mail.outbox
    assert message.to == [csm.email]
    assert message.subject == "Your Grove second factor was reset"
    assert "By: Security officer" in message.body
    assert "contact the security officer" in message.body
    assert " UTC" in message.body
    assert security_officer.last_name not in message.body  # the role, not the person


def test_a_security_manager_may_reset_too(csm, security_manager, audit_events):
    enrolled(csm)

    second_factor_reset(actor=security_manager, user=csm, reason=REASON)

    assert second_factor_devices(csm) == 0
    assert len(audit_events(AuditAction.SECOND_FACTOR_RESET)) == 1


def test_the_mail_leaves_only_after_the_commit(
    csm, security_officer, django_capture_on_commit_callbacks
):
    enrolled(csm)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        second_factor_reset(actor=security_officer, user=csm, reason=REASON)

    assert mail.outbox == []
    assert len(callbacks) == 1


def test_only_the_persons_sessions_end(csm, tech, security_officer):
    csm_browser = logged_in_staff_browser(csm)
    officer_browser = logged_in_staff_browser(security_officer)
    tech_browser = logged_in_staff_browser(tech)

    second_factor_reset(actor=security_officer, user=csm, reason=REASON)

    assert is_logged_out(csm_browser)
    assert officer_browser.get(HOME).status_code == 200
    assert tech_browser.get(HOME).status_code == 200
    assert second_factor_devices(tech) == 1


@pytest.mark.parametrize("who", ["csm", "tech"])
def test_other_staff_may_not_reset(request, who, audit_events):
    actor = request.getfixturevalue(who)
    other = enrolled(StaffUserFactory(staff_role=StaffRole.CSM))
    other_browser = logged_in_staff_browser(other)

    with pytest.raises(SecondFactorResetRefused):
        second_factor_reset(actor=actor, user=other, reason=REASON)

    assert second_factor_devices(other) == 2
    assert other_browser.get(HOME).status_code == 200
    [denied] = audit_events(AuditAction.ACCESS_DENIED)
    assert denied.actor_id == actor.pk
    assert denied.object_ids == [str(other.pk)]
    assert denied.details == {"attempted": "second_factor.reset", "refused": "not_a_resetter"}
    assert audit_events(AuditAction.SECOND_FACTOR_RESET) == []
    assert mail.outbox == []


@pytest.mark.parametrize("who", ["security_officer", "security_manager"])
def test_nobody_resets_their_own(request, who, audit_events):
    actor = enrolled(request.getfixturevalue(who))

    with pytest.raises(SecondFactorResetRefused, match="your own"):
        second_factor_reset(actor=actor, user=actor, reason=REASON)

    assert second_factor_devices(actor) == 2
    [denied] = audit_events(AuditAction.ACCESS_DENIED)
    assert denied.details["refused"] == "own_account"
    assert audit_events(AuditAction.SECOND_FACTOR_RESET) == []


def test_a_client_user_has_no_second_factor_to_reset(alice, security_officer, audit_events):
    with pytest.raises(SecondFactorResetRefused):
        second_factor_reset(actor=security_officer, user=alice, reason=REASON)

    [denied] = audit_events(AuditAction.ACCESS_DENIED)
    assert denied.details["refused"] == "not_staff"
    assert audit_events(AuditAction.SECOND_FACTOR_RESET) == []


@pytest.mark.parametrize(
    "reason",
    [
        "",
        "   \n ",
        "x" * (RESET_REASON_MAX_LENGTH + 1),
        "{first_name} lost the phone",
        "Asked by {last_name} by phone",
        "Mail from {email}",
        "mail from {email_upper}",
    ],
)
def test_a_missing_long_or_identifying_reason_changes_nothing(
    csm, security_officer, audit_events, django_capture_on_commit_callbacks, reason
):
    enrolled(csm)
    csm_browser = logged_in_staff_browser(csm)
    typed = reason.format(
        first_name=csm.first_name,
        last_name=csm.last_name,
        email=csm.email,
        email_upper=csm.email.upper(),
    )

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as error:
        second_factor_reset(actor=security_officer, user=csm, reason=typed)

    assert "reason" in error.value.message_dict
    assert second_factor_devices(csm) == 2
    assert csm_browser.get(HOME).status_code == 200
    assert audit_events(AuditAction.SECOND_FACTOR_RESET) == []
    assert mail.outbox == []


def test_a_name_inside_another_word_is_not_taken_for_the_person(security_officer):
    staff = enrolled(StaffUserFactory(first_name="Al", last_name="Lee"))

    second_factor_reset(
        actor=security_officer, user=staff, reason="Phone lost while sleeping; alternate check."
    )

    assert second_factor_devices(staff) == 0


def test_a_staff_member_without_any_device_has_nothing_to_reset(
    csm, security_officer, audit_events
):
    with pytest.raises(ValidationError, match="no second factor"):
        second_factor_reset(actor=security_officer, user=csm, reason=REASON)

    assert audit_events(AuditAction.SECOND_FACTOR_RESET) == []
    assert mail.outbox == []
