"""Every write on best practices, topics and job types, reactions and comments.

Keyword-only, ``@transaction.atomic``, run in the actor's tenant scope (each action enters it
itself, so a job or command may call it too). Each checks the actor's capability with
``grove.staff.authorization.permits`` and raises ``django.core.exceptions.PermissionDenied``
(403) when a member of the same organization lacks the role; objects of another organization
never reach an action (the queries give 404 first; an action re-reads each object in the
actor's scope and answers ``Http404`` if it is not there). Bad input raises
``django.core.exceptions.ValidationError`` with a message per field (``error_dict``), and nothing
is written. Each records its audit event (ids only) in the same transaction; in-app
notifications are written by ``grove.notifications.actions`` in the same transaction too.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from grove.accounts.models import User
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.notifications import actions as notifications
from grove.retention.lifecycle import ensure_organization_writable
from grove.staff.authorization import WRITE_CAPABILITIES, Capability, permits
from grove.tenancy.context import tenant_context
from grove.tenancy.models import JobType, Organization

from .markdown import render_markdown
from .models import (
    Attachment,
    Comment,
    MonthlyActivity,
    Practice,
    PracticeJobTypeTarget,
    PracticeLanguage,
    PracticeRead,
    PracticeStatus,
    PracticeTag,
    Reaction,
    ReactionKind,
    Tag,
    Topic,
)
from .search import update_search_vector

TITLE_MIN, TITLE_MAX = 3, 200
BODY_MAX = 20_000
COMMENT_MAX = 5_000
TAGS_MAX, TAG_MAX_LENGTH = 10, 50
NAME_MAX = 100
REASON_MAX = 1_000
BOOST_MAX_DAYS = 90

# --- Shared checks ----------------------------------------------------------------------------


def _organization(actor, capability: str) -> Organization:
    """The actor's organization, once ``permits`` says yes; PermissionDenied otherwise."""
    organization = None
    organization_id = getattr(actor, "organization_id", None)
    if organization_id is not None:
        with tenant_context(organization_id):  # RLS shows an organization only in its scope
            organization = actor.organization
    if organization is not None and capability in WRITE_CAPABILITIES:
        ensure_organization_writable(organization)  # an ended contract: read-only, said so
    if organization is None or not permits(
        user=actor, organization=organization, capability=capability
    ):
        raise PermissionDenied(_("You are not allowed to do this."))
    return organization


def _can_curate(actor, organization: Organization) -> bool:
    return permits(user=actor, organization=organization, capability=Capability.CONTENT_CURATE)


def _locked_practice(practice) -> Practice:
    """The practice re-read in the current scope, locked for the transaction; 404 if it is
    not there (another organization's, or gone)."""
    practice_id = getattr(practice, "pk", practice)
    found = Practice.objects.select_for_update(of=("self",)).filter(pk=practice_id).first()
    if found is None:
        raise Http404
    return found


def _in_scope(model, obj):
    found = model.objects.filter(pk=getattr(obj, "pk", obj)).first() if obj is not None else None
    if found is None:
        raise Http404
    return found


def _require_author_or_curator(actor, organization, practice: Practice) -> None:
    if practice.author_id != actor.pk and not _can_curate(actor, organization):
        raise PermissionDenied(_("Only its author or a manager may change this practice."))


def _audit(action, *, actor, organization, object_type, ids, request=None, **details) -> None:
    record_event(
        action=action,
        actor=actor,
        organization=organization,
        object_type=object_type,
        object_ids=ids,
        request=request,
        details=details,
    )


