"""The issue's time-travel tests, end to end through the daily run (``enforce_retention``).

Organization A's contract's last day is END; B's runs on. Each test travels from day to day
(time_machine), running the job as the scheduler would, and checks what the client, the
database and the storage hold at each step: contract end → end notice with a working export
link → 7-day warning → data purge (the certificate mailed to the managers before their
accounts go) → log purge at day 90 → only the tombstone. Also: holds stopping both purges, a
crash mid-purge resumed by the next run, B untouched, A's addresses nowhere, a second run the
same day doing nothing.
"""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import authenticate
from django.core import mail
from django.core.files.storage import default_storage

from grove.accounts.models import User
from grove.audit.models import AuditAction, AuditChainHead, AuditEvent
from grove.core.testing.factories import TEST_PASSWORD
from grove.practices.models import Reaction
from grove.retention import enforce, purge
from grove.retention.certificates import verify_certificate
from grove.retention.enforce import (
    DONE,
    END_CONTRACT,
    END_NOTICE,
    FAILED,
    HELD,
    ORG_DATA,
    ORG_LOGS,
    PURGE_WARNING,
    RESUME,
    WAITING,
    enforce_retention,
)
from grove.retention.holds import hold_place
from grove.retention.models import CertificateStatus, DeletionCertificate, PurgeKind
from grove.rights.tests.test_erasure_support import search_blindly
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

from .conftest import organization_counts, table_counts

END = datetime.date(2027, 3, 31)


