"""seed_retention_demo: Former Client ended 40 days ago and purged by the real engine (a
completed, signed certificate, no personal data left), a legal hold on Acme Foods, once."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from grove.accounts.demo import seed_demo
from grove.accounts.models import User
from grove.audit.models import AuditAction, AuditEvent
from grove.practices.models import Practice
from grove.retention.certificates import verify_certificate
from grove.retention.demo import FORMER_PEOPLE, seed_retention_demo
from grove.retention.models import CertificateStatus, DeletionCertificate, LegalHold, PurgeKind
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization


@pytest.fixture
def fast_demo(db, settings, tmp_path, monkeypatch):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    # The demo's practices are not this test's subject (and take seconds).
    monkeypatch.setattr("grove.accounts.demo.seed_practices", lambda *args, **kwargs: 0)


def _state():
    with unscoped("test: what the demo wrote"):
        return (
            Organization.objects.count(),
            User.objects.count(),
            DeletionCertificate.objects.count(),
            LegalHold.objects.count(),
        )


def test_former_client_is_purged_with_a_signed_certificate_and_acme_is_held(
    fast_demo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = seed_demo().created  # seeds the retention demo too
    assert created >= 3
    with django_capture_on_commit_callbacks(execute=True):
        assert seed_retention_demo() == 0  # already there
    today = timezone.localdate()
    with unscoped("test: read the demo"):
        former = Organization.objects.get(slug="former")
        acme = Organization.objects.get(slug="acme")
        [certificate] = DeletionCertificate.objects.filter(organization=former)
        [hold] = LegalHold.objects.all()
        emails = list(User.objects.filter(organization=former).values_list("email", flat=True))
        practices = Practice.objects.filter(organization=former).count()
    assert former.status == Organization.Status.PURGED
    assert former.contract_end == today - datetime.timedelta(days=40)
    assert former.ended_at is not None and former.data_purged_at is not None
    assert certificate.kind == PurgeKind.ORGANIZATION_DATA
    assert certificate.status == CertificateStatus.COMPLETED
    assert certificate.total_rows > 0
    assert verify_certificate(certificate)
    # No demo address is left: the accounts are anonymised, the practices gone.
    assert practices == 0
    assert not {email for email, *_ in FORMER_PEOPLE} & set(emails)
    # The certificate went to the manager before their account went.
    to_former = [m.to for m in mail.outbox if m.to[0].endswith("@former.example")]
    assert to_former == [["manager@former.example"]]
    assert hold.organization_id == acme.pk
    assert hold.user_id is None
    assert hold.until == today + datetime.timedelta(days=60)
    with unscoped("test: read the access log"):
        assert AuditEvent.objects.filter(action=AuditAction.HOLD_PLACED).count() == 1
        assert AuditEvent.objects.filter(action=AuditAction.PURGE_COMPLETED).count() == 1


def test_it_runs_once(fast_demo):
    seed_demo()
    seed_retention_demo()
    before = _state()
    assert seed_retention_demo() == 0
    assert _state() == before


def test_without_the_rest_of_the_demo_it_seeds_former_client_only(fast_demo):
    seed_retention_demo()
    with unscoped("test: read"):
        assert Organization.objects.get(slug="former").status == Organization.Status.PURGED
        assert not LegalHold.objects.exists()
