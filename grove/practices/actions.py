"""Every write on best practices, topics and job types, reactions and comments.

Keyword-only, ``@transaction.atomic``, called inside the actor's tenant scope (the request
middleware or ``tenant_context``). Each checks the actor's capability with
``grove.staff.authorization.permits`` and raises ``django.core.exceptions.PermissionDenied``
(403) when a member of the same organization lacks the role; objects of another organization
never reach an action (the queries give 404 first). Bad input raises
``django.core.exceptions.ValidationError`` with a message per field (``error_dict``), and nothing
is written. Each records its audit event (ids only) in the same transaction; in-app
notifications are written by ``grove.notifications.actions`` in the same transaction too.
"""

from __future__ import annotations

import datetime

from grove.tenancy.models import JobType, Organization

from .models import Comment, Practice, ReactionKind, Topic

# --- The organization's lists and settings (managers: Capability.SETTINGS_MANAGE) ------------


def topic_create(*, actor, name: str) -> Topic:
    """Add a topic to the actor's organization (name unique per organization, 1-100 chars)."""
    raise NotImplementedError


def topic_rename(*, actor, topic: Topic, name: str) -> Topic:
    raise NotImplementedError


def topic_delete(*, actor, topic: Topic) -> None:
    """Refused with a ValidationError while practices use the topic."""
    raise NotImplementedError


def job_type_create(*, actor, name: str) -> JobType:
    raise NotImplementedError


def job_type_rename(*, actor, job_type: JobType, name: str) -> JobType:
    raise NotImplementedError


def job_type_delete(*, actor, job_type: JobType) -> None:
    """Refused with a ValidationError while users hold the job type."""
    raise NotImplementedError


def organization_settings_update(*, actor, practices_require_validation: bool) -> Organization:
    raise NotImplementedError


# --- Practices (members: Capability.CONTENT_WRITE; their own practice only) -------------------


def practice_create(
    *,
    actor,
    topic: Topic,
    title: str,
    body: str,
    language: str,
    tags: list[str] = (),  # type: ignore[assignment]
    target_countries: list[str] = (),  # type: ignore[assignment]
    target_job_types: list[JobType] = (),  # type: ignore[assignment]
    publish: bool = False,
    request=None,
) -> Practice:
    """Create a practice as a draft, or publish it at once (``publish=True``).

    Publishing goes to the moderation queue (status pending) when the organization requires
    validation, except for its managers. The body is Markdown, rendered and sanitised into
    ``body_html``; tags are normalised (lower case, trimmed, at most 10, 50 chars each) and
    created on first use; countries are ISO codes; job types and topic must be the
    organization's own.
    """
    raise NotImplementedError


def practice_update(
    *,
    actor,
    practice: Practice,
    topic: Topic,
    title: str,
    body: str,
    language: str,
    tags: list[str] = (),  # type: ignore[assignment]
    target_countries: list[str] = (),  # type: ignore[assignment]
    target_job_types: list[JobType] = (),  # type: ignore[assignment]
    request=None,
) -> Practice:
    """Edit one's own practice (any status but archived). Same validation as create."""
    raise NotImplementedError


def practice_publish(*, actor, practice: Practice, request=None) -> Practice:
    """Publish one's own draft (or send it to the moderation queue)."""
    raise NotImplementedError


def practice_delete(*, actor, practice: Practice, request=None) -> None:
    """Delete one's own practice (a manager may delete any), its attachments' files too."""
    raise NotImplementedError


# --- Curation (managers: Capability.CONTENT_CURATE) --------------------------------------------


def practice_validate(*, actor, practice: Practice, request=None) -> Practice:
    """Pending → published."""
    raise NotImplementedError


def practice_reject(*, actor, practice: Practice, reason: str, request=None) -> Practice:
    """Pending → draft; the author is notified with the reason."""
    raise NotImplementedError


def practice_boost(
    *, actor, practice: Practice, until: datetime.datetime, request=None
) -> Practice:
    """Push a published practice to the top of the feed until ``until`` (future, ≤ 90 days)."""
    raise NotImplementedError


def practice_unboost(*, actor, practice: Practice, request=None) -> Practice:
    raise NotImplementedError


def practice_highlight(*, actor, practice: Practice, request=None) -> Practice:
    """Feature a published practice (shown as such, included in digests); notifies its author."""
    raise NotImplementedError


def practice_unhighlight(*, actor, practice: Practice, request=None) -> Practice:
    raise NotImplementedError


def practice_archive(*, actor, practice: Practice, request=None) -> Practice:
    """Take a practice out of the feed and search (kept, visible to its author and managers)."""
    raise NotImplementedError


def practice_unarchive(*, actor, practice: Practice, request=None) -> Practice:
    raise NotImplementedError


# --- Reactions, comments, reads (members: Capability.CONTENT_WRITE / CONTENT_READ) ----------


def reaction_set(
    *, actor, practice: Practice, kind: ReactionKind | str, on: bool, request=None
) -> Practice:
    """Set or clear the actor's useful / adopted / bookmark mark on a published practice.

    Idempotent; the practice's counters move only when the mark changes; returns the practice
    with fresh counters. Adopting notifies the author.
    """
    raise NotImplementedError


def comment_add(
    *, actor, practice: Practice, body: str, parent: Comment | None = None, request=None
) -> Comment:
    """Comment on a published practice, or reply to a top-level comment of the same practice
    (a reply to a reply is refused). Notifies the practice's author and the parent's author."""
    raise NotImplementedError


def comment_delete(*, actor, comment: Comment, request=None) -> None:
    """Delete one's own comment (a manager may delete any); its replies go with it."""
    raise NotImplementedError


def practice_viewed(*, actor, practice: Practice, request=None) -> None:
    """Count a view: the view counter, the member's PracticeRead row, their month's activity."""
    raise NotImplementedError


def activity_record(*, user, when: datetime.datetime | None = None) -> None:
    """Mark the member active in the month of ``when`` (idempotent; one row per month)."""
    raise NotImplementedError
