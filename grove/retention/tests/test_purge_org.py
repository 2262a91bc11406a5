"""The organization purges: data at contract end + grace, logs at contract end + 90 days."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import connection

from grove.audit.models import AuditAction, AuditChainHead, AuditEvent
from grove.practices.models import Attachment, Comment, Practice, Reaction
from grove.retention import purge
from grove.retention.certificates import ids_digest, verify_certificate
from grove.retention.models import CertificateStatus, DeletionCertificate, PurgeKind
from grove.retention.plan import dry_run_counts
from grove.rights.models import DataSubjectRequest
from grove.rights.tests.test_erasure_support import search_blindly
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

from .conftest import organization_counts, table_counts

DUE = datetime.date(2026, 1, 31)


def purge_data(org, **kwargs):
    return purge.run_organization_purge(
        organization=org,
        kind=PurgeKind.ORGANIZATION_DATA,
        rule="contract_end+30d",
        due_on=DUE,
        run_by="test",
        **kwargs,
    )


def purge_logs(org):
    return purge.run_organization_purge(
        organization=org,
        kind=PurgeKind.ORGANIZATION_LOGS,
        rule="contract_end+90d",
        due_on=DUE,
        run_by="test",
    )


def _pks(model, org):
    with unscoped("test"):
        return list(model._base_manager.filter(organization_id=org.pk).values_list("pk", flat=True))


def _entry(certificate, model, action):
    entries = {(e["model"], e["action"]): e for e in certificate.progress["entries"].values()}
    return entries.get((model, action))


@pytest.fixture
def small_batches(settings):
    settings.GROVE_RETENTION_BATCH_SIZE = 2


def test_the_data_purge_deletes_the_organizations_data_and_anonymises_its_users(
    retention_world, small_batches
):
    a = retention_world.a
    org = a.organization
    practices = _pks(Practice, org)
    reactions = _pks(Reaction, org)
    users = _pks(get_user_model(), org)
    with unscoped("test"):
        DataSubjectRequest._base_manager.filter(pk=a.dsr.pk).update(
            rectification={"first_name": {"before": "Alice", "after": "Alicia"}}
        )
    certificate = purge_data(org)

    assert certificate.status == CertificateStatus.COMPLETED
    counts = organization_counts(org)
    for model in (
        "practices.Practice",
        "practices.Reaction",
        "practices.Comment",
        "practices.Attachment",
        "practices.Tag",
        "practices.Topic",
        "tenancy.JobType",
        "notifications.Notification",
        "api.ApiToken",
        "accounts.Invitation",
    ):
        assert counts[model] == 0, model
    # Kept longer: the users (anonymised), the requests, the access log.
    assert counts["accounts.User"] == 3
    assert counts["rights.DataSubjectRequest"] == 1
    with unscoped("test"):
        assert DataSubjectRequest._base_manager.get(pk=a.dsr.pk).rectification == {}
    assert counts["audit.AuditEvent"] > 0
    with unscoped("test"):
        for user in get_user_model()._base_manager.filter(organization_id=org.pk):
            assert (
                user.email
                == f"purged-{user.pk.hex if connection.vendor == 'sqlite' else user.pk}@invalid"
            )
            assert not user.has_usable_password()
            assert not user.is_active and user.erased_at is not None
            assert user.first_name == "" and user.job_type_id is None
        from django_otp.plugins.otp_totp.models import TOTPDevice

        assert not TOTPDevice.objects.filter(user__organization_id=org.pk).exists()
        organization = Organization._base_manager.get(pk=org.pk)
    assert organization.status == Organization.Status.PURGED
    assert organization.data_purged_at is not None
    for name in a.files:
        assert not default_storage.exists(name)
    # The certificate: counts and digests recomputable from the ids.
    practice_entry = _entry(certificate, "practices.Practice", "deleted")
    assert practice_entry["rows"] == len(practices) == 3
    assert practice_entry["acc"] == ids_digest("practices.Practice", practices)
    assert _entry(certificate, "practices.Reaction", "deleted")["acc"] == ids_digest(
        "practices.Reaction", reactions
    )
    assert _entry(certificate, "accounts.User", "anonymised")["acc"] == ids_digest(
        "accounts.User", users
    )
    assert certificate.files_deleted == 4
    assert verify_certificate(certificate)
    with unscoped("test"):
        events = AuditEvent._base_manager.filter(
            organization_id=None,
            action__in=[AuditAction.PURGE_STARTED, AuditAction.PURGE_COMPLETED],
            object_type="deletion_certificate",
        ).values_list("action", "object_ids", "details")
        events = [(action, ids, details) for action, ids, details in events]
    assert sorted(action for action, ids, _d in events if ids == [str(certificate.pk)]) == [
        AuditAction.PURGE_COMPLETED,
        AuditAction.PURGE_STARTED,
    ]
    assert "bob@a.example" not in str(events)


def test_the_other_organization_is_untouched(retention_world, small_batches):
    b = retention_world.b
    before = organization_counts(b.organization)
    purge_data(retention_world.a.organization)
    purge_logs(retention_world.a.organization)
    assert organization_counts(b.organization) == before
    for name in b.files:
        assert default_storage.exists(name)


def test_the_log_purge_leaves_only_the_tombstone(retention_world, small_batches):
    org = retention_world.a.organization
    data = purge_data(org)
    logs = purge_logs(org)
    counts = organization_counts(org)
    assert {model: n for model, n in counts.items() if n} == {"retention.DeletionCertificate": 2}
    with unscoped("test"):
        organization = Organization._base_manager.get(pk=org.pk)
        head = AuditChainHead.objects.get(chain_key=org.pk)
    assert organization.status == Organization.Status.TOMBSTONE
    assert organization.name == "Organization A"
    assert head.base_sequence == head.last_sequence
    assert verify_certificate(data) and verify_certificate(logs)
    assert _entry(logs, "audit.AuditEvent", "deleted")["rows"] >= 4
    assert _entry(logs, "accounts.User", "deleted")["rows"] == 3


def test_the_purged_organizations_emails_appear_nowhere(retention_world, small_batches):
    org = retention_world.a.organization
    emails = retention_world.a.emails
    purge_data(org)
    assert search_blindly(emails) == []
    purge_logs(org)
    assert search_blindly(emails) == []
    assert search_blindly(retention_world.b.emails)  # the other organization's are there


def test_a_dry_run_counts_and_changes_nothing(retention_world):
    org = retention_world.a.organization
    before = table_counts()
    counts = {
        (c["model"], c["action"]): c for c in dry_run_counts(org, PurgeKind.ORGANIZATION_DATA)
    }
    assert table_counts() == before
    assert counts[("practices.Practice", "deleted")]["rows"] == 3
    assert counts[("accounts.User", "anonymised")]["rows"] == 3
    assert "content" in counts[("practices.Practice", "deleted")]["category"]
    assert counts[("rights.DataSubjectRequest", "fields cleared")]["rows"] == 1
    logs = {(c["model"], c["action"]) for c in dry_run_counts(org, PurgeKind.ORGANIZATION_LOGS)}
    assert ("audit.AuditEvent", "deleted") in logs


def test_a_crash_between_batches_resumes_to_the_same_certificate(
    retention_world, small_batches, monkeypatch
):
    org = retention_world.a.organization
    expected = {
        "practices.Practice": ids_digest("practices.Practice", _pks(Practice, org)),
        "practices.Reaction": ids_digest("practices.Reaction", _pks(Reaction, org)),
        "practices.Comment": ids_digest("practices.Comment", _pks(Comment, org)),
        "practices.Attachment": ids_digest("practices.Attachment", _pks(Attachment, org)),
    }
    calls = {"n": 0}

    def crash(certificate, step):
        calls["n"] += 1
        if calls["n"] in (3, 9, 17):
            raise RuntimeError("killed")

    monkeypatch.setattr(purge, "_after_batch", crash)
    for _attempt in range(3):
        with pytest.raises(RuntimeError):
            purge_data(org)
        with unscoped("test"):
            running = DeletionCertificate._base_manager.get(organization_id=org.pk)
        assert running.status == CertificateStatus.RUNNING
    certificate = purge_data(org)
    assert certificate.pk == running.pk
    assert certificate.status == CertificateStatus.COMPLETED
    for model, digest in expected.items():
        assert _entry(certificate, model, "deleted")["acc"] == digest, model
    assert _entry(certificate, "practices.Reaction", "deleted")["rows"] == 9
    assert organization_counts(org)["practices.Practice"] == 0
    assert verify_certificate(certificate)


def test_a_tampered_certificate_does_not_verify(retention_world):
    certificate = purge_data(retention_world.a.organization)
    assert verify_certificate(certificate)
    certificate.total_rows += 1
    assert not verify_certificate(certificate)
    certificate.total_rows -= 1
    certificate.progress["entries"]["practices.Practice|deleted"]["rows"] = 2
    assert not verify_certificate(certificate)


def test_the_managers_get_the_certificate_before_their_accounts_go(retention_world, monkeypatch):
    import sys
    import types

    seen = []

    def send(certificate):
        with unscoped("test"):
            bob = get_user_model()._base_manager.get(pk=retention_world.a.manager.pk)
        seen.append((certificate.pk, bob.email, certificate.total_rows))

    module = types.ModuleType("grove.retention.notices")
    module.send_certificate_to_managers = send
    monkeypatch.setitem(sys.modules, "grove.retention.notices", module)
    certificate = purge_data(retention_world.a.organization)
    assert seen == [(certificate.pk, "bob@a.example", seen[0][2])]
    assert seen[0][2] > 0
    assert certificate.managers_notified_at is not None


def test_a_crash_inside_a_batch_leaves_rows_without_files_and_the_rerun_deletes_them(
    retention_world, monkeypatch
):
    org = retention_world.a.organization
    files = retention_world.a.files
    real_record = purge._record

    def crash_on_attachments(certificate, step, pks, files=0):
        if step.kind == "delete" and step.model is Attachment:
            raise RuntimeError("killed inside the batch")
        return real_record(certificate, step, pks, files)

    monkeypatch.setattr(purge, "_record", crash_on_attachments)
    with pytest.raises(RuntimeError):
        purge_data(org)
    # The batch rolled back: the rows are there, their files already gone (never the reverse).
    assert organization_counts(org)["practices.Attachment"] == 2
    assert not any(default_storage.exists(name) for name in files)

    monkeypatch.setattr(purge, "_record", real_record)
    certificate = purge_data(org)
    assert organization_counts(org)["practices.Attachment"] == 0
    assert _entry(certificate, "practices.Attachment", "deleted")["rows"] == 2
    assert verify_certificate(certificate)


def test_the_log_purges_digest_covers_exactly_the_chains_events(
    retention_world, small_batches, monkeypatch
):
    # Chain batches of two events: several batches, each digest summed by the database on
    # PostgreSQL (in Python on SQLite), must add up to the digest of every id the chain held.
    monkeypatch.setattr(purge, "CHAIN_BATCH_FACTOR", 1)
    org = retention_world.a.organization
    purge_data(org)
    with unscoped("test"):
        events = list(
            AuditEvent._base_manager.filter(chain_key=org.pk).values_list("pk", flat=True)
        )
    assert len(events) >= 4  # two batches at least
    logs = purge_logs(org)
    entry = _entry(logs, "audit.AuditEvent", "deleted")
    assert entry["rows"] == len(events)
    assert entry["acc"] == ids_digest("audit.AuditEvent", events)
    with unscoped("test"):
        assert not AuditEvent._base_manager.filter(chain_key=org.pk).exists()
        purged = AuditEvent._base_manager.filter(
            action=AuditAction.PURGED, details__chain=str(org.pk)
        )
        assert sum(e.details["events"] for e in purged) == len(events)


def test_the_log_purge_deletes_the_erasure_ledgers_stored_copies(
    retention_world, small_batches, security_officer, django_capture_on_commit_callbacks
):
    from grove.rights.erasure import erase_person, ledger_copy_name
    from grove.rights.models import ErasureRecord

    org, other = retention_world.a.organization, retention_world.b.organization
    with django_capture_on_commit_callbacks(execute=True):
        erased_here = erase_person(actor=security_officer, subject=retention_world.a.members[1])
        erased_there = erase_person(actor=security_officer, subject=retention_world.b.members[0])
    here = ledger_copy_name(org.pk, erased_here.pk)
    there = ledger_copy_name(other.pk, erased_there.pk)
    assert default_storage.exists(here) and default_storage.exists(there)

    purge_data(org)
    assert default_storage.exists(here)  # kept with the logs, 90 days
    logs = purge_logs(org)

    assert not default_storage.exists(here)
    assert default_storage.exists(there)
    with unscoped("test"):
        assert not ErasureRecord._base_manager.filter(organization_id=org.pk).exists()
    assert _entry(logs, "rights.ErasureRecord", "deleted")["rows"] == 1
    assert logs.files_deleted >= 1
