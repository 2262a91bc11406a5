"""The staff second factors page and the reset form: security officers and managers only."""

import uuid

import pytest
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from grove.accounts.models import StaffRole
from grove.accounts.second_factor import recovery_code_hash
from grove.accounts.tests.helpers import logged_in_staff_browser, second_factor_devices
from grove.audit.models import AuditAction
from grove.core.testing.factories import TEST_PASSWORD, StaffUserFactory
from grove.core.testing.fixtures import HttpsClient, log_in_verified_staff

LIST = reverse("staff:second_factors")
HOME = reverse("core:home")
LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:otp_verify")
ENROL = reverse("accounts:otp_enrol")
REASON = "Phone and recovery codes lost; identity checked by video call (SEC-12)."


def reset_url(user_or_id) -> str:
    return reverse("staff:second_factor_reset", args=[getattr(user_or_id, "pk", user_or_id)])


def add_recovery_codes(user, count: int) -> None:
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    for n in range(count):
        StaticToken.objects.create(device=device, token=recovery_code_hash(f"code{n:012d}"))


def test_it_requires_login(client, csm):
    csm_browser = logged_in_staff_browser(csm)

    assert client.get(LIST).status_code == 302
    response = client.post(reset_url(csm), {"reason": REASON})

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert second_factor_devices(csm) == 1
    assert csm_browser.get(HOME).status_code == 200


def test_a_client_user_gets_the_console_404(client, alice, csm):
    client.force_login(alice)

    assert client.get(LIST).status_code == 404
    assert client.post(reset_url(csm), {"reason": REASON}).status_code == 404


@pytest.mark.parametrize("who", ["csm", "tech"])
def test_other_staff_get_a_logged_404(staff_client, request, who, audit_events):
    victim = StaffUserFactory(staff_role=StaffRole.CSM)
    victim_browser = logged_in_staff_browser(victim)
    client = staff_client(request.getfixturevalue(who))

    assert client.get(LIST).status_code == 404
    assert client.get(reset_url(victim)).status_code == 404
    assert client.post(reset_url(victim), {"reason": REASON}).status_code == 404

    assert second_factor_devices(victim) == 1
    assert victim_browser.get(HOME).status_code == 200
    assert len(audit_events(AuditAction.ACCESS_DENIED)) == 3
    assert audit_events(AuditAction.SECOND_FACTOR_RESET) == []
    assert mail.outbox == []


def test_the_page_lists_staff_and_their_second_factor(
    staff_client, security_officer, csm, tech, alice, audit_events
):
    TOTPDevice.objects.create(user=csm, name="authenticator", confirmed=True)
    add_recovery_codes(csm, 7)
    TOTPDevice.objects.create(user=tech, name="authenticator", confirmed=False)

    response = staff_client(security_officer).get(LIST)

    assert response.status_code == 200
    rows = {row.user.pk: row for row in response.context["rows"]}
    assert set(rows) == {security_officer.pk, csm.pk, tech.pk}  # no client user
    assert (rows[csm.pk].has_authenticator, rows[csm.pk].recovery_codes_left) == (True, 7)
    assert (rows[tech.pk].has_authenticator, rows[tech.pk].recovery_codes_left) == (False, 0)
    page = response.content.decode()
    assert reset_url(csm) in page
    assert reset_url(security_officer) not in page  # nobody resets their own
    assert second_factor_devices(csm) == 2
    assert audit_events(AuditAction.SECOND_FACTOR_RESET) == []


def test_the_reset_page_shows_a_form_and_changes_nothing(
    staff_client, security_officer, csm, audit_events
):
    csm_browser = logged_in_staff_browser(csm)

    response = staff_client(security_officer).get(reset_url(csm))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<label for="id_reason">' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert second_factor_devices(csm) == 1
    assert csm_browser.get(HOME).status_code == 200
    assert audit_events(AuditAction.SECOND_FACTOR_RESET) == []
    assert mail.outbox == []


@pytest.mark.parametrize("who", ["security_officer", "security_manager"])
def test_a_security_officer_or_manager_resets_a_csm(
    staff_client, request, who, csm, audit_events, django_capture_on_commit_callbacks
):
    actor = request.getfixturevalue(who)
    csm_browser = logged_in_staff_browser(csm)
    add_recovery_codes(csm, 10)
    client = staff_client(actor)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reset_url(csm), {"reason": REASON})

    assert response.status_code == 302
    assert response["Location"] == LIST
    assert second_factor_devices(csm) == 0
    response = csm_browser.get(HOME)  # the CSM's open session is gone
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    [event] = audit_events(AuditAction.SECOND_FACTOR_RESET)
    assert (event.actor_id, event.subject_user_id) == (actor.pk, csm.pk)
    assert event.details == {"reason": REASON}
    [message] = mail.outbox
    assert message.to == [csm.email]
    assert "second factor" in message.subject
    assert "Second factor reset" in client.get(LIST).content.decode()


