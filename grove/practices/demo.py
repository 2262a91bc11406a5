"""Demo Retail's best practices for ``seed_demo``: six months of a network sharing what works.

About 120 practices in French and English across eight topics (``demo_content``), written by the
demo members, some targeted at a country or a job type, about 40 with a generated photo; the
members read them, find them useful, adopt them (a few are adopted by most of the network),
bookmark and comment on them; the manager boosts and highlights a few, archives one; some are
drafts and one waits for validation. 28 more store team members join first (the dashboard
shows a country or job type only from five people on).

Writes go through the real actions (``grove.practices.actions``, the attachment actions), so
counters, tags, search vectors, notifications and audit events are what the product makes.
The actions date everything now, so the history is then moved into the past: publication,
reaction and comment dates are rewritten with past timestamps, and the reads and months of
activity behind the dashboard (``PracticeRead``, ``MonthlyActivity``) are written directly
with their past dates, inside the demo's tenant scope — a history cannot be replayed through
actions that stamp "now". The members' accounts, made now by the accounts seed, are dated to
their first month in the history (the dashboard counts members by that date).

Written once: when Demo Retail has any practice the seed leaves practices alone.
"""

from __future__ import annotations

import datetime
import io
import random
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from typing import cast

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from grove.accounts.actions import user_create
from grove.accounts.models import OrgRole, User
from grove.tenancy.context import tenant_context
from grove.tenancy.models import JobType, Organization

from . import actions
from .demo_content import COMMENTS, IDEAS, INTROS, LEADS, REPLIES, RESULT_LABEL, TOPICS, Idea
from .models import (
    Comment,
    MonthlyActivity,
    Practice,
    PracticeRead,
    PracticeStatus,
    Reaction,
    ReactionKind,
    Topic,
)

# Store team members who join Demo Retail with the practices (first name, last name, country,
# job type): with them eight countries and every job type have seven people or more, so the
# dashboard (which hides any group, or remainder, of fewer than five) shows them month by month.
EXTRA_MEMBERS = [
    ("Sophie", "Wagner", "DE", "Visual merchandiser"),
    ("Felix", "Hoffmann", "DE", "Regional sales rep"),
    ("Elena", "Ruiz", "ES", "Visual merchandiser"),
    ("Diego", "Torres", "ES", "Warehouse operator"),
    ("Luca", "Ferrari", "IT", "Warehouse operator"),
    ("Sara", "Colombo", "IT", "Cashier"),
    ("Charlotte", "Brown", "GB", "Visual merchandiser"),
    ("Jack", "Wilson", "GB", "Cashier"),
    ("Élodie", "Lambert", "BE", "Store manager"),
    ("Maxime", "Claes", "BE", "Regional sales rep"),
    ("Nora", "Maes", "BE", "Warehouse operator"),
    ("Lotte", "Mulder", "NL", "Cashier"),
    ("Bram", "de Jong", "NL", "Regional sales rep"),
    ("Tomasz", "Wójcik", "PL", "Store manager"),
    ("Agnieszka", "Kamińska", "PL", "Visual merchandiser"),
    ("Francesca", "Greco", "IT", "Cashier"),
    ("Matteo", "Conti", "IT", "Regional sales rep"),
    ("Olivia", "Davies", "GB", "Store manager"),
    ("George", "Evans", "GB", "Warehouse operator"),
    ("Fleur", "Smit", "NL", "Visual merchandiser"),
    ("Ruben", "Meijer", "NL", "Cashier"),
    ("Michał", "Lewandowski", "PL", "Regional sales rep"),
    ("Ewa", "Zielińska", "PL", "Sales associate"),
    ("Chloé", "Dupont", "BE", "Sales associate"),
    ("Arthur", "Willems", "BE", "Cashier"),
    ("Manon", "Girard", "FR", "Warehouse operator"),
    ("Leonie", "Schulz", "DE", "Store manager"),
    ("Alba", "Navarro", "ES", "Cashier"),
]
FRENCH_SPEAKING = {"FR", "BE"}

MONTHS = 6  # of history, the current month included
DRAFTS = 5
PHOTOS = 40
STARS = 6  # practices most of the network adopts
BOOSTED = 2
HIGHLIGHTED = 5
MANAGER_EMAIL = "manager@demo.example"


