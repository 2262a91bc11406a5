"""The organization export's ZIP: every data set as JSON lines and CSV that agree, the media
files, a manifest whose hashes match; formula-safe CSV; nothing of another organization; a
failure leaves no file; rows are streamed, not loaded all at once."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import tracemalloc
import zipfile
from typing import cast

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from grove.audit.models import AuditAction, AuditEvent
from grove.core.csv import safe_row
from grove.core.testing.factories import CommentFactory, PracticeFactory
from grove.practices.models import Comment
from grove.retention import org_export
from grove.retention.models import ExportStatus, OrganizationExport
from grove.retention.org_export import build_organization_export, csv_cell, export_for
from grove.tenancy.context import unscoped

pytestmark = pytest.mark.django_db


def events(action) -> list[AuditEvent]:
    with unscoped("test: read the access log"):
        return list(AuditEvent.objects.filter(action=action).order_by("id"))


def built(organization) -> OrganizationExport:
    export = build_organization_export(export_for(organization).pk)
    assert export is not None
    assert export.status == ExportStatus.READY
    return export


def open_zip(export: OrganizationExport) -> zipfile.ZipFile:
    with default_storage.open(cast(str, export.file.name), "rb") as stored:
        return zipfile.ZipFile(io.BytesIO(stored.read()))


def jsonl(archive: zipfile.ZipFile, name: str) -> list[dict]:
    lines = archive.read(f"json/{name}.jsonl").decode("utf-8").splitlines()
    return [json.loads(line) for line in lines]


def csv_rows(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(archive.read(f"csv/{name}.csv").decode("utf-8"))))


def test_the_zip_holds_every_data_set_as_json_and_csv_with_the_media(retention_world):
    world = retention_world
    export = built(world.a.organization)
    with default_storage.open(export.file.name, "rb") as stored:
        data = stored.read()
    assert export.file.name == f"retention-exports/{world.a.organization.pk}/{export.pk}.zip"
    assert export.size_bytes == len(data) and export.sha256 == hashlib.sha256(data).hexdigest()
    assert export.ready_at is not None
    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["schema"] == "grove.organization-export"
    assert manifest["organization"]["slug"] == "org-a"
    # Every file but the manifest is listed with its size and SHA-256, and they match.
    listed = {f["path"]: f for f in manifest["files"]}
    assert set(listed) == set(archive.namelist()) - {"manifest.json"}
    for path, entry in listed.items():
        content = archive.read(path)
        assert entry["size"] == len(content)
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()

    users = {row["email"]: row for row in jsonl(archive, "users")}
    assert set(users) == {"alice@a.example", "bob@a.example", "dora@a.example"}
    assert users["bob@a.example"]["role"] == "manager" and users["bob@a.example"]["active"]
    assert users["bob@a.example"]["country"] == "DE"
    assert users["alice@a.example"]["job_type"] == "Store staff"
    assert {row["name"] for row in jsonl(archive, "job_types")} == {"Store staff", "Buyer"}
    assert [row["name"] for row in jsonl(archive, "topics")] == ["Topic of org-a"]
    assert {row["name"] for row in jsonl(archive, "tags")} == {"org-a-tag", "tag0", "tag1", "tag2"}
    practices = {row["title"]: row for row in jsonl(archive, "practices")}
    assert set(practices) == {"org-a practice 0", "org-a practice 1", "org-a practice 2"}
    first = practices["org-a practice 0"]
    assert first["tags"] == ["org-a-tag", "tag0"] and first["topic"] == "Topic of org-a"
    assert first["author_email"] == "bob@a.example" and first["status"] == "published"
    assert len(first["media"]) == 1
    comments = jsonl(archive, "comments")
    [top] = [c for c in comments if c["parent_id"] is None]
    [reply] = [c for c in comments if c["parent_id"] is not None]
    assert top["body"] == "Comment in org-a" and top["author_email"] == "alice@a.example"
    assert reply["parent_id"] == top["id"] and reply["body"] == "A reply"
    reactions = jsonl(archive, "reactions")
    assert len(reactions) == 9 and {r["kind"] for r in reactions} == {"useful"}
    # The media: each attachment's file under media/, its bytes as stored.
    attachments = jsonl(archive, "attachments")
    assert len(attachments) == 2
    for attachment in attachments:
        assert archive.read(attachment["media_path"]) == b"jpeg bytes"
    assert first["media"][0] in {a["media_path"] for a in attachments}
    assert manifest["media"] == {"files": 2, "missing": []}
    assert manifest["counts"] == {
        "users": 3,
        "job_types": 2,
        "topics": 1,
        "tags": 4,
        "practices": 3,
        "attachments": 2,
        "comments": 2,
        "reactions": 9,
    }


def test_the_csv_files_hold_the_same_rows_as_the_json_files(retention_world):
    archive = open_zip(built(retention_world.a.organization))
    for dataset in org_export.DATASETS:
        rows = jsonl(archive, dataset.name)
        header, *lines = csv_rows(archive, dataset.name)
        assert header == list(dataset.columns)
        assert lines == [safe_row(csv_cell(row[c]) for c in dataset.columns) for row in rows]
        assert all(list(row) == list(dataset.columns) for row in rows)


def test_spreadsheet_formulas_are_neutralised_in_the_csv(retention_world):
    world = retention_world
    practice = PracticeFactory(
        organization=world.a.organization,
        author=world.a.manager,
        title='=HYPERLINK("http://evil.example","click")',
    )
    CommentFactory(practice=practice, author=world.a.members[0], body="+1 @everyone")
    archive = open_zip(built(world.a.organization))
    header, *lines = csv_rows(archive, "practices")
    titles = [line[header.index("title")] for line in lines]
    assert '\'=HYPERLINK("http://evil.example","click")' in titles
    assert not any(title.startswith("=") for title in titles)
    header, *lines = csv_rows(archive, "comments")
    assert "'+1 @everyone" in [line[header.index("body")] for line in lines]
    # The JSON keeps the text as typed.
    assert "+1 @everyone" in [c["body"] for c in jsonl(archive, "comments")]


def test_no_row_or_file_of_another_organization_gets_in(retention_world):
    world = retention_world
    archive = open_zip(built(world.a.organization))
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"b.example" not in everything
    assert b"org-b" not in everything
    assert str(world.b.organization.pk).encode() not in everything
    for person in world.b.people:
        assert str(person.pk).encode() not in everything
    for practice in world.b.practices:
        assert str(practice.pk).encode() not in everything
    # And B's export is B's alone.
    archive_b = open_zip(built(world.b.organization))
    users_b = {row["email"] for row in jsonl(archive_b, "users")}
    assert users_b == {"charlie@b.example", "erin@b.example"}


def test_the_creation_is_recorded_with_counts_only(retention_world):
    export = built(retention_world.a.organization)
    [event] = events(AuditAction.ORG_EXPORT_CREATED)
    assert event.organization_id == retention_world.a.organization.pk
    assert event.object_ids == [str(export.pk)]
    assert event.details["rows"] == 26 and event.details["media"] == 2
    assert event.details["size_bytes"] == export.size_bytes
    assert "@" not in json.dumps(event.details)


def test_export_for_reuses_the_pending_one_then_the_ready_one(retention_world, org_a):
    pending = export_for(org_a)
    assert pending.status == ExportStatus.PENDING
    assert export_for(org_a).pk == pending.pk
    build_organization_export(pending.pk)
    assert export_for(org_a).pk == pending.pk
    # Built again, it changes nothing (a task run twice).
    again = build_organization_export(pending.pk)
    assert again.sha256 == export_for(org_a).sha256
    assert len(events(AuditAction.ORG_EXPORT_CREATED)) == 1
    # The contract ends after it was made: the data could have changed, a new one is made.
    with unscoped("test set-up"):
        org_a.status = org_a.Status.ENDED
        org_a.ended_at = timezone.now()
        org_a.save(update_fields=["status", "ended_at"])
    fresh = export_for(org_a)
    assert fresh.pk != pending.pk and fresh.status == ExportStatus.PENDING


def stored_exports(organization) -> list[str]:
    try:
        return default_storage.listdir(f"retention-exports/{organization.pk}")[1]
    except FileNotFoundError:
        return []


def test_a_failure_leaves_the_export_failed_and_no_file(retention_world, monkeypatch, caplog):
    org = retention_world.a.organization
    export = export_for(org)

    # (A variable: the traceback's frames quote the raising line of code.)
    message = "storage unreachable for alice@a.example " + retention_world.a.members[0].last_name

    def broken(*args, **kwargs):
        raise OSError(message)

    monkeypatch.setattr(org_export, "_write_media", broken)
    with pytest.raises(OSError, match="storage unreachable"):
        build_organization_export(export.pk)
    # Logged with its type and place, never its text (it can quote a row).
    assert "OSError" in caplog.text and str(export.pk) in caplog.text
    assert "Anders" not in caplog.text and "unreachable" not in caplog.text
    with unscoped("test"):
        export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and not export.file and export.sha256 == ""
    assert stored_exports(org) == []
    assert events(AuditAction.ORG_EXPORT_CREATED) == []
    # The next call makes a new one.
    assert export_for(org).pk != export.pk


def test_a_failure_after_storing_deletes_the_stored_file(retention_world, monkeypatch):
    org = retention_world.a.organization
    export = export_for(org)

    def broken(**kwargs):
        raise RuntimeError("log unavailable")

    monkeypatch.setattr(org_export, "record_event", broken)
    with pytest.raises(RuntimeError):
        build_organization_export(export.pk)
    with unscoped("test"):
        export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and not export.file
    assert stored_exports(org) == []


def test_a_save_failing_half_way_leaves_no_partial_file(retention_world, monkeypatch):
    from django.core.files.base import ContentFile

    org = retention_world.a.organization
    export = export_for(org)
    real_save = default_storage.save

    def partial_save(name, content, *args, **kwargs):
        real_save(name, ContentFile(b"PK partial"))
        raise OSError("disk full")

    monkeypatch.setattr(default_storage, "save", partial_save)
    with pytest.raises(OSError):
        build_organization_export(export.pk)
    assert stored_exports(org) == []
    with unscoped("test"):
        export.refresh_from_db()
    assert export.status == ExportStatus.FAILED


def test_a_purged_organization_gets_no_export(org_a, alice):
    export = export_for(org_a)
    with unscoped("test set-up"):
        org_a.status = org_a.Status.PURGED
        org_a.save(update_fields=["status"])
    assert build_organization_export(export.pk).status == ExportStatus.FAILED
    assert stored_exports(org_a) == []


def test_rows_are_streamed_not_loaded_all_at_once(org_a, bob, monkeypatch):
    """4,000 comments of 5 KB each (20 MB of text): the build's peak memory (about 2.5 MB,
    measured: the same for 200 or 4,000 rows) stays a fraction of them."""
    practice = PracticeFactory(organization=org_a, author=bob)
    body = "x" * 5000
    count = 4000
    with unscoped("test set-up"):
        Comment.objects.bulk_create(
            Comment(organization=org_a, practice=practice, author=bob, body=f"{n} {body}")
            for n in range(count)
        )
    monkeypatch.setattr(org_export, "CHUNK_SIZE", 100)
    export = export_for(org_a)
    tracemalloc.start()
    try:
        build_organization_export(export.pk)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    archive = open_zip(export_for(org_a))
    assert len(jsonl(archive, "comments")) == count
    data_bytes = count * len(body)
    assert peak < data_bytes / 4, f"peak {peak} bytes for {data_bytes} bytes of comments"
    # And nothing stays behind (no reference cycle keeping rows alive).
    assert current < data_bytes / 10


@pytest.mark.postgres
def test_row_level_security_keeps_other_organizations_out_even_without_the_filter(
    retention_world, monkeypatch
):
    """The second wall: a data set whose query forgot the organization (the unscoped base
    manager, no filter) still reads only the organization's rows on PostgreSQL."""

    def every_comment(org_id):
        for comment in Comment._base_manager.order_by("created_at").iterator(chunk_size=10):
            yield {"id": str(comment.pk), "body": comment.body, "org": str(comment.organization_id)}

    leaky = org_export.Dataset("comments", ("id", "body", "org"), every_comment)
    datasets = tuple(leaky if d.name == "comments" else d for d in org_export.DATASETS)
    monkeypatch.setattr(org_export, "DATASETS", datasets)
    archive = open_zip(built(retention_world.a.organization))
    comments = jsonl(archive, "comments")
    assert len(comments) == 2
    assert {c["org"] for c in comments} == {str(retention_world.a.organization.pk)}