def _name(value: str, field: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise ValidationError({field: _("Enter a name.")})
    if len(name) > NAME_MAX:
        raise ValidationError({field: _("At most %(max)d characters.") % {"max": NAME_MAX}})
    return name


# --- The organization's lists and settings (managers: Capability.SETTINGS_MANAGE) ------------


# Topics and job types are the same kind of list: a name unique per organization.


def _list_item_create(model, *, actor, name, exists_message, object_type, request):
    organization = _organization(actor, Capability.SETTINGS_MANAGE)
    with tenant_context(organization):
        name = _name(name, "name")
        if model.objects.filter(name__iexact=name).exists():
            raise ValidationError({"name": exists_message})
        item = model.objects.create(organization=organization, name=name)
        _audit(
            AuditAction.CREATE,
            actor=actor,
            organization=organization,
            object_type=object_type,
            ids=[item.pk],
            request=request,
        )
    return item


def _list_item_rename(model, item, *, actor, name, exists_message, object_type, request):
    organization = _organization(actor, Capability.SETTINGS_MANAGE)
    with tenant_context(organization):
        item = _in_scope(model, item)
        name = _name(name, "name")
        if model.objects.filter(name__iexact=name).exclude(pk=item.pk).exists():
            raise ValidationError({"name": exists_message})
        item.name = name
        item.save(update_fields=["name"])
        _audit(
            AuditAction.UPDATE,
            actor=actor,
            organization=organization,
            object_type=object_type,
            ids=[item.pk],
            request=request,
        )
    return item


def _list_item_delete(model, item, *, actor, in_use, in_use_error, object_type, request):
    """Delete unless ``in_use(item)`` says something still refers to it."""
    organization = _organization(actor, Capability.SETTINGS_MANAGE)
    with tenant_context(organization):
        item = _in_scope(model, item)
        if in_use(item):
            raise ValidationError(in_use_error)
        item_id = item.pk
        item.delete()
        _audit(
            AuditAction.DELETE,
            actor=actor,
            organization=organization,
            object_type=object_type,
            ids=[item_id],
            request=request,
        )


@transaction.atomic
def topic_create(*, actor, name: str, request=None) -> Topic:
    """Add a topic to the actor's organization (name unique per organization, 1-100 chars)."""
    return _list_item_create(
        Topic,
        actor=actor,
        name=name,
        exists_message=_("This topic already exists."),
        object_type="topic",
        request=request,
    )


@transaction.atomic
def topic_rename(*, actor, topic: Topic, name: str, request=None) -> Topic:
    return _list_item_rename(
        Topic,
        topic,
        actor=actor,
        name=name,
        exists_message=_("This topic already exists."),
        object_type="topic",
        request=request,
    )


@transaction.atomic
def topic_delete(*, actor, topic: Topic, request=None) -> None:
    """Refused with a ValidationError while practices use the topic."""
    _list_item_delete(
        Topic,
        topic,
        actor=actor,
        in_use=lambda item: Practice.objects.filter(topic_id=item.pk).exists(),
        in_use_error={"topic": _("Practices use this topic: move them to another topic first.")},
        object_type="topic",
        request=request,
    )


@transaction.atomic
def job_type_create(*, actor, name: str, request=None) -> JobType:
    return _list_item_create(
        JobType,
        actor=actor,
        name=name,
        exists_message=_("This job type already exists."),
        object_type="job_type",
        request=request,
    )


@transaction.atomic
def job_type_rename(*, actor, job_type: JobType, name: str, request=None) -> JobType:
    return _list_item_rename(
        JobType,
        job_type,
        actor=actor,
        name=name,
        exists_message=_("This job type already exists."),
        object_type="job_type",
        request=request,
    )


@transaction.atomic
def job_type_delete(*, actor, job_type: JobType, request=None) -> None:
    """Refused with a ValidationError while users hold the job type (its practice targets go
    with it)."""
    _list_item_delete(
        JobType,
        job_type,
        actor=actor,
        in_use=lambda item: User.objects.filter(job_type_id=item.pk).exists(),
        in_use_error={"job_type": _("Members hold this job type: change theirs first.")},
        object_type="job_type",
        request=request,
    )


@transaction.atomic
def organization_settings_update(
    *, actor, practices_require_validation: bool, request=None
) -> Organization:
    organization = _organization(actor, Capability.SETTINGS_MANAGE)
    with tenant_context(organization):
        organization = Organization.objects.select_for_update().get(pk=organization.pk)
        organization.practices_require_validation = bool(practices_require_validation)
        organization.save(update_fields=["practices_require_validation"])
        _audit(
            AuditAction.UPDATE,
            actor=actor,
            organization=organization,
            object_type="organization",
            ids=[organization.pk],
            request=request,
            practices_require_validation=organization.practices_require_validation,
        )
    actor.organization = organization
    return organization


# --- Practices (members: Capability.CONTENT_WRITE; their own practice only) -------------------


def normalise_tags(tags: Iterable[str]) -> list[str]:
    """Trimmed, lower case, inner spaces collapsed, a leading ``#`` dropped, no duplicates."""
    seen: list[str] = []
    for raw in tags or ():
        name = " ".join(str(raw).split()).lstrip("#").strip().lower()
        if name and name not in seen:
            seen.append(name)
    return seen


def _clean_practice_input(
    *, topic, title, body, language, tags, target_countries, target_job_types
) -> dict:
    """Validate every field at once (one message per field) and return the clean values.

    Runs in the actor's tenant scope: a topic or job type of another organization is not found,
    hence refused like a missing one."""
    errors: dict[str, str] = {}
    title = " ".join((title or "").split())
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        errors["title"] = _("The title takes %(min)d to %(max)d characters.") % {
            "min": TITLE_MIN,
            "max": TITLE_MAX,
        }
    body = (body or "").strip()
    if not body:
        errors["body"] = _("Describe the practice.")
    elif len(body) > BODY_MAX:
        errors["body"] = _("At most %(max)d characters.") % {"max": BODY_MAX}
    if language not in PracticeLanguage.values:
        errors["language"] = _("Choose English or French.")
    found_topic = None
    topic_id = getattr(topic, "pk", topic)
    if topic_id is not None:
        try:
            found_topic = Topic.objects.filter(pk=topic_id).first()
        except (ValueError, ValidationError):
            found_topic = None
    if found_topic is None:
        errors["topic"] = _("Choose a topic from the list.")
    clean_tags = normalise_tags(tags)
    if len(clean_tags) > TAGS_MAX:
        errors["tags"] = _("At most %(max)d tags.") % {"max": TAGS_MAX}
    elif any(len(t) > TAG_MAX_LENGTH for t in clean_tags):
        errors["tags"] = _("A tag takes at most %(max)d characters.") % {"max": TAG_MAX_LENGTH}
    codes: list[str] = []
    for raw in target_countries or ():
        code = str(getattr(raw, "code", raw)).strip().upper()
        if code not in countries:
            errors["target_countries"] = _("Choose countries from the list.")
            break
        if code not in codes:
            codes.append(code)
    job_type_ids = list(dict.fromkeys(getattr(j, "pk", j) for j in target_job_types or ()))
    job_types: list[JobType] = []
    if job_type_ids:
        try:
            job_types = list(JobType.objects.filter(pk__in=job_type_ids))
        except (ValueError, ValidationError):
            job_types = []
        if len(job_types) != len(job_type_ids):
            errors["target_job_types"] = _("Choose job types from the list.")
    if errors:
        raise ValidationError(errors)
    return {
        "topic": found_topic,
        "title": title,
        "body": body,
        "language": language,
        "tags": clean_tags,
        "target_countries": codes,
        "target_job_types": job_types,
    }


def _set_tags(practice: Practice, names: list[str]) -> None:
    tags = []
    for name in names:
        tag, _created = Tag.objects.get_or_create(
            organization_id=practice.organization_id, name=name
        )
        tags.append(tag)
    PracticeTag.objects.filter(practice=practice).exclude(tag__in=tags).delete()
    existing = set(PracticeTag.objects.filter(practice=practice).values_list("tag_id", flat=True))
    PracticeTag.objects.bulk_create(
        PracticeTag(organization_id=practice.organization_id, practice=practice, tag=tag)
        for tag in tags
        if tag.pk not in existing
    )


def _set_job_type_targets(practice: Practice, job_types: list[JobType]) -> None:
    PracticeJobTypeTarget.objects.filter(practice=practice).exclude(job_type__in=job_types).delete()
    existing = set(
        PracticeJobTypeTarget.objects.filter(practice=practice).values_list(
            "job_type_id", flat=True
        )
    )
    PracticeJobTypeTarget.objects.bulk_create(
        PracticeJobTypeTarget(
            organization_id=practice.organization_id, practice=practice, job_type=job_type
        )
        for job_type in job_types
        if job_type.pk not in existing
    )


def _publication_status(actor, organization: Organization) -> str:
    if organization.practices_require_validation and not _can_curate(actor, organization):
        return PracticeStatus.PENDING
    return PracticeStatus.PUBLISHED


@transaction.atomic
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
    organization = _organization(actor, Capability.CONTENT_WRITE)
    with tenant_context(organization):
        clean = _clean_practice_input(
            topic=topic,
            title=title,
            body=body,
            language=language,
            tags=tags,
            target_countries=target_countries,
            target_job_types=target_job_types,
        )
        now = timezone.now()
        status = _publication_status(actor, organization) if publish else PracticeStatus.DRAFT
        practice = Practice.objects.create(
            organization=organization,
            author=actor,
            topic=clean["topic"],
            title=clean["title"],
            body=clean["body"],
            body_html=render_markdown(clean["body"]),
            language=clean["language"],
            status=status,
            target_countries=clean["target_countries"],
            created_at=now,
            updated_at=now,
            published_at=now if status == PracticeStatus.PUBLISHED else None,
        )
        _set_tags(practice, clean["tags"])
        _set_job_type_targets(practice, clean["target_job_types"])
        update_search_vector(practice)
        _audit(
            AuditAction.CREATE,
            actor=actor,
            organization=organization,
            object_type="practice",
            ids=[practice.pk],
            request=request,
            status=str(status),
        )
        activity_record(user=actor, when=now)
    return practice


@transaction.atomic
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
    """Edit one's own practice (any status but archived; a manager may edit any). Same
    validation as create. In an organization that validates practices, a member's edit of a
    published practice sends it back to the moderation queue."""
    organization = _organization(actor, Capability.CONTENT_WRITE)
    with tenant_context(organization):
        practice = _locked_practice(practice)
        _require_author_or_curator(actor, organization, practice)
        if practice.status == PracticeStatus.ARCHIVED:
            raise ValidationError({"status": _("An archived practice cannot be edited.")})
        clean = _clean_practice_input(
            topic=topic,
            title=title,
            body=body,
            language=language,
            tags=tags,
            target_countries=target_countries,
            target_job_types=target_job_types,
        )
        practice.topic = clean["topic"]
        practice.title = clean["title"]
        if practice.body != clean["body"]:
            practice.body = clean["body"]
            practice.body_html = render_markdown(clean["body"])
        practice.language = clean["language"]
        practice.target_countries = clean["target_countries"]
        practice.updated_at = timezone.now()
        # Where practices are validated, a member's edit is validated too: the edited
        # practice leaves the feed for the moderation queue until a manager validates it.
        if practice.status == PracticeStatus.PUBLISHED:
            practice.status = _publication_status(actor, organization)
        practice.save(
            update_fields=[
                "topic",
                "title",
                "body",
                "body_html",
                "language",
                "target_countries",
                "status",
                "updated_at",
            ]
        )
        _set_tags(practice, clean["tags"])
        _set_job_type_targets(practice, clean["target_job_types"])
        update_search_vector(practice)
        _audit(
            AuditAction.UPDATE,
            actor=actor,
            organization=organization,
            object_type="practice",
            ids=[practice.pk],
            request=request,
        )
    return practice


def _set_status(practice: Practice, status: str, *, now=None) -> None:
    fields = ["status", "updated_at"]
    practice.status = status
    practice.updated_at = now or timezone.now()
    if status == PracticeStatus.PUBLISHED and practice.published_at is None:
        practice.published_at = practice.updated_at
        fields.append("published_at")
    practice.save(update_fields=fields)


@transaction.atomic
def practice_publish(*, actor, practice: Practice, request=None) -> Practice:
    """Publish one's own draft (or send it to the moderation queue)."""
    organization = _organization(actor, Capability.CONTENT_WRITE)
    with tenant_context(organization):
        practice = _locked_practice(practice)
        _require_author_or_curator(actor, organization, practice)
        if practice.status != PracticeStatus.DRAFT:
            raise ValidationError({"status": _("Only a draft can be published.")})
        status = _publication_status(actor, organization)
        now = timezone.now()
        _set_status(practice, status, now=now)
        _audit(
            AuditAction.UPDATE,
            actor=actor,
            organization=organization,
            object_type="practice",
            ids=[practice.pk],
            request=request,
            status=str(status),
        )
        activity_record(user=actor, when=now)
    return practice


def _delete_files(names: list[tuple]) -> None:
    for storage, name in names:
        try:
            storage.delete(name)
        except Exception:  # noqa: BLE001, S112 -- a missing file must not stop the others
            continue


@transaction.atomic
def practice_delete(*, actor, practice: Practice, request=None) -> None:
    """Delete one's own practice (a manager may delete any), its attachments' files too
    (once the deletion is committed)."""
    organization = _organization(actor, Capability.CONTENT_WRITE)
    with tenant_context(organization):
        practice = _locked_practice(practice)
        _require_author_or_curator(actor, organization, practice)
        files = []
        for attachment in Attachment.objects.filter(practice=practice):
            for field_file in (attachment.file, attachment.thumbnail):
                if field_file and field_file.name:
                    files.append((field_file.storage, field_file.name))
        practice_id = practice.pk
        practice.delete()
        _audit(
            AuditAction.DELETE,
            actor=actor,
            organization=organization,
            object_type="practice",
            ids=[practice_id],
            request=request,
            attachments=len(files),
        )
    if files:
        transaction.on_commit(lambda: _delete_files(files))


# --- Curation (managers: Capability.CONTENT_CURATE) --------------------------------------------


def _curated(practice, *, statuses: Iterable[str], message: str) -> Practice:
    practice = _locked_practice(practice)
    if practice.status not in set(statuses):
        raise ValidationError({"status": message})
    return practice


@transaction.atomic
def practice_validate(*, actor, practice: Practice, request=None) -> Practice:
    """Pending → published; the author is notified."""
    organization = _organization(actor, Capability.CONTENT_CURATE)
    with tenant_context(organization):
        practice = _curated(
            practice,
            statuses=[PracticeStatus.PENDING],
            message=_("This practice is not waiting for validation."),
        )
        _set_status(practice, PracticeStatus.PUBLISHED)
        notifications.notify_moderated(practice=practice, actor=actor, approved=True)
        _audit(
            AuditAction.UPDATE,
            actor=actor,
            organization=organization,
            object_type="practice",
            ids=[practice.pk],
            request=request,
            status=PracticeStatus.PUBLISHED.value,
            moderation="validated",
        )
    return practice


@transaction.atomic
def practice_reject(*, actor, practice: Practice, reason: str, request=None) -> Practice:
    """Pending → draft; the author is notified with the reason (kept out of the log)."""
    organization = _organization(actor, Capability.CONTENT_CURATE)
    with tenant_context(organization):
        practice = _curated(
            practice,
            statuses=[PracticeStatus.PENDING],
            message=_("This practice is not waiting for validation."),
        )
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reason": _("Tell the author why.")})
        if len(reason) > REASON_MAX:
            raise ValidationError(
                {"reason": _("At most %(max)d characters.") % {"max": REASON_MAX}}
            )
        _set_status(practice, PracticeStatus.DRAFT)
        notifications.notify_moderated(
            practice=practice, actor=actor, approved=False, reason=reason
        )
        _audit(
            AuditAction.UPDATE,
            actor=actor,
            organization=organization,
            object_type="practice",
            ids=[practice.pk],
            request=request,
            status=PracticeStatus.DRAFT.value,
            moderation="rejected",
        )
    return practice


@transaction.atomic
def practice_boost(
    *, actor, practice: Practice, until: datetime.datetime, request=None
) -> Practice:
    """Push a published practice to the top of the feed until ``until`` (future, ≤ 90 days)."""
    organization = _organization(actor, Capability.CONTENT_CURATE)
    with tenant_context(organization):
        practice = _curated(
            practice,
            statuses=[PracticeStatus.PUBLISHED],
            message=_("Only a published practice can be boosted."),
        )
        now = timezone.now()
        if not isinstance(until, datetime.datetime) or timezone.is_naive(until):
            raise ValidationError({"until": _("Enter a date and time.")})
        if until <= now:
            raise ValidationError({"until": _("Choose a moment in the future.")})
        if until > now + datetime.timedelta(days=BOOST_MAX_DAYS):
            raise ValidationError(
                {"until": _("At most %(days)d days from now.") % {"days": BOOST_MAX_DAYS}}
            )
        practice.boosted_until = until
        practice.save(update_fields=["boosted_until"])
        _audit(
            AuditAction.UPDATE,
            actor=actor,
            organization=organization,
            object_type="practice",
            ids=[practice.pk],
            request=request,
            boosted_until=until.isoformat(),
        )
    return practice


@transaction.atomic
def practice_unboost(*, actor, practice: Practice, request=None) -> Practice:
    organization = _organization(actor, Capability.CONTENT_CURATE)
    with tenant_context(organization):
        practice = _curated(practice, statuses=PracticeStatus.values, message="")
        if practice.boosted_until is not None:
            practice.boosted_until = None
            practice.save(update_fields=["boosted_until"])
            _audit(
                AuditAction.UPDATE,
                actor=actor,
                organization=organization,
                object_type="practice",
                ids=[practice.pk],
                request=request,
                boosted_until=None,
            )
    return practice


@transaction.atomic
def practice_highlight(*, actor, practice: Practice, request=None) -> Practice:
    """Feature a published practice (shown as such, included in digests); notifies its author."""
    organization = _organization(actor, Capability.CONTENT_CURATE)
    with tenant_context(organization):
        practice = _curated(
            practice,
            statuses=[PracticeStatus.PUBLISHED],
            message=_("Only a published practice can be highlighted."),
        )
        if practice.highlighted_at is None:
            practice.highlighted_at = timezone.now()
            practice.save(update_fields=["highlighted_at"])
            notifications.notify_highlighted(practice=practice, actor=actor)
            _audit(
                AuditAction.UPDATE,
                actor=actor,
                organization=organization,
                object_type="practice",
                ids=[practice.pk],
                request=request,
                highlighted=True,
            )
    return practice


@transaction.atomic
def practice_unhighlight(*, actor, practice: Practice, request=None) -> Practice:
    organization = _organization(actor, Capability.CONTENT_CURATE)
    with tenant_context(organization):
        practice = _curated(practice, statuses=PracticeStatus.values, message="")
        if practice.highlighted_at is not None:
            practice.highlighted_at = None
            practice.save(update_fields=["highlighted_at"])
            _audit(
                AuditAction.UPDATE,
                actor=actor,
                organization=organization,
                object_type="practice",
                ids=[practice.pk],
                request=request,
                highlighted=False,
            )
    return practice


@transaction.atomic
def practice_archive(*, actor, practice: Practice, request=None) -> Practice:
    """Take a practice out of the feed and search (kept, visible to its author and managers);
    its boost ends."""
    organization = _organization(actor, Capability.CONTENT_CURATE)
    with tenant_context(organization):
        practice = _curated(
            practice,
            statuses=[PracticeStatus.PUBLISHED, PracticeStatus.PENDING, PracticeStatus.DRAFT],
            message=_("This practice is already archived."),
        )
        practice.status = PracticeStatus.ARCHIVED
        practice.boosted_until = None
        practice.updated_at = timezone.now()
        practice.save(update_fields=["status", "boosted_until", "updated_at"])
        _audit(
            AuditAction.UPDATE,
            actor=actor,
            organization=organization,
            object_type="practice",
            ids=[practice.pk],
            request=request,
            status=PracticeStatus.ARCHIVED.value,
        )
    return practice


@transaction.atomic
def practice_unarchive(*, actor, practice: Practice, request=None) -> Practice:
    """Archived → published (its first publication date is kept)."""
    organization = _organization(actor, Capability.CONTENT_CURATE)
    with tenant_context(organization):
        practice = _curated(
            practice,
            statuses=[PracticeStatus.ARCHIVED],
            message=_("This practice is not archived."),
        )
        _set_status(practice, PracticeStatus.PUBLISHED)
        _audit(
            AuditAction.UPDATE,
            actor=actor,
            organization=organization,
            object_type="practice",
            ids=[practice.pk],
            request=request,
            status=PracticeStatus.PUBLISHED.value,
        )
    return practice


# --- Reactions, comments, reads (members: Capability.CONTENT_WRITE / CONTENT_READ) ----------

_COUNTER_OF = {
    ReactionKind.USEFUL: "useful_count",
    ReactionKind.ADOPTED: "adoption_count",
}


def _published(practice, message: str) -> Practice:
    practice = _in_scope(Practice, practice)
    if practice.status != PracticeStatus.PUBLISHED:
        raise ValidationError({"practice": message})
    return practice


@transaction.atomic
def reaction_set(
    *, actor, practice: Practice, kind: ReactionKind | str, on: bool, request=None
) -> Practice:
    """Set or clear the actor's useful / adopted / bookmark mark on a published practice.

    Idempotent (one row per kind, a unique constraint; a concurrent double click finds the
    row the other made); the practice's counters move only when the mark changes; returns the
    practice with fresh counters. Adopting notifies the author.
    """
    organization = _organization(actor, Capability.CONTENT_WRITE)
    if kind not in ReactionKind.values:
        raise ValidationError({"kind": _("Unknown reaction.")})
    kind = ReactionKind(kind)
    with tenant_context(organization):
        practice = _published(practice, _("Only a published practice takes reactions."))
        counter = _COUNTER_OF.get(kind)
        changed = False
        if on:
            try:
                with transaction.atomic():
                    _reaction, changed = Reaction.objects.get_or_create(
                        organization=organization, practice=practice, user=actor, kind=kind
                    )
            except IntegrityError:  # created by a concurrent request between get and create
                changed = False
            if changed and counter:
                Practice.objects.filter(pk=practice.pk).update(**{counter: F(counter) + 1})
        else:
            deleted, _by_model = Reaction.objects.filter(
                practice=practice, user=actor, kind=kind
            ).delete()
            changed = deleted > 0
            if changed and counter:
                Practice.objects.filter(pk=practice.pk).update(
                    **{counter: Greatest(F(counter) - 1, 0)}
                )
        if changed:
            practice.refresh_from_db(fields=["adoption_count", "useful_count"])
            if on and kind == ReactionKind.ADOPTED:
                notifications.notify_adopted(practice=practice, adopter=actor)
            _audit(
                AuditAction.CREATE if on else AuditAction.DELETE,
                actor=actor,
                organization=organization,
                object_type="reaction",
                ids=[practice.pk],
                request=request,
                kind=kind.value,
            )
            if on:
                activity_record(user=actor)
    return practice


@transaction.atomic
def comment_add(
    *, actor, practice: Practice, body: str, parent: Comment | None = None, request=None
) -> Comment:
    """Comment on a published practice, or reply to a top-level comment of the same practice
    (a reply to a reply is refused). Notifies the practice's author and the parent's author."""
    organization = _organization(actor, Capability.CONTENT_WRITE)
    with tenant_context(organization):
        practice = _published(practice, _("Only a published practice takes comments."))
        errors = {}
        body = (body or "").strip()
        if not body:
            errors["body"] = _("Write a comment.")
        elif len(body) > COMMENT_MAX:
            errors["body"] = _("At most %(max)d characters.") % {"max": COMMENT_MAX}
        found_parent = None
        if parent is not None:
            found_parent = Comment.objects.filter(
                pk=getattr(parent, "pk", parent), practice_id=practice.pk
            ).first()
            if found_parent is None:
                errors["parent"] = _("This comment is not on this practice.")
            elif found_parent.parent_id is not None:
                errors["parent"] = _("A reply cannot be answered: answer the first comment.")
        if errors:
            raise ValidationError(errors)
        comment = Comment.objects.create(
            organization=organization,
            practice=practice,
            author=actor,
            parent=found_parent,
            body=body,
        )
        Practice.objects.filter(pk=practice.pk).update(comment_count=F("comment_count") + 1)
        notifications.notify_comment(comment=comment)
        _audit(
            AuditAction.CREATE,
            actor=actor,
            organization=organization,
            object_type="comment",
            ids=[comment.pk],
            request=request,
            practice=str(practice.pk),
            reply=found_parent is not None,
        )
        activity_record(user=actor, when=comment.created_at)
    return comment


@transaction.atomic
def comment_delete(*, actor, comment: Comment, request=None) -> None:
    """Delete one's own comment (a manager may delete any); its replies go with it."""
    organization = _organization(actor, Capability.CONTENT_WRITE)
    with tenant_context(organization):
        comment = _in_scope(Comment, comment)
        if comment.author_id != actor.pk and not _can_curate(actor, organization):
            raise PermissionDenied(_("Only its author or a manager may delete this comment."))
        removed = 1 + Comment.objects.filter(parent_id=comment.pk).count()
        comment_id, practice_id = comment.pk, comment.practice_id
        comment.delete()
        Practice.objects.filter(pk=practice_id).update(
            comment_count=Greatest(F("comment_count") - removed, 0)
        )
        _audit(
            AuditAction.DELETE,
            actor=actor,
            organization=organization,
            object_type="comment",
            ids=[comment_id],
            request=request,
            practice=str(practice_id),
            replies=removed - 1,
        )


@transaction.atomic
def practice_viewed(*, actor, practice: Practice, request=None) -> None:
    """Count a view: the view counter, the member's PracticeRead row, their month's activity.
    (The read itself is in the access log: ``queries.practice_for_member`` records it.)"""
    organization = _organization(actor, Capability.CONTENT_READ)
    with tenant_context(organization):
        from .queries import visible_practices

        practice_id = getattr(practice, "pk", practice)
        # Only a practice the member may open counts (the same rule as the page).
        visible = visible_practices(actor).filter(pk=practice_id)
        if not Practice.objects.filter(pk__in=visible).update(view_count=F("view_count") + 1):
            raise Http404
        now = timezone.now()
        updated = PracticeRead.objects.filter(practice_id=practice_id, user_id=actor.pk).update(
            last_read_at=now
        )
        if not updated:
            try:
                with transaction.atomic():
                    PracticeRead.objects.create(
                        organization=organization,
                        practice_id=practice_id,
                        user_id=actor.pk,
                        first_read_at=now,
                        last_read_at=now,
                    )
            except IntegrityError:  # a concurrent first view
                pass
        activity_record(user=actor, when=now)


def activity_record(*, user, when: datetime.datetime | None = None) -> None:
    """Mark the member active in the month of ``when`` (idempotent; one row per month)."""
    if user is None or not getattr(user, "organization_id", None):
        return  # staff: no organization, no activity figures
    month = timezone.localdate(when or timezone.now()).replace(day=1)
    with tenant_context(user.organization_id):
        if MonthlyActivity.objects.filter(user_id=user.pk, month=month).exists():
            return
        try:
            with transaction.atomic():
                MonthlyActivity.objects.create(
                    organization_id=user.organization_id, user_id=user.pk, month=month
                )
        except IntegrityError:  # recorded by a concurrent request
            pass
