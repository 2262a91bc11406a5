"""The feed endpoint: filters, order, cursor pages, its limits, and a constant number of
queries whatever the page size (the benchmarked endpoint)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from grove.audit.models import AuditAction
from grove.core.testing.factories import (
    CommentFactory,
    JobTypeFactory,
    PracticeFactory,
    ReactionFactory,
    TopicFactory,
)
from grove.practices.models import Attachment, AttachmentKind
from grove.tenancy.context import unscoped

from .conftest import audit_events

pytestmark = pytest.mark.django_db

FEED = "/api/practices"


@pytest.fixture
def topic(org_a):
    return TopicFactory(organization=org_a, name="Checkout")


def publish_many(org, author, topic, n, *, start=None):
    """``n`` published practices, one minute apart, newest last; each with tags, a comment,
    a reaction and a photo, so that every relation the feed shows is there to fetch."""
    start = start or timezone.now() - datetime.timedelta(days=1)
    made = []
    for i in range(n):
        practice = PracticeFactory(
            organization=org,
            author=author,
            topic=topic,
            published_at=start + datetime.timedelta(minutes=i),
            tags=[f"tag{i % 3}", "common"],
        )
        CommentFactory(practice=practice, author=author)
        ReactionFactory(practice=practice, user=author, kind="bookmark")
        with unscoped("test set-up"):
            Attachment.objects.create(
                organization=org,
                practice=practice,
                kind=AttachmentKind.IMAGE,
                file=f"practices/x/{i}.jpg",
                thumbnail=f"practices/x/{i}-t.webp",
                content_type="image/jpeg",
                size=1,
            )
        made.append(practice)
    return made


def test_the_feed_shows_the_organizations_published_practices_newest_first(
    api, alice_token, alice, bob, org_a, org_b, topic
):
    made = publish_many(org_a, bob, topic, 3)
    PracticeFactory(organization=org_a, author=bob, topic=topic, status="draft")
    PracticeFactory(organization=org_b)
    response = api.get(FEED, token=alice_token)
    assert response.status_code == 200
    data = response.json()
    assert [p["id"] for p in data["items"]] == [str(p.pk) for p in reversed(made)]
    assert data["boosted"] == [] and data["next_cursor"] is None
    first = data["items"][0]
    assert first["tags"] == ["common", "tag2"]
    assert first["attachments"][0]["thumbnail_url"].endswith("/thumbnail")
    [event] = audit_events(AuditAction.LIST, "practice")
    assert event.object_ids == [p["id"] for p in data["items"]]


def test_the_feed_pages_with_a_cursor(api, alice_token, bob, org_a, topic):
    made = publish_many(org_a, bob, topic, 5)
    seen, cursor = [], None
    for _ in range(3):
        params = {"page_size": 2, **({"cursor": cursor} if cursor else {})}
        data = api.get(FEED, token=alice_token, **params).json()
        seen += [p["id"] for p in data["items"]]
        cursor = data["next_cursor"]
        if not cursor:
            break
    assert seen == [str(p.pk) for p in reversed(made)]


def test_the_feed_filters_and_orders(api, alice_token, alice, bob, org_a, topic):
    other_topic = TopicFactory(organization=org_a, name="Stock")
    job = JobTypeFactory(organization=org_a, name="Driver")
    tagged = PracticeFactory(organization=org_a, author=bob, topic=topic, tags=["queue"])
    adopted = PracticeFactory(organization=org_a, author=bob, topic=other_topic)
    with unscoped("test set-up"):
        adopted.adoption_count = 9
        adopted.save(update_fields=["adoption_count"])
    PracticeFactory(organization=org_a, author=bob, topic=topic, target_job_types=[job])
    ids = lambda r: [p["id"] for p in r.json()["items"]]  # noqa: E731
    assert ids(api.get(FEED, token=alice_token, tag="queue")) == [str(tagged.pk)]
    assert ids(api.get(FEED, token=alice_token, topic=str(other_topic.pk))) == [str(adopted.pk)]
    assert ids(api.get(FEED, token=alice_token, order="adopted"))[0] == str(adopted.pk)
    # Targeted at drivers: Alice (store staff) does not see it.
    assert len(ids(api.get(FEED, token=alice_token))) == 2


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": 0},
        {"page_size": 51},
        {"page_size": 10**12},
        {"page_size": "many"},
        {"order": "random"},
        {"topic": "not-a-uuid"},
        {"country": "FRANCE"},
    ],
)
def test_bad_feed_parameters_are_a_422(api, alice_token, params):
    assert api.get(FEED, token=alice_token, **params).status_code == 422


@pytest.mark.parametrize("cursor", ["garbage", "eyJ4IjoxfQ", "a" * 400, "!!!"])
def test_a_forged_cursor_is_a_400(api, alice_token, bob, org_a, topic, cursor):
    publish_many(org_a, bob, topic, 1)
    response = api.get(FEED, token=alice_token, cursor=cursor)
    assert response.status_code == 400
    assert response.json() == {"detail": "Invalid cursor."}


def _feed_queries(client, page_size) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(FEED, {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["items"]) == page_size
    return len(captured.captured_queries)


def test_the_feed_costs_the_same_queries_whatever_the_page_size(
    client, alice, bob, org_a, topic, django_assert_num_queries
):
    publish_many(org_a, bob, topic, 26)
    with unscoped("test set-up"):
        from grove.practices.models import Practice

        boosted = Practice.objects.filter(organization=org_a).first()
        boosted.boosted_until = timezone.now() + datetime.timedelta(days=1)
        boosted.save(update_fields=["boosted_until"])
    client.force_login(alice)
    client.get(FEED)  # warm: the session's user, the first month's activity row
    small = _feed_queries(client, 5)
    with django_assert_num_queries(small):
        client.get(FEED, {"page_size": 25})


def test_a_token_feed_request_costs_the_same_queries_whatever_the_page_size(
    api, alice_token, bob, org_a, topic, django_assert_num_queries
):
    publish_many(org_a, bob, topic, 26)
    api.get(FEED, token=alice_token)  # last_used_at written: not again within the minute
    with CaptureQueriesContext(connection) as captured:
        api.get(FEED, token=alice_token, page_size=5)
    with django_assert_num_queries(len(captured.captured_queries)):
        response = api.get(FEED, token=alice_token, page_size=25)
    assert len(response.json()["items"]) == 25


# --- PostgreSQL: row-level security with a token ------------------------------------------------


@pytest.mark.postgres
def test_on_postgres_a_token_feed_shows_its_organization_only(
    api, alice_token, charlie_token, bob, charlie, org_a, org_b, topic
):
    a = publish_many(org_a, bob, topic, 2)
    b = publish_many(org_b, charlie, TopicFactory(organization=org_b), 2)
    a_feed = [p["id"] for p in api.get(FEED, token=alice_token).json()["items"]]
    b_feed = [p["id"] for p in api.get(FEED, token=charlie_token).json()["items"]]
    assert sorted(a_feed) == sorted(str(p.pk) for p in a)
    assert sorted(b_feed) == sorted(str(p.pk) for p in b)
    search = api.get("/api/practices/search", token=charlie_token, q="thing").json()["items"]
    assert {p["id"] for p in search} <= {str(p.pk) for p in b}


@pytest.mark.postgres
def test_on_postgres_the_token_scope_reaches_the_database_settings(api, alice_token, org_a):
    """The request runs with grove.organization_id set to the token's organization (RLS)."""
    from grove.api import organization as organization_endpoints

    seen = {}
    original = organization_endpoints.Topic.objects.order_by

    def spy(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('grove.organization_id', true)")
            seen["org"] = cursor.fetchone()[0]
        return original(*args, **kwargs)

    organization_endpoints.Topic.objects.order_by = spy
    try:
        assert api.get("/api/topics", token=alice_token).status_code == 200
    finally:
        del organization_endpoints.Topic.objects.order_by
    assert seen["org"] == str(org_a.pk)


def test_the_feed_and_search_answers_match_their_documented_schemas(
    api, alice_token, bob, org_a, topic
):
    """Those two are rendered without ninja's output validation (speed): check them here."""
    from grove.api.schemas import FeedOut, PracticeOut, SearchOut, SearchResultOut

    made = publish_many(org_a, bob, topic, 3)
    with unscoped("test set-up"):
        from grove.practices.models import Practice

        Practice.objects.filter(pk=made[0].pk).update(
            boosted_until=timezone.now() + datetime.timedelta(days=1)
        )
    feed = api.get(FEED, token=alice_token).json()
    assert feed["boosted"]
    FeedOut.model_validate(feed)
    for item in feed["items"] + feed["boosted"]:
        assert set(item) == set(PracticeOut.model_fields)
    search = api.get("/api/practices/search", token=alice_token, q="thing").json()
    assert search["items"]
    SearchOut.model_validate(search)
    assert set(search["items"][0]) == set(SearchResultOut.model_fields)
