"""The hooks as the practices actions call them: one notification per event, to the right
person, in the action's transaction."""

from grove.core.testing.factories import PracticeFactory
from grove.notifications.models import NotificationKind
from grove.practices import actions as practices
from grove.tenancy.context import tenant_context

from .conftest import all_notifications, notifications_of


def test_comments_and_replies(alice, bob, dora, practice_of_alice):
    with tenant_context(alice.organization):
        first = practices.comment_add(actor=bob, practice=practice_of_alice, body="Nice idea")
        practices.comment_add(actor=dora, practice=practice_of_alice, body="Agreed", parent=first)
        practices.comment_add(actor=alice, practice=practice_of_alice, body="Thanks!", parent=first)
    assert [(n.kind, n.actor_id) for n in notifications_of(alice)] == [
        (NotificationKind.COMMENT, bob.pk),
        (NotificationKind.COMMENT, dora.pk),
    ]
    assert [(n.kind, n.actor_id) for n in notifications_of(bob)] == [
        (NotificationKind.REPLY, dora.pk),
        (NotificationKind.REPLY, alice.pk),
    ]
    assert notifications_of(dora) == []


def test_adopting_notifies_once_and_not_oneself(alice, bob, practice_of_alice):
    with tenant_context(alice.organization):
        practices.reaction_set(actor=alice, practice=practice_of_alice, kind="adopted", on=True)
        practices.reaction_set(actor=bob, practice=practice_of_alice, kind="useful", on=True)
        practices.reaction_set(actor=bob, practice=practice_of_alice, kind="adopted", on=True)
    assert [(n.kind, n.actor_id) for n in all_notifications()] == [
        (NotificationKind.ADOPTED, bob.pk)
    ]


def test_curation_notifies_the_author(alice, bob, topic_a, practice_of_alice):
    pending = PracticeFactory(
        organization=alice.organization, author=alice, topic=topic_a, status="pending"
    )
    sent_back = PracticeFactory(
        organization=alice.organization, author=alice, topic=topic_a, status="pending"
    )
    with tenant_context(alice.organization):
        practices.practice_highlight(actor=bob, practice=practice_of_alice)
        practices.practice_validate(actor=bob, practice=pending)
        practices.practice_reject(actor=bob, practice=sent_back, reason="Add the shelf's photo.")
    kinds = [(n.kind, n.practice_id, n.details) for n in notifications_of(alice)]
    assert kinds == [
        (NotificationKind.HIGHLIGHTED, practice_of_alice.pk, ""),
        (NotificationKind.VALIDATED, pending.pk, ""),
        (NotificationKind.REJECTED, sent_back.pk, "Add the shelf's photo."),
    ]
