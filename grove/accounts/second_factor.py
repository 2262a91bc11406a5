"""The staff second factor: TOTP through django-otp, with single-use recovery codes.

Operator staff (``staff_role`` set) prove a password, then a code from their authenticator app
or one of their recovery codes; until then ``StaffSecondFactorMiddleware`` lets them reach only
these pages and logout. Client users are never asked for a second factor.

The writes are actions (keyword-only, atomic, one access-log event each, ids only). A failed
attempt is an outcome, not an exception: the device's throttling counter and the OTP_FAILED
event commit together with the request.

Recovery codes are stored as keyed hashes in django-otp's StaticToken rows, never in clear: a
copy of the table (a backup, a DBA) does not pass the second factor. So django-otp's own
``StaticDevice.verify_token`` must never see an entered code: ``_use_recovery_code`` replaces it.
"""

from __future__ import annotations

import base64
import enum
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote, urlencode

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from grove.audit.events import record_event
from grove.audit.models import AuditAction

from .models import User

RECOVERY_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery codes"
ISSUER = "Grove"
# 10 random bytes: 16 base32 characters (80 bits), the most StaticToken.token holds.
_RECOVERY_CODE_BYTES = 10
# A stored hash starts with a character no code has (codes are lowercase base32, entries are
# normalised to letters and digits), so hashed and clear rows are told apart and an entered
# code can never equal a stored value.
RECOVERY_CODE_HASH_PREFIX = "$"
_RECOVERY_CODE_HASH_SALT = "grove.accounts.second_factor.recovery_code"
# 15 base64 characters (90 bits) after the prefix fill StaticToken.token's 16: more than the
# code's 80 bits, so the truncation leaves no shortcut to a code that verifies.
_RECOVERY_CODE_HASH_CHARS = 15


class Outcome(enum.StrEnum):
    VERIFIED = "verified"
    WRONG_CODE = "wrong_code"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class SecondFactorResult:
    outcome: Outcome
    # When the device accepts attempts again (throttled only).
    locked_until: datetime | None = None
    # The new recovery codes, shown once (a confirmed enrolment only).
    recovery_codes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome == Outcome.VERIFIED


# --- Reads ----------------------------------------------------------------------------------


def requires_second_factor(user) -> bool:
    """Operator staff need a second factor; client users and anonymous visitors do not."""
    return bool(user.is_authenticated and getattr(user, "is_operator_staff", False))


def is_second_factor_verified(user) -> bool:
    """Whether this session proved a second factor (django-otp's OTPMiddleware decides)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified is not None and is_verified())


def confirmed_totp_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).order_by("pk").first()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user_id=user.pk, device__confirmed=True).count()


def provisioning_uri(device: TOTPDevice, *, user: User) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code (never requested)."""
    params = urlencode(
        {
            "secret": secret_text(device, grouped=False),
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
            "issuer": ISSUER,
        }
    )
    return f"otpauth://totp/{quote(f'{ISSUER}:{user.email}')}?{params}"


