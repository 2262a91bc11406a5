import pytest

from grove.accounts.models import OrgRole, User
from grove.audit.models import AuditAction, AuditEvent
from grove.core.testing.factories import JobTypeFactory, UserFactory
from grove.onboarding.provisioning import (
    PersonRecord,
    ProvisioningError,
    clean_person,
    country_code,
    deactivate_person,
    provision_person,
    reactivate_person,
)
from grove.tenancy.context import TenantScopeError, tenant_context, unscoped
from grove.tenancy.models import JobType


def events(action):
    with unscoped("test"):
        return list(AuditEvent.objects.filter(action=action).order_by("id"))


def refresh(user):
    with unscoped("test"):
        user.refresh_from_db()


def record(**overrides):
    values = {
        "email": "dana@a.example",
        "first_name": "Dana",
        "last_name": "Durand",
        "country": "FR",
        "job_type": "",
    }
    values.update(overrides)
    return PersonRecord(**values)


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("FR", "FR"),
        ("fr", "FR"),
        ("FRA", "FR"),
        ("France", "FR"),
        ("germany", "DE"),
        ("Allemagne", "DE"),
        ("ÉTATS-UNIS", "US"),
        ("Etats Unis", "US"),
        ("United States of America", "US"),
        ("Côte d'Ivoire", "CI"),
        ("cote divoire", "CI"),
        ("Royaume-Uni", "GB"),
        ("Espagne", "ES"),
        ("  ", ""),
    ],
)
def test_country_accepts_codes_and_english_or_french_names(given, code):
    assert country_code(given) == code


def test_unknown_country_is_none():
    assert country_code("Atlantis") is None


def test_clean_person_normalises_the_five_attributes(org_a):
    JobTypeFactory(organization=org_a, name="Équipe magasin")
    person = clean_person(
        organization=org_a,
        email="  Dana@A.Example ",
        first_name=" Dana ",
        last_name="Du   Rand",
        country="allemagne",
        job_type="EQUIPE  magasin",
    )
    assert person == PersonRecord(
        email="dana@a.example",
        first_name="Dana",
        last_name="Du Rand",
        country="DE",
        job_type="Équipe magasin",
    )


def test_clean_person_reports_each_field_with_a_code_and_never_the_value(org_a):
    with pytest.raises(ProvisioningError) as caught:
        clean_person(
            organization=org_a,
            email="not-an-email",
            first_name="",
            last_name="x" * 151,
            country="Atlantis",
            job_type="Astronaut",
        )
    codes = {(e.field, e.code) for e in caught.value.errors}
    assert codes == {
        ("email", "invalid_email"),
        ("first_name", "missing"),
        ("last_name", "too_long"),
        ("country", "unknown_country"),
        ("job_type", "unknown_job_type"),
    }
    text = str(caught.value) + " ".join(e.message for e in caught.value.errors)
    assert "not-an-email" not in text
    assert "Atlantis" not in text
    assert "Astronaut" not in text


def test_clean_person_accepts_a_missing_job_type_when_it_may_be_created(org_a):
    person = clean_person(
        organization=org_a,
        email="dana@a.example",
        first_name="Dana",
        last_name="Durand",
        job_type="Astronaut",
        create_missing_job_types=True,
    )
    assert person.job_type == "Astronaut"


def test_provision_creates_a_member_with_an_unusable_password_and_records_it(org_a, bob):
    result = provision_person(
        organization=org_a, record=record(), actor=bob, source="import", invite=False
    )
    assert result.outcome == "created"
    with tenant_context(org_a):
        user = User.objects.get(email="dana@a.example")
    assert user.org_role == OrgRole.MEMBER
    assert not user.has_usable_password()
    assert user.country == "FR"
    (event,) = events(AuditAction.USER_CREATED)
    assert event.object_ids == [str(user.pk)]
    assert event.actor_id == bob.pk
    assert event.details == {"source": "import", "org_role": "member"}


