"""attachment_add, attachment_remove, attachment_downloaded: who may, the limit of six, files in
storage following their rows, and the access-log events (ids only)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from grove.audit.models import AuditAction, AuditEvent
from grove.core.testing.factories import PracticeFactory, TopicFactory, UserFactory
from grove.practices import actions, attachments
from grove.practices.attachments import (
    MAX_ATTACHMENTS_PER_PRACTICE,
    atomic_removing_files_on_error,
    attachment_add,
    attachment_downloaded,
    attachment_remove,
    prepare_upload,
)
from grove.practices.models import Attachment
from grove.tenancy.context import tenant_context, unscoped

from .test_attachments_samples import jpeg, jpeg_with_gps, mp4_with_location, upload


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def practice(alice):
    return PracticeFactory(organization=alice.organization, author=alice)


def stored_files(media_root) -> list[str]:
    if not media_root.exists():
        return []
    return sorted(str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file())


def events(action: str) -> list[AuditEvent]:
    with unscoped("test: read the access log"):
        return list(
            AuditEvent.objects.filter(action=action, object_type="attachment").order_by("sequence")
        )


def rows() -> list[Attachment]:
    with unscoped("test: count attachments"):
        return list(Attachment.objects.all())


def photo():
    return prepare_upload(upload(jpeg_with_gps(), "Alice at home.jpg"))


def add(actor, practice, prepared=None, **kwargs) -> Attachment:
    with tenant_context(actor.organization_id):
        return attachment_add(
            actor=actor, practice=practice, prepared=prepared or photo(), **kwargs
        )


# --- attachment_add --------------------------------------------------------------------------


def test_the_author_adds_a_photo_stored_with_its_thumbnail_under_random_names(
    alice, practice, media_root
):
    prepared = photo()
    expected = prepared.file.read()
    prepared.file.seek(0)

    attachment = add(alice, practice, prepared)

    assert attachment.kind == "image"
    assert attachment.content_type == "image/jpeg"
    assert (attachment.width, attachment.height) == (32, 64)
    assert attachment.size == len(expected)
    assert attachment.position == 0
    assert attachment.organization_id == practice.organization_id
    prefix = f"practices/{practice.organization_id}/"
    assert attachment.file.name.startswith(prefix) and attachment.file.name.endswith(".jpg")
    assert attachment.thumbnail.name.startswith(prefix)
    assert attachment.thumbnail.name.endswith(".webp")
    assert "Alice" not in attachment.file.name
    assert stored_files(media_root) == sorted([attachment.file.name, attachment.thumbnail.name])
    assert (media_root / attachment.file.name).read_bytes() == expected


def test_adding_records_a_create_event_with_ids_only(alice, practice):
    attachment = add(alice, practice)

    [event] = events(AuditAction.CREATE)
    assert event.actor_id == alice.pk
    assert event.organization_id == practice.organization_id
    assert event.object_ids == [str(attachment.pk)]
    assert event.details == {"practice": str(practice.pk), "kind": "image"}


def test_a_video_is_stored_without_a_thumbnail(alice, practice, media_root):
    prepared = prepare_upload(upload(mp4_with_location(), "clip.mp4", "video/mp4"))

    attachment = add(alice, practice, prepared)

    assert (attachment.kind, attachment.content_type) == ("video", "video/mp4")
    assert attachment.file.name.endswith(".mp4")
    assert not attachment.thumbnail
    assert stored_files(media_root) == [attachment.file.name]


def test_a_manager_adds_to_a_members_practice(bob, practice):
    assert add(bob, practice).practice_id == practice.pk


def test_another_member_may_not_add_to_someone_elses_practice(alice, practice, media_root):
    colleague = UserFactory(organization=alice.organization)

    with pytest.raises(PermissionDenied):
        add(colleague, practice)

    assert rows() == []
    assert stored_files(media_root) == []


def test_another_organizations_practice_is_not_found(charlie, practice, media_root):
    with pytest.raises((Http404, PermissionDenied)):
        add(charlie, practice)

    assert rows() == []
    assert stored_files(media_root) == []


def test_a_member_cannot_add_to_another_organizations_practice_by_id(alice, charlie, media_root):
    theirs = PracticeFactory(organization=charlie.organization, author=charlie)

    with pytest.raises(Http404):
        add(alice, theirs)

    assert stored_files(media_root) == []


def test_the_seventh_attachment_is_refused_and_nothing_is_written(alice, practice, media_root):
    added = [add(alice, practice, prepare_upload(upload(jpeg()))) for _ in range(6)]
    files_before = stored_files(media_root)

    with pytest.raises(ValidationError) as caught:
        add(alice, practice)

    assert caught.value.code == "too_many_attachments"
    assert caught.value.messages == ["A practice has at most 6 photos and videos."]
    assert [a.position for a in added] == [0, 1, 2, 3, 4, 5]
    assert len(rows()) == MAX_ATTACHMENTS_PER_PRACTICE
    assert stored_files(media_root) == files_before
    assert len(events(AuditAction.CREATE)) == 6


def test_files_are_removed_when_the_action_fails_after_storing_them(
    alice, practice, media_root, monkeypatch
):
    def broken(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(attachments, "record_event", broken)

    with pytest.raises(RuntimeError):
        add(alice, practice)

    assert rows() == []
    assert stored_files(media_root) == []


# --- The publish flow: prepare everything, create the practice, add each file -----------------


def _publish_with(alice, topic, files):
    prepared = [prepare_upload(upload(data)) for data in files]
    with tenant_context(alice.organization_id), atomic_removing_files_on_error():
        practice = actions.practice_create(
            actor=alice,
            topic=topic,
            title="Window display in ten minutes",
            body="Start with the **light**.",
            language="en",
            publish=True,
        )
        for item in prepared:
            attachment_add(actor=alice, practice=practice, prepared=item)
        return practice


def test_the_publish_flow_stores_every_file(alice, media_root):
    topic = TopicFactory(organization=alice.organization)

    practice = _publish_with(alice, topic, [jpeg(), jpeg_with_gps()])

    with tenant_context(alice.organization_id):
        stored = list(Attachment.objects.filter(practice=practice))
    assert len(stored) == 2
    assert len(stored_files(media_root)) == 4


def test_a_failed_publish_flow_leaves_no_file_behind(alice, media_root, monkeypatch):
    topic = TopicFactory(organization=alice.organization)
    calls = []
    original = attachments.record_event

    def fails_on_the_second(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return original(**kwargs)

    monkeypatch.setattr(attachments, "record_event", fails_on_the_second)

    with pytest.raises(RuntimeError):
        _publish_with(alice, topic, [jpeg(), jpeg(), jpeg()])

    assert rows() == []
    assert stored_files(media_root) == []  # the first file, stored and committed to no row


def test_files_of_an_inner_block_that_succeeded_go_when_the_outer_one_fails(
    alice, practice, media_root
):
    with pytest.raises(RuntimeError), atomic_removing_files_on_error():
        with atomic_removing_files_on_error():
            add(alice, practice)
        assert len(stored_files(media_root)) == 2
        raise RuntimeError("later failure")

    assert stored_files(media_root) == []
    assert rows() == []


# --- attachment_remove -----------------------------------------------------------------------


def test_removing_deletes_the_row_then_the_files_on_commit(
    alice, practice, media_root, django_capture_on_commit_callbacks
):
    attachment = add(alice, practice)
    attachment_id = attachment.pk

    with django_capture_on_commit_callbacks() as callbacks, tenant_context(alice.organization):
        attachment_remove(actor=alice, attachment=attachment)
        assert len(stored_files(media_root)) == 2  # still there until the commit

    assert rows() == []
    for callback in callbacks:
        callback()
    assert stored_files(media_root) == []
    [event] = events(AuditAction.DELETE)
    assert event.object_ids == [str(attachment_id)]
    assert event.details == {"practice": str(practice.pk)}


def test_a_manager_removes_a_members_attachment(alice, bob, practice):
    attachment = add(alice, practice)

    with tenant_context(bob.organization_id):
        attachment_remove(actor=bob, attachment=attachment)

    assert rows() == []


def test_another_member_may_not_remove(alice, practice, media_root):
    attachment = add(alice, practice)
    colleague = UserFactory(organization=alice.organization)

    with pytest.raises(PermissionDenied), tenant_context(alice.organization_id):
        attachment_remove(actor=colleague, attachment=attachment)

    assert len(rows()) == 1
    assert len(stored_files(media_root)) == 2
    assert events(AuditAction.DELETE) == []


def test_the_next_attachment_after_a_removal_goes_last(alice, practice):
    first, second = add(alice, practice), add(alice, practice)
    with tenant_context(alice.organization_id):
        attachment_remove(actor=alice, attachment=first)

    assert add(alice, practice).position == second.position + 1


# --- attachment_downloaded -------------------------------------------------------------------


def test_a_download_counts_and_is_logged_as_a_read(alice, bob, practice):
    attachment = add(alice, practice)

    with tenant_context(alice.organization_id):
        attachment_downloaded(actor=bob, attachment=attachment, thumbnail=False)
        attachment_downloaded(actor=bob, attachment=attachment, thumbnail=False)
        attachment.refresh_from_db()

    assert attachment.download_count == 2
    downloads = events(AuditAction.DOWNLOAD)
    assert [e.actor_id for e in downloads] == [bob.pk, bob.pk]
    assert downloads[0].object_ids == [str(attachment.pk)]
    assert downloads[0].details == {"practice": str(practice.pk), "thumbnail": False}


def test_a_thumbnail_is_logged_but_not_counted(alice, practice):
    attachment = add(alice, practice)

    with tenant_context(alice.organization_id):
        attachment_downloaded(actor=alice, attachment=attachment, thumbnail=True)
        attachment.refresh_from_db()

    assert attachment.download_count == 0
    [event] = events(AuditAction.DOWNLOAD)
    assert event.details["thumbnail"] is True