def secret_text(device: TOTPDevice, *, grouped: bool = True) -> str:
    """The key in base32, as typed into an authenticator app (groups of four when shown)."""
    text = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    if not grouped:
        return text
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_code_svg(uri: str) -> str:
    """An inline SVG drawing of the QR code (pure Python, no image library)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage)
    return image.to_string(encoding="unicode")


def normalize_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def format_recovery_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def recovery_code_hash(code: str, *, secret: str | None = None) -> str:
    """What StaticToken.token stores for ``code``: an HMAC-SHA256 keyed by SECRET_KEY (or
    ``secret``) of the normalised code, truncated to the column, after the hash prefix."""
    digest = salted_hmac(
        _RECOVERY_CODE_HASH_SALT, normalize_recovery_code(code), secret=secret, algorithm="sha256"
    ).digest()
    encoded = base64.urlsafe_b64encode(digest).decode("ascii")
    return RECOVERY_CODE_HASH_PREFIX + encoded[:_RECOVERY_CODE_HASH_CHARS]


# --- Actions --------------------------------------------------------------------------------


@transaction.atomic
def second_factor_enrolment_start(*, user: User) -> TOTPDevice:
    """The unconfirmed TOTP device ``user`` is enrolling, created on the first call.

    The same key is shown until it is confirmed, so reloading the page does not invalidate a
    scanned code. Only staff without a confirmed device may enrol (a reset is a separate,
    approved procedure). Nothing is logged yet: OTP_ENROLLED is recorded on confirmation.
    """
    if not user.is_operator_staff:
        raise PermissionError("only operator staff enrol a second factor")
    if confirmed_totp_device(user) is not None:
        raise PermissionError("this account already has a second factor")
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def second_factor_enrolment_confirm(
    *, request: HttpRequest, user: User, code: str
) -> SecondFactorResult:
    """Confirm the device being enrolled with a code from the app, and verify the session.

    On success the device is confirmed, ten fresh recovery codes replace any earlier ones
    (returned here, to be shown once), the session counts as verified and OTP_ENROLLED is
    recorded. A wrong code counts towards the device's throttling and records OTP_FAILED.
    """
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user_id=user.pk, confirmed=False)
        .order_by("pk")
        .first()
    )
    if device is None or confirmed_totp_device(user) is not None:
        return _failed(request=request, user=user, device=device, method="enrolment")
    result = _check(device, code.strip())
    if not result.ok:
        return _failed(request=request, user=user, device=device, method="enrolment", result=result)
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    static_device, codes = _replace_recovery_codes(user)
    _mark_session_verified(request, device)
    record_event(
        action=AuditAction.OTP_ENROLLED,
        actor=user,
        subject_user=user,
        object_type="otp_device",
        object_ids=[device.persistent_id, static_device.persistent_id],
        request=request,
    )
    return SecondFactorResult(Outcome.VERIFIED, recovery_codes=codes)


@transaction.atomic
def second_factor_verify(*, request: HttpRequest, user: User, code: str) -> SecondFactorResult:
    """Verify this session with a code from the app, or with one recovery code (used up).

    Records OTP_VERIFIED, or RECOVERY_CODE_USED with the number of codes left; a wrong code or
    an attempt while the device is throttled records OTP_FAILED.
    """
    compact = "".join(code.split())
    totp = confirmed_totp_device(user)
    if totp is not None and compact.isdigit() and len(compact) == totp.digits:
        method = "totp"
        device = TOTPDevice.objects.select_for_update().filter(pk=totp.pk).first()
        token = compact
    else:
        method = "recovery_code"
        device = (
            StaticDevice.objects.select_for_update()
            .filter(user_id=user.pk, confirmed=True)
            .order_by("pk")
            .first()
        )
        token = normalize_recovery_code(code)
    if device is None:
        return _failed(request=request, user=user, device=None, method=method)
    result = _check(device, token)
    if not result.ok:
        return _failed(request=request, user=user, device=device, method=method, result=result)
    _mark_session_verified(request, device)
    if method == "totp":
        record_event(
            action=AuditAction.OTP_VERIFIED,
            actor=user,
            subject_user=user,
            object_type="otp_device",
            object_ids=[device.persistent_id],
            request=request,
        )
    else:
        record_event(
            action=AuditAction.RECOVERY_CODE_USED,
            actor=user,
            subject_user=user,
            object_type="otp_device",
            object_ids=[device.persistent_id],
            request=request,
            details={"remaining": device.token_set.count()},
        )
    return result


# --- Helpers --------------------------------------------------------------------------------


def _check(device: TOTPDevice | StaticDevice, token: str) -> SecondFactorResult:
    """django-otp's own checks: throttling first (exponential back-off), then the token."""
    allowed, info = device.verify_is_allowed()
    if not allowed:
        return SecondFactorResult(Outcome.THROTTLED, locked_until=(info or {}).get("locked_until"))
    if isinstance(device, StaticDevice):
        verified = bool(token) and _use_recovery_code(device, token)
    else:  # a wrong token increments the failure count
        verified = bool(token) and device.verify_token(token)
    if verified:
        return SecondFactorResult(Outcome.VERIFIED)
    return SecondFactorResult(Outcome.WRONG_CODE)


def _use_recovery_code(device: StaticDevice, code: str) -> bool:
    """django-otp's ``StaticDevice.verify_token`` on the hash of ``code``: a match is deleted
    (single use) and resets the throttling; a miss counts towards it."""
    # Hashes under the fallback keys too: codes survive a SECRET_KEY rotation while the old
    # key is in SECRET_KEY_FALLBACKS (they cannot be re-hashed, their clear text is unknown).
    secrets_in_use = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    hashes = [recovery_code_hash(code, secret=secret) for secret in secrets_in_use]
    # One DELETE both finds and uses the code: of two concurrent uses, one deletes the row
    # and the other, after waiting for its lock, deletes nothing.
    used, _ = device.token_set.filter(token__in=hashes).delete()
    if not used:
        device.throttle_increment()
        return False
    device.throttle_reset(commit=False)
    device.set_last_used_timestamp(commit=False)
    device.save(
        update_fields=["throttling_failure_count", "throttling_failure_timestamp", "last_used_at"]
    )
    return True


def _failed(
    *,
    request: HttpRequest,
    user: User,
    device: TOTPDevice | StaticDevice | None,
    method: str,
    result: SecondFactorResult | None = None,
) -> SecondFactorResult:
    result = result or SecondFactorResult(Outcome.WRONG_CODE)
    details: dict[str, object] = {"method": method, "reason": str(result.outcome)}
    if device is not None:
        details["failure_count"] = device.throttling_failure_count
    record_event(
        action=AuditAction.OTP_FAILED,
        actor=user,
        subject_user=user,
        object_type="otp_device" if device is not None else "",
        object_ids=[device.persistent_id] if device is not None else [],
        request=request,
        details=details,
    )
    return result


def _replace_recovery_codes(user: User) -> tuple[StaticDevice, list[str]]:
    StaticDevice.objects.filter(user_id=user.pk).delete()  # tokens go with their device
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = []
    while len(codes) < RECOVERY_CODE_COUNT:
        code = base64.b32encode(secrets.token_bytes(_RECOVERY_CODE_BYTES)).decode().lower()
        if code not in codes:
            codes.append(code)
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=recovery_code_hash(code)) for code in codes
    )
    return device, [format_recovery_code(code) for code in codes]


def _mark_session_verified(request: HttpRequest, device: TOTPDevice | StaticDevice) -> None:
    django_otp.login(request, device)  # the session remembers the device that verified it
    # More privilege, new session key (as at login): a key seen before verification is useless.
    request.session.cycle_key()
