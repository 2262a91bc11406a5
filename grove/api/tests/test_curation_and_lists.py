"""Managers curate and manage the organization's lists through the API; members are refused
(403 from the actions, the moderation queue's logged 404 as on the web)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from grove.audit.models import AuditAction
from grove.core.testing.factories import JobTypeFactory, PracticeFactory, TopicFactory
from grove.practices.models import Practice, Topic
from grove.tenancy.context import unscoped
from grove.tenancy.models import JobType

from .conftest import audit_events

pytestmark = pytest.mark.django_db


def practice_row(pk) -> Practice:
    with unscoped("test: read the practice"):
        return Practice.objects.get(pk=pk)


@pytest.fixture
def topic(org_a):
    return TopicFactory(organization=org_a, name="Checkout")


@pytest.fixture
def published(org_a, alice, topic):
    return PracticeFactory(organization=org_a, author=alice, topic=topic)


@pytest.fixture
def pending(org_a, alice, topic):
    return PracticeFactory(organization=org_a, author=alice, topic=topic, status="pending")


def in_three_days() -> str:
    return (timezone.now() + datetime.timedelta(days=3)).isoformat()


# --- Curation -----------------------------------------------------------------------------------


def test_a_manager_validates_a_pending_practice(api, bob_token, pending):
    queue = api.get("/api/moderation", token=bob_token).json()["items"]
    assert [p["id"] for p in queue] == [str(pending.pk)]
    response = api.post(f"/api/practices/{pending.pk}/validate", token=bob_token)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "published"
    assert practice_row(pending.pk).status == "published"
    assert api.get("/api/moderation", token=bob_token).json()["items"] == []


def test_a_manager_rejects_with_a_reason(api, bob_token, pending):
    response = api.post(
        f"/api/practices/{pending.pk}/reject", {"reason": "Add a photo"}, token=bob_token
    )
    assert response.status_code == 200
    assert practice_row(pending.pk).status == "draft"


def test_a_manager_boosts_and_unboosts(api, bob_token, published):
    until = in_three_days()
    response = api.post(f"/api/practices/{published.pk}/boost", {"until": until}, token=bob_token)
    assert response.status_code == 200, response.content
    assert practice_row(published.pk).boosted_until is not None
    feed = api.get("/api/practices", token=bob_token).json()
    assert [p["id"] for p in feed["boosted"]] == [str(published.pk)]
    assert api.delete(f"/api/practices/{published.pk}/boost", token=bob_token).status_code == 200
    assert practice_row(published.pk).boosted_until is None


@pytest.mark.parametrize(
    "until", ["2001-01-01T00:00:00Z", "2026-13-45", "tomorrow", "", "2999-01-01T00:00:00Z"]
)
def test_a_bad_boost_date_is_refused(api, bob_token, published, until):
    response = api.post(f"/api/practices/{published.pk}/boost", {"until": until}, token=bob_token)
    assert response.status_code == 422
    assert practice_row(published.pk).boosted_until is None


def test_a_manager_highlights_and_archives(api, bob_token, published):
    path = f"/api/practices/{published.pk}"
    assert api.post(f"{path}/highlight", token=bob_token).json()["highlighted"] is True
    assert practice_row(published.pk).highlighted_at is not None
    assert api.delete(f"{path}/highlight", token=bob_token).json()["highlighted"] is False
    assert api.post(f"{path}/archive", token=bob_token).json()["status"] == "archived"
    assert api.delete(f"{path}/archive", token=bob_token).json()["status"] == "published"
    updates = audit_events(AuditAction.UPDATE, "practice")
    assert len(updates) == 4
    assert all(e.object_ids == [str(published.pk)] for e in updates)


def test_a_member_may_not_curate(api, alice_token, published, pending):
    before = (practice_row(published.pk).__dict__.copy(), practice_row(pending.pk).status)
    calls = [
        ("post", f"/api/practices/{published.pk}/boost", {"until": in_three_days()}),
        ("delete", f"/api/practices/{published.pk}/boost", None),
        ("post", f"/api/practices/{published.pk}/highlight", None),
        ("delete", f"/api/practices/{published.pk}/highlight", None),
        ("post", f"/api/practices/{published.pk}/archive", None),
        ("delete", f"/api/practices/{published.pk}/archive", None),
        ("post", f"/api/practices/{pending.pk}/validate", None),  # her own pending practice
        ("post", f"/api/practices/{pending.pk}/reject", {"reason": "no"}),
    ]
    for method, path, body in calls:
        response = (
            getattr(api, method)(path, body, token=alice_token)
            if method == "post"
            else api.delete(path, token=alice_token)
        )
        assert response.status_code == 403, (path, response.content)
    after = practice_row(published.pk).__dict__
    assert {k: v for k, v in after.items() if k != "_state"} == {
        k: v for k, v in before[0].items() if k != "_state"
    }
    assert practice_row(pending.pk).status == before[1]


def test_a_member_gets_the_moderation_queues_404(api, alice_token, pending):
    response = api.get("/api/moderation", token=alice_token)
    assert response.status_code == 404
    assert audit_events(AuditAction.ACCESS_DENIED)


# --- Topics and job types -----------------------------------------------------------------------


def test_a_manager_manages_topics(api, bob_token, org_a):
    created = api.post("/api/topics", {"name": "Safety"}, token=bob_token)
    assert created.status_code == 201, created.content
    topic_id = created.json()["id"]
    renamed = api.patch(f"/api/topics/{topic_id}", {"name": "Health and safety"}, token=bob_token)
    assert renamed.json()["name"] == "Health and safety"
    assert [t["name"] for t in api.get("/api/topics", token=bob_token).json()] == [
        "Health and safety"
    ]
    assert api.delete(f"/api/topics/{topic_id}", token=bob_token).status_code == 204
    with unscoped("test"):
        assert not Topic.objects.exists()
    assert len(audit_events(object_type="topic")) == 3


def test_a_topic_in_use_cannot_be_deleted(api, bob_token, published):
    response = api.delete(f"/api/topics/{published.topic_id}", token=bob_token)
    assert response.status_code == 422
    with unscoped("test"):
        assert Topic.objects.filter(pk=published.topic_id).exists()


def test_a_duplicate_topic_is_refused(api, bob_token, topic):
    response = api.post("/api/topics", {"name": "Checkout"}, token=bob_token)
    assert response.status_code == 422
    assert "name" in response.json()["errors"]


def test_a_manager_manages_job_types(api, bob_token, org_a):
    created = api.post("/api/job-types", {"name": "Baker"}, token=bob_token)
    assert created.status_code == 201
    job_id = created.json()["id"]
    assert (
        api.patch(f"/api/job-types/{job_id}", {"name": "Chef"}, token=bob_token).json()["name"]
        == "Chef"
    )
    assert api.delete(f"/api/job-types/{job_id}", token=bob_token).status_code == 204
    with unscoped("test"):
        assert not JobType.objects.filter(pk=job_id).exists()


def test_a_job_type_held_by_a_member_cannot_be_deleted(api, bob_token, alice):
    response = api.delete(f"/api/job-types/{alice.job_type_id}", token=bob_token)
    assert response.status_code == 422


def test_a_member_may_read_but_not_change_the_lists(api, alice_token, topic, org_a):
    job = JobTypeFactory(organization=org_a, name="Baker")
    assert api.get("/api/topics", token=alice_token).status_code == 200
    assert api.get("/api/job-types", token=alice_token).status_code == 200
    refused = [
        api.post("/api/topics", {"name": "Mine"}, token=alice_token),
        api.patch(f"/api/topics/{topic.pk}", {"name": "Mine"}, token=alice_token),
        api.delete(f"/api/topics/{topic.pk}", token=alice_token),
        api.post("/api/job-types", {"name": "Mine"}, token=alice_token),
        api.patch(f"/api/job-types/{job.pk}", {"name": "Mine"}, token=alice_token),
        api.delete(f"/api/job-types/{job.pk}", token=alice_token),
    ]
    assert [r.status_code for r in refused] == [403] * 6
    with unscoped("test"):
        assert list(Topic.objects.values_list("name", flat=True)) == ["Checkout"]
        assert set(JobType.objects.values_list("name", flat=True)) == {"Baker", "Store staff"}


# --- Members ------------------------------------------------------------------------------------


def test_members_of_the_organization(api, alice_token, alice, bob, charlie):
    response = api.get("/api/members", token=alice_token)
    assert response.status_code == 200
    names = [m["name"] for m in response.json()["items"]]
    assert names == ["Alice Anders", "Bob Berg"]
    found = api.get("/api/members", token=alice_token, q="bob").json()["items"]
    assert [m["id"] for m in found] == [str(bob.pk)]
    assert audit_events(AuditAction.LIST, "user")


def test_a_members_profile(api, alice_token, bob, org_a, topic):
    PracticeFactory(organization=org_a, author=bob, topic=topic, title="Bob's tip")
    response = api.get(f"/api/members/{bob.pk}", token=alice_token)
    assert response.status_code == 200
    data = response.json()
    assert (data["name"], data["country"]) == ("Bob Berg", "DE")
    assert [p["title"] for p in data["practices"]] == ["Bob's tip"]
    assert "email" not in data
    [event] = audit_events(AuditAction.VIEW, "user")
    assert event.subject_user_id == bob.pk


def test_a_bad_members_cursor_is_a_400(api, alice_token):
    response = api.get("/api/members", token=alice_token, cursor="garbage")
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid cursor."}