@dataclass
class Planned:
    """One practice to write: which idea, in which language, by whom, when."""

    topic: str
    idea: Idea
    language: str
    author: User
    at: datetime.datetime
    status: str = PracticeStatus.PUBLISHED
    targeted_jobs: tuple[str, ...] = ()
    targeted_countries: tuple[str, ...] = ()
    practice: Practice | None = None
    readers: dict = field(default_factory=dict)  # user id -> (first read, last read)

    @property
    def written(self) -> Practice:
        """The practice, once ``_write_practices`` has created it (the later steps run after)."""
        return cast(Practice, self.practice)


def seed_practices(organization: Organization, *, now: datetime.datetime | None = None) -> int:
    """Write Demo Retail's practices and their history unless it has some; return rows made."""
    now = now or timezone.now()
    with tenant_context(organization):
        created = _extra_members(organization)
        if Practice.objects.exists():
            return created
        return created + _Seeder(organization, now).run()


def _extra_members(organization: Organization) -> int:
    from grove.accounts.demo import DEMO_PASSWORD, _email

    created = 0
    password_hash = None
    for first_name, last_name, country, job in EXTRA_MEMBERS:
        email = _email(first_name, last_name, f"{organization.slug}.example")
        if User.objects.filter(email=email).exists():
            continue
        user = user_create(
            actor=None,
            organization=organization,
            email=email,
            first_name=first_name,
            last_name=last_name,
            country=country,
            job_type=JobType.objects.get(name=job),
            org_role=OrgRole.MEMBER,
        )
        # The demo password, hashed once for all of them (Argon2 takes half a second a time,
        # and ``make run`` reruns the seed): the one published password of every demo account.
        password_hash = password_hash or make_password(DEMO_PASSWORD)
        User.objects.filter(pk=user.pk).update(password=password_hash)
        created += 1
    return created


def _month_start(day: datetime.date, back: int) -> datetime.datetime:
    year, month = day.year, day.month - back
    while month < 1:
        year, month = year - 1, month + 12
    return datetime.datetime(year, month, 1, tzinfo=datetime.UTC)


