"""Best practices and everything members do with them: topics, tags, targeting, attachments,
reactions (useful, adopted, bookmarked), comments, reads and monthly activity.

Every model here is tenant-owned (organization foreign key, scoped manager, RLS). Counters on
``Practice`` are denormalised (updated with F() by the actions) so the feed never counts rows.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from grove.privacy.datamap import SYSTEM, Category, Retention
from grove.tenancy.models import JobType, Organization, TenantOwnedModel

CONTENT = (Category.CONTENT, Retention.CONTRACT)
PERSON_LINK = (Category.PERSON_REFERENCE, Retention.CONTRACT)
ACTIVITY = (Category.FUNCTIONAL_LOG, Retention.CONTRACT)


def _org_fk(related_name: str) -> models.ForeignKey:
    return models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name=related_name, db_index=True
    )


class Topic(TenantOwnedModel):
    """A subject from the organization's list (managed by its managers)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = _org_fk("topics")
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    DATA_MAP = {"id": SYSTEM, "organization": SYSTEM, "name": CONTENT, "created_at": SYSTEM}

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="topic_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Tag(TenantOwnedModel):
    """A free keyword, created on first use, stored in lower case."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = _org_fk("tags")
    name = models.CharField(max_length=50)

    DATA_MAP = {"id": SYSTEM, "organization": SYSTEM, "name": CONTENT}

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="tag_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class PracticeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Waiting for validation")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class PracticeLanguage(models.TextChoices):
    ENGLISH = "en", "English"
    FRENCH = "fr", "Français"


class Practice(TenantOwnedModel):
    """A best practice shared by a member. ``body`` is Markdown; ``body_html`` its sanitised
    rendering (nh3), made once by the action that writes the body."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = _org_fk("practices")
    # SET_NULL: an erased author's practices stay, shown as "former member" (issue 6).
    author = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="practices"
    )
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="practices")
    title = models.CharField(max_length=200)
    body = models.TextField()
    body_html = models.TextField(editable=False)
    language = models.CharField(
        max_length=2, choices=PracticeLanguage.choices, default=PracticeLanguage.ENGLISH
    )
    status = models.CharField(
        max_length=10, choices=PracticeStatus.choices, default=PracticeStatus.DRAFT
    )
    tags = models.ManyToManyField(Tag, through="PracticeTag", related_name="practices")
    # Empty means everyone; otherwise only members of these countries / job types see it.
    target_countries = CountryField(multiple=True, blank=True)
    target_job_types = models.ManyToManyField(
        JobType, through="PracticeJobTypeTarget", related_name="targeted_practices"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    # Curation by managers.
    boosted_until = models.DateTimeField(null=True, blank=True)
    highlighted_at = models.DateTimeField(null=True, blank=True)
    # Denormalised counters (the adoption count is the headline figure).
    adoption_count = models.PositiveIntegerField(default=0)
    useful_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    view_count = models.PositiveIntegerField(default=0)
    # PostgreSQL full-text search (title A, tags B, body C), written by the actions.
    search_vector = SearchVectorField(null=True, editable=False)

    if TYPE_CHECKING:
        # Not columns: set by queries._decorate on the practices of a list (getattr elsewhere).
        first_image: Attachment | None
        first_images: list[Attachment]
        my_reactions: set[str]

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "author": PERSON_LINK,
        "topic": SYSTEM,
        "title": CONTENT,
        "body": CONTENT,
        "body_html": CONTENT,
        "language": SYSTEM,
        "status": SYSTEM,
        "tags": CONTENT,
        "target_countries": CONTENT,
        "target_job_types": CONTENT,
        "created_at": SYSTEM,
        "updated_at": SYSTEM,
        "published_at": SYSTEM,
        "boosted_until": SYSTEM,
        "highlighted_at": SYSTEM,
        "adoption_count": SYSTEM,
        "useful_count": SYSTEM,
        "comment_count": SYSTEM,
        "view_count": SYSTEM,
        "search_vector": CONTENT,
    }

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            # The feed: newest first, and most adopted first, within one organization.
            models.Index(
                fields=["organization", "status", "-published_at", "-id"],
                name="practice_feed_newest",
            ),
            models.Index(
                fields=["organization", "status", "-adoption_count", "-published_at", "-id"],
                name="practice_feed_adopted",
            ),
            models.Index(fields=["organization", "author", "status"], name="practice_by_author"),
            models.Index(fields=["organization", "boosted_until"], name="practice_boosted"),
        ]

    def __str__(self) -> str:
        return f"practice {self.pk}"

    @property
    def is_published(self) -> bool:
        return self.status == PracticeStatus.PUBLISHED

    def is_boosted(self, now=None) -> bool:
        return self.boosted_until is not None and self.boosted_until > (now or timezone.now())


