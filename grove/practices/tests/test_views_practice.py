"""A practice's page: its body and media, reactions and comments (htmx and plain forms), the
author's buttons, and what a hostile body turns into."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from grove.audit.models import AuditAction
from grove.core.testing.factories import CommentFactory, PracticeFactory, ReactionFactory
from grove.practices import actions
from grove.practices.attachments import attachment_add, prepare_upload
from grove.practices.models import Comment, Practice, PracticeRead, Reaction
from grove.tenancy.context import tenant_context

from .test_attachments_samples import jpeg, mp4_with_location, upload
from .view_helpers import *  # noqa: F403 -- the shared fixtures
from .view_helpers import HTMX, fresh, rows

# A live link or handler: an element whose attribute runs script (escaped text is harmless).
JAVASCRIPT_LINK = re.compile(r"<[a-z][^<>]*\s(href|src|on[a-z]+)\s*=\s*[\"']?\s*javascript", re.I)


def detail(practice) -> str:
    return reverse("practices:detail", args=[practice.pk])


def react(practice, kind: str) -> str:
    return reverse("practices:react", args=[practice.pk, kind])


def test_the_page_shows_the_practice_counts_a_view_and_records_it(client, dave, practice, events):
    client.force_login(dave)

    response = client.get(detail(practice))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Two queues at lunch time</h1>" in page
    assert "Open a second till at noon." in page
    assert fresh(practice).view_count == 1
    assert [r.user_id for r in rows(PracticeRead, practice=practice)] == [dave.pk]
    assert [e.actor_id for e in events(AuditAction.VIEW)] == [dave.pk]


def test_a_body_with_script_and_javascript_links_is_neutralised(client, alice, dave, topic):
    with tenant_context(alice.organization_id):
        hostile = actions.practice_create(
            actor=alice,
            topic=topic,
            title="<script>alert('title')</script>",
            body=(
                "Hello <script>alert('body')</script>\n\n"
                "[click](javascript:alert('link')) <a href=\"javascript:alert(2)\">x</a> "
                '<img src=x onerror="alert(3)">'
            ),
            language="en",
            publish=True,
        )
    client.force_login(dave)

    page = client.get(detail(hostile)).content.decode().lower()

    assert "<script>alert" not in page
    assert not JAVASCRIPT_LINK.search(page)
    assert "<img src=x onerror" not in page
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in page


def test_photos_link_their_thumbnail_to_the_full_image_and_videos_play(
    client, dave, alice, practice
):
    with tenant_context(alice.organization_id):
        photo = attachment_add(
            actor=alice, practice=practice, prepared=prepare_upload(upload(jpeg()))
        )
        video = attachment_add(
            actor=alice,
            practice=practice,
            prepared=prepare_upload(upload(mp4_with_location(), "clip.mp4", "video/mp4")),
        )
    client.force_login(dave)

    page = client.get(detail(practice)).content.decode()

    full = reverse("media:attachment", args=[photo.pk])
    thumbnail = reverse("media:thumbnail", args=[photo.pk])
    assert f'<a href="{full}"><img src="{thumbnail}"' in page
    assert (
        f'<video controls preload="metadata" src="{reverse("media:attachment", args=[video.pk])}"'
        in page
    )


# --- Reactions ---------------------------------------------------------------------------------


def test_adopting_with_htmx_swaps_the_counter_and_the_pressed_state(client, dave, practice):
    client.force_login(dave)

    response = client.post(react(practice, "adopted"), {"on": "1"}, headers=HTMX)

    assert response.status_code == 200
    fragment = response.content.decode()
    assert "<html" not in fragment
    assert "1 adoption" in fragment
    assert 'aria-pressed="true">I adopted it' in fragment
    assert fresh(practice).adoption_count == 1
    assert [(r.user_id, r.kind) for r in rows(Reaction)] == [(dave.pk, "adopted")]


def test_a_plain_form_reaction_redirects_back_to_the_practice(client, dave, practice):
    client.force_login(dave)

    response = client.post(react(practice, "useful"), {"on": "1"})

    assert response.status_code == 302
    assert response["Location"] == detail(practice) + "#reactions"
    assert fresh(practice).useful_count == 1


def test_pressing_again_takes_the_mark_back(client, dave, practice):
    client.force_login(dave)
    client.post(react(practice, "bookmark"), {"on": "1"})

    response = client.post(react(practice, "bookmark"), {"on": "0"}, headers=HTMX)

    assert 'aria-pressed="false">Bookmark' in response.content.decode()
    assert rows(Reaction) == []


def test_the_page_shows_the_members_own_marks_as_pressed(client, dave, practice):
    ReactionFactory(practice=practice, user=dave, kind="useful")
    client.force_login(dave)

    page = client.get(detail(practice)).content.decode()

    assert 'aria-pressed="true">Useful' in page
    assert 'aria-pressed="false">I adopted it' in page


def test_an_unknown_reaction_is_404(client, dave, practice):
    client.force_login(dave)

    assert client.post(react(practice, "love"), {"on": "1"}).status_code == 404


def test_a_draft_takes_no_reaction(client, alice, topic):
    draft = PracticeFactory(
        organization=alice.organization, author=alice, topic=topic, status="draft"
    )
    client.force_login(alice)

    response = client.post(react(draft, "adopted"), {"on": "1"})

    assert response.status_code == 400
    assert rows(Reaction) == []


# --- Comments ----------------------------------------------------------------------------------


def test_a_comment_posted_with_htmx_comes_back_in_the_comments_fragment(client, dave, practice):
    client.force_login(dave)

    response = client.post(
        reverse("practices:comment_add", args=[practice.pk]),
        {"body": "We do it too!"},
        headers=HTMX,
    )

    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.startswith('<section id="comments"')
    assert "We do it too!" in fragment
    assert "1 comment" in fragment
    assert [c.body for c in rows(Comment)] == ["We do it too!"]


def test_a_reply_by_plain_form_redirects_and_is_shown_under_its_comment(
    client, dave, alice, practice
):
    parent = CommentFactory(practice=practice, author=alice, body="First!")
    client.force_login(dave)

    response = client.post(
        reverse("practices:comment_add", args=[practice.pk]),
        {"body": "A reply", "parent": parent.pk},
    )

    assert response.status_code == 302
    [reply] = rows(Comment, parent=parent)
    assert reply.author_id == dave.pk
    page = client.get(detail(practice)).content.decode()
    assert page.index("First!") < page.index("A reply")


def test_a_reply_to_a_reply_is_refused_with_its_message(client, dave, alice, practice):
    parent = CommentFactory(practice=practice, author=alice)
    reply = CommentFactory(practice=practice, author=alice, parent=parent)
    client.force_login(dave)

    response = client.post(
        reverse("practices:comment_add", args=[practice.pk]),
        {"body": "Deeper", "parent": reply.pk},
        headers=HTMX,
    )

    assert response.status_code == 400
    assert "A reply cannot be answered" in response.content.decode()
    assert rows(Comment, body="Deeper") == []


def test_an_empty_comment_is_refused(client, dave, practice):
    client.force_login(dave)

    response = client.post(reverse("practices:comment_add", args=[practice.pk]), {"body": ""})

    assert response.status_code == 400
    assert rows(Comment) == []


def test_a_comment_with_a_script_is_shown_escaped(client, dave, practice):
    client.force_login(dave)
    client.post(
        reverse("practices:comment_add", args=[practice.pk]),
        {"body": "<script>alert(1)</script> [x](javascript:alert(2))"},
    )

    page = client.get(detail(practice)).content.decode()

    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not JAVASCRIPT_LINK.search(page)


def test_the_author_of_a_comment_deletes_it(client, dave, practice):
    comment = CommentFactory(practice=practice, author=dave)
    client.force_login(dave)

    response = client.post(reverse("practices:comment_delete", args=[comment.pk]), headers=HTMX)

    assert response.status_code == 200
    assert rows(Comment) == []


# --- The author's buttons ----------------------------------------------------------------------


def test_the_author_sees_edit_and_delete_and_others_do_not(client, alice, dave, practice):
    client.force_login(alice)
    own = client.get(detail(practice)).content.decode()
    client.force_login(dave)
    other = client.get(detail(practice)).content.decode()

    assert reverse("practices:edit", args=[practice.pk]) in own
    assert reverse("practices:delete", args=[practice.pk]) in own
    assert reverse("practices:edit", args=[practice.pk]) not in other
    assert "Curation" not in other


def test_the_author_publishes_a_draft(client, alice, topic):
    draft = PracticeFactory(
        organization=alice.organization, author=alice, topic=topic, status="draft"
    )
    client.force_login(alice)

    response = client.post(reverse("practices:publish", args=[draft.pk]))

    assert response.status_code == 302
    assert fresh(draft).status == "published"


def test_deleting_asks_for_confirmation_then_deletes(client, alice, practice):
    client.force_login(alice)

    confirmation = client.get(reverse("practices:delete", args=[practice.pk]))
    response = client.post(reverse("practices:delete", args=[practice.pk]))

    assert confirmation.status_code == 200
    assert b"Delete for good" in confirmation.content
    assert response.status_code == 302
    assert rows(Practice) == []


@pytest.mark.parametrize("status", ["draft", "pending"])
def test_another_members_unpublished_practice_is_404(client, dave, alice, topic, status):
    hidden = PracticeFactory(
        organization=alice.organization, author=alice, topic=topic, status=status
    )
    client.force_login(dave)

    assert client.get(detail(hidden)).status_code == 404
