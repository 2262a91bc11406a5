"""Publishing and editing a practice through the form: its fields, its files (checked before
anything is written), drafts, the moderation queue, and the request size limit."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grove.core.testing.factories import JobTypeFactory, PracticeFactory
from grove.practices.attachments import attachment_add, prepare_upload
from grove.practices.models import Attachment, Practice
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import Organization

from .test_attachments_samples import jpeg, jpeg_with_gps, mp4_with_location, upload
from .view_helpers import *  # noqa: F403 -- the shared fixtures
from .view_helpers import fresh, rows

CREATE = reverse("practices:create")


def form_data(for_topic, **overrides) -> dict:
    data = {
        "title": "Greet every customer",
        "topic": str(for_topic.pk),
        "body": "Say **hello** within ten seconds.",
        "language": "en",
        "tags": "welcome, Service ,",
        "publish": "1",
    }
    data.update(overrides)
    return data


def test_the_form_lists_the_organizations_topics_only(client, alice, topic, charlie):
    from grove.core.testing.factories import TopicFactory

    TopicFactory(organization=charlie.organization, name="Foreign topic")
    client.force_login(alice)

    response = client.get(CREATE)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Checkout" in page
    assert "Foreign topic" not in page
    assert 'accept="image/jpeg,image/png,image/webp,video/mp4"' in page
    assert 'for="id_title"' in page


def test_publishing_with_a_photo_writes_the_practice_and_the_attachment(client, alice, topic):
    job = JobTypeFactory(organization=alice.organization, name="Cashier")
    client.force_login(alice)

    response = client.post(
        CREATE,
        {
            **form_data(topic),
            "target_countries": ["FR", "DE"],
            "target_job_types": [str(job.pk)],
            "attachments": [upload(jpeg_with_gps(), "holiday.jpg")],
        },
    )

    [practice] = rows(Practice)
    assert response.status_code == 302
    assert response["Location"] == reverse("practices:detail", args=[practice.pk])
    assert practice.status == "published"
    assert practice.author_id == alice.pk
    assert "<strong>hello</strong>" in practice.body_html
    assert sorted(str(c) for c in practice.target_countries) == ["DE", "FR"]
    with tenant_context(alice.organization_id):
        assert sorted(t.name for t in practice.tags.all()) == ["service", "welcome"]
        assert [j.pk for j in practice.target_job_types.all()] == [job.pk]
    [attachment] = rows(Attachment)
    assert attachment.practice_id == practice.pk
    assert attachment.kind == "image"


def test_save_draft_keeps_it_a_draft(client, alice, topic):
    client.force_login(alice)
    data = form_data(topic)
    del data["publish"]

    client.post(CREATE, {**data, "draft": "1"})

    [practice] = rows(Practice)
    assert practice.status == "draft"


def test_with_validation_required_a_members_practice_waits(client, alice, topic):
    with unscoped("test: set the organization up"):
        Organization.objects.filter(pk=alice.organization_id).update(
            practices_require_validation=True
        )
    client.force_login(alice)

    client.post(CREATE, form_data(topic))

    [practice] = rows(Practice)
    assert practice.status == "pending"


def test_an_executable_renamed_jpg_is_refused_and_nothing_is_written(client, alice, topic):
    client.force_login(alice)
    executable = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200

    response = client.post(
        CREATE,
        {
            **form_data(topic),
            "attachments": [upload(jpeg(), "fine.jpg"), upload(executable, "photo.jpg")],
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "photo.jpg: This file is not a photo (JPEG, PNG or WebP) or an MP4 video." in page
    assert rows(Practice) == []
    assert rows(Attachment) == []


def test_a_video_over_its_size_limit_is_refused_with_a_clear_message(
    client, alice, topic, settings
):
    settings.GROVE_MAX_VIDEO_BYTES = 2000
    client.force_login(alice)
    video = mp4_with_location(media=bytes(range(256)) * 40)

    response = client.post(
        CREATE, {**form_data(topic), "attachments": [upload(video, "clip.mp4", "video/mp4")]}
    )

    assert response.status_code == 400
    assert "This video is larger than" in response.content.decode()
    assert rows(Practice) == []


def test_a_request_beyond_the_upload_limit_is_refused_before_it_is_read(
    client, alice, topic, settings
):
    from grove.practices import views

    settings.GROVE_MAX_IMAGE_BYTES = 1000
    settings.GROVE_MAX_VIDEO_BYTES = 1000
    client.force_login(alice)
    huge = b"\xff\xd8\xff" + b"\x00" * (views.max_upload_request_bytes() + 10)

    response = client.post(CREATE, {**form_data(topic), "attachments": [upload(huge)]})

    assert response.status_code == 413
    assert b"too large" in response.content
    assert rows(Practice) == []


def test_the_csrf_check_still_applies_to_the_publish_form(alice, topic):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    response = client.post(CREATE, form_data(topic), secure=True)

    assert response.status_code == 403
    assert rows(Practice) == []


@pytest.mark.parametrize(
    ("field", "value"), [("title", ""), ("body", ""), ("topic", "not-a-topic")]
)
def test_missing_fields_are_shown_on_the_form(client, alice, topic, field, value):
    client.force_login(alice)

    response = client.post(CREATE, form_data(topic, **{field: value}))

    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert rows(Practice) == []


def test_another_organizations_topic_is_refused(client, alice, charlie, topic):
    from grove.core.testing.factories import TopicFactory

    foreign = TopicFactory(organization=charlie.organization, name="Foreign")
    client.force_login(alice)

    response = client.post(CREATE, form_data(topic, topic=str(foreign.pk)))

    assert response.status_code == 400
    assert rows(Practice) == []


def test_too_many_tags_show_the_actions_message(client, alice, topic):
    client.force_login(alice)

    response = client.post(CREATE, form_data(topic, tags=",".join(f"t{n}" for n in range(15))))

    assert response.status_code == 400
    assert "At most" in response.content.decode()
    assert rows(Practice) == []


# --- Edit --------------------------------------------------------------------------------------


def test_the_author_edits_and_removes_a_photo_and_adds_another(client, alice, practice, topic):
    with tenant_context(alice.organization_id):
        old = attachment_add(
            actor=alice, practice=practice, prepared=prepare_upload(upload(jpeg()))
        )
    client.force_login(alice)
    edit = reverse("practices:edit", args=[practice.pk])

    page = client.get(edit)
    response = client.post(
        edit,
        {
            **form_data(topic, title="Two queues, better"),
            "remove_attachments": [str(old.pk)],
            "attachments": [upload(jpeg(), "new.jpg")],
        },
    )

    assert page.status_code == 200
    assert "Two queues at lunch time" in page.content.decode()
    assert response.status_code == 302
    assert fresh(practice).title == "Two queues, better"
    [kept] = rows(Attachment)
    assert kept.pk != old.pk


def test_a_refused_file_on_edit_changes_nothing(client, alice, practice, topic):
    client.force_login(alice)

    response = client.post(
        reverse("practices:edit", args=[practice.pk]),
        {**form_data(topic, title="Changed"), "attachments": [upload(b"#!/bin/sh\n", "x.jpg")]},
    )

    assert response.status_code == 400
    assert fresh(practice).title == "Two queues at lunch time"


def test_an_archived_practice_cannot_be_edited(client, alice, topic):
    archived = PracticeFactory(
        organization=alice.organization, author=alice, topic=topic, status="archived"
    )
    client.force_login(alice)

    response = client.post(reverse("practices:edit", args=[archived.pk]), form_data(topic))

    assert response.status_code == 400
    assert "archived practice cannot be edited" in response.content.decode()
