"""The member's own writes: marking notifications read, preferences, unsubscribing."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from grove.audit.models import AuditAction
from grove.core.testing.factories import TopicFactory
from grove.notifications import actions
from grove.notifications.models import DigestFrequency, NotificationKind
from grove.tenancy.context import tenant_context

from .conftest import followed_topics, notifications_of, preference_of


@pytest.fixture
def three_for_alice(alice, bob, practice_of_alice):
    with tenant_context(alice.organization):
        for _ in range(3):
            actions.notify_adopted(practice=practice_of_alice, adopter=bob)
    return notifications_of(alice)


def test_marking_one_notification_read(alice, three_for_alice, audit_events):
    first, second, third = three_for_alice
    with tenant_context(alice.organization):
        changed = actions.notifications_mark_read(actor=alice, notification_ids=[second.pk])
    assert changed == 1
    assert [n.is_read for n in notifications_of(alice)] == [False, True, False]
    (event,) = audit_events(AuditAction.UPDATE)
    assert event.object_type == "notification"
    assert event.object_ids == [str(second.pk)]
    assert event.actor_id == alice.pk


def test_marking_all_read_and_again_changes_nothing_more(alice, three_for_alice, audit_events):
    with tenant_context(alice.organization):
        assert actions.notifications_mark_read(actor=alice, all=True) == 3
        assert actions.notifications_mark_read(actor=alice, all=True) == 0
    assert all(n.is_read for n in notifications_of(alice))
    (event,) = audit_events(AuditAction.UPDATE)
    assert sorted(event.object_ids) == sorted(str(n.pk) for n in three_for_alice)


def test_someone_elses_notification_ids_are_ignored(alice, bob, charlie, three_for_alice):
    with tenant_context(bob.organization):
        assert (
            actions.notifications_mark_read(actor=bob, notification_ids=[three_for_alice[0].pk])
            == 0
        )
    with tenant_context(charlie.organization):
        assert (
            actions.notifications_mark_read(actor=charlie, notification_ids=[three_for_alice[0].pk])
            == 0
        )
    assert not any(n.is_read for n in notifications_of(alice))


def test_a_malformed_id_is_a_validation_error(alice):
    with tenant_context(alice.organization), pytest.raises(ValidationError):
        actions.notifications_mark_read(actor=alice, notification_ids=["not-a-uuid"])


def test_staff_have_no_notifications_to_mark(csm):
    with pytest.raises(PermissionDenied):
        actions.notifications_mark_read(actor=csm, all=True)


def test_preferences_update_sets_frequency_and_topics(alice, topic_a, audit_events):
    other = TopicFactory(organization=alice.organization, name="Safety")
    with tenant_context(alice.organization):
        preference = actions.preferences_update(
            actor=alice, digest_frequency="daily", topic_ids=[topic_a.pk, str(other.pk)]
        )
    assert preference_of(alice).digest_frequency == DigestFrequency.DAILY
    assert followed_topics(alice) == {topic_a.pk, other.pk}
    (event,) = audit_events(AuditAction.UPDATE)
    assert event.object_type == "notification_preference"
    assert set(event.object_ids) == {str(preference.pk), str(topic_a.pk), str(other.pk)}
    assert event.details == {"fields": ["digest_frequency", "topics"]}

    with tenant_context(alice.organization):
        actions.preferences_update(actor=alice, digest_frequency="daily", topic_ids=[other.pk])
        actions.preferences_update(actor=alice, digest_frequency="daily", topic_ids=[other.pk])
    assert followed_topics(alice) == {other.pk}
    assert [e.details for e in audit_events(AuditAction.UPDATE)][1:] == [{"fields": ["topics"]}]


def test_charlie_cannot_follow_a_topic_of_organization_a(charlie, topic_a, audit_events):
    with tenant_context(charlie.organization), pytest.raises(ValidationError) as error:
        actions.preferences_update(actor=charlie, digest_frequency="daily", topic_ids=[topic_a.pk])
    assert "topic_ids" in error.value.error_dict
    assert preference_of(charlie) is None
    assert followed_topics(charlie) == set()
    assert audit_events(AuditAction.UPDATE) == []


def test_an_unknown_frequency_is_refused(alice):
    with tenant_context(alice.organization), pytest.raises(ValidationError) as error:
        actions.preferences_update(actor=alice, digest_frequency="hourly", topic_ids=[])
    assert "digest_frequency" in error.value.error_dict
    assert preference_of(alice) is None


def test_unsubscribing_sets_never_and_is_recorded(alice, audit_events):
    actions.digest_unsubscribe(user=alice)
    assert preference_of(alice).digest_frequency == DigestFrequency.NEVER
    (event,) = audit_events(AuditAction.UPDATE)
    assert event.details == {"fields": ["digest_frequency"], "via": "unsubscribe_link"}
    assert event.subject_user_id == alice.pk


def test_notification_kinds_cover_the_issue():
    assert set(NotificationKind.values) == {
        "comment",
        "reply",
        "adopted",
        "highlighted",
        "validated",
        "rejected",
    }
