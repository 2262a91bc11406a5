"""Shared set-up of the practices page tests (test_views_*.py): a topic and practices of
organization A, a member of A without a role, readers of the access log and of rows."""

from __future__ import annotations

import pytest

from grove.audit.models import AuditEvent
from grove.core.testing.factories import PracticeFactory, TopicFactory, UserFactory
from grove.tenancy.context import unscoped

# The fixtures, for ``from .view_helpers import *`` (a fixture imported by name would be flagged
# as redefined by every test taking it as an argument).
__all__ = ["dave", "events", "media_root", "other_practice", "practice", "topic"]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def topic(org_a):
    return TopicFactory(organization=org_a, name="Checkout")


@pytest.fixture
def practice(alice, topic):
    """A published practice by Alice."""
    return PracticeFactory(
        organization=alice.organization,
        author=alice,
        topic=topic,
        title="Two queues at lunch time",
        body="Open a second till at noon.",
        tags=["queue"],
    )


@pytest.fixture
def other_practice(charlie):
    """A published practice of organization B, by Charlie."""
    return PracticeFactory(organization=charlie.organization, author=charlie, title="B secret")


@pytest.fixture
def dave(org_a):
    """A second member of A."""
    return UserFactory(
        email="dave@a.example", first_name="Dave", last_name="Dunn", organization=org_a
    )


@pytest.fixture
def events(db):
    """``events("data.view")``: that action's access-log events."""

    def read(action: str | None = None) -> list[AuditEvent]:
        with unscoped("test: read the access log"):
            rows = AuditEvent.objects.order_by("id")
            if action is not None:
                rows = rows.filter(action=action)
            return list(rows)

    return read


def rows(model, **filters) -> list:
    with unscoped("test: read rows back"):
        return list(model.objects.filter(**filters))


def fresh(obj):
    with unscoped("test: read back"):
        return type(obj).objects.get(pk=obj.pk)


HTMX = {"HX-Request": "true"}
