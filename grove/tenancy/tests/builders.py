"""One row builder per tenant-owned model, for the isolation tests that run over every one of them.

A new tenant-owned model needs an entry in BUILDERS (test_isolation_orm.py fails until it has
one): ``create(org)`` saves a row of ``org``, ``new(org)`` returns an unsaved one, and ``change``
names a field and a value for the update tests.
"""

from __future__ import annotations

import datetime
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from django.db import connection, models
from django.utils import timezone

from grove.accounts.models import Invitation, OrgRole, StaffRole, User
from grove.api.models import ApiToken
from grove.audit.models import AuditAction, AuditEvent
from grove.notifications.models import (
    Notification,
    NotificationKind,
    NotificationPreference,
    TopicFollow,
)
from grove.onboarding.models import ImportIssue, ScimToken, UserImport
from grove.practices.models import (
    Attachment,
    AttachmentKind,
    Comment,
    MonthlyActivity,
    Practice,
    PracticeJobTypeTarget,
    PracticeRead,
    PracticeTag,
    Reaction,
    ReactionKind,
    Tag,
    Topic,
)
from grove.retention.models import (
    DeletionCertificate,
    EarlyEndNote,
    LegalHold,
    OrganizationExport,
    PurgeKind,
)
from grove.rights.models import (
    Channel,
    DataSubjectRequest,
    ErasureRecord,
    PersonalDataExport,
    RequestState,
    RequestStep,
    RequestType,
)
from grove.staff.models import AccessGrant, CsmAssignment
from grove.subprocessors.models import ChangeKind, ChangeNotice, NoticeDelivery, SubprocessorChange
from grove.tenancy.context import unscoped
from grove.tenancy.models import JobType, Organization

_serial = itertools.count()


def _n() -> int:
    return next(_serial)


@dataclass(frozen=True)
class RowBuilder:
    new: Callable[[Organization], models.Model]  # an unsaved row belonging to the organization
    change: tuple[str, Callable[[], Any]]  # (field, value factory) for update tests
    append_only: bool = False  # save() of an existing row and delete() raise TypeError
    # Organization itself: its "row of A" is A, and a new row is a new organization.
    is_tenant: bool = False

    def create(self, organization: Organization) -> models.Model:
        if self.is_tenant:
            return organization
        row = self.new(organization)
        with unscoped("test set-up"):
            row.save()
        return row


def new_organization(_organization: Organization | None = None) -> Organization:
    n = _n()
    today = timezone.now().date()
    return Organization(
        id=uuid.uuid4(),
        name=f"Built organization {n}",
        slug=f"built-{n}",
        contract_start=today,
        contract_end=today,
        data_region="eu-west",
    )


def new_user(organization: Organization) -> User:
    user = User(
        email=f"built{_n()}@client.example",
        first_name="Built",
        last_name="Person",
        organization=organization,
        org_role=OrgRole.MEMBER,
    )
    user.set_unusable_password()  # no Argon2 round per row
    return user


def new_job_type(organization: Organization) -> JobType:
    return JobType(organization=organization, name=f"Built job {_n()}")


def new_audit_event(organization: Organization) -> AuditEvent:
    return AuditEvent(organization=organization, action=AuditAction.USER_CHANGED)


def staff_user() -> User:
    user = User(
        email=f"built-staff{_n()}@grove.example",
        first_name="Built",
        last_name="Staff",
        staff_role=StaffRole.CSM,
    )
    user.set_unusable_password()
    with unscoped("test set-up"):
        user.save()
    return user


def new_csm_assignment(organization: Organization) -> CsmAssignment:
    return CsmAssignment(organization=organization, csm=staff_user())


def new_access_grant(organization: Organization) -> AccessGrant:
    return AccessGrant(
        organization=organization, requester=staff_user(), reason="Built", ticket_ref="INC-1"
    )


_M = TypeVar("_M", bound=models.Model)


def _saved(row: _M) -> _M:
    with unscoped("test set-up"):
        row.save()
    return row


def new_topic(organization: Organization) -> Topic:
    return Topic(organization=organization, name=f"Built topic {_n()}")


def new_tag(organization: Organization) -> Tag:
    return Tag(organization=organization, name=f"built-tag-{_n()}")


def new_practice(organization: Organization) -> Practice:
    return Practice(
        organization=organization,
        author=_saved(new_user(organization)),
        topic=_saved(new_topic(organization)),
        title="Built practice",
        body="Built body",
        body_html="<p>Built body</p>",
    )


