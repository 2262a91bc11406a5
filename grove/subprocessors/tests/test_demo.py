"""seed_subprocessors_demo (run by seed_demo): a pending proposal and a notice with one
acknowledgement, through the real actions (so the access log tells it), once."""

import pytest
from django.core import mail

from grove.accounts.demo import seed_demo
from grove.audit.models import AuditAction
from grove.subprocessors.demo import seed_subprocessors_demo
from grove.subprocessors.models import ChangeStatus, NoticeDelivery, SubprocessorChange
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization


@pytest.fixture
def fast_demo(db, settings, tmp_path, monkeypatch):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    # The demo's practices are not this test's subject (and take seconds).
    monkeypatch.setattr("grove.accounts.demo.seed_practices", lambda *args, **kwargs: 0)


def test_the_demo_has_a_pending_proposal_and_an_acknowledged_notice(
    fast_demo, audit_events, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo()

    pending = SubprocessorChange.objects.get(status=ChangeStatus.PROPOSED)
    assert pending.proposed["name"] == "Cloudflare"
    approved = SubprocessorChange.objects.get(status=ChangeStatus.APPROVED)
    assert approved.subprocessor.slug == "sentry"
    assert approved.notice.effective_on == approved.effective_on
    with unscoped("test: the demo's deliveries"):
        demo_retail = Organization.objects.get(slug="demo")
        deliveries = {d.organization_id: d for d in NoticeDelivery.objects.all()}
    acknowledged = deliveries.pop(demo_retail.pk)
    assert acknowledged.sent_at is not None
    assert acknowledged.acknowledged_at is not None
    assert all(d.sent_at is None and d.acknowledged_at is None for d in deliveries.values())
    # The CSM (Demo Retail) and the security officer (Acme has no CSM) are told a notice
    # waits; Demo Retail's manager receives it.
    assert sorted(m.to[0] for m in mail.outbox if "ubprocessor" in m.subject) == [
        "csm@grove.example",
        "manager@demo.example",
        "officer@grove.example",
    ]
    for action in (
        AuditAction.SUBPROCESSOR_CHANGE_PROPOSED,
        AuditAction.SUBPROCESSOR_CHANGE_APPROVED,
        AuditAction.NOTICE_CREATED,
        AuditAction.NOTICE_SENT,
        AuditAction.NOTICE_ACKNOWLEDGED,
    ):
        assert audit_events(action), action


def test_it_runs_once(fast_demo):
    seed_demo()

    assert seed_subprocessors_demo() == 0
    assert SubprocessorChange.objects.count() == 2