class _Seeder:
    def __init__(self, organization: Organization, now: datetime.datetime):
        self.organization = organization
        self.now = now
        self.rng = random.Random(2026)  # noqa: S311 -- demo data, reproducible on purpose
        people = list(
            User.objects.filter(organization=organization, is_active=True)
            .select_related("job_type")
            .order_by("email")
        )
        self.manager = next(p for p in people if p.email == MANAGER_EMAIL)
        self.members = people
        self.job_types = {j.name: j for j in JobType.objects.all()}
        self.months = [_month_start(now.date(), back) for back in range(MONTHS - 1, -1, -1)]
        self.created = 0

    # -- the whole run ---------------------------------------------------------------------

    def run(self) -> int:
        topics = self._topics()
        self.joined = self._joining_months()
        plan = self._plan()
        self._write_practices(plan, topics)
        published = [p for p in plan if p.status == PracticeStatus.PUBLISHED]
        activity = self._reads(published, plan)
        self._reactions_and_comments(published, activity)
        self._curate(plan, published)
        self._photos(published)
        self._backdate(plan)
        self._activity(plan, activity)
        return self.created

    def _topics(self) -> dict[str, Topic]:
        existing = {t.name: t for t in Topic.objects.all()}
        for name in TOPICS:
            if name not in existing:
                existing[name] = actions.topic_create(actor=self.manager, name=name)
                self.created += 1
        return existing

    # -- who writes what, when -------------------------------------------------------------

    def _plan(self) -> list[Planned]:
        rng = self.rng
        versions = [
            (topic, idea, language)
            for topic, ideas in IDEAS.items()
            for idea in ideas
            for language in ("fr", "en")
        ]
        rng.shuffle(versions)
        start = self.months[0] + datetime.timedelta(days=1)
        span = (self.now - datetime.timedelta(hours=3) - start).total_seconds()
        # More practices lately than at first (the network grows): sqrt skews towards now.
        times = sorted(
            start + datetime.timedelta(seconds=span * rng.random() ** 0.7) for _ in versions
        )
        plan = []
        for (topic, idea, language), at in zip(versions, times, strict=True):
            jobs = idea.target if idea.target and rng.random() < 0.6 else ()
            plan.append(
                Planned(
                    topic=topic,
                    idea=idea,
                    language=language,
                    author=self._author(idea, language, at),
                    at=at,
                    targeted_jobs=jobs,
                    targeted_countries=idea.countries,
                )
            )
        # The newest few are still drafts; one waits for validation; one old one is archived.
        for planned in plan[-DRAFTS:]:
            planned.status = PracticeStatus.DRAFT
        plan[-DRAFTS - 1].status = PracticeStatus.PENDING
        plan[3].status = PracticeStatus.ARCHIVED
        return plan

    def _author(self, idea: Idea, language: str, at: datetime.datetime) -> User:
        month = self._month_of(at)
        pool = [
            m
            for m in self.members
            if (m.country in FRENCH_SPEAKING) == (language == "fr")
            and m != self.manager
            and self.joined[m.pk] <= month
        ]
        for narrower in (
            [m for m in pool if m.job_type and m.job_type.name in idea.target],
            [m for m in pool if m.country in idea.countries],
        ):
            if narrower and (idea.target or idea.countries):
                pool = narrower
                break
        return self.rng.choice(pool)

    def _body(self, planned: Planned) -> str:
        version = getattr(planned.idea, planned.language)
        rng = self.rng
        if rng.random() < 0.5:
            steps = "\n".join(f"{n}. {step}" for n, step in enumerate(version.steps, 1))
        else:
            steps = "\n".join(f"- {step}" for step in version.steps)
        result = version.result[0].upper() + version.result[1:]
        return (
            f"{rng.choice(INTROS[planned.language])}\n\n"
            f"**{rng.choice(LEADS[planned.language])}**\n\n{steps}\n\n"
            f"**{RESULT_LABEL[planned.language]}** {result}\n"
        )

    # -- the practices, through the actions ------------------------------------------------

    def _write_practices(self, plan: list[Planned], topics: dict[str, Topic]) -> None:
        for planned in plan:
            version = getattr(planned.idea, planned.language)
            fields = {
                "topic": topics[planned.topic],
                "title": version.title,
                "body": self._body(planned),
                "language": planned.language,
                "tags": list(version.tags),
                "target_countries": list(planned.targeted_countries),
                "target_job_types": [self.job_types[name] for name in planned.targeted_jobs],
            }
            if planned.status == PracticeStatus.PENDING:
                # Validation is off in the demo: switched on for this one publication only, so
                # the moderation queue has a practice in it.
                actions.organization_settings_update(
                    actor=self.manager, practices_require_validation=True
                )
                author = User.objects.get(pk=planned.author.pk)  # sees the setting afresh
                planned.practice = actions.practice_create(actor=author, publish=True, **fields)
                actions.organization_settings_update(
                    actor=self.manager, practices_require_validation=False
                )
            else:
                planned.practice = actions.practice_create(
                    actor=planned.author,
                    publish=planned.status != PracticeStatus.DRAFT,
                    **fields,
                )
            self.created += 1

    # -- six months of reading -------------------------------------------------------------

    def _visible_to(self, member: User, planned: Planned) -> bool:
        if planned.targeted_countries and member.country not in planned.targeted_countries:
            return False
        return not planned.targeted_jobs or (
            member.job_type is not None and member.job_type.name in planned.targeted_jobs
        )

    def _reads(self, published: list[Planned], plan: list[Planned]) -> dict:
        """Who read what, month by month; returns the active members of each month."""
        rng = self.rng
        stars = rng.sample(
            [p for p in published[: len(published) // 2] if not p.targeted_jobs], STARS
        )
        weight = {id(p): (12 if p in stars else 1) for p in published}
        self.stars = stars
        joined = self.joined
        keenness = {m.pk: rng.uniform(0.35, 0.85) for m in self.members}
        authors = defaultdict(set)
        for planned in plan:
            authors[self._month_of(planned.at)].add(planned.author.pk)
        active: dict[int, set] = {}
        for index, month in enumerate(self.months):
            members = {
                m.pk
                for m in self.members
                if joined[m.pk] <= index and rng.random() < keenness[m.pk]
            }
            members |= authors[index]
            members |= self._top_up(members, joined, index)
            members = self._trim(members, joined, index, keep=authors[index])
            active[index] = members
            end = min(self._month_end(index), self.now)
            for member in self.members:
                if member.pk not in members:
                    continue
                candidates = [
                    p
                    for p in published
                    if p.at < end and p.author != member and self._visible_to(member, p)
                ]
                if not candidates:
                    continue
                picks = rng.choices(
                    candidates, weights=[weight[id(p)] for p in candidates], k=rng.randint(2, 10)
                )
                for planned in picks:
                    begin = max(month, planned.at)
                    at = begin + (end - begin) * rng.random()
                    first, last = planned.readers.get(member.pk, (at, at))
                    planned.readers[member.pk] = (min(first, at), max(last, at))
        return active

    def _joining_months(self) -> dict:
        """Most people use Grove from the first month; a few join later (the cohort chart),
        taken where their country and job type keep five people from the start."""
        sizes: dict = defaultdict(int)
        for m in self.members:
            sizes["country", m.country] += 1
            sizes["job", m.job_type_id] += 1
        joined, late_comers = {}, 0
        for m in self.rng.sample(self.members, len(self.members)):
            keys = (("country", m.country), ("job", m.job_type_id))
            late = late_comers < 6 and all(sizes[k] > 5 or sizes[k] < 5 for k in keys)
            late = late and m != self.manager and self.rng.random() < 0.3
            if late:
                late_comers += 1
                for key in keys:
                    sizes[key] -= 1
            joined[m.pk] = self.rng.randint(1, 3) if late else 0
        return joined

    def _top_up(self, members: set, joined: dict, index: int) -> set:
        """At least five active people in every country and job type that has five."""
        extra: set = set()
        for key in (lambda m: m.country, lambda m: m.job_type_id):
            groups = defaultdict(list)
            for m in self.members:
                if joined[m.pk] <= index:
                    groups[key(m)].append(m.pk)
            for people in groups.values():
                if len(people) < 5:
                    continue
                missing = 5 - len([p for p in people if p in members | extra])
                if missing > 0:
                    idle = [p for p in people if p not in members | extra]
                    extra.update(self.rng.sample(idle, missing))
        return extra

    def _trim(self, members: set, joined: dict, index: int, *, keep: set) -> set:
        """Leave at least eight people inactive each month (the dashboard hides a share that
        would single out fewer than five), keeping five active in each group of five."""
        people = [m for m in self.members if joined[m.pk] <= index]
        sizes: dict = defaultdict(int)
        active: dict = defaultdict(int)
        for m in people:
            for key in (("country", m.country), ("job", m.job_type_id)):
                sizes[key] += 1
                active[key] += m.pk in members
        members = set(members)
        for m in self.rng.sample(people, len(people)):
            if len(people) - len(members) >= 8:
                break
            if m.pk not in members or m.pk in keep:
                continue
            keys = (("country", m.country), ("job", m.job_type_id))
            if all(sizes[k] < 5 or active[k] > 5 for k in keys):
                members.discard(m.pk)
                for key in keys:
                    active[key] -= 1
        return members

    def _month_of(self, at: datetime.datetime) -> int:
        return max(i for i, start in enumerate(self.months) if start <= at)

    def _month_end(self, index: int) -> datetime.datetime:
        if index + 1 < len(self.months):
            return self.months[index + 1]
        return self.now

    # -- reactions and comments, through the actions ---------------------------------------

    def _reactions_and_comments(self, published: list[Planned], active: dict) -> None:
        rng = self.rng
        self.reaction_times: dict[tuple, datetime.datetime] = {}
        self.comment_times: dict = {}
        self.repliers: list[tuple] = []  # authors answering comments, and when
        people = {m.pk: m for m in self.members}
        chances = {
            ReactionKind.USEFUL: (0.22, 0.80),
            ReactionKind.ADOPTED: (0.08, 0.70),
            ReactionKind.BOOKMARK: (0.05, 0.20),
        }
        for planned in published:
            star = planned in self.stars
            practice = planned.written
            for member_id, (first, _last) in sorted(planned.readers.items(), key=lambda r: r[1]):
                member = people[member_id]
                for kind, (usual, for_stars) in chances.items():
                    if rng.random() < (for_stars if star else usual):
                        practice = actions.reaction_set(
                            actor=member, practice=practice, kind=kind, on=True
                        )
                        self.reaction_times[(practice.pk, member_id, str(kind))] = self._later(
                            first, minutes=rng.randint(1, 90)
                        )
                        self.created += 1
                if rng.random() < (0.12 if star else 0.04):
                    self._comment(planned, practice, member, first)
            planned.practice = practice

    def _comment(self, planned: Planned, practice: Practice, member: User, read_at) -> None:
        rng = self.rng
        comment = actions.comment_add(
            actor=member, practice=practice, body=rng.choice(COMMENTS[planned.language])
        )
        at = self._later(read_at, minutes=rng.randint(2, 30))
        self.comment_times[comment.pk] = at
        self.created += 1
        if rng.random() < 0.35 and planned.author != member:
            reply = actions.comment_add(
                actor=planned.author,
                practice=practice,
                body=rng.choice(REPLIES[planned.language]),
                parent=comment,
            )
            self.comment_times[reply.pk] = self._later(at, minutes=rng.randint(30, 600))
            self.repliers.append((planned.author.pk, self.comment_times[reply.pk]))
            self.created += 1
            planned.readers.setdefault(planned.author.pk, (at, at))

    def _later(self, at: datetime.datetime, *, minutes: int) -> datetime.datetime:
        return min(
            at + datetime.timedelta(minutes=minutes), self.now - datetime.timedelta(seconds=1)
        )

    # -- curation --------------------------------------------------------------------------

    def _curate(self, plan: list[Planned], published: list[Planned]) -> None:
        for planned in plan:
            if planned.status == PracticeStatus.ARCHIVED:
                planned.practice = actions.practice_archive(
                    actor=self.manager, practice=planned.written
                )
        recent = published[-12:]
        for planned in self.rng.sample(recent, BOOSTED):
            planned.practice = actions.practice_boost(
                actor=self.manager,
                practice=planned.written,
                until=self.now + datetime.timedelta(days=self.rng.randint(5, 14)),
            )
        self.highlighted = self.stars[:3] + self.rng.sample(
            [p for p in published if p not in self.stars], HIGHLIGHTED - 3
        )
        for planned in self.highlighted:
            planned.practice = actions.practice_highlight(
                actor=self.manager, practice=planned.written
            )

    # -- photos ----------------------------------------------------------------------------

    def _photos(self, published: list[Planned]) -> None:
        try:
            from .attachments import attachment_add, prepare_upload
        except ImportError:  # the attachment actions have not landed: practices without photos
            return
        from django.core.files.uploadedfile import SimpleUploadedFile

        for number, planned in enumerate(self.rng.sample(published, PHOTOS)):
            version = getattr(planned.idea, planned.language)
            data = demo_photo(version.title, seed=number)
            upload = SimpleUploadedFile(f"IMG_{4200 + number}.jpg", data, "image/jpeg")
            prepared = prepare_upload(upload)
            attachment_add(actor=planned.author, practice=planned.written, prepared=prepared)
            self.created += 1

    # -- into the past ---------------------------------------------------------------------

    def _backdate(self, plan: list[Planned]) -> None:
        """The actions dated everything now; move each row to its place in the history."""
        practices = []
        for planned in plan:
            practice = Practice.objects.get(pk=planned.written.pk)
            practice.created_at = practice.updated_at = planned.at
            if practice.status in (PracticeStatus.PUBLISHED, PracticeStatus.ARCHIVED):
                practice.published_at = planned.at
            if practice.highlighted_at is not None:
                practice.highlighted_at = self._later(planned.at, minutes=60 * 24 * 3)
            # Views: every reader at least once, some more than once.
            practice.view_count = sum(1 + self.rng.choice((0, 0, 1, 2)) for _ in planned.readers)
            practices.append(practice)
        Practice.objects.bulk_update(
            practices,
            ["created_at", "updated_at", "published_at", "highlighted_at", "view_count"],
        )
        reactions = list(Reaction.objects.all())
        for reaction in reactions:
            key = (reaction.practice_id, reaction.user_id, str(reaction.kind))
            if key in self.reaction_times:
                reaction.created_at = self.reaction_times[key]
        Reaction.objects.bulk_update(reactions, ["created_at"], batch_size=500)
        comments = list(Comment.objects.filter(pk__in=self.comment_times))
        for comment in comments:
            comment.created_at = self.comment_times[comment.pk]
        Comment.objects.bulk_update(comments, ["created_at"], batch_size=500)

    def _activity(self, plan: list[Planned], active: dict) -> None:
        """Reads and months of activity, written directly with their past dates."""
        reads = [
            PracticeRead(
                organization=self.organization,
                practice_id=planned.written.pk,
                user_id=member_id,
                first_read_at=first,
                last_read_at=last,
            )
            for planned in plan
            if planned.status == PracticeStatus.PUBLISHED
            for member_id, (first, last) in planned.readers.items()
        ]
        PracticeRead.objects.bulk_create(reads, batch_size=500, ignore_conflicts=True)
        # The actions marked every author and reader active this month (they ran now): the
        # history replaces those rows with the months the demo's people were active.
        MonthlyActivity.objects.all().delete()
        months = {
            (member_id, self.months[index].date())
            for index, people in active.items()
            for member_id in people
        }
        for planned in plan:
            months.add((planned.author.pk, self.months[self._month_of(planned.at)].date()))
        for user_id, at in self.repliers:
            months.add((user_id, self.months[self._month_of(at)].date()))
        MonthlyActivity.objects.bulk_create(
            [
                MonthlyActivity(organization=self.organization, user_id=user_id, month=month)
                for user_id, month in sorted(months, key=lambda m: (m[1], str(m[0])))
            ],
            batch_size=500,
            ignore_conflicts=True,
        )
        self.created += len(reads) + len(months)
        # The accounts were made now too: each member joins (dashboard's members per month,
        # cohorts) in the first hours of their first month of the history.
        members = list(User.objects.filter(pk__in=[m.pk for m in self.members]))
        for member in members:
            start = self.months[self.joined[member.pk]]
            member.created_at = start + datetime.timedelta(minutes=self.rng.randint(0, 360))
        User.objects.bulk_update(members, ["created_at"])


# --- Generated photos ---------------------------------------------------------------------

PALETTES = [
    ((26, 83, 92), (78, 205, 196)),
    ((255, 107, 107), (255, 230, 109)),
    ((63, 55, 201), (181, 23, 158)),
    ((46, 125, 50), (205, 220, 57)),
    ((33, 33, 33), (255, 152, 0)),
    ((0, 96, 100), (224, 247, 250)),
]


def demo_photo(caption: str, *, seed: int, size: tuple[int, int] = (960, 640)) -> bytes:
    """A JPEG standing in for a phone photo: a gradient, a few shapes, a caption; and, like a
    phone's, EXIF metadata (a camera model and a GPS position) that the upload must strip."""
    from PIL import Image, ImageDraw, ImageFont

    rng = random.Random(seed)  # noqa: S311 -- demo data
    top, bottom = PALETTES[seed % len(PALETTES)]
    mask = Image.linear_gradient("L").rotate(rng.choice((0, 90, 45)), expand=False).resize(size)
    image = Image.composite(Image.new("RGB", size, top), Image.new("RGB", size, bottom), mask)
    draw = ImageDraw.Draw(image, "RGBA")
    width, height = size
    for _ in range(rng.randint(4, 8)):
        x, y = rng.randrange(width), rng.randrange(height)
        radius = rng.randint(40, 180)
        colour = (*(rng.randrange(256) for _ in range(3)), rng.randint(60, 140))
        box = (x - radius, y - radius, x + radius, y + radius)
        if rng.random() < 0.5:
            draw.ellipse(box, fill=colour)
        else:
            draw.rectangle(box, fill=colour)
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    try:  # DejaVu (Debian's fonts-dejavu) has the accents; the built-in font does not
        font = ImageFont.truetype("DejaVuSans.ttf", 36)
    except OSError:
        font = ImageFont.load_default(size=36)
        caption = unicodedata.normalize("NFKD", caption).encode("ascii", "ignore").decode()
    text = caption if len(caption) <= 42 else caption[:41] + "..."
    draw.rectangle((0, height - 90, width, height), fill=(0, 0, 0, 150))
    draw.text((30, height - 70), text, font=font, fill=(255, 255, 255))
    exif = Image.Exif()
    exif[0x010F] = "DemoPhone"  # Make
    exif[0x0110] = "DemoPhone 12"  # Model
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 8.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()
