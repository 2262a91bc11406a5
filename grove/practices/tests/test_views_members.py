"""Members list and profile pages, and the member's own practices."""

from __future__ import annotations

from django.urls import reverse

from grove.audit.models import AuditAction
from grove.core.testing.factories import PracticeFactory, UserFactory

from .view_helpers import *  # noqa: F403 -- the shared fixtures
from .view_helpers import HTMX


def test_the_members_list_shows_the_organization_only_and_searches_by_name(
    client, alice, dave, charlie
):
    client.force_login(alice)

    everyone = client.get(reverse("practices:members")).content.decode()
    found = client.get(reverse("practices:members"), {"q": "dun"}).content.decode()

    assert "Alice Anders" in everyone and "Dave Dunn" in everyone
    assert "Charlie" not in everyone
    assert "Dave Dunn" in found and "Alice Anders" not in found


def test_the_members_list_pages_with_htmx(client, alice, org_a):
    for number in range(35):
        UserFactory(organization=org_a, first_name="Zed", last_name=f"Zulu{number:02d}")
    client.force_login(alice)

    first = client.get(reverse("practices:members"))
    more = client.get(first.context["next_url"], headers=HTMX)

    assert "Zulu34" not in first.content.decode()
    assert "Zulu34" in more.content.decode()
    assert "<html" not in more.content.decode()


def test_a_members_profile_shows_their_published_practices(
    client, dave, alice, practice, topic, events
):
    PracticeFactory(
        organization=alice.organization, author=alice, topic=topic, title="Hidden", status="draft"
    )
    client.force_login(dave)

    response = client.get(reverse("practices:member", args=[alice.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Alice Anders</h1>" in page
    assert "Store staff" in page
    assert "Two queues at lunch time" in page
    assert "Hidden" not in page
    [view] = events(AuditAction.VIEW)
    assert view.subject_user_id == alice.pk


def test_my_practices_lists_every_status_and_filters(client, alice, topic, practice):
    PracticeFactory(
        organization=alice.organization, author=alice, topic=topic, title="A draft", status="draft"
    )
    client.force_login(alice)

    everything = client.get(reverse("practices:mine")).content.decode()
    drafts = client.get(reverse("practices:mine"), {"status": "draft"}).content.decode()
    unknown = client.get(reverse("practices:mine"), {"status": "nonsense"})

    assert "A draft" in everything and "Two queues" in everything
    assert "A draft" in drafts and "Two queues" not in drafts
    assert unknown.status_code == 200


def test_my_practices_never_lists_someone_elses(client, dave, practice):
    client.force_login(dave)

    assert b"Two queues" not in client.get(reverse("practices:mine")).content
