"""The practices queries: who sees what, 404 for everything else, reads in the access log."""

import uuid

import pytest
from django.http import Http404

from grove.accounts.models import OrgRole
from grove.audit.models import AuditAction, AuditEvent
from grove.core.testing.factories import (
    CommentFactory,
    PracticeFactory,
    ReactionFactory,
    TopicFactory,
    UserFactory,
)
from grove.practices import queries
from grove.practices.models import Practice
from grove.tenancy.context import tenant_context, unscoped


def events(action=None, object_type=None):
    with unscoped("test: read the access log"):
        qs = AuditEvent.objects.all()
        if action:
            qs = qs.filter(action=action)
        if object_type:
            qs = qs.filter(object_type=object_type)
        return list(qs)


@pytest.fixture
def topic(org_a):
    return TopicFactory(organization=org_a)


@pytest.fixture
def practices(org_a, alice, bob, topic):
    """One of each status by Alice, one draft by someone else."""
    colleague = UserFactory(organization=org_a, password="!")
    return {
        "published": PracticeFactory(organization=org_a, author=alice, topic=topic),
        "draft": PracticeFactory(organization=org_a, author=alice, topic=topic, status="draft"),
        "pending": PracticeFactory(organization=org_a, author=alice, topic=topic, status="pending"),
        "archived": PracticeFactory(
            organization=org_a, author=alice, topic=topic, status="archived"
        ),
        "other_draft": PracticeFactory(
            organization=org_a, author=colleague, topic=topic, status="draft"
        ),
        "other_pending": PracticeFactory(
            organization=org_a, author=colleague, topic=topic, status="pending"
        ),
    }


def visible_keys(member, practices):
    with tenant_context(member.organization):
        ids = set(queries.visible_practices(member).values_list("pk", flat=True))
    return {key for key, p in practices.items() if p.pk in ids}


def test_visibility_rules(org_a, alice, bob, practices):
    colleague = UserFactory(organization=org_a, password="!")
    assert visible_keys(alice, practices) == {"published", "draft", "pending", "archived"}
    assert visible_keys(colleague, practices) == {"published"}
    assert visible_keys(bob, practices) == {
        "published",
        "pending",
        "archived",
        "other_pending",
    }


def test_practice_for_member_records_a_view_and_prefetches(org_a, alice, bob, practices):
    practice = practices["published"]
    ReactionFactory(practice=practice, user=bob, kind="adopted")
    with tenant_context(org_a):
        found = queries.practice_for_member(bob, practice.pk)
    assert found.pk == practice.pk and found.my_reactions == {"adopted"}
    (event,) = events(AuditAction.VIEW, "practice")
    assert event.object_ids == [str(practice.pk)] and event.actor_id == bob.pk
    assert event.details == {}


def test_drafts_of_others_are_404(org_a, bob, practices):
    colleague = UserFactory(organization=org_a, password="!")
    for key in ("draft", "pending", "archived"):
        with tenant_context(org_a), pytest.raises(Http404):
            queries.practice_for_member(colleague, practices[key].pk)
    with tenant_context(org_a), pytest.raises(Http404):
        queries.practice_for_member(bob, practices["draft"].pk)


@pytest.mark.parametrize("practice_id", [uuid.uuid4(), "not-a-uuid", "", None, "1 OR 1=1"])
def test_forged_ids_are_404(org_a, alice, practice_id):
    with tenant_context(org_a), pytest.raises(Http404):
        queries.practice_for_member(alice, practice_id)
    with tenant_context(org_a), pytest.raises(Http404):
        queries.practice_for_author(alice, practice_id)


def test_charlie_never_reaches_a(org_b, charlie, alice, practices):
    comment = CommentFactory(practice=practices["published"], author=alice)
    for practice in practices.values():
        with tenant_context(org_b), pytest.raises(Http404):
            queries.practice_for_member(charlie, practice.pk)
        with tenant_context(org_b), pytest.raises(Http404):
            queries.practice_for_author(charlie, practice.pk)
    with tenant_context(org_b), pytest.raises(Http404):
        queries.comment_for_member(charlie, comment.pk)
    with tenant_context(org_b), pytest.raises(Http404):
        queries.comments_for(charlie, practices["published"])
    with tenant_context(org_b), pytest.raises(Http404):
        queries.member_profile(charlie, alice.pk)
    with tenant_context(org_b):
        assert queries.visible_practices(charlie).count() == 0
        assert queries.my_practices(charlie) == []
    assert events(AuditAction.VIEW) == []


def test_staff_have_no_member_reads(csm, practices):
    with pytest.raises(Http404):
        queries.practice_for_member(csm, practices["published"].pk)


def test_practice_for_author(org_a, alice, bob, practices):
    colleague = UserFactory(organization=org_a, password="!")
    with tenant_context(org_a):
        assert queries.practice_for_author(alice, practices["draft"].pk).pk
        assert queries.practice_for_author(bob, practices["other_draft"].pk).pk
        with pytest.raises(Http404):
            queries.practice_for_author(colleague, practices["published"].pk)


