"""The feed (and the home page that shows it), search and bookmarks pages."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from grove.audit.models import AuditAction
from grove.core.testing.factories import PracticeFactory, ReactionFactory, TopicFactory
from grove.practices.attachments import attachment_add, prepare_upload
from grove.tenancy.context import tenant_context

from .test_attachments_samples import jpeg, upload
from .view_helpers import *  # noqa: F403 -- the shared fixtures
from .view_helpers import HTMX

FEED = reverse("practices:feed")
SEARCH = reverse("practices:search")


def _titles_in(response) -> str:
    return response.content.decode()


def test_the_feed_shows_the_organizations_published_practices(client, dave, practice):
    client.force_login(dave)

    response = client.get(FEED)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Two queues at lunch time" in page
    assert "Checkout" in page  # the topic
    assert "#queue" in page
    assert reverse("practices:member", args=[practice.author_id]) in page
    assert "Alice Anders" in page
    assert "0 adoptions" in page


def test_the_feed_never_shows_another_organizations_practices(client, charlie, practice):
    client.force_login(charlie)

    response = client.get(FEED)

    assert response.status_code == 200
    assert b"Two queues" not in response.content


def test_drafts_are_not_in_the_feed(client, dave, alice, topic):
    PracticeFactory(
        organization=alice.organization, author=alice, topic=topic, title="My draft", status="draft"
    )
    client.force_login(dave)

    assert b"My draft" not in client.get(FEED).content


def test_boosted_practices_come_first_with_a_badge_and_highlighted_ones_are_marked(
    client, dave, alice, topic
):
    now = timezone.now()
    PracticeFactory(organization=alice.organization, author=alice, topic=topic, title="Fresh tip")
    PracticeFactory(
        organization=alice.organization,
        author=alice,
        topic=topic,
        title="Old but boosted",
        published_at=now - datetime.timedelta(days=30),
        boosted_until=now + datetime.timedelta(days=3),
    )
    PracticeFactory(
        organization=alice.organization,
        author=alice,
        topic=topic,
        title="Featured one",
        published_at=now - datetime.timedelta(days=2),
        highlighted_at=now,
    )
    client.force_login(dave)

    page = client.get(FEED).content.decode()

    assert page.index("Old but boosted") < page.index("Fresh tip") < page.index("Featured one")
    assert page.count(">Boosted<") == 1
    assert page.count(">Highlighted<") == 1


def test_filters_narrow_the_feed(client, dave, alice, topic, practice):
    other_topic = TopicFactory(organization=alice.organization, name="Safety")
    PracticeFactory(
        organization=alice.organization, author=alice, topic=other_topic, title="Gloves on"
    )
    client.force_login(dave)

    by_topic = client.get(FEED, {"topic": other_topic.pk}).content.decode()
    by_tag = client.get(FEED, {"tag": "queue"}).content.decode()

    assert "Gloves on" in by_topic and "Two queues" not in by_topic
    assert "Two queues" in by_tag and "Gloves on" not in by_tag


def test_the_feed_orders_by_most_adopted(client, dave, alice, topic):
    PracticeFactory(organization=alice.organization, author=alice, topic=topic, title="Newer")
    PracticeFactory(
        organization=alice.organization,
        author=alice,
        topic=topic,
        title="Adopted a lot",
        adoption_count=12,
        published_at=timezone.now() - datetime.timedelta(days=9),
    )
    client.force_login(dave)

    page = client.get(FEED, {"order": "adopted"}).content.decode()

    assert page.index("Adopted a lot") < page.index("Newer")
    assert "12 adoptions" in page


def test_the_card_shows_the_first_photos_thumbnail(client, dave, alice, practice):
    with tenant_context(alice.organization_id):
        attachment = attachment_add(
            actor=alice, practice=practice, prepared=prepare_upload(upload(jpeg()))
        )
    client.force_login(dave)

    page = client.get(FEED).content.decode()

    assert reverse("media:thumbnail", args=[attachment.pk]) in page


def test_load_more_pages_with_a_cursor_and_htmx_gets_only_the_next_items(
    client, dave, alice, topic
):
    for number in range(25):
        PracticeFactory(
            organization=alice.organization,
            author=alice,
            topic=topic,
            title=f"Practice {number:02d}",
            published_at=timezone.now() - datetime.timedelta(hours=number),
        )
    client.force_login(dave)

    first = client.get(FEED)
    next_url = first.context["next_url"]
    more = client.get(next_url, headers=HTMX)
    plain = client.get(next_url)

    assert "Practice 00" in first.content.decode() and "Practice 24" not in first.content.decode()
    assert 'rel="next"' in first.content.decode()
    assert more.status_code == 200
    fragment = more.content.decode()
    assert "<html" not in fragment
    assert "Practice 24" in fragment and "Practice 00" not in fragment
    assert 'hx-swap-oob="true"' in fragment
    assert plain.status_code == 200 and "<html" in plain.content.decode()


@pytest.mark.parametrize("cursor", ["garbage", "eyJ4IjoxfQ", "a" * 500])
def test_a_bad_cursor_is_a_400_page_with_a_clear_message(client, dave, practice, cursor):
    client.force_login(dave)

    for url, params in (
        (FEED, {}),
        (SEARCH, {"q": "queue"}),
        (reverse("practices:bookmarks"), {}),
        (reverse("practices:members"), {}),
    ):
        response = client.get(url, {**params, "cursor": cursor})
        assert response.status_code == 400, url
        assert b"This page link is not valid" in response.content


def test_the_feed_records_a_list_of_the_ids_shown(client, dave, practice, events):
    client.force_login(dave)

    client.get(FEED)

    [event] = events(AuditAction.LIST)
    assert event.actor_id == dave.pk
    assert [str(value) for value in event.object_ids] == [str(practice.pk)]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("url", "action", "read"),
    [
        (FEED, AuditAction.LIST, "feed_page"),
        (SEARCH + "?q=queue", AuditAction.SEARCH, "search_page"),
    ],
)
def test_the_feed_and_search_pages_read_outside_a_request_transaction_and_record_it(
    client, dave, practice, events, monkeypatch, url, action, read
):
    # No BEGIN/COMMIT round trips for a read: each statement commits on its own, the access-log
    # append included; on PostgreSQL the tenant still reaches RLS (the practice is found).
    from django.db import connection

    from grove.practices import queries

    real, atomic = getattr(queries, read), []

    def spy(*args, **kwargs):
        atomic.append(connection.in_atomic_block)
        return real(*args, **kwargs)

    monkeypatch.setattr(queries, read, spy)
    client.force_login(dave)

    response = client.get(url)

    assert response.status_code == 200
    assert "Two queues at lunch time" in response.content.decode()
    assert atomic == [False]
    [event] = events(action)
    assert [str(value) for value in event.object_ids] == [str(practice.pk)]


# --- Home --------------------------------------------------------------------------------------


def test_members_land_on_the_feed_at_home(client, dave, practice):
    client.force_login(dave)

    response = client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Welcome, Dave" in page
    assert "Two queues at lunch time" in page


def test_staff_keep_their_own_home_page(staff_client, csm):
    response = staff_client(csm).get("/")

    assert response.status_code == 200
    assert b"Operator staff" in response.content


# --- Search ------------------------------------------------------------------------------------


def test_search_finds_a_practice_with_a_highlighted_snippet(client, dave, practice):
    client.force_login(dave)

    response = client.get(SEARCH, {"q": "second till"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Two queues at lunch time" in page
    assert "<mark>" in page


def test_search_without_words_shows_the_form_only(client, dave, practice):
    client.force_login(dave)

    response = client.get(SEARCH)

    assert response.status_code == 200
    assert b"Two queues" not in response.content


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced',
        "a & | ! b",
        "queue:* <-> (",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "\\",
        "%_%",
    ],
)
def test_search_strings_full_of_operators_and_quotes_are_answered(client, dave, practice, query):
    client.force_login(dave)

    response = client.get(SEARCH, {"q": query})

    assert response.status_code == 200
    assert b"<script>alert(1)</script>" not in response.content


def test_search_never_finds_another_organizations_practices(client, charlie, practice):
    client.force_login(charlie)

    response = client.get(SEARCH, {"q": "queues"})

    assert b"Two queues" not in response.content


# --- Bookmarks ---------------------------------------------------------------------------------


def test_bookmarks_lists_what_the_member_bookmarked(client, dave, alice, topic, practice):
    PracticeFactory(organization=alice.organization, author=alice, topic=topic, title="Not kept")
    ReactionFactory(practice=practice, user=dave, kind="bookmark")
    client.force_login(dave)

    page = client.get(reverse("practices:bookmarks")).content.decode()

    assert "Two queues at lunch time" in page
    assert "Not kept" not in page


def _queries_for_feed(client, count: int, alice, topic) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for number in range(count):
        practice = PracticeFactory(
            organization=alice.organization,
            author=alice,
            topic=topic,
            title=f"Batch {count} {number}",
            tags=["a", "b"],
            target_countries=["FR"],
        )
        ReactionFactory(practice=practice, user=alice, kind="useful")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(FEED)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_feed_page_runs_as_many_queries_for_3_cards_as_for_20(client, alice, topic):
    client.force_login(alice)

    few = _queries_for_feed(client, 3, alice, topic)
    many = _queries_for_feed(client, 17, alice, topic)  # 20 cards now

    assert few == many
