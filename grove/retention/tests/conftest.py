"""What the retention tests share: two organizations full of data, files in a private storage.

``retention_world`` gives organization A (``org_a``: Alice, Bob the manager, Dora a member who
left) and organization B (``org_b``: Charlie, Erin its manager), each with practices, tags,
attachments with real files in storage, reactions, a comment and its reply, reads, monthly
activity, notifications, invitations, API tokens, a second-factor device, a data-subject request
with its step, and access-log events in its chain. ``populate(org, ...)`` is the builder, for a
test that needs a third organization. Every value is distinctive (``*@a.example``,
``*@b.example``) so that searching the database for an email is meaningful.

``media_root`` (autouse here) points the default storage at a temporary directory: the files
the purge deletes are this test's own.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from grove.accounts.models import Invitation, OrgRole, User
from grove.api.models import ApiToken
from grove.audit.events import record_event
from grove.audit.models import AuditAction
from grove.core.testing.factories import (
    CommentFactory,
    JobTypeFactory,
    PracticeFactory,
    ReactionFactory,
    TopicFactory,
    UserFactory,
)
from grove.notifications.models import Notification, NotificationPreference, TopicFollow
from grove.practices.models import Attachment, MonthlyActivity, PracticeRead
from grove.privacy.datamap import mapped_models
from grove.rights.models import Channel, DataSubjectRequest, RequestState, RequestStep, RequestType
from grove.tenancy.context import unscoped


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """The default storage writes under this test's temporary directory."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@dataclass
class OrgData:
    organization: object
    manager: User
    members: list[User]
    practices: list = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    dsr: DataSubjectRequest | None = None

    @property
    def people(self) -> list[User]:
        return [self.manager, *self.members]

    @property
    def emails(self) -> list[str]:
        return [person.email for person in self.people]


def populate(org, *, manager: User, members: list[User], practices: int = 3) -> OrgData:
    """Fill ``org`` with a footprint in every table the members can reach (see module doc)."""
    now = timezone.now()
    data = OrgData(organization=org, manager=manager, members=list(members))
    people = data.people
    topic = TopicFactory(organization=org, name=f"Topic of {org.slug}")
    for number in range(practices):
        author = people[number % len(people)]
        practice = PracticeFactory(
            organization=org,
            author=author,
            topic=topic,
            title=f"{org.slug} practice {number}",
            tags=[f"{org.slug}-tag", f"tag{number}"],
        )
        data.practices.append(practice)
    first = data.practices[0]
    with unscoped("test set-up"):
        for number, practice in enumerate(data.practices[:2]):
            photo = default_storage.save(
                f"practices/{org.pk}/photo{number}.jpg", ContentFile(b"jpeg bytes")
            )
            thumb = default_storage.save(
                f"practices/{org.pk}/thumb{number}.jpg", ContentFile(b"thumb bytes")
            )
            data.files += [photo, thumb]
            Attachment.objects.create(
                organization=org,
                practice=practice,
                kind="image",
                file=photo,
                thumbnail=thumb,
                content_type="image/jpeg",
                size=10,
            )
        for person in people:
            for practice in data.practices:
                ReactionFactory(practice=practice, user=person, kind="useful")
                PracticeRead.objects.create(organization=org, practice=practice, user=person)
            MonthlyActivity.objects.create(organization=org, user=person, month=now.date())
            NotificationPreference.objects.create(organization=org, user=person)
            TopicFollow.objects.create(organization=org, user=person, topic=topic)
        comment = CommentFactory(practice=first, author=members[0], body=f"Comment in {org.slug}")
        CommentFactory(practice=first, author=manager, parent=comment, body="A reply")
        Notification.objects.create(
            organization=org, recipient=manager, kind="comment", practice=first, actor=members[0]
        )
        Invitation.objects.create(
            organization=org,
            user=members[0],
            token_hash=(org.slug[-1] * 64),
            created_by=manager,
            expires_at=now + datetime.timedelta(days=7),
        )
        ApiToken.objects.create(
            organization=org,
            user=manager,
            name="Manager laptop",
            prefix=f"grv_{org.slug[-1]}x",
            secret_hash=(org.slug[-1] + "b") * 32,
        )
        TOTPDevice.objects.create(user=manager, name="authenticator", confirmed=True)
        data.dsr = DataSubjectRequest.objects.create(
            organization=org,
            subject=members[0],
            request_type=RequestType.ACCESS,
            state=RequestState.RECEIVED,
            channel=Channel.PROFILE,
            filed_by=members[0],
            due_at=now + datetime.timedelta(days=30),
        )
        RequestStep.objects.create(
            organization=org,
            request=data.dsr,
            actor=members[0],
            action=AuditAction.REQUEST_FILED,
            state=RequestState.RECEIVED,
        )
    for practice in data.practices:
        record_event(
            action=AuditAction.VIEW,
            actor=manager,
            organization=org,
            object_type="practice",
            object_ids=[practice.pk],
        )
    record_event(
        action=AuditAction.VIEW,
        actor=manager,
        organization=org,
        object_type="user",
        object_ids=[members[0].pk],
        subject_user=members[0],
    )
    return data


@dataclass
class World:
    a: OrgData
    b: OrgData


@pytest.fixture
def retention_world(org_a, org_b, alice, bob, charlie) -> World:
    """Organizations A and B, both populated (see the module docstring)."""
    dora = UserFactory.create(
        email="dora@a.example",
        first_name="Dora",
        last_name="Dahl",
        organization=org_a,
        org_role=OrgRole.MEMBER,
        job_type=JobTypeFactory(organization=org_a, name="Buyer"),
        password="!",
    )
    erin = UserFactory.create(
        email="erin@b.example",
        first_name="Erin",
        last_name="Eklund",
        organization=org_b,
        org_role=OrgRole.MANAGER,
        password="!",
    )
    return World(
        a=populate(org_a, manager=bob, members=[alice, dora]),
        b=populate(org_b, manager=erin, members=[charlie]),
    )


def table_counts() -> dict[str, int]:
    """Rows per table of the whole database (every table, whatever the models say)."""
    from django.conf import settings

    counts = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("RESET ROLE")
        try:
            for table in connection.introspection.table_names(cursor):
                quoted = connection.ops.quote_name(table)
                cursor.execute(f"SELECT COUNT(*) FROM {quoted}")  # noqa: S608 -- catalogue
                counts[table] = cursor.fetchone()[0]
        finally:
            if connection.vendor == "postgresql" and settings.GROVE_DB_APP_ROLE:
                cursor.execute(f'SET ROLE "{settings.GROVE_DB_APP_ROLE}"')
    return counts


def organization_counts(organization) -> dict[str, int]:
    """Rows per tenant-owned model of ``organization`` (through the ORM, unscoped)."""
    counts = {}
    with unscoped("test: counting an organization's rows"):
        for model in mapped_models():
            if any(f.name == "organization" for f in model._meta.local_concrete_fields):
                counts[model._meta.label] = model._base_manager.filter(
                    organization_id=organization.pk
                ).count()
    return counts