def test_at_the_next_login_the_csm_sets_up_a_new_authenticator(staff_client, security_officer, csm):
    TOTPDevice.objects.create(user=csm, name="authenticator", confirmed=True)
    staff_client(security_officer).post(reset_url(csm), {"reason": REASON})
    browser = HttpsClient()

    assert (
        browser.post(LOGIN, {"username": csm.email, "password": TEST_PASSWORD}).status_code == 302
    )
    assert browser.get(HOME)["Location"] == f"{VERIFY}?next=%2F"
    assert browser.get(f"{VERIFY}?next=/")["Location"] == f"{ENROL}?next=%2F"
    assert browser.get(ENROL).status_code == 200
    assert TOTPDevice.objects.filter(user=csm, confirmed=False).count() == 1


def test_nobody_resets_themself(staff_client, security_officer, audit_events):
    client = staff_client(security_officer)

    get = client.get(reset_url(security_officer))
    post = client.post(reset_url(security_officer), {"reason": REASON})

    assert (get.status_code, post.status_code) == (403, 403)
    assert "your own second factor" in post.content.decode()
    assert second_factor_devices(security_officer) == 1
    assert client.get(LIST).status_code == 200  # still logged in, still verified
    denials = audit_events(AuditAction.ACCESS_DENIED)
    assert [d.details["refused"] for d in denials] == ["own_account", "own_account"]
    assert audit_events(AuditAction.SECOND_FACTOR_RESET) == []


def test_a_client_users_id_gets_a_logged_404(staff_client, security_officer, alice, audit_events):
    client = staff_client(security_officer)

    assert client.get(reset_url(alice)).status_code == 404
    assert client.post(reset_url(alice), {"reason": REASON}).status_code == 404

    denials = audit_events(AuditAction.ACCESS_DENIED)
    assert [d.object_ids for d in denials] == [[str(alice.pk)], [str(alice.pk)]]
    assert audit_events(AuditAction.SECOND_FACTOR_RESET) == []


def test_an_unknown_or_forged_id_gets_404(staff_client, security_officer, audit_events):
    client = staff_client(security_officer)

    assert client.post(reset_url(uuid.uuid4()), {"reason": REASON}).status_code == 404
    assert client.post(f"{LIST}not-an-id/reset/", {"reason": REASON}).status_code == 404
    assert len(audit_events(AuditAction.ACCESS_DENIED)) == 1
    assert audit_events(AuditAction.SECOND_FACTOR_RESET) == []


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_missing_or_overlong_reason_changes_nothing(
    staff_client, security_officer, csm, audit_events, django_capture_on_commit_callbacks, reason
):
    csm_browser = logged_in_staff_browser(csm)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client(security_officer).post(reset_url(csm), {"reason": reason})

    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert second_factor_devices(csm) == 1
    assert csm_browser.get(HOME).status_code == 200
    assert audit_events(AuditAction.SECOND_FACTOR_RESET) == []
    assert mail.outbox == []


def test_a_reason_naming_the_person_is_refused(staff_client, security_officer, csm):
    TOTPDevice.objects.create(user=csm, name="authenticator", confirmed=True)

    response = staff_client(security_officer).post(
        reset_url(csm), {"reason": f"{csm.email} lost the phone"}
    )

    assert response.status_code == 200
    assert "access log keeps ids only" in response.content.decode()
    assert second_factor_devices(csm) == 1


def test_a_post_without_the_csrf_token_changes_nothing(security_officer, csm):
    TOTPDevice.objects.create(user=csm, name="authenticator", confirmed=True)
    browser = HttpsClient(enforce_csrf_checks=True)
    log_in_verified_staff(browser, security_officer)

    response = browser.post(reset_url(csm), {"reason": REASON})

    assert response.status_code == 403
    assert second_factor_devices(csm) == 1


def test_the_console_links_the_page_for_the_security_team_only(staff_client, security_officer, csm):
    home = reverse("staff:home")
    assert LIST in staff_client(security_officer).get(home).content.decode()
    assert LIST not in staff_client(csm).get(home).content.decode()
