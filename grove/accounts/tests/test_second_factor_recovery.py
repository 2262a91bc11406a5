"""Recovery codes are stored hashed: the table never holds a usable code, and codes still work
once each, typed in any case with dashes or spaces, with wrong ones throttled."""

import importlib

from django.apps import apps
from django.test import override_settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from grove.accounts.second_factor import recovery_code_hash
from grove.audit.models import AuditAction
from grove.core.testing.factories import TEST_PASSWORD

LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
VERIFY = reverse("accounts:otp_verify")
ENROL = reverse("accounts:otp_enrol")
HOME = reverse("core:home")
EMAIL = "csm@grove.example"

migration = importlib.import_module("grove.accounts.migrations.0005_hash_recovery_codes")


def log_in_with_password(client) -> None:
    response = client.post(LOGIN, {"username": EMAIL, "password": TEST_PASSWORD})
    assert response.status_code == 302


def enrol(client, user) -> list[str]:
    """Enrol ``user`` (logged in by password) and return the recovery codes shown, once."""
    client.get(ENROL)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    response = client.post(ENROL, {"code": str(totp.token()).zfill(device.digits)})
    assert response.status_code == 200
    return response.context["recovery_codes"]


def new_session(client) -> None:
    client.post(LOGOUT)
    log_in_with_password(client)


def stored_tokens(user) -> list[str]:
    return list(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))


def recovery_device(user, *tokens: str) -> StaticDevice:
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    device = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    StaticToken.objects.bulk_create(StaticToken(device=device, token=t) for t in tokens)
    return device


def test_after_enrolment_the_table_holds_no_recovery_code_in_clear(client, csm):
    log_in_with_password(client)
    codes = enrol(client, csm)

    tokens = stored_tokens(csm)
    assert len(codes) == len(tokens) == 10
    for code in codes:
        clear = code.replace("-", "")
        for token in tokens:
            assert clear not in token and token not in clear
            assert code not in token and code.upper() not in token
    assert sorted(tokens) == sorted(recovery_code_hash(code) for code in codes)
    assert all(token.startswith("$") and len(token) == 16 for token in tokens)


def test_a_shown_code_verifies_once_then_not_again(client, csm, audit_events):
    log_in_with_password(client)
    codes = enrol(client, csm)
    new_session(client)

    response = client.post(VERIFY, {"code": codes[0]})

    assert response.status_code == 302
    assert client.get(HOME).status_code == 200
    assert len(stored_tokens(csm)) == 9
    [used] = audit_events(AuditAction.RECOVERY_CODE_USED)
    assert used.details == {"remaining": 9}

    new_session(client)
    again = client.post(VERIFY, {"code": codes[0]})

    assert again.status_code == 200
    assert "That code is not valid" in again.text
    assert client.get(HOME).status_code == 302
    assert len(stored_tokens(csm)) == 9
    [failed] = audit_events(AuditAction.OTP_FAILED)
    assert failed.details["method"] == "recovery_code"


def test_a_code_typed_in_capitals_with_dashes_and_spaces_verifies(client, csm):
    log_in_with_password(client)
    codes = enrol(client, csm)
    new_session(client)
    typed = " " + codes[5].upper().replace("-", " - ", 1) + " "

    response = client.post(VERIFY, {"code": typed})

    assert response.status_code == 302
    assert recovery_code_hash(codes[5]) not in stored_tokens(csm)
    assert len(stored_tokens(csm)) == 9


def test_a_wrong_code_fails_counts_towards_throttling_and_uses_no_code(client, csm, audit_events):
    log_in_with_password(client)
    codes = enrol(client, csm)
    new_session(client)

    wrong = client.post(VERIFY, {"code": "aaaa-bbbb-cccc-dddd"})

    assert wrong.status_code == 200
    assert "That code is not valid" in wrong.text
    device = StaticDevice.objects.get(user=csm)
    assert device.throttling_failure_count == 1
    assert len(stored_tokens(csm)) == 10
    # Straight after, even a right code waits for the back-off, and stays unused.
    throttled = client.post(VERIFY, {"code": codes[1]})

    assert throttled.status_code == 429
    assert len(stored_tokens(csm)) == 10
    reasons = [e.details["reason"] for e in audit_events(AuditAction.OTP_FAILED)]
    assert reasons == ["wrong_code", "throttled"]


def test_the_stored_hash_typed_as_a_code_does_not_verify(client, csm):
    log_in_with_password(client)
    enrol(client, csm)
    new_session(client)
    [token, *_] = stored_tokens(csm)

    response = client.post(VERIFY, {"code": token})

    assert response.status_code == 200
    assert client.get(HOME).status_code == 302
    assert len(stored_tokens(csm)) == 10


def test_codes_hashed_under_a_fallback_key_still_verify_after_a_key_rotation(client, csm):
    with override_settings(SECRET_KEY="old-key-" * 8):
        recovery_device(csm, recovery_code_hash("abcdefghijklmnop"))

    with override_settings(SECRET_KEY="new-key-" * 8, SECRET_KEY_FALLBACKS=["old-key-" * 8]):
        log_in_with_password(client)
        response = client.post(VERIFY, {"code": "abcd-efgh-ijkl-mnop"})

    assert response.status_code == 302
    assert stored_tokens(csm) == []


def test_codes_hashed_under_a_retired_key_no_longer_verify(client, csm):
    with override_settings(SECRET_KEY="old-key-" * 8):
        recovery_device(csm, recovery_code_hash("abcdefghijklmnop"))

    with override_settings(SECRET_KEY="new-key-" * 8):
        log_in_with_password(client)
        response = client.post(VERIFY, {"code": "abcd-efgh-ijkl-mnop"})

    assert response.status_code == 200
    assert len(stored_tokens(csm)) == 1


def test_the_migration_hashes_clear_codes_and_leaves_hashed_ones_alone(client, csm):
    already_hashed = recovery_code_hash("qrstuvwxyz234567")
    recovery_device(csm, "abcdefghijklmnop", already_hashed)

    migration.hash_clear_recovery_codes(apps, None)

    hashed_once = stored_tokens(csm)
    assert sorted(hashed_once) == sorted([recovery_code_hash("abcdefghijklmnop"), already_hashed])
    migration.hash_clear_recovery_codes(apps, None)
    assert sorted(stored_tokens(csm)) == sorted(hashed_once)
    # The migrated code works as it did, once.
    log_in_with_password(client)
    assert client.post(VERIFY, {"code": "ABCD-EFGH-IJKL-MNOP"}).status_code == 302
    assert stored_tokens(csm) == [already_hashed]


def test_the_migration_hashes_every_clear_code_beyond_one_batch(csm):
    device = recovery_device(csm)
    clear = [f"code{n:012d}" for n in range(1005)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in clear)

    migration.hash_clear_recovery_codes(apps, None)

    assert sorted(stored_tokens(csm)) == sorted(recovery_code_hash(code) for code in clear)
