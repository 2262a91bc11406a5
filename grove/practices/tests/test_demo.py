"""seed_demo's best practices (grove/practices/demo.py): content, history, photos, idempotence."""

import datetime
import io
from collections import defaultdict

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone
from PIL import Image

from grove.accounts.models import User
from grove.audit.models import AuditEvent
from grove.notifications.models import Notification
from grove.practices.demo import MONTHS, demo_photo
from grove.practices.models import (
    Attachment,
    Comment,
    MonthlyActivity,
    Practice,
    PracticeRead,
    PracticeStatus,
    Reaction,
    ReactionKind,
    Tag,
    Topic,
)
from grove.tenancy.context import unscoped
from grove.tenancy.models import Organization

COUNTED = [
    Practice,
    Reaction,
    Comment,
    PracticeRead,
    MonthlyActivity,
    Attachment,
    Topic,
    Tag,
    User,
    Notification,
    AuditEvent,
]


@pytest.fixture(autouse=True)
def demo_settings(settings, tmp_path):
    settings.DEBUG = True
    # The demo hashes its password once per account; Argon2 would make each run take seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"


def seed() -> None:
    call_command("seed_demo", stdout=io.StringIO())


def row_counts() -> dict[str, int]:
    with unscoped("test: count every row"):
        return {model._meta.label: model.objects.count() for model in COUNTED}


def test_seeding_twice_adds_nothing(db):
    seed()
    before = row_counts()

    seed()

    assert row_counts() == before
    assert before["practices.Practice"] >= 100


def test_the_demo_has_about_120_practices_in_french_and_english_with_six_months_of_life(db):
    seed()
    now = timezone.now()

    with unscoped("test: inspect the demo"):
        demo = Organization.objects.get(slug="demo")
        practices = Practice.objects.filter(organization=demo)
        assert 100 <= practices.count() <= 140
        languages = dict(practices.values_list("language").annotate(n=Count("id")))
        assert languages["fr"] >= 40 and languages["en"] >= 40
        statuses = dict(practices.values_list("status").annotate(n=Count("id")))
        assert statuses[PracticeStatus.PUBLISHED] >= 100
        assert statuses[PracticeStatus.DRAFT] >= 1
        assert statuses[PracticeStatus.PENDING] == 1
        assert not demo.practices_require_validation  # the pending one came while it was on
        assert Topic.objects.filter(organization=demo).count() == 8
        assert practices.values("topic").distinct().count() == 8
        published = practices.filter(status=PracticeStatus.PUBLISHED)
        assert all("**" in p.body and "<strong>" in p.body_html for p in published)
        assert published.filter(tags__isnull=False).distinct().count() == published.count()
        assert published.exclude(target_countries="").exists()
        assert published.filter(target_job_types__isnull=False).exists()
        assert published.values("author").distinct().count() >= 20

        # Spread over the last months, not all today.
        dates = sorted(published.values_list("published_at", flat=True))
        assert dates[-1] < now
        assert (now - dates[0]).days >= 100
        assert (now - dates[len(dates) // 2]).days >= 14

        # The counters are the rows' (the actions moved them), a few practices are adopted by
        # most of the network, and no reaction or comment precedes its practice.
        for practice in published.annotate(
            adopted=Count("reactions", filter=Q(reactions__kind=ReactionKind.ADOPTED)),
            useful=Count("reactions", filter=Q(reactions__kind=ReactionKind.USEFUL)),
        ):
            assert (practice.adoption_count, practice.useful_count) == (
                practice.adopted,
                practice.useful,
            )
        assert sorted(published.values_list("adoption_count", flat=True))[-3] >= 15
        assert Reaction.objects.filter(kind=ReactionKind.BOOKMARK).count() >= 20
        for reaction in Reaction.objects.select_related("practice"):
            assert reaction.practice.published_at <= reaction.created_at < now
        comments = Comment.objects.filter(organization=demo)
        assert comments.filter(parent__isnull=True).count() >= 20
        assert comments.filter(parent__isnull=False).exists()
        assert all(c.created_at < now for c in comments)

        # Curation: boosted for now, highlighted, one archived.
        assert published.filter(boosted_until__gt=now).count() >= 1
        assert published.filter(highlighted_at__isnull=False).count() >= 3
        assert practices.filter(status=PracticeStatus.ARCHIVED).count() == 1

        # The dashboard's history: six months, and in each, at least five active people in
        # every country and job type that has five people.
        members = list(User.objects.filter(organization=demo, is_active=True))
        active = defaultdict(set)
        for user_id, month in MonthlyActivity.objects.values_list("user_id", "month"):
            active[month].add(user_id)
        assert len(active) == MONTHS
        groups = defaultdict(set)
        for member in members:
            groups["country", member.country.code].add(member.pk)
            groups["job", member.job_type_id].add(member.pk)
        big = {key: people for key, people in groups.items() if len(people) >= 5}
        assert len(big) >= 10
        for month, people in active.items():
            for key, group in big.items():
                assert len(people & group) >= 5, (month, key)
            # Members are counted from their account's date; at least five stay inactive, or
            # the dashboard would hide the month's share (it could single them out).
            next_month = (month + datetime.timedelta(days=32)).replace(day=1)
            joined = {m.pk for m in members if m.created_at.date() < next_month}
            assert people <= joined, month
            assert len(joined - people) >= 5, month
        reads = PracticeRead.objects.filter(organization=demo)
        assert reads.count() >= 300
        assert reads.filter(first_read_at__lt=now - datetime.timedelta(days=90)).exists()


def test_the_demo_photos_are_stored_without_their_metadata(db):
    original = Image.open(io.BytesIO(demo_photo("Essai", seed=1)))
    assert original.getexif()  # what a phone sends: a camera model, a GPS position

    seed()

    with unscoped("test: the demo's attachments"):
        attachments = list(Attachment.objects.select_related("practice"))
    assert 30 <= len(attachments) <= 50
    assert all(a.practice.status == PracticeStatus.PUBLISHED for a in attachments)
    for attachment in attachments:
        with default_storage.open(attachment.file.name) as stored:
            data = stored.read()
        image = Image.open(io.BytesIO(data))
        assert not image.getexif()
        assert b"DemoPhone" not in data
        assert b"Exif\x00\x00" not in data
        assert attachment.thumbnail.name