def test_media_are_copied_page_by_page_and_a_missing_file_is_reported(retention_world, monkeypatch):
    world = retention_world
    monkeypatch.setattr(org_export, "CHUNK_SIZE", 1)  # a page per attachment
    lost, kept = sorted(world.a.files[0::2])  # the two photos (thumbnails are the others)
    default_storage.delete(lost)
    archive = open_zip(built(world.a.organization))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["media"]["files"] == 1 and len(manifest["media"]["missing"]) == 1
    [missing] = manifest["media"]["missing"]
    assert missing not in archive.namelist()
    media = [name for name in archive.namelist() if name.startswith("media/")]
    assert len(media) == 1 and archive.read(media[0]) == b"jpeg bytes"
    assert len(jsonl(archive, "attachments")) == 2


def test_targeting_and_erased_people(org_a, alice, bob):
    from grove.core.testing.factories import JobTypeFactory

    buyers = JobTypeFactory(organization=org_a, name="Buyer")
    PracticeFactory(
        organization=org_a,
        author=alice,
        title="Targeted",
        target_countries=["FR", "DE"],
        target_job_types=[buyers],
    )
    with unscoped("test set-up: alice erased as the erasure leaves her"):
        alice.email = f"erased-{alice.pk}@invalid"
        alice.first_name = alice.last_name = ""
        alice.erased_at = timezone.now()
        alice.is_active = False
        alice.save()
    archive = open_zip(built(org_a))
    [practice] = jsonl(archive, "practices")
    assert practice["target_countries"] == ["DE", "FR"]
    assert practice["target_job_types"] == ["Buyer"]
    assert practice["author_id"] == str(alice.pk) and practice["author_email"] == ""
    users = {row["id"]: row for row in jsonl(archive, "users")}
    erased = users[str(alice.pk)]
    assert erased["erased"] is True and erased["email"] == "" and erased["first_name"] == ""
    assert erased["active"] is False and erased["job_type"] == ""
    assert b"invalid" not in archive.read("json/users.jsonl")
    assert users[str(bob.pk)]["email"] == "bob@a.example"