def test_provision_creates_a_missing_job_type_only_when_asked(org_a):
    with pytest.raises(ProvisioningError) as caught:
        provision_person(
            organization=org_a, record=record(job_type="Astronaut"), source="scim", invite=False
        )
    assert caught.value.errors[0].code == "unknown_job_type"
    result = provision_person(
        organization=org_a,
        record=record(job_type="Astronaut"),
        source="scim",
        invite=False,
        create_missing_job_types=True,
    )
    with tenant_context(org_a):
        assert JobType.objects.get(name="Astronaut") == result.user.job_type


def test_provision_rectifies_changed_fields_and_records_their_names_only(org_a, alice):
    result = provision_person(
        organization=org_a,
        record=record(
            email="alice@a.example", first_name="Alicia", last_name="Anders", country="DE"
        ),
        source="import",
    )
    assert result.outcome == "updated"
    assert result.changed_fields == ["country", "first_name", "job_type"]
    refresh(alice)
    assert (alice.first_name, alice.country, alice.job_type_id) == ("Alicia", "DE", None)
    (event,) = events(AuditAction.USER_CHANGED)
    assert event.details == {"source": "import", "fields": ["country", "first_name", "job_type"]}
    assert "Alicia" not in str(event.details)


def test_provision_is_idempotent(org_a, alice):
    same = record(
        email="alice@a.example",
        first_name="Alice",
        last_name="Anders",
        country=alice.country,
        job_type="store STAFF",
    )
    result = provision_person(organization=org_a, record=same, source="import")
    assert result.outcome == "unchanged"
    assert events(AuditAction.USER_CHANGED) == []


def test_provision_refuses_an_email_of_another_organization(org_a, charlie):
    with pytest.raises(ProvisioningError) as caught:
        provision_person(
            organization=org_a, record=record(email="charlie@b.example"), source="import"
        )
    assert [(e.field, e.code) for e in caught.value.errors] == [("email", "other_organization")]
    refresh(charlie)
    assert charlie.first_name == "Charlie"


def test_provision_refuses_to_run_inside_another_tenant(org_a, org_b):
    with tenant_context(org_b), pytest.raises(TenantScopeError):
        provision_person(organization=org_a, record=record(), source="import", invite=False)


def test_provision_reactivates_an_inactive_person_unless_told_not_to(org_a):
    user = UserFactory(organization=org_a, email="dana@a.example", is_active=False)
    kept = provision_person(organization=org_a, record=record(), source="scim", reactivate=False)
    assert kept.outcome == "updated"
    refresh(user)
    assert not user.is_active
    result = provision_person(organization=org_a, record=record(), source="import")
    assert result.outcome == "reactivated"
    refresh(user)
    assert user.is_active
    assert [e.object_ids for e in events(AuditAction.USER_REACTIVATED)] == [[str(user.pk)]]


def test_deactivate_never_deletes_and_records_once(org_a, alice, bob):
    assert deactivate_person(organization=org_a, user=alice, actor=bob, source="manager")
    assert not deactivate_person(organization=org_a, user=alice, actor=bob, source="manager")
    with tenant_context(org_a):
        assert User.objects.filter(pk=alice.pk, is_active=False).exists()
    (event,) = events(AuditAction.USER_DEACTIVATED)
    assert event.object_ids == [str(alice.pk)]
    assert event.details == {"source": "manager"}
    assert reactivate_person(organization=org_a, user=alice, actor=bob, source="manager")
    assert not reactivate_person(organization=org_a, user=alice, actor=bob, source="manager")


def test_deactivate_refuses_a_person_of_another_organization(org_a, charlie):
    with pytest.raises(TenantScopeError):
        deactivate_person(organization=org_a, user=charlie, source="manager")
    refresh(charlie)
    assert charlie.is_active


def test_an_inactive_person_cannot_log_in(org_a, alice, client):
    from grove.core.testing.factories import TEST_PASSWORD

    deactivate_person(organization=org_a, user=alice, source="manager")
    assert not client.login(email="alice@a.example", password=TEST_PASSWORD)
