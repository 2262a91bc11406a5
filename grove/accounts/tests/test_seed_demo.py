import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from grove.accounts.demo import DEMO_PASSWORD
from grove.accounts.models import OrgRole, StaffRole, User
from grove.audit.models import AuditAction, AuditEvent
from grove.staff.models import AccessGrant, CsmAssignment
from grove.tenancy.context import unscoped
from grove.tenancy.models import JobType, Organization

COUNTED = [Organization, JobType, User, CsmAssignment, AuditEvent]


def row_counts() -> dict[str, int]:
    with unscoped("test: count every row"):
        return {model._meta.label: model._default_manager.count() for model in COUNTED}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The demo hashes one password per account; Argon2 would make each run take seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def demo_photos_in_tmp(settings, tmp_path):
    # The demo's practices have photos (grove/practices/demo.py): keep them out of var/media.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def seeded(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())


@pytest.fixture
def without_practices(monkeypatch):
    # The demo's practices take most of a run (about 5 s each); the tests that look at accounts,
    # logins and the staff history alone skip them (grove/practices/tests/test_demo.py tests
    # them, and the tests here that count rows or verify the whole log keep them).
    monkeypatch.setattr("grove.accounts.demo.seed_practices", lambda *args, **kwargs: 0)


@pytest.fixture
def seeded_accounts(without_practices, db, settings):
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
        # The demo CSM serves Demo Retail, and Former Client (the retention demo's tombstone).
        served = {(a.organization.slug, a.csm.email) for a in CsmAssignment.objects.all()}
        assert (demo.slug, "csm@grove.example") in served
        assert {slug for slug, _ in served} <= {demo.slug, "former"}


def test_running_it_twice_creates_nothing_more(seeded):
    before = row_counts()

    call_command("seed_demo", stdout=io.StringIO())

    assert row_counts() == before


def test_it_prints_the_logins_and_the_demo_password(without_practices, db, settings, capsys):
    settings.DEBUG = True

    call_command("seed_demo")

    output = capsys.readouterr().out
    assert "manager@demo.example" in output
    assert "security.manager@grove.example" in output
    assert DEMO_PASSWORD in output


@pytest.mark.parametrize(
    "email", ["manager@demo.example", "camille.lefevre@demo.example", "csm@grove.example"]
)
def test_the_demo_logins_work(seeded_accounts, client, email):
    response = client.post(
        reverse("accounts:login"), {"username": email, "password": DEMO_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")


def test_the_test_client_can_log_in_as_the_manager(seeded_accounts, client):
    assert client.login(email="manager@demo.example", password=DEMO_PASSWORD)


def test_it_refuses_to_run_without_debug(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")

    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_force_runs_it_without_debug(without_practices, db, settings):
    settings.DEBUG = False

    call_command("seed_demo", "--force", stdout=io.StringIO())

    with unscoped("test: inspect the demo data"):
        assert Organization.objects.filter(slug="demo").exists()


# --- The access-log history ------------------------------------------------------------------


def _demo_events(**filters):
    with unscoped("test: read the demo's access log"):
        demo = Organization.objects.get(slug="demo")
        return list(AuditEvent.objects.filter(organization=demo, **filters).order_by("sequence"))


def _email_of(user_id):
    with unscoped("test: who is it"):
        return User.objects.get(pk=user_id).email


def test_the_history_has_weeks_of_members_logins(seeded_accounts):
    from django.utils import timezone

    logins = _demo_events(action=AuditAction.LOGIN)

    assert len(logins) > 50
    assert len({e.actor_id for e in logins}) >= 8
    assert all(e.occurred_at < timezone.now() for e in logins)
    span = max(e.occurred_at for e in logins) - min(e.occurred_at for e in logins)
    assert span.days >= 28
    assert all(e.occurred_at.weekday() < 5 for e in logins)


def test_the_history_has_the_csms_visits(seeded_accounts):
    lists = _demo_events(action=AuditAction.LIST, grant_id__isnull=True)
    views = _demo_events(action=AuditAction.VIEW, grant_id__isnull=True)

    assert len(lists) == len(views) == 5
    assert {_email_of(e.actor_id) for e in lists + views} == {"csm@grove.example"}
    assert all(e.actor_role == StaffRole.CSM and e.object_type == "user" for e in lists)
    assert all(len(e.object_ids) == 31 for e in lists)  # the first page: every demo user


def test_the_history_has_one_approved_and_expired_grant_for_tech(seeded_accounts):
    with unscoped("test: read grants"):
        [grant] = AccessGrant.objects.all()
    assert _email_of(grant.requester_id) == "tech@grove.example"
    assert grant.status == AccessGrant.Status.APPROVED
    assert grant.has_expired
    assert grant.expired_recorded_at is not None
    assert _email_of(grant.decided_by_id) == "officer@grove.example"

    under_grant = _demo_events(grant_id=grant.pk)
    assert [e.action for e in under_grant] == [
        AuditAction.GRANT_REQUESTED,
        AuditAction.GRANT_APPROVED,
        AuditAction.GRANT_USED,
        AuditAction.LIST,
        AuditAction.GRANT_USED,
        AuditAction.VIEW,
        AuditAction.GRANT_USED,
        AuditAction.VIEW,
        AuditAction.GRANT_EXPIRED,
    ]
    assert under_grant[0].occurred_at == grant.requested_at
    assert under_grant[-1].occurred_at > grant.expires_at


def test_the_history_is_appended_in_chronological_order(seeded):
    # Accounts are created now; the history starts with the (backdated) assignment.
    [assigned] = _demo_events(action=AuditAction.ASSIGNMENT_CREATED)
    history = [e for e in _demo_events() if e.sequence >= assigned.sequence]

    assert len(history) > 60
    times = [e.occurred_at for e in history]
    assert times == sorted(times)


def test_the_assignment_is_made_by_the_security_manager_in_the_log(seeded_accounts):
    [event] = _demo_events(action=AuditAction.ASSIGNMENT_CREATED)

    assert _email_of(event.actor_id) == "security.manager@grove.example"


def test_the_history_is_written_once(seeded):
    with unscoped("test: count"):
        before = (AuditEvent.objects.count(), AccessGrant.objects.count())

    call_command("seed_demo", stdout=io.StringIO())

    with unscoped("test: count"):
        assert (AuditEvent.objects.count(), AccessGrant.objects.count()) == before


def test_verify_access_log_passes_on_the_seeded_history(seeded):
    out = io.StringIO()

    call_command("verify_access_log", stdout=out, stderr=out)
    call_command("verify_access_log", "--org", "demo", stdout=out, stderr=out)

    assert "tampered" not in out.getvalue()
