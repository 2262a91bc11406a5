"""A small, hand-built organization whose every figure is known (see ``SmallOrg``)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from grove.core.testing.factories import (
    CommentFactory,
    JobTypeFactory,
    PracticeFactory,
    ReactionFactory,
    TopicFactory,
    UserFactory,
)
from grove.practices.models import MonthlyActivity, PracticeRead
from grove.tenancy.context import unscoped

TODAY = datetime.date(2026, 3, 15)
JAN, FEB, MAR = datetime.date(2026, 1, 1), datetime.date(2026, 2, 1), datetime.date(2026, 3, 1)
DEC = datetime.date(2025, 12, 1)


def at(day: datetime.date, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=datetime.UTC)


NO_PASSWORD = None  # an unusable password: hashing one per person (Argon2) would be slow


def member(organization, *, created: datetime.date, **fields):
    fields.setdefault("password", NO_PASSWORD)
    return UserFactory(organization=organization, created_at=at(created), **fields)


def active(organization, users, month: datetime.date) -> None:
    with unscoped("test set-up"):
        MonthlyActivity.objects.bulk_create(
            [MonthlyActivity(organization=organization, user=user, month=month) for user in users]
        )


def read(organization, practice, user, day: datetime.date) -> None:
    with unscoped("test set-up"):
        PracticeRead.objects.create(
            organization=organization,
            practice=practice,
            user=user,
            first_read_at=at(day),
            last_read_at=at(day),
        )


def react(practice, user, day: datetime.date, kind: str = "adopted"):
    return ReactionFactory(practice=practice, user=user, kind=kind, created_at=at(day))


@dataclass
class SmallOrg:
    """Twelve members (u0..u11, all in France), one deactivated account, three topics.

    Members: u0-u9 created in December 2025, u10-u11 on 10 February 2026 → 10, 12, 12.
    Job types: u0-u4 "Store" (5), u5-u9 "Kitchen" (5), u10-u11 none (2).
    Active: December u0-u4 (the first cohort); January u0-u4 (+ the deactivated one, left
    out); February u0-u5 and u10; March u0-u2.
    Practices published: January 1 (Hygiene), February 2 (Hygiene, Sales), March 1 archived
    (the formula topic); also one in November and one draft (not counted).
    First reads: January 3, February 6 (and one in December, outside the period).
    Adopted: January 2, February 3, March 1 (and one in December); useful: February 1;
    comments: January 1, March 2.
    """

    organization: object
    users: list = field(default_factory=list)
    deactivated: object = None
    topics: dict = field(default_factory=dict)


def small_org(organization) -> SmallOrg:
    store = JobTypeFactory(organization=organization, name="Store")
    kitchen = JobTypeFactory(organization=organization, name="Kitchen")
    users = [member(organization, created=DEC, country="FR", job_type=store) for _ in range(5)] + [
        member(organization, created=DEC, country="FR", job_type=kitchen) for _ in range(5)
    ]
    users += [
        member(organization, created=datetime.date(2026, 2, 10), country="FR") for _ in range(2)
    ]
    deactivated = member(organization, created=DEC, country="FR", is_active=False)
    u = users

    active(organization, u[0:5], DEC)
    active(organization, [*u[0:5], deactivated], JAN)
    active(organization, [*u[0:6], u[10]], FEB)
    active(organization, u[0:3], MAR)

    hygiene = TopicFactory(organization=organization, name="Hygiene")
    sales = TopicFactory(organization=organization, name="Sales tips")
    formula = TopicFactory(organization=organization, name='=HYPERLINK("http://evil.example")')

    def practice(topic, day, status="published"):
        return PracticeFactory(
            organization=organization,
            author=u[0],
            topic=topic,
            status=status,
            published_at=at(day) if day else None,
        )

    p1 = practice(hygiene, datetime.date(2026, 1, 10))
    p2 = practice(hygiene, datetime.date(2026, 2, 5))
    p3 = practice(sales, datetime.date(2026, 2, 20))
    practice(sales, None, status="draft")
    p5 = practice(sales, datetime.date(2025, 11, 1))
    p6 = practice(formula, datetime.date(2026, 3, 1), status="archived")

    read(organization, p5, u[0], datetime.date(2025, 12, 20))
    for user in u[0:3]:
        read(organization, p1, user, datetime.date(2026, 1, 12))
    for user in u[3:9]:
        read(organization, p2, user, datetime.date(2026, 2, 7))

    react(p1, u[1], datetime.date(2026, 1, 11))
    react(p1, u[2], datetime.date(2026, 1, 12))
    react(p1, u[3], datetime.date(2026, 2, 1))
    react(p3, u[10], datetime.date(2026, 2, 21))
    react(p5, u[4], datetime.date(2026, 2, 22))
    react(p6, u[5], datetime.date(2026, 3, 2))
    react(p5, u[6], datetime.date(2025, 12, 2))
    react(p2, u[1], datetime.date(2026, 2, 6), kind="useful")
    react(p1, u[7], datetime.date(2026, 1, 13), kind="bookmark")

    CommentFactory(practice=p1, author=u[2], created_at=at(datetime.date(2026, 1, 14)))
    CommentFactory(practice=p6, author=u[3], created_at=at(datetime.date(2026, 3, 3)))
    CommentFactory(practice=p6, author=u[4], created_at=at(datetime.date(2026, 3, 4)))
    return SmallOrg(
        organization=organization,
        users=users,
        deactivated=deactivated,
        topics={"hygiene": hygiene, "sales": sales, "formula": formula},
    )
