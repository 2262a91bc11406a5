"""Every endpoint: a 401 without authentication, and for Charlie (organization B, with his own
token) the same 404 on every id of organization A, with nothing changed."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from grove.api.models import ApiToken
from grove.audit.models import AuditAction
from grove.core.testing.factories import CommentFactory, JobTypeFactory, PracticeFactory
from grove.practices.models import (
    Attachment,
    AttachmentKind,
    Comment,
    Practice,
    Reaction,
    Topic,
)
from grove.tenancy.context import unscoped
from grove.tenancy.models import JobType

from .conftest import audit_events

pytestmark = pytest.mark.django_db

NOT_FOUND = {"detail": "Not found."}


@pytest.fixture
def a_ids(org_a, alice, bob):
    """One object of each kind in organization A."""
    practice = PracticeFactory(organization=org_a, author=alice, tags=["queue"])
    pending = PracticeFactory(organization=org_a, author=alice, status="pending")
    comment = CommentFactory(practice=practice, author=bob)
    job_type = JobTypeFactory(organization=org_a, name="Cashier")
    with unscoped("test set-up"):
        attachment = Attachment.objects.create(
            organization=org_a,
            practice=practice,
            kind=AttachmentKind.IMAGE,
            file="practices/a/photo.jpg",
            content_type="image/jpeg",
            size=10,
        )
    return {
        "practice": practice.pk,
        "pending": pending.pk,
        "topic": practice.topic_id,
        "comment": comment.pk,
        "job_type": job_type.pk,
        "attachment": attachment.pk,
        "member": alice.pk,
    }


def endpoints(ids) -> list[tuple[str, str, dict | str | None]]:  # "file": an upload
    p, c = ids["practice"], ids["comment"]
    until = (timezone.now() + datetime.timedelta(days=3)).isoformat()
    practice_body = {"topic": str(ids["topic"]), "title": "Taken over", "body": "x"}
    return [
        ("get", f"/api/practices/{p}", None),
        ("put", f"/api/practices/{p}", practice_body),
        ("delete", f"/api/practices/{p}", None),
        ("post", f"/api/practices/{ids['pending']}/publish", None),
        ("put", f"/api/practices/{p}/reactions/adopted", None),
        ("delete", f"/api/practices/{p}/reactions/useful", None),
        ("get", f"/api/practices/{p}/comments", None),
        ("post", f"/api/practices/{p}/comments", {"body": "Hello"}),
        ("delete", f"/api/comments/{c}", None),
        ("post", f"/api/practices/{p}/attachments", "file"),
        ("get", f"/api/attachments/{ids['attachment']}", None),
        ("post", f"/api/practices/{ids['pending']}/validate", None),
        ("post", f"/api/practices/{ids['pending']}/reject", {"reason": "No"}),
        ("post", f"/api/practices/{p}/boost", {"until": until}),
        ("delete", f"/api/practices/{p}/boost", None),
        ("post", f"/api/practices/{p}/highlight", None),
        ("delete", f"/api/practices/{p}/highlight", None),
        ("post", f"/api/practices/{p}/archive", None),
        ("delete", f"/api/practices/{p}/archive", None),
        ("patch", f"/api/topics/{ids['topic']}", {"name": "Renamed"}),
        ("delete", f"/api/topics/{ids['topic']}", None),
        ("patch", f"/api/job-types/{ids['job_type']}", {"name": "Renamed"}),
        ("delete", f"/api/job-types/{ids['job_type']}", None),
        ("get", f"/api/members/{ids['member']}", None),
    ]


LISTS = [
    ("get", "/api/practices", None),
    ("get", "/api/practices/search?q=queue", None),
    ("post", "/api/practices", {"topic": str(uuid.uuid4()), "title": "t", "body": "b"}),
    ("get", "/api/moderation", None),
    ("get", "/api/topics", None),
    ("post", "/api/topics", {"name": "New"}),
    ("get", "/api/job-types", None),
    ("post", "/api/job-types", {"name": "New"}),
    ("get", "/api/me/practices", None),
    ("get", "/api/me/bookmarks", None),
    ("get", "/api/members", None),
    ("get", "/api/members?q=Alice", None),
]


def call(api, method, path, body, token=None):
    if body == "file":
        upload = SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        return api.client.post(path, {"file": upload}, **headers)
    if method == "get" or method == "delete":
        return getattr(api.client, method)(
            path, **({"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {})
        )
    return getattr(api, method)(path, body, token=token)


def snapshot() -> dict:
    """Every row an endpoint could change, as plain values."""
    with unscoped("test: compare rows"):
        return {
            "practices": sorted(
                Practice.objects.values_list(
                    "id",
                    "title",
                    "status",
                    "boosted_until",
                    "highlighted_at",
                    "adoption_count",
                    "useful_count",
                    "comment_count",
                    "view_count",
                    "topic_id",
                )
            ),
            "comments": sorted(Comment.objects.values_list("id", "body")),
            "reactions": sorted(Reaction.objects.values_list("practice_id", "user_id", "kind")),
            "topics": sorted(Topic.objects.values_list("id", "name")),
            "job_types": sorted(JobType.objects.values_list("id", "name")),
            "attachments": sorted(Attachment.objects.values_list("id", "download_count")),
            "tokens": sorted(ApiToken.objects.values_list("id", "revoked_at")),
        }


def test_every_endpoint_needs_authentication(api, a_ids):
    before = snapshot()
    for method, path, body in endpoints(a_ids) + LISTS:
        response = call(api, method, path, body)
        assert response.status_code == 401, (method, path, response.content)
    assert snapshot() == before


def test_charlie_gets_the_same_404_on_every_id_of_organization_a(api, a_ids, charlie_token):
    before = snapshot()
    for method, path, body in endpoints(a_ids):
        response = call(api, method, path, body, token=charlie_token)
        assert response.status_code == 404, (method, path, response.content)
        assert response.json() == NOT_FOUND, (method, path)
    assert snapshot() == before
    writes = (AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE)
    assert [e for e in audit_events() if e.action in writes and e.object_type != "api_token"] == []


def test_a_forged_id_gives_the_same_404_as_another_organizations(api, a_ids, charlie_token):
    foreign = api.get(f"/api/practices/{a_ids['practice']}", token=charlie_token)
    forged = api.get(f"/api/practices/{uuid.uuid4()}", token=charlie_token)
    assert foreign.status_code == forged.status_code == 404
    assert foreign.content == forged.content


def test_charlies_lists_show_nothing_of_organization_a(api, a_ids, charlie_token):
    for method, path, body in LISTS:
        if method != "get":
            continue
        response = call(api, method, path, body, token=charlie_token)
        assert response.status_code in (200, 404), (path, response.content)
        text = response.content.decode()
        for value in a_ids.values():
            assert str(value) not in text, path


def test_charlie_cannot_reference_organization_a_objects_in_a_body(api, a_ids, charlie_token):
    before = snapshot()
    response = api.post(
        "/api/practices",
        {"topic": str(a_ids["topic"]), "title": "Mine", "body": "b"},
        token=charlie_token,
    )
    assert response.status_code == 422
    assert "topic" in response.json()["errors"]
    assert snapshot() == before


def test_a_non_uuid_id_is_refused_without_error(api, alice_token):
    for path in ("/api/practices/not-a-uuid", "/api/comments/1", "/api/attachments/..%2f"):
        response = api.get(path, token=alice_token)
        assert response.status_code in (404, 405, 422), path


def test_the_session_and_a_token_get_the_same_answers(client, api, a_ids, bob, bob_token):
    """Every read, as Bob's browser session and as Bob's token (volatile counters aside)."""
    reads = [(m, p, b) for m, p, b in endpoints(a_ids) + LISTS if m == "get"]
    client.force_login(bob)
    for _method, path, _body in reads:
        by_session = client.get(path)
        by_token = call(api, "get", path, None, token=bob_token)
        assert by_session.status_code == by_token.status_code == 200, path
        assert _stable(by_session.json()) == _stable(by_token.json()), path


def _stable(data):
    """The answer without the counters a read itself moves (views) and its own cursor."""
    if isinstance(data, dict):
        return {k: _stable(v) for k, v in data.items() if k not in ("views", "next_cursor")}
    if isinstance(data, list):
        return [_stable(v) for v in data]
    return data


def test_the_session_writes_as_a_token_does(client, a_ids, alice):
    client.force_login(alice)
    created = client.post(
        "/api/practices",
        {"topic": str(a_ids["topic"]), "title": "By session", "body": "b", "publish": True},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    practice_id = created.json()["id"]
    assert client.put(f"/api/practices/{a_ids['practice']}/reactions/useful").status_code == 200
    comment = client.post(
        f"/api/practices/{practice_id}/comments", {"body": "Hi"}, content_type="application/json"
    )
    assert comment.status_code == 201
    assert client.delete(f"/api/comments/{comment.json()['id']}").status_code == 204
    assert client.delete(f"/api/practices/{practice_id}").status_code == 204
    with unscoped("test"):
        assert Reaction.objects.filter(user=alice, kind="useful").count() == 1
        assert not Practice.objects.filter(pk=practice_id).exists()
