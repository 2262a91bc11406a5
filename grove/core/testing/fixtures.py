"""The shared cast: Alice (member of A), Bob (manager of A), Charlie (member of B), and staff."""

import pytest

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
