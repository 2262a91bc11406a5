import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from grove.accounts.demo import DEMO_PASSWORD
from grove.accounts.models import OrgRole, StaffRole, User
from grove.audit.models import AuditEvent
from grove.staff.models import CsmAssignment
from grove.tenancy.context import unscoped
from grove.tenancy.models import JobType, Organization

COUNTED = [Organization, JobType, User, CsmAssignment, AuditEvent]


def row_counts() -> dict[str, int]:
    with unscoped("test: count every row"):
        return {model._meta.label: model.objects.count() for model in COUNTED}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The demo hashes one password per account; Argon2 would make each run take seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())


def test_it_creates_the_demo_organizations_people_and_staff(seeded):
    with unscoped("test: inspect the demo data"):
        demo = Organization.objects.get(slug="demo")
        acme = Organization.objects.get(slug="acme")
        demo_people = User.objects.filter(organization=demo)
        assert demo.name == "Demo Retail"
        assert acme.name == "Acme Foods"
        assert demo.is_active and demo.contract_start < demo.contract_end
        assert demo_people.filter(org_role=OrgRole.MEMBER).count() >= 30
        assert demo_people.get(email="manager@demo.example").org_role == OrgRole.MANAGER
        assert demo_people.values("country").distinct().count() >= 8
        assert demo_people.values("job_type").distinct().count() >= 6
        assert User.objects.filter(organization=acme).count() >= 3
        staff = dict(
            User.objects.filter(organization__isnull=True).values_list("email", "staff_role")
        )
        assert staff == {
            "csm@grove.example": StaffRole.CSM,
            "tech@grove.example": StaffRole.TECHNICAL,
            "officer@grove.example": StaffRole.SECURITY_OFFICER,
            "security.manager@grove.example": StaffRole.SECURITY_MANAGER,
        }
        assignment = CsmAssignment.objects.get()
        assert (assignment.organization_id, assignment.csm.email) == (demo.pk, "csm@grove.example")


def test_running_it_twice_creates_nothing_more(seeded):
    before = row_counts()

    call_command("seed_demo", stdout=io.StringIO())

    assert row_counts() == before


def test_it_prints_the_logins_and_the_demo_password(db, settings, capsys):
    settings.DEBUG = True

    call_command("seed_demo")

    output = capsys.readouterr().out
    assert "manager@demo.example" in output
    assert "security.manager@grove.example" in output
    assert DEMO_PASSWORD in output


@pytest.mark.parametrize(
    "email", ["manager@demo.example", "camille.lefevre@demo.example", "csm@grove.example"]
)
def test_the_demo_logins_work(seeded, client, email):
    response = client.post(
        reverse("accounts:login"), {"username": email, "password": DEMO_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")


def test_the_test_client_can_log_in_as_the_manager(seeded, client):
    assert client.login(email="manager@demo.example", password=DEMO_PASSWORD)


def test_it_refuses_to_run_without_debug(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")

    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_force_runs_it_without_debug(db, settings):
    settings.DEBUG = False

    call_command("seed_demo", "--force", stdout=io.StringIO())

    with unscoped("test: inspect the demo data"):
        assert Organization.objects.filter(slug="demo").exists()
