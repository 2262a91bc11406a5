"""The shared cast: Alice (member of A), Bob (manager of A), Charlie (member of B), and staff."""

import pytest
from django.test import Client

from grove.accounts.models import OrgRole, StaffRole

from .factories import JobTypeFactory, OrganizationFactory, StaffUserFactory, UserFactory


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
