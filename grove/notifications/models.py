"""In-app notifications, each member's digest preference and the topics they follow.

All three are tenant-owned (organization foreign key, scoped manager, RLS). A notification
holds ids only (who, which practice, which comment); its text is written at display time in the
reader's language. The one free text, ``details``, is a rejected practice's reason: practice
content written by a manager for the author, never a person's data.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from grove.privacy.datamap import SYSTEM, Category, Retention
from grove.tenancy.models import Organization, TenantOwnedModel

PERSON_LINK = (Category.PERSON_REFERENCE, Retention.CONTRACT)
CONTENT = (Category.CONTENT, Retention.CONTRACT)


def _org_fk(related_name: str) -> models.ForeignKey:
    return models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name=related_name, db_index=True
    )


class NotificationKind(models.TextChoices):
    COMMENT = "comment", _("New comment on your practice")
    REPLY = "reply", _("New reply")
    ADOPTED = "adopted", _("Your practice was adopted")
    HIGHLIGHTED = "highlighted", _("Your practice was highlighted")
    VALIDATED = "validated", _("Your practice was validated")
    REJECTED = "rejected", _("Your practice was sent back")


class Notification(TenantOwnedModel):
    """Something that happened to one of the recipient's practices or comments."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = _org_fk("+")
    recipient = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=12, choices=NotificationKind.choices)
    practice = models.ForeignKey("practices.Practice", on_delete=models.CASCADE, related_name="+")
    comment = models.ForeignKey(
        "practices.Comment", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    # SET_NULL: an erased actor's notifications stay, shown as "a former member".
    actor = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    details = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "recipient": PERSON_LINK,
        "kind": SYSTEM,
        "practice": SYSTEM,
        "comment": SYSTEM,
        "actor": PERSON_LINK,
        "details": CONTENT,
        "created_at": SYSTEM,
        "read_at": SYSTEM,
    }

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")
        ]

    def __str__(self) -> str:
        return f"notification {self.pk}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class DigestFrequency(models.TextChoices):
    NEVER = "never", _("Never")
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class NotificationPreference(TenantOwnedModel):
    """A member's digest frequency and when their last digest left (absent row: weekly)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = _org_fk("+")
    user = models.OneToOneField(
        "accounts.User", on_delete=models.CASCADE, related_name="notification_preference"
    )
    digest_frequency = models.CharField(
        max_length=6, choices=DigestFrequency.choices, default=DigestFrequency.WEEKLY
    )
    last_digest_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "user": (Category.PERSON_REFERENCE, Retention.UNTIL_ERASED),
        "digest_frequency": (Category.ACCOUNT_SETTING, Retention.UNTIL_ERASED),
        "last_digest_at": (Category.FUNCTIONAL_LOG, Retention.UNTIL_ERASED),
        "created_at": SYSTEM,
    }

    def __str__(self) -> str:
        return f"notification preference {self.pk}"


class TopicFollow(TenantOwnedModel):
    """A topic a member follows ("my topics"): their digest covers these (all when none)."""

    organization = _org_fk("+")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey("practices.Topic", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "user": (Category.PERSON_REFERENCE, Retention.UNTIL_ERASED),
        "topic": SYSTEM,
        "created_at": SYSTEM,
    }

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "topic"], name="topicfollow_unique")]

    def __str__(self) -> str:
        return f"topic follow {self.pk}"
