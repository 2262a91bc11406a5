"""The export's life: the ZIP, the single-use link, expiry, and the operator's command."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import zipfile

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import RequestFactory
from django.utils import timezone

from grove.audit.events import record_event
from grove.audit.models import AuditAction, AuditEvent
from grove.core.testing.factories import CommentFactory, PracticeFactory
from grove.practices.models import Attachment
from grove.rights.errors import ExportUnavailable, RightsRefusal
from grove.rights.export import (
    export_create,
    export_download,
    export_for_operator,
    exports_delete_expired,
    write_export_zip,
)
from grove.rights.export_tasks import delete_expired_exports
from grove.rights.models import DataSubjectRequest, PersonalDataExport
from grove.tenancy.context import unscoped

JPEG = b"\xff\xd8\xff\xe0 alice's photo bytes"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def events(action) -> list[AuditEvent]:
    with unscoped("test"):
        return list(AuditEvent.objects.filter(action=action).order_by("id"))


def exports() -> list[PersonalDataExport]:
    with unscoped("test"):
        return list(PersonalDataExport.objects.order_by("created_at"))


@pytest.fixture
def alice_content(org_a, alice, bob):
    practice = PracticeFactory(organization=org_a, author=alice, title="Night shift checklist")
    name = default_storage.save(f"practices/{org_a.pk}/x.jpg", ContentFile(JPEG))
    with unscoped("test"):
        Attachment.objects.create(
            organization=org_a,
            practice=practice,
            kind="image",
            file=name,
            content_type="image/jpeg",
            size=len(JPEG),
        )
    CommentFactory(practice=practice, author=alice, body="=1+2 looks like a formula")
    CommentFactory(practice=practice, author=bob, body="Bob says hi")
    return practice


def read_zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def test_the_zip_holds_json_csvs_media_and_a_summary(alice, alice_content):
    buffer = io.BytesIO()
    manifest = write_export_zip(alice, buffer)
    archive = read_zip(buffer.getvalue())
    names = set(archive.namelist())
    assert {"data.json", "summary.html", "csv/accounts_user.csv", "csv/practices_comment.csv"} <= (
        names
    )
    document = json.loads(archive.read("data.json"))
    assert document["schema_version"] == "1.0" and "_media_storage" not in document
    (media,) = document["media"]
    assert archive.read(media["path"]) == JPEG
    assert manifest["media"] == 1 and manifest["rows"] == sum(
        d["row_count"] for d in document["datasets"]
    )
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["path"])).hexdigest() == entry["sha256"]
    assert b"Bob says hi" not in b"".join(archive.read(n) for n in names)


def test_csv_cells_are_safe_from_formula_injection(alice, alice_content):
    buffer = io.BytesIO()
    write_export_zip(alice, buffer)
    text = read_zip(buffer.getvalue()).read("csv/practices_comment.csv").decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["body"] for r in rows] == ["'=1+2 looks like a formula"]


def test_the_summary_is_readable_escaped_and_in_the_persons_language(alice, alice_content):
    CommentFactory(practice=alice_content, author=alice, body="<script>alert(1)</script>")
    buffer = io.BytesIO()
    write_export_zip(alice, buffer)
    html = read_zip(buffer.getvalue()).read("summary.html").decode()
    assert alice.email in html and "Night shift checklist" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    with unscoped("test"):
        alice.language = "fr"
        alice.save(update_fields=["language"])
    buffer = io.BytesIO()
    write_export_zip(alice, buffer)
    assert '<html lang="fr">' in read_zip(buffer.getvalue()).read("summary.html").decode()


def test_export_create_stores_the_zip_and_keeps_only_the_tokens_hash(
    settings, org_a, alice, csm, alice_content
):
    with unscoped("test"):
        dsr = DataSubjectRequest.objects.create(
            organization=org_a,
            subject=alice,
            request_type="access",
            channel="profile",
            due_at=timezone.now() + datetime.timedelta(days=30),
        )
    export, token = export_create(actor=csm, subject=alice, dsr=dsr)
    assert len(token) >= 40
    (stored,) = exports()
    assert stored.pk == export.pk and stored.request_id == dsr.pk
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps([stored.token_hash, stored.file.name])
    assert stored.expires_at - stored.created_at == datetime.timedelta(
        days=settings.GROVE_DSR_EXPORT_DAYS
    )
    with default_storage.open(stored.file.name, "rb") as f:
        data = f.read()
    assert hashlib.sha256(data).hexdigest() == stored.sha256 and len(data) == stored.size_bytes
    assert alice.email not in stored.file.name
    (event,) = events(AuditAction.EXPORT_CREATED)
    assert event.subject_user_id == alice.pk and event.actor_id == csm.pk
    assert event.object_ids == [str(export.pk)] and event.organization_id == org_a.pk
    assert alice.email not in json.dumps(event.details)


def test_export_create_refuses_a_request_about_someone_else(org_a, alice, bob, csm):
    with unscoped("test"):
        dsr = DataSubjectRequest.objects.create(
            organization=org_a,
            subject=bob,
            request_type="access",
            channel="profile",
            due_at=timezone.now() + datetime.timedelta(days=30),
        )
    with pytest.raises(RightsRefusal):
        export_create(actor=csm, subject=alice, dsr=dsr)
    assert exports() == [] and events(AuditAction.EXPORT_CREATED) == []


def test_the_link_works_once_and_the_download_is_logged(alice, csm, alice_content):
    export, token = export_create(actor=csm, subject=alice)
    request = RequestFactory().get("/rights/exports/x/")
    request.user = alice
    downloaded, file = export_download(token=token, request=request)
    with file:
        assert zipfile.ZipFile(file).read("data.json")
    assert downloaded.pk == export.pk and exports()[0].downloaded_at is not None
    (event,) = events(AuditAction.DOWNLOAD)
    assert event.object_ids == [str(export.pk)] and event.subject_user_id == alice.pk

    with pytest.raises(ExportUnavailable):
        export_download(token=token, request=request)
    (denied,) = events(AuditAction.ACCESS_DENIED)
    assert denied.details == {"reason": "used"} and denied.object_ids == [str(export.pk)]
    assert token not in json.dumps([denied.details, denied.object_ids, denied.subject_ref])


def test_an_expired_or_unknown_link_is_refused_and_logged_without_the_token(
    alice, csm, alice_content
):
    export, token = export_create(actor=csm, subject=alice)
    later = timezone.now() + datetime.timedelta(days=7, seconds=1)
    with time_machine.travel(later), pytest.raises(ExportUnavailable):
        export_download(token=token)
    with pytest.raises(ExportUnavailable):
        export_download(token="forged-" + token[7:])
    expired, unknown = events(AuditAction.ACCESS_DENIED)
    assert expired.details == {"reason": "expired"} and expired.object_ids == [str(export.pk)]
    assert unknown.details == {"reason": "unknown"} and unknown.object_ids == []
    assert exports()[0].downloaded_at is None
    for event in (expired, unknown):
        assert token[7:] not in json.dumps([event.details, event.object_ids, event.request_id])


def test_expired_exports_are_deleted_from_storage(alice, csm, alice_content):
    export, token = export_create(actor=csm, subject=alice)
    name = export.file.name
    assert exports_delete_expired() == 0 and default_storage.exists(name)
    later = timezone.now() + datetime.timedelta(days=8)
    assert exports_delete_expired(now=later) == 1
    assert not default_storage.exists(name)
    (stored,) = exports()
    assert stored.deleted_at == later and stored.token_hash is None
    (event,) = events(AuditAction.EXPORT_DELETED)
    assert event.object_ids == [str(export.pk)] and event.subject_user_id == alice.pk
    assert exports_delete_expired(now=later) == 0
    with pytest.raises(ExportUnavailable):
        export_download(token=token)


def test_the_task_deletes_expired_exports(alice, csm):
    export, _ = export_create(actor=csm, subject=alice)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=8)):
        assert delete_expired_exports.call() == 1
    assert not default_storage.exists(export.file.name)


def test_the_operator_command_writes_the_same_zip_and_records_the_access(
    tmp_path, alice, alice_content
):
    out = tmp_path / "alice.zip"
    call_command("dsr", "export", alice.email.upper(), "--out", str(out), stdout=io.StringIO())
    archive = zipfile.ZipFile(out)
    document = json.loads(archive.read("data.json"))
    assert document["subject"]["id"] == str(alice.pk)
    assert archive.read(document["media"][0]["path"]) == JPEG
    (event,) = events(AuditAction.EXPORT_CREATED)
    assert event.actor_id is None and event.subject_user_id == alice.pk
    assert event.details["channel"] == "operator"
    assert exports() == []  # no link: the file is the operator's


def test_the_operator_summary_line_has_no_personal_data(tmp_path, alice, alice_content):
    line = export_for_operator(email=alice.email, out_path=tmp_path / "a.zip")
    assert line.startswith("Export written:")
    assert alice.email not in line and alice.first_name not in line


def test_the_operator_command_refuses_bad_input_and_writes_nothing(tmp_path, alice):
    with pytest.raises(CommandError, match="No account"):
        call_command("dsr", "export", "nobody@client.example", "--out", str(tmp_path / "x.zip"))
    with pytest.raises(CommandError, match="folder"):
        call_command("dsr", "export", alice.email, "--out", str(tmp_path / "missing" / "x.zip"))
    existing = tmp_path / "exists.zip"
    existing.write_bytes(b"keep me")
    with pytest.raises(CommandError, match="exists"):
        call_command("dsr", "export", alice.email, "--out", str(existing))
    assert existing.read_bytes() == b"keep me"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["exists.zip"]
    assert events(AuditAction.EXPORT_CREATED) == []


def test_a_failed_export_leaves_no_file_behind(monkeypatch, tmp_path, alice, csm):
    """The database refuses the row: the stored ZIP is deleted, nothing is recorded."""

    def refuse(**kwargs):
        raise RuntimeError("the log is unavailable")

    monkeypatch.setattr("grove.rights.export.record_event", refuse)
    with pytest.raises(RuntimeError):
        export_create(actor=csm, subject=alice)
    assert exports() == []
    root = tmp_path / "media" / "exports"
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))


def test_staff_events_about_the_person_are_in_the_export(org_a, alice, csm):
    with unscoped("test"):
        record_event(
            action=AuditAction.VIEW,
            actor=csm,
            organization=org_a,
            object_type="accounts.user",
            object_ids=[alice.pk],
            subject_user=alice,
        )
    buffer = io.BytesIO()
    write_export_zip(alice, buffer)
    text = read_zip(buffer.getvalue()).read("csv/audit_auditevent.csv").decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["action"], r["actor_role"], r["actor_id"]) for r in rows] == [
        ("data.view", "csm", "another-person")
    ]


def test_the_operator_can_export_a_staff_member_whose_events_go_to_the_operator_log(
    tmp_path, org_a, alice, csm
):
    with unscoped("test"):
        record_event(
            action=AuditAction.VIEW,
            actor=csm,
            organization=org_a,
            object_type="accounts.user",
            object_ids=[alice.pk],
            subject_user=alice,
        )
    export_for_operator(email=csm.email, out_path=tmp_path / "csm.zip")
    document = json.loads(zipfile.ZipFile(tmp_path / "csm.zip").read("data.json"))
    (event_rows,) = [d["rows"] for d in document["datasets"] if d["model"] == "audit.AuditEvent"]
    assert [(r["actor_id"], r["subject_user_id"]) for r in event_rows] == [
        (str(csm.pk), "another-person")
    ]
    (event,) = events(AuditAction.EXPORT_CREATED)
    assert event.organization_id is None and event.subject_user_id == csm.pk


def test_a_staff_member_gets_no_link_export(csm, security_officer):
    with pytest.raises(RightsRefusal):
        export_create(actor=security_officer, subject=csm)
    assert exports() == []


def test_a_stored_zip_whose_row_was_rolled_back_is_swept_after_a_day(org_a, alice, csm):
    """The fulfilment's transaction failed after the export was stored: no row, a file."""
    from django.db import transaction

    class Later(Exception):
        pass

    with pytest.raises(Later), transaction.atomic():
        orphan, _ = export_create(actor=csm, subject=alice)
        raise Later
    kept, _ = export_create(actor=csm, subject=alice)
    assert exports() == [kept] and default_storage.exists(orphan.file.name)
    assert exports_delete_expired() == 0 and default_storage.exists(orphan.file.name)
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1, minutes=1)):
        assert exports_delete_expired() == 0
    assert not default_storage.exists(orphan.file.name)
    assert default_storage.exists(kept.file.name)