def test_comments_for_lists_replies_and_renders_html(org_a, alice, bob, practices):
    practice = practices["published"]
    first = CommentFactory(practice=practice, author=bob, body="**hi** <script>x</script>")
    reply = CommentFactory(practice=practice, author=alice, parent=first, body="thanks")
    CommentFactory(practice=practice, author=alice, body="second")
    with tenant_context(org_a):
        comments = queries.comments_for(bob, practice)
    assert [c.body for c in comments] == [first.body, "second"]
    assert [r.pk for r in comments[0].replies.all()] == [reply.pk]
    assert "<strong>hi</strong>" in comments[0].body_html
    assert "<script>" not in comments[0].body_html
    (event,) = events(AuditAction.LIST, "comment")
    assert len(event.object_ids) == 3


def test_comment_for_member(org_a, bob, practices):
    comment = CommentFactory(practice=practices["published"])
    hidden = CommentFactory(practice=practices["draft"])
    with tenant_context(org_a):
        assert queries.comment_for_member(bob, comment.pk).pk == comment.pk
        with pytest.raises(Http404):
            queries.comment_for_member(bob, hidden.pk)


def test_my_practices(org_a, alice, practices):
    with tenant_context(org_a):
        assert len(queries.my_practices(alice)) == 4
        assert [p.pk for p in queries.my_practices(alice, status="draft")] == [
            practices["draft"].pk
        ]
        assert queries.my_practices(alice, status="nonsense") == []


def test_moderation_queue_is_for_managers(org_a, alice, bob, practices):
    with tenant_context(org_a):
        queue = queries.moderation_queue(bob)
        assert {p.pk for p in queue} == {
            practices["pending"].pk,
            practices["other_pending"].pk,
        }
        with pytest.raises(Http404):
            queries.moderation_queue(alice)
    assert len(events(AuditAction.ACCESS_DENIED)) == 1


def test_bookmarks_page_walks_newest_bookmark_first(org_a, bob, topic):
    marked = [PracticeFactory(organization=org_a, topic=topic) for _ in range(5)]
    for practice in marked:
        ReactionFactory(practice=practice, user=bob, kind="bookmark")
    hidden = PracticeFactory(organization=org_a, topic=topic, status="draft")
    ReactionFactory(practice=hidden, user=bob, kind="bookmark")
    seen, cursor = [], None
    with tenant_context(org_a):
        while True:
            page = queries.bookmarks_page(bob, cursor=cursor, page_size=2)
            seen += [p.pk for p in page.items]
            assert all(p.my_reactions == {"bookmark"} for p in page.items)
            cursor = page.next_cursor
            if not cursor:
                break
        with pytest.raises(queries.BadCursor):
            queries.bookmarks_page(bob, cursor="garbage")
    assert seen == [p.pk for p in reversed(marked)]


def test_member_profile(org_a, alice, bob, practices):
    with tenant_context(org_a):
        profile = queries.member_profile(bob, alice.pk)
    assert profile.user.pk == alice.pk
    assert [p.pk for p in profile.practices] == [practices["published"].pk]
    (event,) = events(AuditAction.VIEW, "user")
    assert event.object_ids == [str(alice.pk)] and event.subject_user_id == alice.pk


def test_member_profile_hides_deactivated_members(org_a, bob):
    gone = UserFactory(organization=org_a, password="!", is_active=False)
    with tenant_context(org_a), pytest.raises(Http404):
        queries.member_profile(bob, gone.pk)


def test_members_page(org_a, alice, bob, monkeypatch):
    monkeypatch.setattr(queries, "MEMBERS_PAGE_SIZE", 2)
    for i in range(3):
        UserFactory(organization=org_a, last_name=f"Zed{i:02d}", password="!")
    UserFactory(organization=org_a, password="!", is_active=False, last_name="Gone")
    seen, cursor = [], None
    with tenant_context(org_a):
        while True:
            page = queries.members_page(bob, cursor=cursor)
            seen += [u.pk for u in page.items]
            cursor = page.next_cursor
            if not cursor:
                break
        assert [u.pk for u in queries.members_page(bob, query="ali").items] == [alice.pk]
        with pytest.raises(queries.BadCursor):
            queries.members_page(bob, cursor="x")
    assert len(seen) == len(set(seen)) == 5
    assert events(AuditAction.LIST, "user")


def test_a_practice_without_author_is_still_shown(org_a, bob, practices):
    practice = practices["published"]
    with unscoped("test: the author was erased"):
        Practice.objects.filter(pk=practice.pk).update(author=None)
    with tenant_context(org_a):
        assert queries.practice_for_member(bob, practice.pk).author is None


def test_managers_of_b_cannot_read_a(org_b, practices):
    manager_b = UserFactory(organization=org_b, org_role=OrgRole.MANAGER, password="!")
    with tenant_context(org_b), pytest.raises(Http404):
        queries.practice_for_member(manager_b, practices["pending"].pk)
