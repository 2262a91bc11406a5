import pytest

from grove.accounts.actions import staff_user_create
from grove.accounts.models import StaffRole
from grove.audit.models import AuditAction
from grove.tenancy.context import TenantScopeError, tenant_context, unscoped


def test_it_creates_a_staff_account_without_an_organization(db, audit_events):
    with unscoped("test: staff tool"):
        user = staff_user_create(
            actor=None,
            email="New.Staff@Grove.example",
            first_name="Nora",
            last_name="Staff",
            staff_role=StaffRole.TECHNICAL,
        )

    assert user.email == "new.staff@grove.example"
    assert user.organization_id is None
    [event] = audit_events(AuditAction.USER_CREATED)
    assert event.subject_user_id == user.pk
    assert event.organization_id is None
    assert event.details == {"staff_role": "technical"}


def test_a_client_organization_cannot_create_staff(org_a):
    with tenant_context(org_a), pytest.raises(TenantScopeError):
        staff_user_create(
            actor=None,
            email="intruder@grove.example",
            first_name="In",
            last_name="Truder",
            staff_role=StaffRole.SECURITY_MANAGER,
        )
