"""ATOMIC_REQUESTS by method (grove/api/urls.py): the API's reads run without the request's
transaction (no BEGIN/COMMIT round trips) and are still recorded; its writes keep one
transaction around the whole operation. Real transactions: the tests are transactional."""

from __future__ import annotations

import pytest
from django.db import connection

from grove.audit.models import AuditAction
from grove.core.testing.factories import PracticeFactory, TopicFactory
from grove.practices import queries
from grove.practices.models import Practice
from grove.tenancy.context import unscoped

from .conftest import audit_events, make_token

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def practice(org_a, bob):
    topic = TopicFactory(organization=org_a, name="Checkout")
    return PracticeFactory(
        organization=org_a, author=bob, topic=topic, title="Two queues at lunch time"
    )


def _spy(monkeypatch, name: str) -> list[bool]:
    real, atomic = getattr(queries, name), []

    def spy(*args, **kwargs):
        atomic.append(connection.in_atomic_block)
        return real(*args, **kwargs)

    monkeypatch.setattr(queries, name, spy)
    return atomic


@pytest.mark.parametrize("by", ["session", "token"])
@pytest.mark.parametrize(
    ("url", "read", "action"),
    [
        ("/api/practices", "feed_page", AuditAction.LIST),
        ("/api/practices/search?q=queues", "search_page", AuditAction.SEARCH),
    ],
)
def test_an_api_read_runs_outside_a_request_transaction_and_is_recorded(
    client, alice, practice, monkeypatch, by, url, read, action
):
    # On PostgreSQL the tenant still reaches RLS statement by statement: the practice is found.
    headers = {}
    if by == "session":
        client.force_login(alice)
    else:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {make_token(alice)}"
    atomic = _spy(monkeypatch, read)

    response = client.get(url, **headers)

    assert response.status_code == 200, response.content
    assert [item["id"] for item in response.json()["items"]] == [str(practice.pk)]
    assert atomic == [False]
    [event] = audit_events(action, "practice")
    assert event.object_ids == [str(practice.pk)]
    assert str(event.actor_id) == str(alice.pk)


def test_a_foreign_id_is_still_a_404_outside_the_request_transaction(client, charlie, practice):
    client.force_login(charlie)

    response = client.get(f"/api/practices/{practice.pk}")

    assert response.status_code == 404


def test_an_api_write_that_fails_half_way_leaves_nothing_written(
    client, alice, practice, monkeypatch
):
    # The action commits its own block, then the operation fails before answering: the
    # request's transaction around the whole operation takes the practice and its event back.
    from grove.api import practices as endpoints

    atomic = []

    def fail(request, written):
        atomic.append(connection.in_atomic_block)
        raise RuntimeError("fails after the action")

    monkeypatch.setattr(endpoints, "_written", fail)
    client.force_login(alice)
    client.raise_request_exception = False
    events_before = len(audit_events())

    response = client.post(
        "/api/practices",
        {"topic": str(practice.topic_id), "title": "Half way", "body": "x", "tags": []},
        content_type="application/json",
    )

    assert response.status_code == 500
    assert atomic == [True]
    with unscoped("test: nothing written"):
        assert not Practice.objects.filter(title="Half way").exists()
    assert len(audit_events()) == events_before


def test_an_api_write_that_succeeds_is_committed(client, alice, practice):
    client.force_login(alice)

    response = client.post(
        "/api/practices",
        {"topic": str(practice.topic_id), "title": "Kept", "body": "x", "tags": []},
        content_type="application/json",
    )

    assert response.status_code == 201, response.content
    with unscoped("test: written"):
        assert Practice.objects.filter(title="Kept").exists()
