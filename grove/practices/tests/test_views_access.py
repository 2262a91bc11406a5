"""Who may reach each practices page: a login first; another organization's ids are 404 (never
403, never its content); a member without the manager role gets the logged 404 on manager pages
and a 403 from the action on manager buttons."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from grove.audit.models import AuditAction
from grove.core.testing.factories import CommentFactory, JobTypeFactory, TopicFactory
from grove.practices.models import Comment, Practice, Reaction, Topic
from grove.tenancy.models import JobType

from .view_helpers import *  # noqa: F403 -- the shared fixtures
from .view_helpers import rows

PAGES = [
    ("practices:feed", None),
    ("practices:search", None),
    ("practices:create", None),
    ("practices:mine", None),
    ("practices:bookmarks", None),
    ("practices:members", None),
    ("practices:moderation", None),
    ("practices:topics", None),
    ("practices:job_types", None),
    ("practices:settings", None),
    ("practices:detail", "practice"),
    ("practices:edit", "practice"),
    ("practices:delete", "practice"),
    ("practices:member", "user"),
]

POSTS = [
    ("practices:react", "practice", "adopted"),
    ("practices:comment_add", "practice", None),
    ("practices:publish", "practice", None),
    ("practices:curate", "practice", "highlight"),
    ("practices:comment_delete", "comment", None),
    ("practices:topic_rename", "topic", None),
    ("practices:topic_delete", "topic", None),
    ("practices:job_type_rename", "job_type", None),
    ("practices:job_type_delete", "job_type", None),
]


def _url(name, kind, extra, objects):
    args = []
    if kind:
        args.append(objects[kind].pk)
    if extra:
        args.append(extra)
    return reverse(name, args=args)


@pytest.fixture
def a_objects(alice, practice, topic, org_a):
    comment = CommentFactory(practice=practice, author=alice)
    return {
        "practice": practice,
        "user": alice,
        "comment": comment,
        "topic": topic,
        "job_type": JobTypeFactory(organization=org_a, name="Cashier"),
    }


@pytest.mark.parametrize(("name", "kind"), PAGES)
def test_every_page_requires_a_login(client, a_objects, name, kind):
    response = client.get(_url(name, kind, None, a_objects))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(("name", "kind", "extra"), POSTS)
def test_every_button_requires_a_login(client, a_objects, name, kind, extra):
    response = client.post(_url(name, kind, extra, a_objects), {"body": "x", "name": "x"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize(
    ("name", "kind"), [(n, k) for n, k in PAGES if k is not None], ids=lambda v: str(v)
)
def test_charlie_gets_404_on_organization_a_objects(client, charlie, a_objects, name, kind):
    client.force_login(charlie)

    response = client.get(_url(name, kind, None, a_objects))

    assert response.status_code == 404
    assert b"Two queues" not in response.content
    assert b"Alice" not in response.content


@pytest.mark.parametrize(("name", "kind", "extra"), POSTS)
def test_charlie_gets_404_on_organization_a_buttons_and_nothing_changes(
    client, charlie, a_objects, name, kind, extra
):
    client.force_login(charlie)

    response = client.post(
        _url(name, kind, extra, a_objects), {"body": "hello", "name": "Renamed", "on": "1"}
    )

    assert response.status_code == 404
    assert rows(Reaction) == []
    assert len(rows(Comment)) == 1
    assert [t.name for t in rows(Topic, organization=a_objects["topic"].organization)] == [
        "Checkout"
    ]
    assert rows(JobType, name="Renamed") == []
    assert rows(Practice, pk=a_objects["practice"].pk)[0].highlighted_at is None


def test_charlie_gets_404_on_a_forged_practice_id(client, charlie):
    client.force_login(charlie)

    assert client.get(reverse("practices:detail", args=[uuid.uuid4()])).status_code == 404


def test_charlie_cannot_filter_his_feed_with_organization_a_topic(client, charlie, topic, practice):
    client.force_login(charlie)

    response = client.get(reverse("practices:feed"), {"topic": topic.pk})

    assert response.status_code == 200
    assert b"Two queues" not in response.content
    assert b"Checkout" not in response.content


def test_charlie_cannot_reply_to_a_comment_of_organization_a(
    client, charlie, other_practice, a_objects
):
    client.force_login(charlie)

    response = client.post(
        reverse("practices:comment_add", args=[other_practice.pk]),
        {"body": "reply", "parent": a_objects["comment"].pk},
    )

    assert response.status_code == 404
    assert rows(Comment, practice=other_practice) == []


@pytest.mark.parametrize(
    "name",
    ["practices:moderation", "practices:topics", "practices:job_types", "practices:settings"],
)
def test_a_member_gets_the_logged_404_on_manager_pages(client, alice, events, name):
    client.force_login(alice)

    response = client.get(reverse(name))

    assert response.status_code == 404
    assert [e.actor_id for e in events(AuditAction.ACCESS_DENIED)] == [alice.pk]


@pytest.mark.parametrize(
    "operation", ["highlight", "archive", "boost", "unboost", "unhighlight", "validate", "reject"]
)
def test_a_member_gets_403_on_curation_buttons(client, dave, practice, operation):
    client.force_login(dave)

    response = client.post(
        reverse("practices:curate", args=[practice.pk, operation]),
        {"until": "2999-01-01", "reason": "no"},
    )

    assert response.status_code in (400, 403)  # a form error first, else the action's 403
    stored = rows(Practice, pk=practice.pk)[0]
    assert stored.highlighted_at is None
    assert stored.boosted_until is None
    assert stored.status == "published"


@pytest.mark.parametrize("operation", ["highlight", "archive"])
def test_the_action_refuses_a_member_with_403(client, dave, practice, operation):
    client.force_login(dave)

    response = client.post(reverse("practices:curate", args=[practice.pk, operation]))

    assert response.status_code == 403


def test_a_member_gets_403_when_posting_to_manager_lists(client, alice, topic):
    client.force_login(alice)

    assert client.post(reverse("practices:topics"), {"name": "New"}).status_code == 403
    assert (
        client.post(reverse("practices:topic_rename", args=[topic.pk]), {"name": "X"}).status_code
        == 403
    )
    assert client.post(reverse("practices:topic_delete", args=[topic.pk])).status_code == 403
    assert client.post(reverse("practices:settings"), {}).status_code == 403
    assert [t.name for t in rows(Topic)] == ["Checkout"]


def test_a_member_cannot_edit_or_delete_someone_elses_practice(client, dave, practice):
    client.force_login(dave)

    assert client.get(reverse("practices:edit", args=[practice.pk])).status_code == 404
    assert client.post(reverse("practices:delete", args=[practice.pk])).status_code == 404
    assert rows(Practice, pk=practice.pk)


def test_a_member_cannot_delete_someone_elses_comment(client, dave, alice, practice):
    comment = CommentFactory(practice=practice, author=alice)
    client.force_login(dave)

    response = client.post(reverse("practices:comment_delete", args=[comment.pk]))

    assert response.status_code == 403
    assert rows(Comment, pk=comment.pk)


def test_staff_without_an_organization_get_404_on_member_pages(staff_client, csm):
    response = staff_client(csm).get(reverse("practices:feed"))

    assert response.status_code == 404


def test_an_unknown_topic_of_another_organization_gives_404_for_a_manager(client, bob, charlie):
    foreign = TopicFactory(organization=charlie.organization, name="Foreign")
    client.force_login(bob)

    response = client.post(reverse("practices:topic_delete", args=[foreign.pk]))

    assert response.status_code == 404
    assert rows(Topic, pk=foreign.pk)
