"""Assertions and helpers shared by the accounts tests (and the staff console's)."""

from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from grove.audit.models import AuditEvent
from grove.core.testing.fixtures import HttpsClient, log_in_verified_staff


def assert_nowhere_in(event: AuditEvent, *values: str) -> None:
    """No column of ``event`` holds any of ``values`` (an email, a name), in any case."""
    for column in event._meta.concrete_fields:
        stored = str(getattr(event, column.attname)).lower()
        for value in values:
            assert value.lower() not in stored, f"{column.name} holds personal data"


def logged_in_staff_browser(user) -> HttpsClient:
    """A browser of ``user``'s own, logged in with the second factor verified."""
    browser = HttpsClient()
    log_in_verified_staff(browser, user)
    assert browser.get(reverse("core:home")).status_code == 200
    return browser


def second_factor_devices(user) -> int:
    """How many second-factor devices (authenticator, recovery codes) ``user`` has."""
    return (
        TOTPDevice.objects.filter(user_id=user.pk).count()
        + StaticDevice.objects.filter(user_id=user.pk).count()
    )
