import pytest
from django.core.exceptions import ValidationError

from grove.accounts.actions import user_create
from grove.accounts.models import OrgRole, User
from grove.audit.models import AuditAction
from grove.core.testing.factories import JobTypeFactory
from grove.tenancy.context import TenantScopeError, tenant_context

from .helpers import assert_nowhere_in


def create(organization, **overrides):
    fields = {
        "actor": None,
        "organization": organization,
        "email": "dana.diaz@a.example",
        "first_name": "Dana",
        "last_name": "Diaz",
        "country": "ES",
        "job_type": None,
        "org_role": OrgRole.MEMBER,
    }
    fields.update(overrides)
    return user_create(**fields)


def test_it_creates_a_member_and_records_the_creation_by_id(org_a, bob, audit_events):
    job = JobTypeFactory(organization=org_a, name="Cashier")

    with tenant_context(org_a):
        user = create(org_a, actor=bob, job_type=job)

    with tenant_context(org_a):
        stored = User.objects.get(pk=user.pk)
    assert (stored.first_name, stored.country.code, stored.job_type_id) == ("Dana", "ES", job.pk)
    assert not stored.has_usable_password()  # the invitation sets it
    [event] = audit_events(AuditAction.USER_CREATED)
    assert (event.actor_id, event.subject_user_id, event.organization_id) == (
        bob.pk,
        user.pk,
        org_a.pk,
    )
    assert_nowhere_in(event, "dana", "diaz", "a.example")


def test_it_stores_the_email_in_lower_case(org_a):
    with tenant_context(org_a):
        user = create(org_a, email="  Dana.DIAZ@A.Example ")

    assert user.email == "dana.diaz@a.example"


def test_it_sets_a_password_when_given_one(org_a):
    with tenant_context(org_a):
        user = create(org_a, password="a-long-enough-passphrase")

    assert user.check_password("a-long-enough-passphrase")


def test_it_refuses_an_email_already_used_in_another_organization(org_a, charlie):
    with tenant_context(org_a), pytest.raises(ValidationError) as error:
        create(org_a, email="CHARLIE@b.example")

    assert "email" in error.value.message_dict


def test_it_refuses_a_job_type_of_another_organization(org_a, org_b):
    other_job = JobTypeFactory(organization=org_b, name="Chef")

    with tenant_context(org_a), pytest.raises(ValidationError):
        create(org_a, job_type=other_job)


def test_it_refuses_to_create_in_another_organization_than_the_current_one(org_a, org_b):
    with tenant_context(org_b), pytest.raises(TenantScopeError):
        create(org_a)


def test_it_refuses_an_unknown_country(org_a):
    with tenant_context(org_a), pytest.raises(ValidationError):
        create(org_a, country="XX")
