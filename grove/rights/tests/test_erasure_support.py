"""What the erasure tests share: a person with a footprint in every corner, and the searches.

The person has distinctive values (an accented first name, a rare last name) so that finding
any of them anywhere after the erasure is a real leak, never a coincidence.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, models
from django.db.models.functions import Cast
from django.utils import timezone

from grove.accounts.models import Invitation, OrgRole, User
from grove.api.models import ApiToken
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.core.testing.factories import (
    CommentFactory,
    JobTypeFactory,
    PracticeFactory,
    ReactionFactory,
    UserFactory,
)
from grove.notifications.models import Notification, NotificationPreference, TopicFollow
from grove.practices.models import Attachment, MonthlyActivity, PracticeRead
from grove.privacy.datamap import mapped_models
from grove.rights.models import (
    Channel,
    DataSubjectRequest,
    PersonalDataExport,
    RequestState,
    RequestStep,
    RequestType,
)
from grove.tenancy.context import unscoped

EMAIL = "zephyrine.quaglietti@a.example"
FIRST_NAME = "Zéphyrine"
LAST_NAME = "Quaglietti"
NEW_FIRST_NAME = "Zéphy"  # her rectified first name: also hers, also erased


def needles() -> list[str]:
    """What must be found nowhere, lower-cased, also as JSON escapes them (``\\u00e9``)."""
    values = [EMAIL, FIRST_NAME, LAST_NAME, NEW_FIRST_NAME]
    found = set()
    for value in values:
        found.add(value.lower())
        found.add(json.dumps(value)[1:-1].lower())
    return sorted(found)


@dataclass
class Footprint:
    person: User
    practice: object
    draft: object
    colleague_practice: object
    files: list[str] = field(default_factory=list)
    export_file: str = ""
    attachment_files: list[str] = field(default_factory=list)


def make_person(org, *, role=OrgRole.MEMBER) -> User:
    job = JobTypeFactory(organization=org, name="Buyer")
    return UserFactory.create(
        email=EMAIL,
        first_name=FIRST_NAME,
        last_name=LAST_NAME,
        organization=org,
        org_role=role,
        job_type=job,
        country="IT",
        language="fr",
        password="!",  # no hashing: a password plays no part here
    )


def make_footprint(org, *, person, alice, bob) -> Footprint:
    """Rows about ``person`` in every model that can hold them, and files in storage."""
    now = timezone.now()
    practice = PracticeFactory(organization=org, author=person, title="Cold chain checks")
    draft = PracticeFactory(organization=org, author=person, status="draft", title="Draft idea")
    colleague_practice = PracticeFactory(organization=org, author=bob, title="Bob's practice")
    with unscoped("test set-up"):
        attachment_files = [
            default_storage.save(f"practices/{org.pk}/photo.jpg", ContentFile(b"jpeg bytes")),
            default_storage.save(f"practices/{org.pk}/thumb.jpg", ContentFile(b"thumb bytes")),
        ]
        Attachment.objects.create(
            organization=org,
            practice=practice,
            kind="image",
            file=attachment_files[0],
            thumbnail=attachment_files[1],
            content_type="image/jpeg",
            size=10,
        )
        CommentFactory(practice=colleague_practice, author=person, body="We do it too")
        CommentFactory(practice=practice, author=alice, body="Nice one")
        for kind in ("useful", "adopted", "bookmark"):
            ReactionFactory(practice=colleague_practice, user=person, kind=kind)
        ReactionFactory(practice=practice, user=alice, kind="useful")
        PracticeRead.objects.create(organization=org, practice=colleague_practice, user=person)
        MonthlyActivity.objects.create(organization=org, user=person, month=now.date())
        Notification.objects.create(
            organization=org, recipient=person, kind="comment", practice=practice, actor=alice
        )
        Notification.objects.create(
            organization=org, recipient=bob, kind="adopted", practice=colleague_practice,
            actor=person,
        )  # fmt: skip
        NotificationPreference.objects.create(organization=org, user=person)
        TopicFollow.objects.create(organization=org, user=person, topic=practice.topic)
        Invitation.objects.create(
            organization=org,
            user=person,
            token_hash="a" * 64,
            created_by=bob,
            expires_at=now + datetime.timedelta(days=7),
        )
        ApiToken.objects.create(
            organization=org, user=person, name="My laptop", prefix="grv_zq", secret_hash="b" * 64
        )
        rectified = DataSubjectRequest.objects.create(
            organization=org,
            subject=person,
            request_type=RequestType.RECTIFICATION,
            state=RequestState.FULFILLED,
            channel=Channel.PROFILE,
            filed_by=person,
            due_at=now + datetime.timedelta(days=30),
            rectification={"first_name": {"before": FIRST_NAME, "after": NEW_FIRST_NAME}},
        )
        RequestStep.objects.create(
            organization=org,
            request=rectified,
            actor=person,
            action=AuditAction.REQUEST_FILED,
            state=RequestState.RECEIVED,
        )
        export_file = default_storage.save(
            f"exports/{org.pk}/export.zip",
            ContentFile(f"{EMAIL} {FIRST_NAME} {LAST_NAME}".encode()),
        )
        PersonalDataExport.objects.create(
            organization=org,
            subject=person,
            created_by=person,
            file=export_file,
            token_hash="c" * 64,
            expires_at=now + datetime.timedelta(days=7),
        )
    record_event(
        action=AuditAction.VIEW,
        actor=bob,
        organization=org,
        object_type="user",
        object_ids=[person.pk],
        subject_user=person,
    )
    return Footprint(
        person=person,
        practice=practice,
        draft=draft,
        colleague_practice=colleague_practice,
        export_file=export_file,
        attachment_files=attachment_files,
    )


# --- The searches ------------------------------------------------------------------------------

_TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField, models.FileField)


def search_through_the_data_map(values: list[str]) -> list[str]:
    """Every text and JSON column of every mapped model, read through the ORM: the hits."""
    hits = []
    with unscoped("test: searching every table for the erased person"):
        for model in mapped_models():
            fields = [f for f in model._meta.local_concrete_fields if isinstance(f, _TEXT_FIELDS)]
            if not fields:
                continue
            rows = model._base_manager.annotate(
                **{f"_text_{f.attname}": Cast(f.attname, models.TextField()) for f in fields}
            )
            anywhere = models.Q()
            for f in fields:
                for value in values:
                    anywhere |= models.Q(**{f"_text_{f.attname}__icontains": value})
            if not rows.filter(anywhere).exists():
                continue
            for f in fields:
                for value in values:
                    if rows.filter(**{f"_text_{f.attname}__icontains": value}).exists():
                        hits.append(f"{model._meta.label}.{f.name} holds {value!r}")
    return hits


def _like_escaped(value: str) -> str:
    return value.replace("!", "!!").replace("%", "!%").replace("_", "!_")


def _count(cursor, table: str, pairs: list[tuple[str, str]]) -> int:
    quote = connection.ops.quote_name
    where = " OR ".join(
        f"LOWER(CAST({quote(column)} AS TEXT)) LIKE %s ESCAPE '!'" for column, _value in pairs
    )
    cursor.execute(
        f"SELECT COUNT(*) FROM {quote(table)} WHERE {where}",  # noqa: S608 -- catalogue names
        [f"%{_like_escaped(value)}%" for _column, value in pairs],
    )
    return cursor.fetchone()[0]


def search_blindly(values: list[str]) -> list[str]:
    """Every column of every table the database has, cast to text, whatever the models say.

    On PostgreSQL, as the login role (a superuser in the test set-up): row-level security
    hides nothing from it.
    """
    hits = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("RESET ROLE")
        try:
            for table in connection.introspection.table_names(cursor):
                columns = [
                    c.name for c in connection.introspection.get_table_description(cursor, table)
                ]
                pairs = [(column, value) for column in columns for value in values]
                if not pairs or not _count(cursor, table, pairs):
                    continue
                for column, value in pairs:
                    if _count(cursor, table, [(column, value)]):
                        hits.append(f"{table}.{column} holds {value!r}")
        finally:
            if connection.vendor == "postgresql" and settings.GROVE_DB_APP_ROLE:
                cursor.execute(f'SET ROLE "{settings.GROVE_DB_APP_ROLE}"')
    return hits
