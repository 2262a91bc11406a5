"""The in-app notification hooks the practices actions call: who gets what, never oneself."""

from grove.core.testing.factories import CommentFactory, PracticeFactory
from grove.notifications import actions
from grove.notifications.models import NotificationKind
from grove.tenancy.context import tenant_context, unscoped

from .conftest import all_notifications, notifications_of


def test_a_comment_notifies_the_practice_author(alice, bob, practice_of_alice):
    comment = CommentFactory(practice=practice_of_alice, author=bob)
    with tenant_context(alice.organization):
        actions.notify_comment(comment=comment)
    (notification,) = all_notifications()
    assert notification.recipient_id == alice.pk
    assert notification.kind == NotificationKind.COMMENT
    assert notification.actor_id == bob.pk
    assert notification.comment_id == comment.pk
    assert notification.practice_id == practice_of_alice.pk
    assert notification.organization_id == alice.organization_id
    assert notification.read_at is None


def test_nobody_is_notified_of_their_own_comment(alice, practice_of_alice):
    comment = CommentFactory(practice=practice_of_alice, author=alice)
    with tenant_context(alice.organization):
        actions.notify_comment(comment=comment)
    assert all_notifications() == []


def test_a_reply_notifies_the_practice_author_and_the_parent_author_once_each(
    alice, bob, dora, practice_of_alice
):
    parent = CommentFactory(practice=practice_of_alice, author=bob)
    reply = CommentFactory(practice=practice_of_alice, author=dora, parent=parent)
    with tenant_context(alice.organization):
        actions.notify_comment(comment=reply)
    kinds = {n.recipient_id: n.kind for n in all_notifications()}
    assert kinds == {alice.pk: NotificationKind.COMMENT, bob.pk: NotificationKind.REPLY}


def test_a_reply_to_the_authors_own_comment_notifies_them_once(alice, bob, practice_of_alice):
    parent = CommentFactory(practice=practice_of_alice, author=alice)
    reply = CommentFactory(practice=practice_of_alice, author=bob, parent=parent)
    with tenant_context(alice.organization):
        actions.notify_comment(comment=reply)
    (notification,) = all_notifications()
    assert (notification.recipient_id, notification.kind) == (alice.pk, NotificationKind.REPLY)


def test_replying_to_oneself_on_someone_elses_practice_notifies_only_the_author(
    alice, bob, practice_of_alice
):
    parent = CommentFactory(practice=practice_of_alice, author=bob)
    reply = CommentFactory(practice=practice_of_alice, author=bob, parent=parent)
    with tenant_context(alice.organization):
        actions.notify_comment(comment=reply)
    assert [(n.recipient_id, n.kind) for n in all_notifications()] == [
        (alice.pk, NotificationKind.COMMENT)
    ]


def test_an_adoption_notifies_the_author_but_not_a_self_adoption(alice, bob, practice_of_alice):
    with tenant_context(alice.organization):
        actions.notify_adopted(practice=practice_of_alice, adopter=alice)
        assert all_notifications() == []
        actions.notify_adopted(practice=practice_of_alice, adopter=bob)
    (notification,) = notifications_of(alice)
    assert (notification.kind, notification.actor_id) == (NotificationKind.ADOPTED, bob.pk)


def test_a_highlight_notifies_the_author(alice, bob, practice_of_alice):
    with tenant_context(alice.organization):
        actions.notify_highlighted(practice=practice_of_alice, actor=bob)
    (notification,) = notifications_of(alice)
    assert notification.kind == NotificationKind.HIGHLIGHTED


def test_a_manager_highlighting_their_own_practice_is_not_notified(bob, topic_a):
    practice = PracticeFactory(organization=bob.organization, author=bob, topic=topic_a)
    with tenant_context(bob.organization):
        actions.notify_highlighted(practice=practice, actor=bob)
    assert all_notifications() == []


def test_validation_and_rejection_notify_the_author_with_the_reason(alice, bob, practice_of_alice):
    with tenant_context(alice.organization):
        actions.notify_moderated(practice=practice_of_alice, actor=bob, approved=True)
        actions.notify_moderated(
            practice=practice_of_alice,
            actor=bob,
            approved=False,
            reason="  Please add a photo of the shelf.  ",
        )
    validated, rejected = notifications_of(alice)
    assert (validated.kind, validated.details) == (NotificationKind.VALIDATED, "")
    assert rejected.kind == NotificationKind.REJECTED
    assert rejected.details == "Please add a photo of the shelf."


def test_a_deactivated_author_is_not_notified(alice, bob, practice_of_alice):
    with unscoped("test set-up"):
        alice.is_active = False
        alice.save(update_fields=["is_active"])
    with tenant_context(alice.organization):
        actions.notify_adopted(practice=practice_of_alice, adopter=bob)
    assert all_notifications() == []


def test_a_practice_without_author_notifies_nobody(bob, practice_of_alice):
    with unscoped("test set-up"):
        practice_of_alice.author = None
        practice_of_alice.save(update_fields=["author"])
    with tenant_context(bob.organization):
        actions.notify_adopted(practice=practice_of_alice, adopter=bob)
    assert all_notifications() == []


def test_the_hooks_write_inside_the_callers_transaction(alice, bob, practice_of_alice):
    from django.db import transaction

    class Rollback(Exception):
        pass

    try:
        with transaction.atomic(), tenant_context(alice.organization):
            actions.notify_adopted(practice=practice_of_alice, adopter=bob)
            assert len(notifications_of(alice)) == 1
            raise Rollback
    except Rollback:
        pass
    assert notifications_of(alice) == []
