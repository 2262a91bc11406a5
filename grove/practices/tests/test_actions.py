"""The practices actions: happy paths, refusals, counters, audit events (ids only)."""

import datetime
import uuid

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.utils import timezone

from grove.accounts.models import OrgRole
from grove.audit.models import AuditAction, AuditEvent
from grove.core.testing.factories import (
    CommentFactory,
    JobTypeFactory,
    PracticeFactory,
    TopicFactory,
    UserFactory,
)
from grove.practices import actions
from grove.practices.models import (
    Attachment,
    Comment,
    MonthlyActivity,
    Practice,
    PracticeRead,
    Reaction,
    Tag,
    Topic,
)
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import JobType


def events(action=None, object_type=None):
    with unscoped("test: read the access log"):
        qs = AuditEvent.objects.all()
        if action:
            qs = qs.filter(action=action)
        if object_type:
            qs = qs.filter(object_type=object_type)
        return list(qs)


def count(model, **filters):
    with unscoped("test: count rows"):
        return model.objects.filter(**filters).count()


def fresh(practice):
    with unscoped("test: reload"):
        return Practice.objects.get(pk=practice.pk)


@pytest.fixture
def topic(org_a):
    return TopicFactory(organization=org_a, name="Safety")


@pytest.fixture
def topic_b(org_b):
    return TopicFactory(organization=org_b, name="Safety B")


@pytest.fixture
def published(org_a, alice, topic):
    return PracticeFactory(organization=org_a, author=alice, topic=topic)


def create(actor, topic, **overrides):
    fields = {
        "title": "Greet every customer",
        "body": "Say **hello** at the door.",
        "language": "en",
    }
    fields.update(overrides)
    with tenant_context(actor.organization):
        return actions.practice_create(actor=actor, topic=topic, **fields)


# --- practice_create --------------------------------------------------------------------------


def test_create_makes_a_draft_with_sanitised_html_tags_and_targets(org_a, alice, topic):
    job = alice.job_type
    practice = create(
        alice,
        topic,
        body="Hi <script>alert(1)</script> [x](javascript:alert(1))",
        tags=["  Hygiene ", "hygiene", "#Stores", "Two  Words"],
        target_countries=["fr", "DE"],
        target_job_types=[job],
    )
    practice = fresh(practice)
    assert practice.status == "draft" and practice.published_at is None
    assert practice.author_id == alice.pk and practice.organization_id == org_a.pk
    assert "<script>" not in practice.body_html and "href" not in practice.body_html
    with tenant_context(org_a):
        assert sorted(t.name for t in practice.tags.all()) == ["hygiene", "stores", "two words"]
        assert list(practice.target_job_types.all()) == [job]
    assert sorted(c.code for c in practice.target_countries) == ["DE", "FR"]
    (event,) = events(AuditAction.CREATE, "practice")
    assert event.object_ids == [str(practice.pk)]
    assert event.actor_id == alice.pk and event.details == {"status": "draft"}
    assert count(MonthlyActivity, user=alice) == 1


def test_create_and_publish_sets_published_at(alice, topic):
    practice = create(alice, topic, publish=True)
    assert practice.status == "published" and practice.published_at is not None


def test_publish_goes_to_the_queue_when_the_organization_requires_validation(
    org_a, alice, bob, topic
):
    with unscoped("test"):
        org_a.practices_require_validation = True
        org_a.save()
        alice.organization.refresh_from_db()
        bob.organization.refresh_from_db()
    assert create(alice, topic, publish=True).status == "pending"
    # Managers publish at once.
    assert create(bob, topic, publish=True).status == "published"


