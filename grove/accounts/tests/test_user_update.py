import pytest
from django.core.exceptions import ValidationError

from grove.accounts.actions import user_update
from grove.accounts.models import User
from grove.audit.models import AuditAction
from grove.core.testing.factories import JobTypeFactory
from grove.tenancy.context import TenantScopeError, tenant_context

from .helpers import assert_nowhere_in


def test_it_records_the_changed_field_names_and_never_their_values(alice, bob, audit_events):
    new_job = JobTypeFactory(organization=alice.organization, name="Regional sales rep")

    with tenant_context(alice.organization):
        user_update(actor=bob, user=alice, first_name="Alicia", country="IT", job_type=new_job)

    with tenant_context(alice.organization):
        stored = User.objects.get(pk=alice.pk)
    assert (stored.first_name, stored.country.code, stored.job_type_id) == (
        "Alicia",
        "IT",
        new_job.pk,
    )
    [event] = audit_events(AuditAction.USER_CHANGED)
    assert event.details == {"fields": ["country", "first_name", "job_type"]}
    assert (event.actor_id, event.subject_user_id) == (bob.pk, alice.pk)
    assert_nowhere_in(event, "Alicia", "Alice", "Anders", "Regional", str(new_job.pk))


def test_unchanged_values_are_not_counted_as_changes(alice, audit_events):
    with tenant_context(alice.organization):
        user_update(actor=alice, user=alice, first_name="Alice", last_name="Ng")

    [event] = audit_events(AuditAction.USER_CHANGED)
    assert event.details == {"fields": ["last_name"]}


def test_nothing_changed_writes_nothing(alice, audit_events):
    with tenant_context(alice.organization):
        user_update(actor=alice, user=alice, first_name="Alice", country="FR")

    assert audit_events(AuditAction.USER_CHANGED) == []


def test_a_new_email_is_stored_in_lower_case(alice):
    with tenant_context(alice.organization):
        user_update(actor=alice, user=alice, email="Alice.Anders@A.example")
        assert User.objects.get(pk=alice.pk).email == "alice.anders@a.example"


def test_an_email_taken_elsewhere_is_refused(alice, charlie):
    with tenant_context(alice.organization), pytest.raises(ValidationError):
        user_update(actor=alice, user=alice, email="charlie@b.example")


def test_fields_outside_the_list_are_refused(alice):
    with tenant_context(alice.organization), pytest.raises(TypeError):
        user_update(actor=alice, user=alice, organization=None)


def test_another_organization_cannot_update_the_user(alice, charlie):
    with tenant_context(charlie.organization), pytest.raises(TenantScopeError):
        user_update(actor=charlie, user=alice, first_name="Mallory")
