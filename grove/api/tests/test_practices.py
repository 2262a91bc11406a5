"""Practices through the API: write one's own, read, react, comment, attach; the same actions
and queries as the web pages, so the same rows and audit events."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from grove.audit.models import AuditAction
from grove.core.testing.factories import (
    CommentFactory,
    JobTypeFactory,
    PracticeFactory,
    TopicFactory,
)
from grove.practices.models import Attachment, Comment, Practice, Reaction
from grove.tenancy.context import unscoped

from .conftest import audit_events

pytestmark = pytest.mark.django_db


def practice_row(pk) -> Practice:
    with unscoped("test: read the practice"):
        return Practice.objects.get(pk=pk)


@pytest.fixture
def topic(org_a):
    return TopicFactory(organization=org_a, name="Checkout")


@pytest.fixture
def practice(org_a, alice, topic):
    return PracticeFactory(
        organization=org_a, author=alice, topic=topic, title="Open a second till", tags=["queue"]
    )


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


# --- Reading ------------------------------------------------------------------------------------


def test_the_session_reads_a_practice(client, alice, practice):
    client.force_login(alice)
    response = client.get(f"/api/practices/{practice.pk}")
    assert response.status_code == 200
    assert response.json()["title"] == "Open a second till"


def test_a_practice_as_the_api_shows_it(api, bob_token, practice, topic, alice):
    response = api.get(f"/api/practices/{practice.pk}", token=bob_token)
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == str(practice.pk)
    assert data["topic"] == {"id": str(topic.pk), "name": "Checkout"}
    assert data["tags"] == ["queue"]
    assert data["author"] == {"id": str(alice.pk), "name": "Alice Anders"}
    assert data["status"] == "published"
    assert data["body_html"].startswith("<p>")
    assert data["counts"] == {"adoptions": 0, "useful": 0, "comments": 0, "views": 0}
    assert data["my_reactions"] == []
    assert data["attachments"] == []
    assert data["highlighted"] is False
    # Opening it counts a view and records who read it.
    assert practice_row(practice.pk).view_count == 1
    assert [e.object_ids for e in audit_events(AuditAction.VIEW, "practice")] == [
        [str(practice.pk)]
    ]


def test_a_former_members_practice_has_no_author(api, alice_token, org_a, topic):
    orphan = PracticeFactory(organization=org_a, topic=topic, author=None)
    assert api.get(f"/api/practices/{orphan.pk}", token=alice_token).json()["author"] is None


def test_a_manager_sees_pending_practices_not_drafts(api, bob_token, org_a, alice, topic):
    pending = PracticeFactory(organization=org_a, author=alice, topic=topic, status="pending")
    assert api.get(f"/api/practices/{pending.pk}", token=bob_token).status_code == 200
    draft = PracticeFactory(organization=org_a, author=alice, topic=topic, status="draft")
    assert api.get(f"/api/practices/{draft.pk}", token=bob_token).status_code == 404


def test_a_member_does_not_see_a_colleagues_draft(api, alice_token, org_a, bob, topic):
    draft = PracticeFactory(organization=org_a, author=bob, topic=topic, status="draft")
    response = api.get(f"/api/practices/{draft.pk}", token=alice_token)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_search_finds_a_practice_by_a_word(api, alice_token, practice):
    response = api.get("/api/practices/search", token=alice_token, q="till")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["items"]] == [str(practice.pk)]
    assert "snippet" in response.json()["items"][0]


@pytest.mark.parametrize("q", ['"unbalanced', "a & | ! (b", "'; DROP TABLE x; --", "<script>", "*"])
def test_search_takes_any_string(api, alice_token, practice, q):
    assert api.get("/api/practices/search", token=alice_token, q=q).status_code == 200


def test_search_needs_a_query_of_sane_length(api, alice_token):
    assert api.get("/api/practices/search", token=alice_token).status_code == 422
    assert api.get("/api/practices/search", token=alice_token, q="x" * 201).status_code == 422


# --- Writing one's own --------------------------------------------------------------------------


def test_a_member_creates_a_draft(api, alice, alice_token, topic, org_a):
    job = JobTypeFactory(organization=org_a, name="Cashier")
    response = api.post(
        "/api/practices",
        {
            "topic": str(topic.pk),
            "title": "  Greet every customer ",
            "body": "Say **hello**. <script>alert(1)</script> [x](javascript:alert(1))",
            "language": "fr",
            "tags": ["Welcome", "welcome "],
            "target_countries": ["fr"],
            "target_job_types": [str(job.pk)],
        },
        token=alice_token,
    )
    assert response.status_code == 201, response.content
    data = response.json()
    row = practice_row(data["id"])
    assert (row.author_id, row.status, row.title, row.language) == (
        alice.pk,
        "draft",
        "Greet every customer",
        "fr",
    )
    assert "<script" not in row.body_html
    assert 'href="javascript' not in row.body_html
    assert data["tags"] == ["welcome"]
    assert data["target_countries"] == ["FR"]
    assert data["target_job_types"] == [{"id": str(job.pk), "name": "Cashier"}]
    [event] = audit_events(AuditAction.CREATE, "practice")
    assert event.object_ids == [data["id"]]


def test_a_member_publishes_at_once(api, alice_token, topic):
    response = api.post(
        "/api/practices",
        {"topic": str(topic.pk), "title": "Tip", "body": "B", "publish": True},
        token=alice_token,
    )
    assert response.status_code == 201
    assert practice_row(response.json()["id"]).status == "published"


def test_publishing_waits_for_validation_when_the_organization_requires_it(
    api, alice_token, topic, org_a
):
    from grove.tenancy.models import Organization

    with unscoped("test set-up"):
        Organization.objects.filter(pk=org_a.pk).update(practices_require_validation=True)
    response = api.post(
        "/api/practices",
        {"topic": str(topic.pk), "title": "Tip", "body": "B", "publish": True},
        token=alice_token,
    )
    assert response.json()["status"] == "pending"


@pytest.mark.parametrize(
    "body",
    [
        {"title": "no topic", "body": "b"},
        {"topic": "not-a-uuid", "title": "t", "body": "b"},
        {"topic": None, "title": "t", "body": "b"},
        {"topic": [], "title": "t", "body": "b"},
        {"topic": "00000000-0000-0000-0000-000000000000", "title": 5, "body": {"a": 1}},
        {"topic": "00000000-0000-0000-0000-000000000000", "title": "t", "body": "b", "tags": "x"},
    ],
)
def test_malformed_bodies_are_refused(api, alice_token, body):
    response = api.post("/api/practices", body, token=alice_token)
    assert response.status_code == 422, response.content
    with unscoped("test: no practice"):
        assert not Practice.objects.exists()


def test_a_body_that_is_not_json_is_refused(api, alice_token):
    response = api.client.post(
        "/api/practices",
        data="{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {alice_token}",
    )
    assert response.status_code in (400, 422)


def test_the_actions_checks_come_back_per_field(api, alice_token, topic):
    response = api.post(
        "/api/practices",
        {"topic": str(topic.pk), "title": "   ", "body": "", "language": "de"},
        token=alice_token,
    )
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {"title", "body", "language"} <= set(errors)
    assert all(isinstance(m, list) and m for m in errors.values())


def test_unknown_job_type_or_country_is_refused(api, alice_token, topic, org_b):
    other_job = JobTypeFactory(organization=org_b)
    base = {"topic": str(topic.pk), "title": "Fine title", "body": "b"}
    response = api.post(
        "/api/practices", {**base, "target_job_types": [str(other_job.pk)]}, token=alice_token
    )
    assert response.status_code == 422
    assert "target_job_types" in response.json()["errors"]
    response = api.post("/api/practices", {**base, "target_countries": ["ZZ"]}, token=alice_token)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"target_countries"}


def test_a_member_edits_their_practice(api, alice_token, practice, topic):
    response = api.put(
        f"/api/practices/{practice.pk}",
        {"topic": str(topic.pk), "title": "Open two tills", "body": "Now", "tags": []},
        token=alice_token,
    )
    assert response.status_code == 200, response.content
    assert practice_row(practice.pk).title == "Open two tills"
    assert response.json()["tags"] == []
    assert [e.object_ids for e in audit_events(AuditAction.UPDATE, "practice")] == [
        [str(practice.pk)]
    ]


def test_a_member_cannot_edit_a_colleagues_practice(api, org_a, bob, alice_token, topic):
    bobs = PracticeFactory(organization=org_a, author=bob, topic=topic, title="Bob's")
    response = api.put(
        f"/api/practices/{bobs.pk}",
        {"topic": str(topic.pk), "title": "Mine now", "body": "x"},
        token=alice_token,
    )
    assert response.status_code == 404
    assert practice_row(bobs.pk).title == "Bob's"


def test_a_member_publishes_a_draft(api, alice, alice_token, org_a, topic):
    draft = PracticeFactory(organization=org_a, author=alice, topic=topic, status="draft")
    response = api.post(f"/api/practices/{draft.pk}/publish", token=alice_token)
    assert response.status_code == 200
    assert practice_row(draft.pk).status == "published"


def test_a_member_deletes_their_practice(api, alice_token, practice):
    assert api.delete(f"/api/practices/{practice.pk}", token=alice_token).status_code == 204
    with unscoped("test"):
        assert not Practice.objects.filter(pk=practice.pk).exists()
    assert [e.object_ids for e in audit_events(AuditAction.DELETE, "practice")] == [
        [str(practice.pk)]
    ]


def test_a_manager_deletes_a_members_practice(api, bob_token, practice):
    assert api.delete(f"/api/practices/{practice.pk}", token=bob_token).status_code == 204


# --- Reactions ----------------------------------------------------------------------------------


def test_adopting_counts_once_and_can_be_undone(api, bob, bob_token, practice):
    path = f"/api/practices/{practice.pk}/reactions/adopted"
    first = api.put(path, token=bob_token)
    assert first.status_code == 200
    assert first.json()["counts"]["adoptions"] == 1
    assert api.put(path, token=bob_token).json()["counts"]["adoptions"] == 1
    assert practice_row(practice.pk).adoption_count == 1
    with unscoped("test"):
        assert Reaction.objects.filter(user=bob, kind="adopted").count() == 1
    mine = api.get(f"/api/practices/{practice.pk}", token=bob_token).json()["my_reactions"]
    assert mine == ["adopted"]
    assert api.delete(path, token=bob_token).json()["counts"]["adoptions"] == 0
    assert practice_row(practice.pk).adoption_count == 0


def test_an_unknown_reaction_is_refused(api, bob_token, practice):
    response = api.put(f"/api/practices/{practice.pk}/reactions/love", token=bob_token)
    assert response.status_code == 422


def test_bookmarks_list_the_bookmarked(api, bob_token, practice):
    api.put(f"/api/practices/{practice.pk}/reactions/bookmark", token=bob_token)
    response = api.get("/api/me/bookmarks", token=bob_token)
    assert [i["id"] for i in response.json()["items"]] == [str(practice.pk)]


# --- Comments -----------------------------------------------------------------------------------


def test_comment_and_reply(api, alice_token, bob_token, practice):
    path = f"/api/practices/{practice.pk}/comments"
    first = api.post(path, {"body": "Works for us"}, token=bob_token)
    assert first.status_code == 201, first.content
    reply = api.post(path, {"body": "Great", "parent": first.json()["id"]}, token=alice_token)
    assert reply.status_code == 201
    assert reply.json()["parent_id"] == first.json()["id"]
    listed = api.get(path, token=alice_token).json()
    assert [c["body"] for c in listed] == ["Works for us"]
    assert [r["body"] for r in listed[0]["replies"]] == ["Great"]
    assert practice_row(practice.pk).comment_count == 2
    assert len(audit_events(AuditAction.CREATE, "comment")) == 2


def test_a_reply_to_a_reply_is_refused(api, alice_token, practice, bob):
    top = CommentFactory(practice=practice, author=bob)
    reply = CommentFactory(practice=practice, author=bob, parent=top)
    response = api.post(
        f"/api/practices/{practice.pk}/comments",
        {"body": "x", "parent": str(reply.pk)},
        token=alice_token,
    )
    assert response.status_code == 422
    assert "parent" in response.json()["errors"]


def test_an_empty_comment_is_refused(api, alice_token, practice):
    response = api.post(
        f"/api/practices/{practice.pk}/comments", {"body": "   "}, token=alice_token
    )
    assert response.status_code == 422
    assert "body" in response.json()["errors"]


def test_a_member_deletes_their_comment_not_a_colleagues(api, alice, bob, alice_token, practice):
    mine = CommentFactory(practice=practice, author=alice)
    theirs = CommentFactory(practice=practice, author=bob)
    assert api.delete(f"/api/comments/{mine.pk}", token=alice_token).status_code == 204
    response = api.delete(f"/api/comments/{theirs.pk}", token=alice_token)
    assert response.status_code == 403
    with unscoped("test"):
        assert list(Comment.objects.values_list("pk", flat=True)) == [theirs.pk]


# --- Attachments --------------------------------------------------------------------------------


def _upload(api, token, practice, name, content):
    return api.client.post(
        f"/api/practices/{practice.pk}/attachments",
        {"file": SimpleUploadedFile(name, content)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_a_photo_is_attached_and_described(api, alice_token, practice, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    response = _upload(api, alice_token, practice, "me.png", png_bytes())
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["kind"] == "image"
    assert data["url"].endswith(f"/{data['id']}/")
    detail = api.get(f"/api/attachments/{data['id']}", token=alice_token)
    assert detail.status_code == 200
    assert detail.json()["practice_id"] == str(practice.pk)
    shown = api.get(f"/api/practices/{practice.pk}", token=alice_token).json()
    assert [a["id"] for a in shown["attachments"]] == [data["id"]]


def test_an_executable_named_jpg_is_refused(api, alice_token, practice):
    response = _upload(api, alice_token, practice, "photo.jpg", b"MZ\x90\x00" + b"\x00" * 200)
    assert response.status_code == 422
    with unscoped("test"):
        assert not Attachment.objects.exists()


def test_a_member_cannot_attach_to_a_colleagues_practice(api, bob, org_a, alice_token, topic):
    bobs = PracticeFactory(organization=org_a, author=bob, topic=topic)
    assert _upload(api, alice_token, bobs, "me.png", png_bytes()).status_code == 404


def test_my_practices_lists_every_status(api, alice, alice_token, org_a, topic, practice):
    draft = PracticeFactory(organization=org_a, author=alice, topic=topic, status="draft")
    response = api.get("/api/me/practices", token=alice_token)
    assert {i["id"] for i in response.json()["items"]} == {str(practice.pk), str(draft.pk)}
    drafts = api.get("/api/me/practices", token=alice_token, status="draft").json()["items"]
    assert [i["id"] for i in drafts] == [str(draft.pk)]
    assert api.get("/api/me/practices", token=alice_token, status="nope").status_code == 422