def test_a_members_edit_goes_back_to_the_queue_when_the_organization_requires_validation(
    org_a, alice, bob, topic
):
    published = create(alice, topic, publish=True)
    managers_own = create(bob, topic, publish=True)
    with unscoped("test"):
        org_a.practices_require_validation = True
        org_a.save()
        alice.organization.refresh_from_db()
        bob.organization.refresh_from_db()
    fields = {"topic": topic, "body": "Edited body", "language": "en"}
    with tenant_context(org_a):
        edited = actions.practice_update(
            actor=alice, practice=published, title="Edited by its author", **fields
        )
        kept = actions.practice_update(
            actor=bob, practice=managers_own, title="Edited by a manager", **fields
        )
    assert edited.status == "pending"
    assert kept.status == "published"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"title": "ab"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": "   "}, "body"),
        ({"body": "x" * 20001}, "body"),
        ({"language": "de"}, "language"),
        ({"tags": [f"t{i}" for i in range(11)]}, "tags"),
        ({"tags": ["x" * 51]}, "tags"),
        ({"target_countries": ["XX"]}, "target_countries"),
        ({"target_countries": ["<script>"]}, "target_countries"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(alice, topic, overrides, field):
    with pytest.raises(ValidationError) as error:
        create(alice, topic, **overrides)
    assert field in error.value.error_dict
    assert count(Practice) == 0 and count(Tag) == 0
    assert events(AuditAction.CREATE) == []


def test_create_reports_every_bad_field_at_once(alice, topic):
    with pytest.raises(ValidationError) as error:
        create(alice, topic, title="", body="", language="xx")
    assert set(error.value.error_dict) == {"title", "body", "language"}


def test_create_refuses_another_organizations_topic_and_job_type(alice, topic, topic_b, org_b):
    with pytest.raises(ValidationError) as error:
        create(alice, topic_b)
    assert "topic" in error.value.error_dict
    job_b = JobTypeFactory(organization=org_b)
    with pytest.raises(ValidationError) as error:
        create(alice, topic, target_job_types=[job_b])
    assert "target_job_types" in error.value.error_dict
    with pytest.raises(ValidationError):
        create(alice, uuid.uuid4())
    with pytest.raises(ValidationError):
        create(alice, "not-a-uuid")
    assert count(Practice) == 0


def test_staff_and_outsiders_cannot_create(csm, charlie, topic):
    with pytest.raises(PermissionDenied):
        actions.practice_create(actor=csm, topic=topic, title="abc", body="x", language="en")
    # Charlie acts in his organization: A's topic is not found there.
    with pytest.raises(ValidationError):
        create(charlie, topic)
    assert count(Practice) == 0


def test_an_ended_organization_refuses_writes(org_a, alice, topic):
    with unscoped("test"):
        org_a.status = "ended"
        org_a.save()
        alice.organization.refresh_from_db()
    with pytest.raises(PermissionDenied):
        create(alice, topic)


# --- practice_update / publish / delete ------------------------------------------------------


def test_update_rewrites_fields_tags_and_targets(org_a, alice, topic, published):
    other_topic = TopicFactory(organization=org_a)
    with tenant_context(org_a):
        actions.practice_update(
            actor=alice,
            practice=published,
            topic=other_topic,
            title="A new title",
            body="New *body*",
            language="fr",
            tags=["b", "c"],
            target_countries=["ES"],
        )
        actions.practice_update(
            actor=alice,
            practice=published,
            topic=other_topic,
            title="A new title",
            body="New *body*",
            language="fr",
            tags=["c", "d"],
        )
    practice = fresh(published)
    assert practice.title == "A new title" and practice.body_html == "<p>New <em>body</em></p>\n"
    assert practice.topic_id == other_topic.pk and practice.language == "fr"
    assert list(practice.target_countries) == []
    with tenant_context(org_a):
        assert sorted(t.name for t in practice.tags.all()) == ["c", "d"]
    assert len(events(AuditAction.UPDATE, "practice")) == 2


def test_only_the_author_or_a_manager_updates(org_a, alice, bob, topic, published):
    colleague = UserFactory(organization=org_a, password="!")
    with tenant_context(org_a), pytest.raises(PermissionDenied):
        actions.practice_update(
            actor=colleague,
            practice=published,
            topic=topic,
            title="Hijack",
            body="x",
            language="en",
        )
    with tenant_context(org_a):
        actions.practice_update(
            actor=bob,
            practice=published,
            topic=topic,
            title="Fixed typo",
            body="x",
            language="en",
        )
    assert fresh(published).title == "Fixed typo"


def test_charlie_never_reaches_a_practice_of_a(charlie, published, topic):
    with tenant_context(charlie.organization), pytest.raises(Http404):
        actions.practice_update(
            actor=charlie,
            practice=published,
            topic=topic,
            title="Hijack",
            body="x",
            language="en",
        )
    for action in (actions.practice_delete, actions.practice_publish, actions.practice_viewed):
        with tenant_context(charlie.organization), pytest.raises(Http404):
            action(actor=charlie, practice=published)
    with tenant_context(charlie.organization), pytest.raises(Http404):
        actions.reaction_set(actor=charlie, practice=published, kind="adopted", on=True)
    with tenant_context(charlie.organization), pytest.raises(Http404):
        actions.comment_add(actor=charlie, practice=published, body="hi")
    assert fresh(published).title != "Hijack"
    assert count(Reaction) == 0 and count(Comment) == 0


def test_archived_practices_cannot_be_edited(org_a, alice, topic):
    practice = PracticeFactory(organization=org_a, author=alice, topic=topic, status="archived")
    with tenant_context(org_a), pytest.raises(ValidationError):
        actions.practice_update(
            actor=alice, practice=practice, topic=topic, title="Edit", body="x", language="en"
        )


def test_publish_a_draft(org_a, alice, topic):
    draft = PracticeFactory(organization=org_a, author=alice, topic=topic, status="draft")
    with tenant_context(org_a):
        practice = actions.practice_publish(actor=alice, practice=draft)
    assert practice.status == "published" and practice.published_at is not None
    with tenant_context(org_a), pytest.raises(ValidationError):
        actions.practice_publish(actor=alice, practice=draft)


def test_delete_removes_the_practice_and_its_files_after_commit(
    org_a, alice, published, django_capture_on_commit_callbacks
):
    name = default_storage.save(f"practices/{org_a.pk}/test.jpg", ContentFile(b"jpeg"))
    thumb = default_storage.save(f"practices/{org_a.pk}/thumb.jpg", ContentFile(b"jpeg"))
    with unscoped("test"):
        Attachment.objects.create(
            organization=org_a,
            practice=published,
            kind="image",
            file=name,
            thumbnail=thumb,
            content_type="image/jpeg",
            size=4,
        )
    with django_capture_on_commit_callbacks(execute=True), tenant_context(org_a):
        actions.practice_delete(actor=alice, practice=published)
    assert count(Practice) == 0 and count(Attachment) == 0
    assert not default_storage.exists(name) and not default_storage.exists(thumb)
    (event,) = events(AuditAction.DELETE, "practice")
    assert event.object_ids == [str(published.pk)]


def test_a_colleague_cannot_delete_but_a_manager_can(org_a, bob, published):
    colleague = UserFactory(organization=org_a, password="!")
    with tenant_context(org_a), pytest.raises(PermissionDenied):
        actions.practice_delete(actor=colleague, practice=published)
    with tenant_context(org_a):
        actions.practice_delete(actor=bob, practice=published)
    assert count(Practice) == 0


# --- Curation --------------------------------------------------------------------------------


def test_moderation_queue_flow(org_a, alice, bob, topic):
    pending = PracticeFactory(organization=org_a, author=alice, topic=topic, status="pending")
    rejected = PracticeFactory(organization=org_a, author=alice, topic=topic, status="pending")
    with tenant_context(org_a):
        with pytest.raises(PermissionDenied):
            actions.practice_validate(actor=alice, practice=pending)
        actions.practice_validate(actor=bob, practice=pending)
        with pytest.raises(ValidationError):
            actions.practice_reject(actor=bob, practice=rejected, reason="  ")
        actions.practice_reject(actor=bob, practice=rejected, reason="Add a photo, please")
        with pytest.raises(ValidationError):
            actions.practice_validate(actor=bob, practice=pending)  # not pending any more
    assert fresh(pending).status == "published" and fresh(pending).published_at
    assert fresh(rejected).status == "draft"
    details = [e.details for e in events(AuditAction.UPDATE, "practice")]
    assert {"status": "published", "moderation": "validated"} in details
    assert {"status": "draft", "moderation": "rejected"} in details
    assert "photo" not in str(details)


def test_boost_rules(org_a, alice, bob, published):
    now = timezone.now()
    with tenant_context(org_a):
        with pytest.raises(PermissionDenied):
            actions.practice_boost(
                actor=alice, practice=published, until=now + datetime.timedelta(days=1)
            )
        for bad in (now - datetime.timedelta(minutes=1), now + datetime.timedelta(days=91)):
            with pytest.raises(ValidationError) as error:
                actions.practice_boost(actor=bob, practice=published, until=bad)
            assert "until" in error.value.error_dict
        actions.practice_boost(
            actor=bob, practice=published, until=now + datetime.timedelta(days=7)
        )
        assert fresh(published).is_boosted()
        actions.practice_unboost(actor=bob, practice=published)
    assert fresh(published).boosted_until is None


def test_boost_ends_by_itself(org_a, bob, published):
    with tenant_context(org_a):
        actions.practice_boost(
            actor=bob, practice=published, until=timezone.now() + datetime.timedelta(days=2)
        )
    with time_machine.travel(timezone.now() + datetime.timedelta(days=3)):
        assert not fresh(published).is_boosted()


def test_highlight_archive_unarchive(org_a, alice, bob, published):
    with tenant_context(org_a):
        actions.practice_highlight(actor=bob, practice=published)
        assert fresh(published).highlighted_at is not None
        actions.practice_unhighlight(actor=bob, practice=published)
        assert fresh(published).highlighted_at is None
        with pytest.raises(PermissionDenied):
            actions.practice_archive(actor=alice, practice=published)
        actions.practice_archive(actor=bob, practice=published)
        assert fresh(published).status == "archived"
        with pytest.raises(ValidationError):
            actions.practice_highlight(actor=bob, practice=published)
        actions.practice_unarchive(actor=bob, practice=published)
    assert fresh(published).status == "published"


def test_a_manager_of_b_cannot_curate_a(org_b, published):
    manager_b = UserFactory(organization=org_b, org_role=OrgRole.MANAGER, password="!")
    with tenant_context(org_b), pytest.raises(Http404):
        actions.practice_archive(actor=manager_b, practice=published)
    assert fresh(published).status == "published"


# --- Reactions -------------------------------------------------------------------------------


def test_reactions_are_idempotent_and_move_counters(org_a, bob, published):
    with tenant_context(org_a):
        for _ in range(2):
            practice = actions.reaction_set(actor=bob, practice=published, kind="adopted", on=True)
        assert practice.adoption_count == 1
        actions.reaction_set(actor=bob, practice=published, kind="useful", on=True)
        actions.reaction_set(actor=bob, practice=published, kind="bookmark", on=True)
        practice = fresh(published)
        assert (practice.adoption_count, practice.useful_count) == (1, 1)
        assert count(Reaction, user=bob) == 3
        for _ in range(2):
            practice = actions.reaction_set(actor=bob, practice=published, kind="adopted", on=False)
        assert practice.adoption_count == 0
    assert count(Reaction, user=bob, kind="adopted") == 0
    created = events(AuditAction.CREATE, "reaction")
    assert len(created) == 3 and created[0].object_ids == [str(published.pk)]
    assert created[0].details == {"kind": "adopted"}
    assert len(events(AuditAction.DELETE, "reaction")) == 1


def test_a_reaction_row_already_there_is_not_counted_twice(org_a, bob, published):
    with unscoped("test: a row made by a concurrent request"):
        Reaction.objects.create(organization=org_a, practice=published, user=bob, kind="useful")
    with tenant_context(org_a):
        practice = actions.reaction_set(actor=bob, practice=published, kind="useful", on=True)
    assert practice.useful_count == 0


def test_reactions_need_a_published_practice_and_a_known_kind(org_a, alice, bob, topic):
    draft = PracticeFactory(organization=org_a, author=alice, topic=topic, status="draft")
    with tenant_context(org_a):
        with pytest.raises(ValidationError):
            actions.reaction_set(actor=bob, practice=draft, kind="useful", on=True)
        with pytest.raises(ValidationError):
            actions.reaction_set(actor=bob, practice=draft, kind="love", on=True)
    assert count(Reaction) == 0


def test_adopting_notifies_the_author(org_a, alice, bob, published):
    from grove.notifications.models import Notification

    with tenant_context(org_a):
        actions.reaction_set(actor=bob, practice=published, kind="adopted", on=True)
    assert count(Notification, recipient=alice) == 1


# --- Comments --------------------------------------------------------------------------------


def test_comments_and_one_level_of_replies(org_a, alice, bob, published):
    with tenant_context(org_a):
        comment = actions.comment_add(actor=bob, practice=published, body="Great <b>idea</b>")
        reply = actions.comment_add(actor=alice, practice=published, body="Thanks", parent=comment)
        with pytest.raises(ValidationError) as error:
            actions.comment_add(actor=bob, practice=published, body="x", parent=reply)
        assert "parent" in error.value.error_dict
        with pytest.raises(ValidationError):
            actions.comment_add(actor=bob, practice=published, body="   ")
    assert fresh(published).comment_count == 2
    (event, _reply_event) = events(AuditAction.CREATE, "comment")
    assert event.object_ids == [str(comment.pk)]
    assert "idea" not in str(event.details)


def test_a_parent_from_another_practice_is_refused(org_a, bob, published, topic):
    other = PracticeFactory(organization=org_a, topic=topic)
    comment = CommentFactory(practice=other)
    with tenant_context(org_a), pytest.raises(ValidationError):
        actions.comment_add(actor=bob, practice=published, body="x", parent=comment)


def test_no_comment_on_an_unpublished_practice(org_a, alice, bob, topic):
    draft = PracticeFactory(organization=org_a, author=alice, topic=topic, status="pending")
    with tenant_context(org_a), pytest.raises(ValidationError):
        actions.comment_add(actor=bob, practice=draft, body="x")
    assert count(Comment) == 0


def test_comment_delete_takes_its_replies_and_the_counter(org_a, alice, bob, published):
    colleague = UserFactory(organization=org_a, password="!")
    with tenant_context(org_a):
        comment = actions.comment_add(actor=alice, practice=published, body="first")
        actions.comment_add(actor=bob, practice=published, body="reply", parent=comment)
        with pytest.raises(PermissionDenied):
            actions.comment_delete(actor=colleague, comment=comment)
        actions.comment_delete(actor=alice, comment=comment)
    assert count(Comment) == 0 and fresh(published).comment_count == 0
    (event,) = events(AuditAction.DELETE, "comment")
    assert event.details["replies"] == 1


# --- Views and activity ----------------------------------------------------------------------


def test_views_count_reads_and_activity(org_a, bob, published):
    with tenant_context(org_a):
        actions.practice_viewed(actor=bob, practice=published)
        actions.practice_viewed(actor=bob, practice=published)
    assert fresh(published).view_count == 2
    assert count(PracticeRead, user=bob) == 1
    assert count(MonthlyActivity, user=bob) == 1


def test_activity_is_one_row_per_month(org_a, alice):
    actions.activity_record(user=alice, when=datetime.datetime(2025, 3, 2, tzinfo=datetime.UTC))
    actions.activity_record(user=alice, when=datetime.datetime(2025, 3, 30, tzinfo=datetime.UTC))
    actions.activity_record(user=alice, when=datetime.datetime(2025, 4, 1, 12, tzinfo=datetime.UTC))
    with unscoped("test"):
        months = sorted(MonthlyActivity.objects.filter(user=alice).values_list("month", flat=True))
    assert months == [datetime.date(2025, 3, 1), datetime.date(2025, 4, 1)]


# --- Topics, job types, settings -------------------------------------------------------------


def test_managers_manage_topics(org_a, alice, bob, topic, published):
    with tenant_context(org_a):
        with pytest.raises(PermissionDenied):
            actions.topic_create(actor=alice, name="Sales")
        new = actions.topic_create(actor=bob, name="  Sales  ")
        assert new.name == "Sales"
        with pytest.raises(ValidationError):
            actions.topic_create(actor=bob, name="sales")
        with pytest.raises(ValidationError):
            actions.topic_create(actor=bob, name="x" * 101)
        actions.topic_rename(actor=bob, topic=new, name="Selling")
        with pytest.raises(ValidationError):
            actions.topic_delete(actor=bob, topic=topic)  # in use
        actions.topic_delete(actor=bob, topic=new)
    assert count(Topic, organization=org_a) == 1
    assert {e.action for e in events(object_type="topic")} == {
        AuditAction.CREATE,
        AuditAction.UPDATE,
        AuditAction.DELETE,
    }


def test_a_manager_of_b_cannot_rename_a_topic_of_a(org_b, topic):
    manager_b = UserFactory(organization=org_b, org_role=OrgRole.MANAGER, password="!")
    with tenant_context(org_b), pytest.raises(Http404):
        actions.topic_rename(actor=manager_b, topic=topic, name="Hijacked")


def test_managers_manage_job_types(org_a, alice, bob):
    with tenant_context(org_a):
        with pytest.raises(PermissionDenied):
            actions.job_type_create(actor=alice, name="Cashier")
        job = actions.job_type_create(actor=bob, name="Cashier")
        actions.job_type_rename(actor=bob, job_type=job, name="Cashiers")
        with pytest.raises(ValidationError):
            actions.job_type_delete(actor=bob, job_type=alice.job_type)  # Alice holds it
        actions.job_type_delete(actor=bob, job_type=job)
    assert count(JobType, organization=org_a) == 1


def test_settings_update(org_a, alice, bob):
    with tenant_context(org_a):
        with pytest.raises(PermissionDenied):
            actions.organization_settings_update(actor=alice, practices_require_validation=True)
        organization = actions.organization_settings_update(
            actor=bob, practices_require_validation=True
        )
    assert organization.practices_require_validation
    (event,) = events(AuditAction.UPDATE, "organization")
    assert event.details == {"practices_require_validation": True}


def test_actions_enter_the_actors_scope_themselves(alice, topic):
    # A job or command may call an action without a tenant scope of its own.
    practice = actions.practice_create(
        actor=alice, topic=topic, title="From a job", body="x", language="en"
    )
    assert fresh(practice).title == "From a job"


def test_a_view_of_a_practice_one_may_not_open_is_not_counted(org_a, bob, topic):
    colleague = UserFactory(organization=org_a, password="!")
    draft = PracticeFactory(organization=org_a, author=bob, topic=topic, status="draft")
    with tenant_context(org_a), pytest.raises(Http404):
        actions.practice_viewed(actor=colleague, practice=draft)
    assert fresh(draft).view_count == 0 and count(PracticeRead) == 0
