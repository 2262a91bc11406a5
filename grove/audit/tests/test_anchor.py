"""The daily anchor: chain heads as rows, a file in storage and a mail to the security officers."""

import datetime
import json
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from grove.audit.anchors import write_anchors
from grove.audit.events import record_event
from grove.audit.hashing import OPERATOR_CHAIN
from grove.audit.models import AuditAction, AuditAnchor, AuditChainHead, AuditEvent
from grove.audit.tasks import write_access_log_anchor
from grove.audit.verify import read_anchor_file, verify_chains
from grove.core.testing.factories import StaffUserFactory
from grove.tenancy.context import unscoped

NOON = datetime.datetime(2026, 11, 29, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def log(org_a, org_b, alice):
    for _ in range(3):
        record_event(action=AuditAction.VIEW, actor=alice, organization=org_a)
    record_event(action=AuditAction.VIEW, organization=org_b)
    record_event(action=AuditAction.LOGIN_FAILED, subject_ref="ref")


def _heads() -> dict:
    with unscoped("test: the heads"):
        return {
            key: (sequence, digest)
            for key, sequence, digest in AuditChainHead.objects.values_list(
                "chain_key", "last_sequence", "last_hash"
            )
        }


@time_machine.travel(NOON, tick=False)
def test_it_anchors_every_chain_head_in_rows_a_file_and_an_event(log, storage, org_a):
    heads = _heads()
    batch = write_anchors()

    with unscoped("test"):
        rows = {a.chain_key: (a.sequence, a.hash) for a in AuditAnchor.objects.all()}
        assert all(a.created_at == NOON for a in AuditAnchor.objects.all())
        event = AuditEvent.objects.get(action=AuditAction.ANCHOR_WRITTEN)
    assert rows == heads
    assert heads[org_a.pk][0] == 3 and len(heads) == 3

    assert batch.file_name == "audit-anchors/2026-11-29.json"
    content = (storage / batch.file_name).read_bytes()
    document = json.loads(content)
    assert document["written_at"] == "2026-11-29T12:00:00+00:00"
    assert {(a["chain"], a["sequence"], a["hash"]) for a in document["anchors"]} == {
        (str(key), sequence, digest) for key, (sequence, digest) in heads.items()
    }
    assert {a.chain_key for a in read_anchor_file(content)} == set(heads)

    assert event.chain_key == OPERATOR_CHAIN and event.organization_id is None
    assert event.details == {"chains": 3, "file": batch.file_name, "sha256": batch.file_sha256}
    assert verify_chains().ok


def test_it_mails_the_heads_to_the_security_officers_once_committed(
    log, storage, security_officer, csm, alice, django_capture_on_commit_callbacks
):
    StaffUserFactory(email="former.officer@grove.example", staff_role="security_officer")
    with unscoped("test"):
        type(alice).objects.filter(email="former.officer@grove.example").update(is_active=False)
    with django_capture_on_commit_callbacks() as callbacks:
        batch = write_anchors()
        assert mail.outbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [security_officer.email]
    assert message.subject.startswith("Grove access-log anchor ")
    assert len(batch.anchors) == 3
    for anchor in batch.anchors:
        assert f"{anchor['chain']}  {anchor['sequence']:>8}  {anchor['hash']}" in message.body
    assert batch.file_name in message.body and batch.file_sha256 in message.body
    # Ids and hashes only: nobody's name or address in the body.
    for value in (alice.email, alice.first_name, alice.last_name, "Organization A"):
        assert value not in message.body
    (name, content, mimetype) = message.attachments[0]
    assert (name, mimetype) == (batch.file_name.rsplit("/")[-1], "application/json")
    assert content == (storage / batch.file_name).read_bytes()


def test_a_second_anchor_the_same_day_keeps_both_files(log, storage):
    with time_machine.travel(NOON, tick=False):
        first = write_anchors()
        record_event(action=AuditAction.VIEW, subject_ref="later")
        second = write_anchors()
    assert first.file_name != second.file_name
    assert (storage / first.file_name).exists() and (storage / second.file_name).exists()
    operator = next(a for a in second.anchors if a["chain"] == str(OPERATOR_CHAIN))
    assert operator["sequence"] == 3  # the failed login, the first anchor's event, "later"
    with unscoped("test"):
        assert AuditAnchor.objects.count() == 6


def test_the_task_writes_the_anchor(log, storage, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    result = write_access_log_anchor.enqueue()
    assert result.status == "SUCCESSFUL", result.errors
    today = f"{timezone.now():%Y-%m-%d}"
    assert result.return_value == {"chains": 3, "file": f"audit-anchors/{today}.json"}
    with unscoped("test"):
        assert AuditAnchor.objects.count() == 3


def test_the_command_writes_the_anchor_or_enqueues_the_task(log, storage, settings):
    out = StringIO()
    call_command("write_access_log_anchor", stdout=out)
    assert "Anchored 3 chain(s) in audit-anchors/" in out.getvalue()
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    out = StringIO()
    call_command("write_access_log_anchor", "--enqueue", stdout=out)
    assert "Anchor task enqueued" in out.getvalue()
    from django_tasks import task_backends

    (queued,) = task_backends["default"].results
    assert queued.task.func is write_access_log_anchor.func
