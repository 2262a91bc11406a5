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

A staff member who lost both their authenticator and their recovery codes is let back in by a
reset (``second_factor_reset``): a security officer or security manager other than them deletes
their devices and ends their sessions, and their next login enrols a new authenticator.
"""

from __future__ import annotations

import base64
import enum
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn
from urllib.parse import quote, urlencode

import django_otp
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.rights.erasure import _sessions_of as sessions_logged_in_as
from grove.staff.authorization import RecordedRefusal, is_second_factor_resetter
from grove.tenancy.context import unscoped

from .models import User

logger = logging.getLogger(__name__)

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
# The reason of a reset goes into the access log: a sentence or two, not a report.
RESET_REASON_MAX_LENGTH = 500


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


class SecondFactorResetRefused(RecordedRefusal):
    """The actor may not reset this second factor. The message is safe to show (no personal
    data); the attempt is already in the access log."""


_RESET_REFUSALS = {
    "not_a_resetter": gettext_lazy(
        "Only a security officer or a security manager can reset a second factor."
    ),
    "own_account": gettext_lazy(
        "You cannot reset your own second factor: another security officer or security "
        "manager must."
    ),
    "not_staff": gettext_lazy("Only Grove staff have a second factor to reset."),
}


@dataclass(frozen=True)
class StaffSecondFactor:
    """A staff member and the state of their second factor, for the operator console."""

    user: User
    has_authenticator: bool
    recovery_codes_left: int


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


def staff_second_factors() -> list[StaffSecondFactor]:
    """Every active staff member, whether they have a confirmed authenticator and how many
    recovery codes they have left (one query)."""
    codes_left = (
        StaticToken.objects.filter(device__user_id=OuterRef("pk"), device__confirmed=True)
        .order_by()
        .values("device__user_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    with unscoped("staff console: the staff accounts and the state of their second factor"):
        users = list(
            User.objects.filter(is_active=True)
            .exclude(staff_role="")
            .annotate(
                confirmed_authenticator=Exists(
                    TOTPDevice.objects.filter(user_id=OuterRef("pk"), confirmed=True)
                ),
                recovery_code_count=Coalesce(Subquery(codes_left), 0),
            )
            .order_by("last_name", "first_name", "email")
        )
    return [
        StaffSecondFactor(
            user=user,
            has_authenticator=user.confirmed_authenticator,
            recovery_codes_left=user.recovery_code_count,
        )
        for user in users
    ]


def staff_member_for_second_factor_reset(user_id) -> User | None:
    """The active staff account ``user_id`` names, or None (a client user, an unknown id)."""
    with unscoped("staff console: a staff account whose second factor may be reset"):
        return User.objects.filter(pk=user_id, is_active=True).exclude(staff_role="").first()


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


def second_factor_reset_check(*, actor: User, user: User, request: HttpRequest | None) -> None:
    """Refuse unless ``actor`` may reset ``user``'s second factor: a security officer or
    security manager, never for themselves, and only for staff. A refusal is recorded as
    ACCESS_DENIED (committed even though the caller's transaction rolls back the action), then
    raised as SecondFactorResetRefused."""
    if not is_second_factor_resetter(actor):
        _refuse_reset(actor=actor, user=user, why="not_a_resetter", request=request)
    if actor.pk == user.pk:
        _refuse_reset(actor=actor, user=user, why="own_account", request=request)
    if not user.is_operator_staff:
        _refuse_reset(actor=actor, user=user, why="not_staff", request=request)


def second_factor_reset(
    *, actor: User, user: User, reason: str, request: HttpRequest | None = None
) -> None:
    """Reset the lost second factor of staff member ``user``, for ``reason``.

    Deletes every device of theirs (authenticator, recovery codes, an unfinished enrolment)
    and every session they are logged in with, and records SECOND_FACTOR_RESET with the reason;
    their next login enrols a new authenticator. After the commit they get a mail saying that
    it was reset, when and by which role. The refusal of who may act is recorded before the
    action's transaction opens (as in grove/staff/actions.py), so rolling the action back does
    not erase the attempt. A missing, overlong or identifying reason, or a person with no
    device, is a ValidationError and changes nothing.
    """
    second_factor_reset_check(actor=actor, user=user, request=request)
    _second_factor_reset(actor=actor, user=user, reason=reason, request=request)


@transaction.atomic
def _second_factor_reset(
    *, actor: User, user: User, reason: str, request: HttpRequest | None
) -> None:
    reason = _clean_reset_reason(reason, user=user)
    # Two resets of the same person at once: the second waits here, then finds no device.
    with unscoped("second-factor reset: a staff account belongs to no organization"):
        User.objects.select_for_update().only("pk").get(pk=user.pk)
    devices = list(django_otp.devices_for_user(user, confirmed=None))
    if not devices:
        raise ValidationError(_("This staff member has no second factor to reset."))
    device_ids = [device.persistent_id for device in devices]
    for device in devices:
        device.delete()  # recovery codes go with their device
    # Without this a session verified before the reset would stay verified until it expires.
    sessions_logged_in_as(user).delete()
    record_event(
        action=AuditAction.SECOND_FACTOR_RESET,
        actor=actor,
        subject_user=user,
        object_type="otp_device",
        object_ids=device_ids,
        request=request,
        details={"reason": reason},
    )
    message = _second_factor_reset_message(actor=actor, user=user, reset_at=timezone.now())
    user_id = user.pk
    transaction.on_commit(lambda: _send_reset_mail(message, user_id=user_id))


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
    codes: list[str] = []
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


def _clean_reset_reason(reason: str, *, user: User) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why this second factor is reset.")})
    if len(reason) > RESET_REASON_MAX_LENGTH:
        raise ValidationError(
            {"reason": _("At most %(maximum)s characters.") % {"maximum": RESET_REASON_MAX_LENGTH}}
        )
    # The reason goes into the access log, which holds ids, never names or emails.
    if _names_the_person(reason, user):
        raise ValidationError(
            {"reason": _("Leave the person's name and email out: the access log keeps ids only.")}
        )
    return reason


def _names_the_person(text: str, user: User) -> bool:
    if user.email and user.email.lower() in text.lower():
        return True
    names = (name.strip() for name in (user.first_name, user.last_name))
    return any(
        re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE)
        for name in names
        if len(name) > 1
    )


def _refuse_reset(*, actor, user: User, why: str, request: HttpRequest | None) -> NoReturn:
    """Record ACCESS_DENIED (ids only), then raise SecondFactorResetRefused."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    fields: dict[str, Any] = {
        "action": AuditAction.ACCESS_DENIED,
        "actor": actor if authenticated else None,
        "organization": None,
        "object_type": "user",
        "object_ids": [user.pk],
        "details": {"attempted": "second_factor.reset", "refused": why},
    }
    with transaction.atomic():
        event = record_event(request=request, **fields)
    raise SecondFactorResetRefused(
        str(_RESET_REFUSALS[why]), event_fields=fields, event_public_id=event.public_id
    )


def _second_factor_reset_message(
    *, actor: User, user: User, reset_at: datetime
) -> EmailMultiAlternatives:
    # In the person's own language (the profile's; English when it follows the browser).
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {
            "user": user,
            "actor_role": str(actor.get_staff_role_display()),
            "reset_at": reset_at,
        }
        subject = render_to_string("accounts/second_factor_reset_subject.txt", context).strip()
        body = render_to_string("accounts/second_factor_reset_email.txt", context)
    return EmailMultiAlternatives(subject=subject, body=body, to=[user.email])


def _send_reset_mail(message: EmailMultiAlternatives, *, user_id) -> None:
    # The reset is done and recorded: a failed mail is logged, not turned into a 500.
    try:
        message.send()
    except Exception as error:  # any transport error; logged by type, never its text
        logger.error(
            "second-factor reset mail for user %s not sent: %s", user_id, type(error).__name__
        )