class PracticeTag(TenantOwnedModel):
    organization = _org_fk("+")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="practice_links")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "practice": SYSTEM,
        "tag": SYSTEM,
        "created_at": SYSTEM,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "tag"], name="practicetag_unique")
        ]
        indexes = [models.Index(fields=["tag", "practice"], name="practicetag_by_tag")]


class PracticeJobTypeTarget(TenantOwnedModel):
    organization = _org_fk("+")
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="job_type_targets"
    )
    job_type = models.ForeignKey(JobType, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "practice": SYSTEM,
        "job_type": SYSTEM,
        "created_at": SYSTEM,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "job_type"], name="practicejobtypetarget_unique"
            )
        ]


class AttachmentKind(models.TextChoices):
    IMAGE = "image", _("Photo")
    VIDEO = "video", _("Video")


def attachment_path(instance: Attachment, filename: str) -> str:
    # Never the uploaded name (it can hold a person's name): the organization and a random id.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"practices/{instance.organization_id}/{uuid.uuid4().hex}.{extension}"


class Attachment(TenantOwnedModel):
    """A photo (re-encoded, metadata stripped, with a thumbnail) or a short MP4 video."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = _org_fk("attachments")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(max_length=5, choices=AttachmentKind.choices)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    thumbnail = models.FileField(upload_to=attachment_path, max_length=200, blank=True)
    content_type = models.CharField(max_length=50)
    size = models.PositiveBigIntegerField()
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    download_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "practice": SYSTEM,
        "kind": SYSTEM,
        "file": CONTENT,
        "thumbnail": CONTENT,
        "content_type": SYSTEM,
        "size": SYSTEM,
        "width": SYSTEM,
        "height": SYSTEM,
        "position": SYSTEM,
        "download_count": SYSTEM,
        "created_at": SYSTEM,
    }

    class Meta:
        ordering = ["position", "created_at"]

    def __str__(self) -> str:
        return f"attachment {self.pk}"


class ReactionKind(models.TextChoices):
    USEFUL = "useful", _("Useful")
    ADOPTED = "adopted", _("I adopted it")
    BOOKMARK = "bookmark", _("Bookmarked")


class Reaction(TenantOwnedModel):
    """One member's useful / adopted / bookmark mark on a practice (at most one of each)."""

    organization = _org_fk("+")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="reactions")
    kind = models.CharField(max_length=10, choices=ReactionKind.choices)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "practice": SYSTEM,
        "user": PERSON_LINK,
        "kind": ACTIVITY,
        "created_at": ACTIVITY,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "user", "kind"], name="reaction_one_per_kind"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "kind", "created_at"], name="reaction_by_time"),
            models.Index(fields=["user", "kind", "-created_at"], name="reaction_by_user"),
        ]


class Comment(TenantOwnedModel):
    """A comment on a practice, or a reply to one (one level: replies have no replies)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = _org_fk("+")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        "accounts.User", on_delete=models.SET_NULL, null=True, related_name="comments"
    )
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "practice": SYSTEM,
        "author": PERSON_LINK,
        "parent": SYSTEM,
        "body": CONTENT,
        "created_at": SYSTEM,
    }

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["practice", "created_at"], name="comment_by_practice")]

    def __str__(self) -> str:
        return f"comment {self.pk}"


class PracticeRead(TenantOwnedModel):
    """That a member opened a practice (first and latest time): "read per member" figures."""

    organization = _org_fk("+")
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    first_read_at = models.DateTimeField(default=timezone.now)
    last_read_at = models.DateTimeField(default=timezone.now)

    DATA_MAP = {
        "id": SYSTEM,
        "organization": SYSTEM,
        "practice": SYSTEM,
        "user": PERSON_LINK,
        "first_read_at": ACTIVITY,
        "last_read_at": ACTIVITY,
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "user"], name="practiceread_unique")
        ]
        indexes = [
            models.Index(fields=["organization", "first_read_at"], name="practiceread_by_time")
        ]


class MonthlyActivity(TenantOwnedModel):
    """That a member was active (read, published, reacted, commented) in a calendar month:
    the base of "active members" and cohort retention, without keeping a click stream."""

    organization = _org_fk("+")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day of the month

    DATA_MAP = {"id": SYSTEM, "organization": SYSTEM, "user": PERSON_LINK, "month": ACTIVITY}

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "month"], name="monthlyactivity_unique")
        ]
        indexes = [models.Index(fields=["organization", "month"], name="activity_by_month")]
