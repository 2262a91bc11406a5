"""The mail digest of new practices: who is due, what goes in it, and sending it.

``enqueue_due_digests`` runs hourly (``manage.py send_digests``, docs/operations.md): it walks the
active organizations and enqueues one ``send_digest`` task per member due, with ids only. The
task (``deliver_digest``) checks again, in the organization's tenant context, that the member is
still active and due, gathers the published practices that target them in their topics since
their last digest (plus the highlighted ones), and sends one mail in their language through the
transactional backend, with a one-click unsubscribe link (RFC 8058).

Due: daily, 24 hours after the last digest; weekly, 7 days; never, not at all. A member who
never chose is weekly. A slack of ``DUE_SLACK`` keeps the hour of sending from drifting later
each time (the last digest is stamped when the task runs, a little after the hourly pass).
When there is nothing new the period closes without a mail, so an idle member is not queued
again every hour.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import DateTimeField, F, Q, Value
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from grove.accounts.models import User
from grove.practices.models import Practice
from grove.tenancy.context import tenant_context, unscoped
from grove.tenancy.models import Organization

from .models import DigestFrequency, TopicFollow
from .templatetags.notification_tags import practice_url
from .tokens import unsubscribe_token

logger = logging.getLogger(__name__)

PERIODS: dict[str, datetime.timedelta] = {
    DigestFrequency.DAILY: datetime.timedelta(hours=24),
    DigestFrequency.WEEKLY: datetime.timedelta(days=7),
}
DUE_SLACK = datetime.timedelta(minutes=15)
# Without a previous digest, what is new is what was published in the last week.
FIRST_DIGEST_LOOKBACK = datetime.timedelta(days=7)
MAX_PRACTICES = 20


def is_due(frequency: str, last_digest_at: datetime.datetime | None, now) -> bool:
    period = PERIODS.get(frequency)
    if period is None:
        return False
    return last_digest_at is None or last_digest_at <= now - period + DUE_SLACK


def due_member_ids(now) -> list[uuid.UUID]:
    """The active members of the current organization whose digest is due (tenant scope)."""
    frequency = Coalesce(
        F("notification_preference__digest_frequency"), Value(DigestFrequency.WEEKLY)
    )
    last = F("notification_preference__last_digest_at")
    due = Q()
    for choice, period in PERIODS.items():
        due |= Q(frequency=choice) & (
            Q(last__isnull=True) | Q(last__lte=Value(now - period + DUE_SLACK, DateTimeField()))
        )
    return list(
        User.objects.filter(is_active=True, organization__isnull=False)
        .exclude(org_role="")
        .annotate(frequency=frequency, last=last)
        .filter(due)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def enqueue_due_digests(now=None) -> int:
    """Enqueue one ``send_digest`` task per member due, in every active organization.
    Returns how many were enqueued."""
    from .tasks import send_digest

    now = now or timezone.now()
    with unscoped("digest: list active organizations"):
        organization_ids = list(
            Organization.objects.filter(status=Organization.Status.ACTIVE)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    enqueued = 0
    for organization_id in organization_ids:
        with tenant_context(organization_id):
            user_ids = due_member_ids(now)
        for user_id in user_ids:
            send_digest.enqueue(str(user_id), str(organization_id))
            enqueued += 1
    return enqueued


def digest_practices(member, *, since, now) -> list[Practice]:
    """What goes in ``member``'s digest: practices published since ``since`` in the topics they
    follow (every topic when none), and practices highlighted since then, in any topic; only
    published ones that target the member, never their own. Highlighted first, then newest.
    Runs in the member's tenant scope."""
    followed = list(
        TopicFollow.objects.filter(user_id=member.pk).values_list("topic_id", flat=True)
    )
    new = Q(published_at__gt=since, published_at__lte=now)
    if followed:
        new &= Q(topic_id__in=followed)
    highlighted = Q(highlighted_at__gt=since, highlighted_at__lte=now)
    practices = (
        _targeting(member)
        .filter(new | highlighted)
        .exclude(author_id=member.pk)
        .select_related("topic")
        .order_by(F("highlighted_at").desc(nulls_last=True), "-published_at", "-id")
    )
    return list(practices[:MAX_PRACTICES])


def _targeting(member):
    """Published practices that target ``member``, by the feed's rule (grove.practices)."""
    from grove.practices.queries import published_for_member

    return published_for_member(member)


def deliver_digest(*, user_id, organization_id, now=None) -> int:
    """The ``send_digest`` task's work: send ``user_id``'s digest if they are still an active
    member of an active organization and due. Returns the number of practices mailed.

    The member's preference row stays locked from the check to the stamp, so two workers given
    the same member (two passes in one hour) send one mail.
    """
    from .actions import digest_preference_locked, digest_sent

    now = now or timezone.now()
    with transaction.atomic(), tenant_context(organization_id):
        organization = Organization.objects.filter(pk=organization_id).first()
        if organization is None or not organization.is_active:
            return 0
        member = (
            User.objects.filter(pk=user_id, is_active=True, organization_id=organization_id)
            .exclude(org_role="")
            .select_related("organization")
            .first()
        )
        if member is None:
            return 0
        preference = digest_preference_locked(user=member)
        if not is_due(preference.digest_frequency, preference.last_digest_at, now):
            return 0
        since = preference.last_digest_at or now - FIRST_DIGEST_LOOKBACK
        practices = digest_practices(member, since=since, now=now)
        if practices:
            digest_message(member=member, practices=practices, since=since).send()
        digest_sent(user=member, practice_ids=[p.pk for p in practices], sent_at=now)
    return len(practices)


def digest_message(*, member, practices: list[Practice], since) -> EmailMultiAlternatives:
    """The digest mail, in the member's language (their profile's, else English)."""
    base = settings.GROVE_BASE_URL
    unsubscribe_url = base + reverse("notifications:unsubscribe", args=[unsubscribe_token(member)])
    # The templates read two attributes set here on each practice (not model fields: Any).
    shown: list[Any] = practices
    for practice in shown:
        practice.digest_url = base + practice_url(practice.pk)
        practice.digest_highlighted = bool(
            practice.highlighted_at and practice.highlighted_at > since
        )
    with translation.override(member.language or "en"):
        context = {
            "member": member,
            "highlighted": [p for p in shown if p.digest_highlighted],
            "new": [p for p in shown if not p.digest_highlighted],
            "count": len(practices),
            "since": since,
            "base_url": base,
            "preferences_url": base + reverse("notifications:preferences"),
            "unsubscribe_url": unsubscribe_url,
        }
        subject = render_to_string("notifications/digest_subject.txt", context).strip()
        text = render_to_string("notifications/digest_email.txt", context)
        html = render_to_string("notifications/digest_email.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[member.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message
