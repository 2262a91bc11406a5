"""Reads of a member's own notifications and preferences, scoped to that member.

A notification id that is not the member's (another member's, another organization's, or none)
is the same ``Http404``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.http import Http404

from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.practices.models import Topic
from grove.tenancy.context import tenant_context

from .models import DigestFrequency, Notification, NotificationPreference, TopicFollow

PAGE_SIZE = 50


def notifications_for(member, *, limit: int = PAGE_SIZE, request=None) -> list[Notification]:
    """The member's newest notifications (practice and actor loaded); records a LIST."""
    with tenant_context(member.organization_id):
        notifications = list(
            Notification.objects.filter(recipient_id=member.pk)
            .select_related("practice", "actor")
            .order_by("-created_at", "-id")[:limit]
        )
    if notifications:
        record_event(
            action=AuditAction.LIST,
            actor=member,
            organization=member.organization_id,
            object_type="notification",
            object_ids=[n.pk for n in notifications],
            request=request,
            read=True,
        )
    return notifications


def notification_for_member(member, notification_id) -> Notification:
    """One of the member's own notifications, or Http404."""
    try:
        notification_id = uuid.UUID(str(notification_id))
    except ValueError:
        raise Http404 from None
    with tenant_context(member.organization_id):
        notification = (
            Notification.objects.filter(pk=notification_id, recipient_id=member.pk)
            .select_related("practice", "actor")
            .first()
        )
    if notification is None:
        raise Http404
    return notification


def unread_count(member) -> int:
    """How many of the member's notifications are unread: one COUNT on the inbox index."""
    with tenant_context(member.organization_id):
        return Notification.objects.filter(recipient_id=member.pk, read_at__isnull=True).count()


@dataclass(frozen=True)
class Preferences:
    digest_frequency: str
    followed_topic_ids: frozenset[uuid.UUID]
    topics: list[Topic]  # the organization's topics, to choose from


def preferences_for(member) -> Preferences:
    """The member's digest frequency (weekly until they choose), followed topics, and the
    organization's topics."""
    with tenant_context(member.organization_id):
        frequency = (
            NotificationPreference.objects.filter(user_id=member.pk)
            .values_list("digest_frequency", flat=True)
            .first()
        ) or DigestFrequency.WEEKLY
        followed = frozenset(
            TopicFollow.objects.filter(user_id=member.pk).values_list("topic_id", flat=True)
        )
        topics = list(Topic.objects.order_by("name"))
    return Preferences(digest_frequency=frequency, followed_topic_ids=followed, topics=topics)
