"""The staff second factor: enrolment with recovery codes, verification, throttling, and the
middleware that keeps unverified staff on those pages. Client users are never asked."""

import base64
import datetime

import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from grove.accounts.second_factor import recovery_code_hash
from grove.audit.models import AuditAction
from grove.core.testing.factories import TEST_PASSWORD
from grove.core.testing.fixtures import log_in_verified_staff

from .helpers import assert_nowhere_in

HOME = reverse("core:home")
LOGIN = reverse("accounts:login")
VERIFY = reverse("accounts:otp_verify")
ENROL = reverse("accounts:otp_enrol")
LOGOUT = reverse("accounts:logout")


def code_for(device: TOTPDevice) -> str:
    """The code an authenticator app shows now for ``device``."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


def log_in_with_password(client, email: str):
    response = client.post(LOGIN, {"username": email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return response


def enrol(client, user) -> list[str]:
    """Enrol ``user`` (logged in by password) and return the recovery codes shown."""
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(ENROL, {"code": code_for(device)})
    assert response.status_code == 200
    return response.context["recovery_codes"]


def confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def recovery_codes_for(user, *codes: str) -> StaticDevice:
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    for code in codes:
        StaticToken.objects.create(device=device, token=recovery_code_hash(code))
    return device


# --- The middleware -----------------------------------------------------------------------


def test_staff_logged_in_by_password_only_are_sent_to_the_second_factor(client, csm):
    log_in_with_password(client, "csm@grove.example")

    response = client.get(HOME)

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2F"


def test_staff_without_a_device_are_sent_on_to_enrolment(client, csm):
    log_in_with_password(client, "csm@grove.example")

    response = client.get(f"{VERIFY}?next=/")

    assert response.status_code == 302
    assert response["Location"] == f"{ENROL}?next=%2F"


def test_a_bare_force_login_of_staff_does_not_count_as_verified(client, csm):
    client.force_login(csm)

    assert client.get(HOME).status_code == 302


def test_the_shared_helper_logs_staff_in_verified(client, csm):
    log_in_verified_staff(client, csm)

    response = client.get(HOME)

    assert response.status_code == 200
    assert response.context["user"].pk == csm.pk


def test_the_staff_client_fixture_logs_staff_in_verified(staff_client, security_officer):
    response = staff_client(security_officer).get(HOME)

    assert response.status_code == 200


def test_an_unverified_json_request_gets_403(client, csm):
    client.force_login(csm)

    response = client.get(HOME, headers={"Accept": "application/json"})

    assert response.status_code == 403
    assert response.json() == {"detail": "second factor required"}


def test_an_unverified_api_path_gets_403(client, csm):
    client.force_login(csm)

    assert client.get("/api/anything").status_code == 403


def test_the_redirect_carries_the_path_but_never_the_query_string(client, csm):
    client.force_login(csm)

    response = client.get(HOME + "?q=alice@a.example")

    assert response["Location"] == f"{VERIFY}?next=%2F"


def test_unverified_staff_may_log_out(client, csm, audit_events):
    client.force_login(csm)

    response = client.post(LOGOUT)

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in client.session
    assert len(audit_events(AuditAction.LOGOUT)) == 1


def test_unverified_staff_may_load_static_files(client, csm, settings):
    client.force_login(csm)

    response = client.get(settings.STATIC_URL + "core/grove.css")

    assert response.status_code != 302  # 200 with DEBUG, 404 without: never the OTP page


def test_a_device_of_another_account_does_not_verify_the_session(client, csm, tech):
    others = confirmed_device(tech)
    client.force_login(csm)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = others.persistent_id
    session.save()

    assert client.get(HOME).status_code == 302


def test_an_unconfirmed_device_does_not_verify_the_session(client, csm):
    device = TOTPDevice.objects.create(user=csm, name="authenticator", confirmed=False)
    client.force_login(csm)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()

    assert client.get(HOME).status_code == 302


def test_client_users_are_never_asked_for_a_second_factor(client, alice):
    log_in_with_password(client, "alice@a.example")

    assert client.get(HOME).status_code == 200
    assert not TOTPDevice.objects.filter(user=alice).exists()


def test_the_second_factor_pages_send_client_users_home(client, alice):
    client.force_login(alice)

    assert client.get(VERIFY)["Location"] == HOME
    assert client.get(ENROL)["Location"] == HOME
    assert not TOTPDevice.objects.filter(user=alice).exists()


def test_the_second_factor_pages_require_login(client, db):
    for url in (VERIFY, ENROL):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)


# --- Enrolment ------------------------------------------------------------------------------


def test_the_enrolment_page_shows_the_key_as_text_and_as_a_qr_code(client, csm):
    log_in_with_password(client, "csm@grove.example")

    response = client.get(ENROL)

    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=csm)
    assert device.confirmed is False
    secret = response.context["secret"]
    assert base64.b32decode(secret.replace(" ", "")) == device.bin_key  # 20 bytes: no padding
    assert secret in response.text
    assert "<svg" in response.text
    assert response["Cache-Control"].startswith("max-age=0")


def test_reloading_the_enrolment_page_keeps_the_same_key(client, csm):
    log_in_with_password(client, "csm@grove.example")

    first = client.get(ENROL).context["secret"]
    second = client.get(ENROL).context["secret"]

    assert first == second
    assert TOTPDevice.objects.filter(user=csm).count() == 1


def test_enrolment_with_a_real_code_confirms_and_shows_ten_recovery_codes(
    client, csm, audit_events
):
    log_in_with_password(client, "csm@grove.example")

    codes = enrol(client, csm)

    assert len(codes) == 10 and len(set(codes)) == 10
    device = TOTPDevice.objects.get(user=csm)
    assert device.confirmed is True
    static = StaticDevice.objects.get(user=csm)
    assert static.token_set.count() == 10
    [event] = audit_events(AuditAction.OTP_ENROLLED)
    assert event.actor_id == csm.pk
    assert event.subject_user_id == csm.pk
    assert event.object_ids == [device.persistent_id, static.persistent_id]
    assert_nowhere_in(event, "csm@grove.example", *codes)
    # The session is verified: staff pages open.
    assert client.get(HOME).status_code == 200


def test_the_recovery_codes_are_shown_once_only(client, csm):
    log_in_with_password(client, "csm@grove.example")
    codes = enrol(client, csm)

    again = client.get(ENROL, follow=True)

    assert not any(code in again.text for code in codes)


def test_enrolment_follows_the_next_url(client, csm):
    log_in_with_password(client, "csm@grove.example")
    client.get(f"{ENROL}?next=/healthz")
    device = TOTPDevice.objects.get(user=csm)

    response = client.post(ENROL, {"code": code_for(device), "next": "/healthz"})

    assert response.context["continue_url"] == "/healthz"


def test_a_wrong_enrolment_code_fails_and_records_otp_failed(client, csm, audit_events):
    log_in_with_password(client, "csm@grove.example")
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=csm)
    wrong = str((int(code_for(device)) + 1) % 1_000_000).zfill(6)

    response = client.post(ENROL, {"code": wrong})

    assert response.status_code == 200
    assert "That code is not valid" in response.text
    device.refresh_from_db()
    assert device.confirmed is False
    assert device.throttling_failure_count == 1
    [event] = audit_events(AuditAction.OTP_FAILED)
    assert event.actor_id == csm.pk
    assert event.details == {"method": "enrolment", "reason": "wrong_code", "failure_count": 1}
    assert wrong not in str(event.details)
    assert not StaticDevice.objects.filter(user=csm).exists()
    assert client.get(HOME).status_code == 302


def test_staff_with_a_device_cannot_enrol_again(client, csm):
    confirmed_device(csm)
    client.force_login(csm)

    response = client.get(ENROL)

    assert response["Location"] == VERIFY
    assert TOTPDevice.objects.filter(user=csm).count() == 1


# --- Verification ---------------------------------------------------------------------------


def test_a_code_from_the_app_verifies_the_session(client, csm, audit_events):
    device = confirmed_device(csm)
    log_in_with_password(client, "csm@grove.example")
    key_before = client.session.session_key

    response = client.post(VERIFY, {"code": code_for(device), "next": "/healthz"})

    assert response.status_code == 302
    assert response["Location"] == "/healthz"
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.session.session_key != key_before  # a new key for a more privileged session
    assert client.get(HOME).status_code == 200
    [event] = audit_events(AuditAction.OTP_VERIFIED)
    assert event.actor_id == csm.pk
    assert event.object_ids == [device.persistent_id]


def test_a_verified_session_skips_the_verification_page(client, csm):
    log_in_verified_staff(client, csm)

    assert client.get(VERIFY)["Location"] == HOME


def test_the_same_code_cannot_be_used_twice(client, csm):
    device = confirmed_device(csm)
    with time_machine.travel(timezone.now(), tick=False):
        code = code_for(device)
        log_in_with_password(client, "csm@grove.example")
        assert client.post(VERIFY, {"code": code}).status_code == 302
        client.post(LOGOUT)
        log_in_with_password(client, "csm@grove.example")

        response = client.post(VERIFY, {"code": code})

    assert response.status_code == 200
    assert "That code is not valid" in response.text


def test_a_wrong_code_fails_and_records_otp_failed(client, csm, audit_events):
    device = confirmed_device(csm)
    log_in_with_password(client, "csm@grove.example")
    wrong = str((int(code_for(device)) + 1) % 1_000_000).zfill(6)

    response = client.post(VERIFY, {"code": wrong})

    assert response.status_code == 200
    assert "That code is not valid" in response.text
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert client.get(HOME).status_code == 302
    [event] = audit_events(AuditAction.OTP_FAILED)
    assert event.actor_id == csm.pk
    assert event.object_ids == [device.persistent_id]
    assert event.details == {"method": "totp", "reason": "wrong_code", "failure_count": 1}


def test_attempts_are_throttled_after_a_failure_even_with_the_right_code(client, csm, audit_events):
    device = confirmed_device(csm)
    log_in_with_password(client, "csm@grove.example")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(VERIFY, {"code": "000000" if code_for(device) != "000000" else "111111"})

        throttled = client.post(VERIFY, {"code": code_for(device)})

    assert throttled.status_code == 429
    assert "Too many wrong codes" in throttled.text
    assert client.get(HOME).status_code == 302
    reasons = [e.details["reason"] for e in audit_events(AuditAction.OTP_FAILED)]
    assert reasons == ["wrong_code", "throttled"]
    # Once the back-off (1 s after one failure) has passed, the right code works again.
    with time_machine.travel(start + datetime.timedelta(seconds=2), tick=False):
        response = client.post(VERIFY, {"code": code_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_recovery_code_works_once_only(client, csm, audit_events):
    confirmed_device(csm)
    recovery = recovery_codes_for(csm, "abcdefghijklmnop", "qrstuvwxyz234567")
    log_in_with_password(client, "csm@grove.example")

    response = client.post(VERIFY, {"code": "ABCD-EFGH-IJKL-MNOP"})

    assert response.status_code == 302
    assert client.get(HOME).status_code == 200
    [event] = audit_events(AuditAction.RECOVERY_CODE_USED)
    assert event.actor_id == csm.pk
    assert event.object_ids == [recovery.persistent_id]
    assert event.details == {"remaining": 1}
    assert_nowhere_in(event, "abcdefghijklmnop")

    client.post(LOGOUT)
    log_in_with_password(client, "csm@grove.example")
    again = client.post(VERIFY, {"code": "abcd-efgh-ijkl-mnop"})

    assert again.status_code == 200
    assert "That code is not valid" in again.text
    assert client.get(HOME).status_code == 302
    [failed] = audit_events(AuditAction.OTP_FAILED)
    assert failed.details["method"] == "recovery_code"


def test_recovery_codes_from_enrolment_verify_a_later_session(client, csm):
    log_in_with_password(client, "csm@grove.example")
    codes = enrol(client, csm)
    client.post(LOGOUT)
    log_in_with_password(client, "csm@grove.example")

    response = client.post(VERIFY, {"code": codes[3]})

    assert response.status_code == 302
    assert StaticToken.objects.filter(device__user=csm).count() == 9


def test_the_code_is_never_echoed_back(client, csm):
    confirmed_device(csm)
    log_in_with_password(client, "csm@grove.example")

    response = client.post(VERIFY, {"code": "123457"})

    assert 'value="123457"' not in response.text