def _on_practice(organization: Organization, model: type[models.Model], **fields) -> models.Model:
    return model(organization=organization, practice=_saved(new_practice(organization)), **fields)


def new_user_import(organization: Organization) -> UserImport:
    return UserImport(
        organization=organization, source="cli", file_sha256="0" * 64, file_format="csv"
    )


def new_data_subject_request(organization: Organization) -> DataSubjectRequest:
    return DataSubjectRequest(
        organization=organization,
        subject=_saved(new_user(organization)),
        request_type=RequestType.ACCESS,
        channel=Channel.PROFILE,
        due_at=timezone.now() + datetime.timedelta(days=30),
    )


def new_change_notice() -> ChangeNotice:
    change = SubprocessorChange.objects.create(
        kind=ChangeKind.ADD, impact="Built impact", proposed_by=staff_user()
    )
    return ChangeNotice.objects.create(
        change=change,
        summary="Built notice",
        implications="None",
        effective_on=timezone.now().date() + datetime.timedelta(days=30),
    )


BUILDERS: dict[type[models.Model], RowBuilder] = {
    Organization: RowBuilder(
        new=new_organization, change=("name", lambda: "Renamed"), is_tenant=True
    ),
    JobType: RowBuilder(new=new_job_type, change=("name", lambda: "Renamed job")),
    User: RowBuilder(new=new_user, change=("first_name", lambda: "Mallory")),
    AuditEvent: RowBuilder(
        new=new_audit_event, change=("action", lambda: AuditAction.LOGIN), append_only=True
    ),
    CsmAssignment: RowBuilder(new=new_csm_assignment, change=("ended_at", timezone.now)),
    AccessGrant: RowBuilder(new=new_access_grant, change=("ticket_ref", lambda: "INC-2")),
    Topic: RowBuilder(new=new_topic, change=("name", lambda: "Renamed topic")),
    Tag: RowBuilder(new=new_tag, change=("name", lambda: "renamed-tag")),
    Practice: RowBuilder(new=new_practice, change=("title", lambda: "Renamed practice")),
    PracticeTag: RowBuilder(
        new=lambda org: _on_practice(org, PracticeTag, tag=_saved(new_tag(org))),
        change=("created_at", timezone.now),
    ),
    PracticeJobTypeTarget: RowBuilder(
        new=lambda org: _on_practice(
            org, PracticeJobTypeTarget, job_type=_saved(new_job_type(org))
        ),
        change=("created_at", timezone.now),
    ),
    Attachment: RowBuilder(
        new=lambda org: _on_practice(
            org,
            Attachment,
            kind=AttachmentKind.IMAGE,
            file=f"practices/built-{_n()}.jpg",
            content_type="image/jpeg",
            size=1,
        ),
        change=("download_count", lambda: 7),
    ),
    Reaction: RowBuilder(
        new=lambda org: _on_practice(
            org, Reaction, user=_saved(new_user(org)), kind=ReactionKind.USEFUL
        ),
        change=("kind", lambda: ReactionKind.ADOPTED),
    ),
    Comment: RowBuilder(
        new=lambda org: _on_practice(
            org, Comment, author=_saved(new_user(org)), body="Built comment"
        ),
        change=("body", lambda: "Changed comment"),
    ),
    PracticeRead: RowBuilder(
        new=lambda org: _on_practice(org, PracticeRead, user=_saved(new_user(org))),
        change=("last_read_at", timezone.now),
    ),
    MonthlyActivity: RowBuilder(
        new=lambda org: MonthlyActivity(
            organization=org, user=_saved(new_user(org)), month=timezone.now().date()
        ),
        change=("month", lambda: timezone.now().date().replace(day=1)),
    ),
    Notification: RowBuilder(
        new=lambda org: _on_practice(
            org, Notification, recipient=_saved(new_user(org)), kind=NotificationKind.ADOPTED
        ),
        change=("read_at", timezone.now),
    ),
    NotificationPreference: RowBuilder(
        new=lambda org: NotificationPreference(organization=org, user=_saved(new_user(org))),
        change=("digest_frequency", lambda: "daily"),
    ),
    TopicFollow: RowBuilder(
        new=lambda org: TopicFollow(
            organization=org, user=_saved(new_user(org)), topic=_saved(new_topic(org))
        ),
        change=("created_at", timezone.now),
    ),
    ApiToken: RowBuilder(
        new=lambda org: ApiToken(
            organization=org,
            user=_saved(new_user(org)),
            name="Built token",
            prefix=f"b{_n():011d}",
            secret_hash="0" * 64,
        ),
        change=("revoked_at", timezone.now),
    ),
    UserImport: RowBuilder(new=new_user_import, change=("total_rows", lambda: 42)),
    ImportIssue: RowBuilder(
        new=lambda org: ImportIssue(
            organization=org, user_import=_saved(new_user_import(org)), line=2, code="email"
        ),
        change=("code", lambda: "country"),
    ),
    Invitation: RowBuilder(
        new=lambda org: Invitation(
            organization=org,
            user=_saved(new_user(org)),
            expires_at=timezone.now() + datetime.timedelta(days=7),
        ),
        change=("opened_at", timezone.now),
    ),
    ScimToken: RowBuilder(
        new=lambda org: ScimToken(
            organization=org, name="Okta", prefix=f"scim{_n()}", secret_hash="0" * 64
        ),
        change=("name", lambda: "Entra ID"),
    ),
    DataSubjectRequest: RowBuilder(
        new=new_data_subject_request, change=("state", lambda: RequestState.IN_PROGRESS)
    ),
    RequestStep: RowBuilder(
        new=lambda org: RequestStep(
            organization=org,
            request=_saved(new_data_subject_request(org)),
            action="rights.filed",
            state=RequestState.RECEIVED,
        ),
        change=("note", lambda: "Changed note"),
    ),
    PersonalDataExport: RowBuilder(
        new=lambda org: PersonalDataExport(
            organization=org,
            subject=_saved(new_user(org)),
            expires_at=timezone.now() + datetime.timedelta(days=7),
        ),
        change=("downloaded_at", timezone.now),
    ),
    ErasureRecord: RowBuilder(
        new=lambda org: ErasureRecord(
            organization=org, email_hash=f"{_n():064d}", user_id=uuid.uuid4()
        ),
        change=("counts", lambda: {"accounts.User": 1}),
    ),
    NoticeDelivery: RowBuilder(
        new=lambda org: NoticeDelivery(organization=org, notice=new_change_notice()),
        change=("acknowledged_at", timezone.now),
    ),
    LegalHold: RowBuilder(
        new=lambda org: LegalHold(
            organization=org,
            reason="Built hold",
            until=timezone.now().date() + datetime.timedelta(days=30),
            placed_by=staff_user(),
        ),
        change=("reason", lambda: "Changed reason"),
    ),
    DeletionCertificate: RowBuilder(
        new=lambda org: DeletionCertificate(
            organization=org,
            kind=PurgeKind.USER,
            rule="built",
            due_on=timezone.now().date(),
            run_by="test",
        ),
        change=("total_rows", lambda: 42),
    ),
    EarlyEndNote: RowBuilder(
        new=lambda org: EarlyEndNote(
            organization=org,
            ended_by=staff_user(),
            reason="Built reason",
            previous_contract_end=timezone.now().date(),
        ),
        change=("reason", lambda: "Changed reason"),
    ),
    OrganizationExport: RowBuilder(
        new=lambda org: OrganizationExport(organization=org),
        change=("download_count", lambda: 3),
    ),
}


def scope_column(model: type[models.Model]) -> str:
    """The column RLS keys on: the organization id, or Organization's own primary key."""
    # A concrete field always has a column (only non-concrete ones have None).
    return cast(str, model._meta.pk.column) if model is Organization else "organization_id"


def scope_value(row: models.Model) -> uuid.UUID:
    return row.pk if isinstance(row, Organization) else row.organization_id  # type: ignore[attr-defined]


def insert_sql(row: models.Model) -> tuple[str, list[Any]]:
    """A plain INSERT of an unsaved row, built from the model's fields (for raw-SQL tests)."""
    qn = connection.ops.quote_name
    columns, params = [], []
    for model_field in row._meta.concrete_fields:
        value = model_field.pre_save(row, add=True)
        if model_field.primary_key and value is None:
            continue  # serial primary key: the database assigns it
        columns.append(qn(cast(str, model_field.column)))  # concrete: it has a column
        params.append(model_field.get_db_prep_save(value, connection))
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {qn(row._meta.db_table)} ({', '.join(columns)}) VALUES ({placeholders})"
    return sql, params
