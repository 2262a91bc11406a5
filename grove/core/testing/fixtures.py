"""The shared cast: Alice (member of A), Bob (manager of A), Charlie (member of B), and staff."""

import pytest
from django.test import Client
from django.utils import translation
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from grove.accounts.models import OrgRole, StaffRole

from .factories import JobTypeFactory, OrganizationFactory, StaffUserFactory, UserFactory


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts and ends in the default language: a request in French (a profile or
    Accept-Language) leaves French active in the thread, which would leak into the next test."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def org_a(db):
    return OrganizationFactory(name="Organization A", slug="org-a")


@pytest.fixture
def org_b(db):
    return OrganizationFactory(name="Organization B", slug="org-b")


@pytest.fixture
def alice(org_a):
    job = JobTypeFactory(organization=org_a, name="Store staff")
    return UserFactory(
        email="alice@a.example",
        first_name="Alice",
        last_name="Anders",
        organization=org_a,
        job_type=job,
        org_role=OrgRole.MEMBER,
    )


@pytest.fixture
def bob(org_a):
    return UserFactory(
        email="bob@a.example",
        first_name="Bob",
        last_name="Berg",
        organization=org_a,
        org_role=OrgRole.MANAGER,
        country="DE",
    )


@pytest.fixture
def charlie(org_b):
    return UserFactory(
        email="charlie@b.example",
        first_name="Charlie",
        last_name="Chen",
        organization=org_b,
        org_role=OrgRole.MEMBER,
        country="ES",
    )


@pytest.fixture
def csm(db):
    return StaffUserFactory(email="csm@grove.example", staff_role=StaffRole.CSM)


@pytest.fixture
def tech(db):
    return StaffUserFactory(email="tech@grove.example", staff_role=StaffRole.TECHNICAL)


@pytest.fixture
def security_officer(db):
    return StaffUserFactory(email="officer@grove.example", staff_role=StaffRole.SECURITY_OFFICER)


@pytest.fixture
def security_manager(db):
    return StaffUserFactory(
        email="security.manager@grove.example", staff_role=StaffRole.SECURITY_MANAGER
    )


class HttpsClient(Client):
    """The test client, speaking HTTPS as production does.

    With DEBUG off, SECURE_SSL_REDIRECT answers plain HTTP with a redirect, and the session and
    CSRF cookies are Secure: the tests exercise that configuration rather than turn it off.
    """

    def request(self, **request):
        request["wsgi.url_scheme"] = "https"
        request["SERVER_PORT"] = "443"
        return super().request(**request)


@pytest.fixture
def client():
    return HttpsClient()


def log_in_verified_staff(client: Client, user) -> TOTPDevice:
    """Log operator staff in on ``client`` with the second factor verified, as after the
    second-factor page: force_login, plus a real confirmed TOTP device recorded in the session
    (what ``django_otp.login`` does). A bare force_login of staff only reaches that page."""
    device = TOTPDevice.objects.filter(
        user_id=user.pk, confirmed=True
    ).first() or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


@pytest.fixture
def staff_client(client):
    """``staff_client(csm)``: the HTTPS test client, logged in as that staff member with the
    second factor verified."""

    def log_in(user) -> Client:
        log_in_verified_staff(client, user)
        return client

    return log_in
