"""In-app notifications, written in the same transaction as the action that causes them, and
the member's own writes: marking read, the digest preference and followed topics, unsubscribing.

The practices actions call the ``notify_*`` hooks inside their tenant scope and transaction;
none of them sends mail (digests go through the task queue, see digest.py). Nobody is notified
of their own action, and deactivated members are not notified at all. The hooks record no
access-log event of their own: the action that calls them records what happened.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.practices.models import Topic
from grove.staff.authorization import Capability, permits
from grove.tenancy.context import tenant_context

from .models import (
    DigestFrequency,
    Notification,
    NotificationKind,
    NotificationPreference,
    TopicFollow,
)

# --- Hooks called by grove.practices.actions -------------------------------------------------


def notify_comment(*, comment) -> None:
    """Tell the practice's author (and, for a reply, the parent comment's author) about a new
    comment; nobody is notified of their own comment, and nobody twice for one comment."""
    practice = comment.practice
    recipients: dict[uuid.UUID | None, str] = {}
    if comment.parent_id is not None and comment.parent is not None:
        # The more specific kind wins when the practice's author also wrote the parent.
        recipients[comment.parent.author_id] = NotificationKind.REPLY
    recipients.setdefault(practice.author_id, NotificationKind.COMMENT)
    _notify(
        practice=practice,
        actor_id=comment.author_id,
        recipients=recipients,
        comment=comment,
    )


def notify_adopted(*, practice, adopter) -> None:
    """Tell the practice's author that ``adopter`` adopted it (not when they adopt their own)."""
    _notify(
        practice=practice,
        actor_id=adopter.pk,
        recipients={practice.author_id: NotificationKind.ADOPTED},
    )


def notify_highlighted(*, practice, actor) -> None:
    """Tell the practice's author that a manager highlighted it."""
    _notify(
        practice=practice,
        actor_id=actor.pk,
        recipients={practice.author_id: NotificationKind.HIGHLIGHTED},
    )


def notify_moderated(*, practice, actor, approved: bool, reason: str = "") -> None:
    """Tell the author their practice was validated, or sent back to draft with a reason.

    The reason is the manager's note on the practice (content, not a person's data): it is
    kept on the notification so the author reads why.
    """
    kind = NotificationKind.VALIDATED if approved else NotificationKind.REJECTED
    _notify(
        practice=practice,
        actor_id=actor.pk,
        recipients={practice.author_id: kind},
        details="" if approved else reason.strip(),
    )


def _notify(
    *,
    practice,
    actor_id,
    recipients: dict[uuid.UUID | None, str],  # user ids (None: an author no longer there)
    comment=None,
    details: str = "",
) -> list[Notification]:
    from grove.accounts.models import User

    wanted = {user_id: kind for user_id, kind in recipients.items() if user_id is not None}
    wanted.pop(actor_id, None)
    if not wanted:
        return []
    with tenant_context(practice.organization_id):
        active = set(
            User.objects.filter(pk__in=list(wanted), is_active=True).values_list("pk", flat=True)
        )
        notifications = [
            Notification(
                organization_id=practice.organization_id,
                recipient_id=user_id,
                kind=kind,
                practice_id=practice.pk,
                comment_id=getattr(comment, "pk", None),
                actor_id=actor_id,
                details=details,
            )
            for user_id, kind in wanted.items()
            if user_id in active
        ]
        return Notification.objects.bulk_create(notifications)


# --- The member's own writes -------------------------------------------------------------------


@transaction.atomic
def notifications_mark_read(
    *, actor, notification_ids: Iterable[object] = (), all: bool = False, request=None
) -> int:
    """Mark some of the actor's unread notifications (or ``all=True``: every one) as read and
    record an UPDATE of their ids. Ids that are not the actor's are ignored (the pages look
    each one up first, giving 404). Returns how many changed."""
    _check_member(actor)
    with tenant_context(actor.organization_id):
        unread = Notification.objects.filter(recipient_id=actor.pk, read_at__isnull=True)
        if not all:
            unread = unread.filter(pk__in=_uuids(notification_ids, field="notification_ids"))
        ids = list(unread.values_list("pk", flat=True))
        if not ids:
            return 0
        Notification.objects.filter(pk__in=ids).update(read_at=timezone.now())
        record_event(
            action=AuditAction.UPDATE,
            actor=actor,
            organization=actor.organization_id,
            object_type="notification",
            object_ids=ids,
            request=request,
            details={"fields": ["read_at"]},
        )
    return len(ids)


