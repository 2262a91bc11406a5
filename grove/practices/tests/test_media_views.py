"""GET /files/<id>/ and /files/<id>/thumbnail: login required, 404 for anything the member may
not see, the file streamed through storage with protective headers, Range requests, counts."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from grove.audit.models import AuditAction, AuditEvent
from grove.core.testing.factories import PracticeFactory, UserFactory
from grove.practices.attachments import attachment_add, prepare_upload
from grove.practices.models import Attachment
from grove.tenancy.context import tenant_context, unscoped

from .test_attachments_samples import jpeg_with_gps, mp4_with_location, upload


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def practice(alice):
    return PracticeFactory(organization=alice.organization, author=alice)


def add(actor, practice, data: bytes, name: str = "photo.jpg") -> Attachment:
    with tenant_context(actor.organization_id):
        return attachment_add(
            actor=actor, practice=practice, prepared=prepare_upload(upload(data, name))
        )


@pytest.fixture
def photo(alice, practice):
    return add(alice, practice, jpeg_with_gps())


@pytest.fixture
def video(alice, practice):
    return add(alice, practice, mp4_with_location(media=bytes(range(256)) * 40), "clip.mp4")


def url(attachment_or_id, *, thumbnail: bool = False) -> str:
    attachment_id = getattr(attachment_or_id, "pk", attachment_or_id)
    return reverse("media:thumbnail" if thumbnail else "media:attachment", args=[attachment_id])


def body(response) -> bytes:
    # Reading a streamed answer to its end closes it, as a WSGI server does (the test client's
    # wrapper); closing it again would close the test's database connection.
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def downloads() -> list[AuditEvent]:
    with unscoped("test: read the access log"):
        return list(AuditEvent.objects.filter(action=AuditAction.DOWNLOAD).order_by("sequence"))


def download_count(attachment) -> int:
    with unscoped("test: read the counter"):
        return Attachment.objects.get(pk=attachment.pk).download_count


def stored_bytes(media_root, name: str) -> bytes:
    return (media_root / name).read_bytes()


# --- Who may ---------------------------------------------------------------------------------


def test_login_is_required(client, photo):
    for address in (url(photo), url(photo, thumbnail=True)):
        response = client.get(address)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    assert download_count(photo) == 0
    assert downloads() == []


def test_charlie_gets_404_on_organization_as_attachment(client, charlie, photo):
    client.force_login(charlie)

    for address in (url(photo), url(photo, thumbnail=True)):
        response = client.get(address)

        assert response.status_code == 404
        assert b"\xff\xd8" not in body(response)
    assert download_count(photo) == 0
    assert downloads() == []


def test_a_forged_id_is_404(client, alice, photo):
    client.force_login(alice)

    assert client.get(url(uuid.uuid4())).status_code == 404
    assert client.get(url(uuid.uuid4(), thumbnail=True)).status_code == 404
    assert client.get("/files/not-a-uuid/").status_code == 404


def test_an_attachment_of_a_practice_the_member_may_not_see_is_404(client, alice):
    colleague = UserFactory(organization=alice.organization)
    draft = PracticeFactory(organization=alice.organization, author=colleague, status="draft")
    attachment = add(colleague, draft, jpeg_with_gps())
    client.force_login(alice)

    assert client.get(url(attachment)).status_code == 404

    client.force_login(colleague)
    response = client.get(url(attachment))
    assert response.status_code == 200
    body(response)


def test_operator_staff_get_404(staff_client, csm, photo):
    assert staff_client(csm).get(url(photo)).status_code == 404


def test_only_get_and_head(client, alice, photo):
    client.force_login(alice)

    assert client.post(url(photo)).status_code == 405
    assert download_count(photo) == 0


def test_uploaded_files_are_not_served_from_media_url(client, alice, photo, settings):
    client.force_login(alice)

    assert client.get(f"/{settings.MEDIA_URL}{photo.file.name}").status_code == 404
    assert client.get(f"/media/{photo.file.name}").status_code == 404


# --- What is served --------------------------------------------------------------------------


def test_the_photo_is_served_with_protective_headers(client, bob, photo, media_root):
    client.force_login(bob)

    response = client.get(url(photo))

    assert response.status_code == 200
    assert body(response) == stored_bytes(media_root, photo.file.name)
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Cache-Control"].startswith("private, max-age=")
    assert response["Content-Length"] == str(photo.size)
    disposition = response["Content-Disposition"]
    filename = photo.file.name.rsplit("/", 1)[-1]
    assert disposition == f'inline; filename="{filename}"'
    assert str(photo.practice_id) not in disposition
    assert str(photo.organization_id) not in disposition


def test_a_download_is_counted_and_logged(client, bob, photo):
    client.force_login(bob)

    body(client.get(url(photo)))
    body(client.get(url(photo)))

    assert download_count(photo) == 2
    events = downloads()
    assert [e.actor_id for e in events] == [bob.pk, bob.pk]
    assert events[0].object_ids == [str(photo.pk)]


def test_the_thumbnail_is_served_and_not_counted(client, alice, photo, media_root):
    client.force_login(alice)

    response = client.get(url(photo, thumbnail=True))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert body(response) == stored_bytes(media_root, photo.thumbnail.name)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert download_count(photo) == 0
    [event] = downloads()
    assert event.details["thumbnail"] is True


def test_a_video_has_no_thumbnail(client, alice, video):
    client.force_login(alice)

    assert client.get(url(video, thumbnail=True)).status_code == 404


def test_a_video_is_served_whole_without_a_range(client, alice, video, media_root):
    client.force_login(alice)

    response = client.get(url(video))

    assert response.status_code == 200
    assert response["Content-Type"] == "video/mp4"
    assert response["Accept-Ranges"] == "bytes"
    assert body(response) == stored_bytes(media_root, video.file.name)


def test_a_head_request_is_not_counted(client, alice, video):
    client.force_login(alice)

    response = client.head(url(video))

    assert response.status_code == 200
    assert response["Content-Length"] == str(video.size)
    body(response)
    assert download_count(video) == 0


# --- Ranges ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, None),
        ("bytes=-50", -50, None),
        ("bytes=10-999999999", 10, None),
    ],
)
def test_a_range_request_gets_206_with_those_bytes(
    client, alice, video, media_root, header, first, last
):
    data = stored_bytes(media_root, video.file.name)
    size = len(data)
    start = first if first >= 0 else size + first
    end = size - 1 if last is None else last
    client.force_login(alice)

    response = client.get(url(video), HTTP_RANGE=header)

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {start}-{end}/{size}"
    assert response["Content-Length"] == str(end - start + 1)
    assert response["Content-Type"] == "video/mp4"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body(response) == data[start : end + 1]


@pytest.mark.parametrize("header", ["bytes=999999-", "bytes=50-10", "bytes=-0", "bytes=x-y"])
def test_an_unsatisfiable_range_gets_416(client, alice, video, header):
    client.force_login(alice)

    response = client.get(url(video), HTTP_RANGE=header)

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{video.size}"
    assert download_count(video) == 0


@pytest.mark.parametrize("header", ["bytes=0-9,20-29", "items=0-9"])
def test_several_ranges_or_another_unit_get_the_whole_file(client, alice, video, header):
    client.force_login(alice)

    response = client.get(url(video), HTTP_RANGE=header)

    assert response.status_code == 200
    assert len(body(response)) == video.size


def test_seeking_in_a_video_counts_one_download(client, alice, video):
    client.force_login(alice)

    for header in ("bytes=0-", "bytes=500-", "bytes=1000-1999"):
        body(client.get(url(video), HTTP_RANGE=header))

    assert download_count(video) == 1
    assert len(downloads()) == 1
