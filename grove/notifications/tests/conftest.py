"""Notifications test set-up: practices of organization A, the access-log reader, rows read
back across tenants (set-up and assertions, not the code under test)."""

import pytest

from grove.audit.models import AuditEvent
from grove.core.testing.factories import PracticeFactory, TopicFactory, UserFactory
from grove.notifications.models import Notification, NotificationPreference, TopicFollow
from grove.tenancy.context import unscoped


@pytest.fixture
def audit_events(db):
    """``audit_events("data.update")`` lists that action's events, oldest first."""

    def read(action: str | None = None) -> list[AuditEvent]:
        with unscoped("test: read the access log"):
            events = AuditEvent.objects.all()
            if action is not None:
                events = events.filter(action=action)
            return list(events.order_by("id"))

    return read


@pytest.fixture
def topic_a(org_a):
    return TopicFactory(organization=org_a, name="Merchandising")


@pytest.fixture
def practice_of_alice(alice, topic_a):
    return PracticeFactory(organization=alice.organization, author=alice, topic=topic_a)


@pytest.fixture
def dora(org_a):
    """Another member of A."""
    return UserFactory(organization=org_a, first_name="Dora", last_name="Dunn")


def notifications_of(user) -> list[Notification]:
    with unscoped("test: read notifications back"):
        return list(Notification.objects.filter(recipient=user).order_by("created_at", "id"))


def all_notifications() -> list[Notification]:
    with unscoped("test: read notifications back"):
        return list(Notification.objects.order_by("created_at", "id"))


def preference_of(user) -> NotificationPreference | None:
    with unscoped("test: read preferences back"):
        return NotificationPreference.objects.filter(user=user).first()


def followed_topics(user) -> set:
    with unscoped("test: read follows back"):
        return set(TopicFollow.objects.filter(user=user).values_list("topic_id", flat=True))