def at(days: int, hour: int = 3) -> datetime.datetime:
    day = END + datetime.timedelta(days=days)
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _daily_run_settings(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.GROVE_RETENTION_BATCH_SIZE = 2  # many batches, each its own transaction
    settings.GROVE_RETENTION_GRACE_DAYS = 30
    settings.GROVE_RETENTION_LOG_DAYS = 90
    settings.GROVE_RETENTION_WARNING_DAYS = 7


@pytest.fixture
def world(retention_world):
    with unscoped("test set-up"):
        Organization.objects.filter(pk=retention_world.a.organization.pk).update(contract_end=END)
        retention_world.a.organization.refresh_from_db()
    return retention_world


@pytest.fixture
def day(django_capture_on_commit_callbacks):
    """``day(n)``: the scheduler's run on day ``n`` after the contract's last day (the tasks it
    enqueues after commit run at once, as the worker would)."""

    def run(days: int, hour: int = 3, **kwargs):
        with (
            time_machine.travel(at(days, hour), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return enforce_retention(**kwargs)

    return run


def steps(report) -> list[tuple[str, str, str]]:
    return [(o.slug, o.step, o.result) for o in report.outcomes]


def org(organization) -> Organization:
    with unscoped("test"):
        return Organization.objects.get(pk=organization.pk)


def export_link(message) -> str:
    match = re.search(r"https?://[^/\s]+(/retention/export/\S+/)", message.body)
    assert match, "no export link in the message"
    return match.group(1)


def nothing_new_the_same_day(day, days: int) -> None:
    before, mails = table_counts(), len(mail.outbox)
    assert day(days).outcomes == []
    assert table_counts() == before
    assert len(mail.outbox) == mails


def held_events(organization) -> list[AuditEvent]:
    with unscoped("test"):
        return list(
            AuditEvent.objects.filter(
                organization_id=organization.pk, action=AuditAction.PURGE_HELD
            )
        )


def test_contract_end_grace_purge_and_log_purge(world, day, client):
    a, b = world.a, world.b
    bob = a.manager
    b_before = organization_counts(b.organization)
    with unscoped("test"):
        b_head = AuditChainHead.objects.get(chain_key=b.organization.pk).last_sequence

    # The contract's last day: nothing happens. Bob can log in.
    assert day(0).outcomes == []
    assert authenticate(email=bob.email, password=TEST_PASSWORD) is not None

    # Day 1: the contract ends, the export is built; its notice goes with the next run.
    assert steps(day(1, hour=1)) == [("org-a", END_CONTRACT, DONE), ("org-a", END_NOTICE, WAITING)]
    assert org(a.organization).status == Organization.Status.ENDED
    assert authenticate(email=bob.email, password=TEST_PASSWORD) is None
    assert steps(day(1)) == [("org-a", END_NOTICE, DONE)]
    (notice,) = mail.outbox
    assert notice.to == [bob.email]
    link = export_link(notice)
    assert client.get(link).status_code == 200
    assert client.post(link)["Content-Type"] == "application/zip"
    nothing_new_the_same_day(day, 1)

    # Day 23: the warning, 7 days before the purge.
    assert day(22).outcomes == []
    assert steps(day(23)) == [("org-a", PURGE_WARNING, DONE)]
    assert mail.outbox[-1].to == [bob.email]
    assert client.get(export_link(mail.outbox[-1])).status_code == 200
    nothing_new_the_same_day(day, 23)
    assert day(29).outcomes == []

    # Day 30: the data purge. The certificate goes to Bob's real address before his account
    # is anonymised; then nobody of A can log in and A's addresses are nowhere.
    mails = len(mail.outbox)
    report = day(30)
    assert steps(report) == [("org-a", ORG_DATA, DONE)]
    (certificate_mail,) = mail.outbox[mails:]
    assert certificate_mail.to == [bob.email]
    with unscoped("test"):
        data_certificate = DeletionCertificate.objects.get(kind=PurgeKind.ORGANIZATION_DATA)
    assert str(data_certificate.pk) in certificate_mail.body
    assert data_certificate.managers_notified_at is not None
    assert verify_certificate(data_certificate)
    assert org(a.organization).status == Organization.Status.PURGED
    for person in a.people:
        assert authenticate(email=person.email, password=TEST_PASSWORD) is None
    with unscoped("test"):
        assert not User.objects.filter(email__in=a.emails).exists()
    assert search_blindly(a.emails) == []
    for name in a.files:
        assert not default_storage.exists(name)
    assert client.get(link).status_code in (404, 410)  # the export went with the data
    nothing_new_the_same_day(day, 30)

    # Day 90: the logs. Only the tombstone remains: the organization's row and its two
    # certificates; its access-log chain is empty.
    assert day(89).outcomes == []
    assert steps(day(90)) == [("org-a", ORG_LOGS, DONE)]
    remaining = {label: n for label, n in organization_counts(a.organization).items() if n}
    assert remaining == {"retention.DeletionCertificate": 2}
    with unscoped("test"):
        tombstone = Organization.objects.get(pk=a.organization.pk)
        assert not AuditEvent.objects.filter(organization_id=a.organization.pk).exists()
        head = AuditChainHead.objects.get(chain_key=a.organization.pk)
        certificates = list(DeletionCertificate.objects.filter(organization_id=tombstone.pk))
    assert tombstone.status == Organization.Status.TOMBSTONE
    assert tombstone.name == "Organization A"
    assert head.base_sequence == head.last_sequence
    assert all(verify_certificate(c) for c in certificates)
    assert {c.kind for c in certificates} == {
        PurgeKind.ORGANIZATION_DATA,
        PurgeKind.ORGANIZATION_LOGS,
    }
    assert search_blindly(a.emails) == []
    nothing_new_the_same_day(day, 90)
    assert day(200).outcomes == []  # (B's contract runs until day 243)

    # B, all along: untouched (its rows, its files, its chain), its people still there.
    assert organization_counts(b.organization) == b_before
    for name in b.files:
        assert default_storage.exists(name)
    with unscoped("test"):
        assert AuditChainHead.objects.get(chain_key=b.organization.pk).last_sequence == b_head
    assert sorted(search_blindly(b.emails))


def test_a_hold_stops_both_purges_each_runs_the_day_after_its_hold_ends(
    world, day, security_officer
):
    a = world.a.organization
    day(1)
    day(2)  # the notice (the export was built after the first run)
    day(23)
    with time_machine.travel(at(25), tick=False):
        hold_place(actor=security_officer, organization=a, reason="Litigation", until=at(40).date())
    a_before = organization_counts(a)
    assert steps(day(30)) == [("org-a", ORG_DATA, HELD)]
    assert steps(day(40)) == [("org-a", ORG_DATA, HELD)]
    assert len(held_events(a)) == 1  # recorded once, not every day
    held = organization_counts(a)
    assert held.pop("audit.AuditEvent") == a_before.pop("audit.AuditEvent") + 1  # PURGE_HELD
    assert held == a_before  # nothing else of A moved
    assert steps(day(41)) == [("org-a", ORG_DATA, DONE)]
    assert org(a).status == Organization.Status.PURGED

    with time_machine.travel(at(85), tick=False):
        hold_place(actor=security_officer, organization=a, reason="Audit", until=at(95).date())
    assert steps(day(90)) == [("org-a", ORG_LOGS, HELD)]
    assert steps(day(95)) == [("org-a", ORG_LOGS, HELD)]
    assert len(held_events(a)) == 2
    assert steps(day(96)) == [("org-a", ORG_LOGS, DONE)]
    assert org(a).status == Organization.Status.TOMBSTONE


def test_a_crash_mid_purge_is_resumed_by_the_next_run(world, day, monkeypatch):
    a = world.a.organization
    day(1)
    day(2)
    day(23)
    real_after_batch = purge._after_batch
    batches = {"n": 0}

    def killed_after_two_batches_of_reactions(certificate, step):
        real_after_batch(certificate, step)
        if step.kind == "delete" and step.model is Reaction:
            batches["n"] += 1
            if batches["n"] == 2:
                raise RuntimeError("killed")

    monkeypatch.setattr(purge, "_after_batch", killed_after_two_batches_of_reactions)
    report = day(30)
    assert steps(report) == [("org-a", ORG_DATA, FAILED)]
    assert not report.ok
    with unscoped("test"):
        running = DeletionCertificate.objects.get(organization_id=a.pk)
    assert running.status == CertificateStatus.RUNNING
    assert org(a).status == Organization.Status.ENDED
    assert organization_counts(a)["practices.Reaction"] == 9 - 2 * 2  # two batches of two

    monkeypatch.setattr(purge, "_after_batch", real_after_batch)
    report = day(31)
    assert steps(report) == [("org-a", RESUME, DONE)]
    with unscoped("test"):
        done = DeletionCertificate.objects.get(organization_id=a.pk)
    assert done.pk == running.pk
    assert done.status == CertificateStatus.COMPLETED
    assert verify_certificate(done)
    assert org(a).status == Organization.Status.PURGED
    assert search_blindly(world.a.emails) == []
    assert len([m for m in mail.outbox if "certificate" in m.subject.lower()]) == 1


def test_the_other_organization_is_untouched_in_every_table(world, day):
    """Rows of every table: what changed is A's rows, the operator chain's new events and A's
    manager's second-factor device, nothing else."""
    a, b = world.a.organization, world.b.organization
    before = table_counts()
    a_before = organization_counts(a)
    with unscoped("test"):
        operator_before = AuditEvent.objects.filter(organization__isnull=True).count()
        heads_before = AuditChainHead.objects.count()
    for days in (1, 2, 23, 30, 90):
        day(days)
    after = table_counts()
    a_after = organization_counts(a)
    with unscoped("test"):
        operator_after = AuditEvent.objects.filter(organization__isnull=True).count()
    expected = dict(before)
    for label, rows in a_before.items():
        table = apps.get_model(label)._meta.db_table
        expected[table] += a_after[label] - rows
    expected["audit_auditevent"] += operator_after - operator_before
    expected["otp_totp_totpdevice"] -= 1  # Bob's authenticator
    with unscoped("test"):
        # The operator chain's head, if its first event came with this run; A's stays.
        expected["audit_auditchainhead"] += AuditChainHead.objects.count() - heads_before
        assert AuditChainHead.objects.filter(chain_key=a.pk).exists()
    changed = {t: (expected[t], after[t]) for t in after if after[t] != expected.get(t)}
    assert changed == {}
    assert org(b).status == Organization.Status.ACTIVE


def test_enforce_with_a_held_member_keeps_the_organization(world, day, security_officer):
    a = world.a.organization
    day(1)
    day(2)
    day(23)
    with time_machine.travel(at(25), tick=False):
        hold_place(
            actor=security_officer,
            organization=a,
            reason="One member's case",
            until=at(33).date(),
            user=world.a.members[0],
        )
    assert steps(day(30)) == [("org-a", ORG_DATA, HELD)]
    assert steps(day(34)) == [("org-a", ORG_DATA, DONE)]
    assert enforce.log_purge_date(org(a)) == at(90).date()