@transaction.atomic
def preferences_update(
    *, actor, digest_frequency: str, topic_ids: Iterable[object], request=None
) -> NotificationPreference:
    """Set the actor's digest frequency and the topics they follow (replacing the previous
    set). Every topic must be one of the actor's organization: otherwise a ValidationError and
    nothing is written. Records an UPDATE of the preference (and the topic ids followed)."""
    _check_member(actor)
    if digest_frequency not in DigestFrequency.values:
        raise ValidationError({"digest_frequency": _("Choose never, daily or weekly.")})
    wanted = set(_uuids(topic_ids, field="topic_ids"))
    with tenant_context(actor.organization_id):
        found = set(Topic.objects.filter(pk__in=wanted).values_list("pk", flat=True))
        if found != wanted:
            raise ValidationError({"topic_ids": _("Choose topics from the list.")})
        preference = _preference_for_update(actor)
        changed = []
        if preference.digest_frequency != digest_frequency:
            preference.digest_frequency = digest_frequency
            preference.save(update_fields=["digest_frequency"])
            changed.append("digest_frequency")
        following = set(
            TopicFollow.objects.filter(user_id=actor.pk).values_list("topic_id", flat=True)
        )
        if following != wanted:
            TopicFollow.objects.filter(user_id=actor.pk).exclude(topic_id__in=wanted).delete()
            TopicFollow.objects.bulk_create(
                TopicFollow(organization_id=actor.organization_id, user_id=actor.pk, topic_id=t)
                for t in sorted(wanted - following)
            )
            changed.append("topics")
        if changed:
            record_event(
                action=AuditAction.UPDATE,
                actor=actor,
                organization=actor.organization_id,
                object_type="notification_preference",
                object_ids=[preference.pk, *sorted(wanted, key=str)],
                subject_user=actor,
                request=request,
                details={"fields": changed},
            )
    return preference


@transaction.atomic
def digest_unsubscribe(*, user, request=None) -> NotificationPreference:
    """Stop ``user``'s digest (frequency: never), from the mail's one-click link, and record an
    UPDATE. No login: the signed token in the link is the proof (see tokens.py)."""
    with tenant_context(user.organization_id):
        preference = _preference_for_update(user)
        if preference.digest_frequency != DigestFrequency.NEVER:
            preference.digest_frequency = DigestFrequency.NEVER
            preference.save(update_fields=["digest_frequency"])
        record_event(
            action=AuditAction.UPDATE,
            actor=user,
            organization=user.organization_id,
            object_type="notification_preference",
            object_ids=[preference.pk],
            subject_user=user,
            request=request,
            details={"fields": ["digest_frequency"], "via": "unsubscribe_link"},
        )
    return preference


@transaction.atomic
def digest_sent(*, user, practice_ids: list, sent_at) -> None:
    """Close ``user``'s digest period at ``sent_at`` and, when a mail left, record a LIST of the
    practices it showed (none: nothing was sent, nothing is recorded)."""
    with tenant_context(user.organization_id):
        preference = _preference_for_update(user)
        preference.last_digest_at = sent_at
        preference.save(update_fields=["last_digest_at"])
        if not practice_ids:
            return
        record_event(
            action=AuditAction.LIST,
            actor=None,
            organization=user.organization_id,
            object_type="digest",
            object_ids=practice_ids,
            subject_user=user,
        )


def digest_preference_locked(*, user) -> NotificationPreference:
    """``user``'s preference row, locked until the transaction ends (created with the default,
    weekly, when they never chose): the digest task holds it from its check to its stamp."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("digest_preference_locked() needs a transaction")
    with tenant_context(user.organization_id):
        return _preference_for_update(user)


def _preference_for_update(user) -> NotificationPreference:
    preference, _created = NotificationPreference.objects.select_for_update().get_or_create(
        user_id=user.pk, defaults={"organization_id": user.organization_id}
    )
    return preference


def _check_member(actor) -> None:
    organization = getattr(actor, "organization", None)
    if organization is None or not permits(
        user=actor, organization=organization, capability=Capability.CONTENT_READ
    ):
        raise PermissionDenied


def _uuids(values: Iterable[object], *, field: str) -> list[uuid.UUID]:
    try:
        return [v if isinstance(v, uuid.UUID) else uuid.UUID(str(v)) for v in values]
    except (TypeError, ValueError, AttributeError):
        raise ValidationError({field: _("Unknown identifier.")}) from None
