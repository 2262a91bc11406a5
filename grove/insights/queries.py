"""The adoption dashboard's figures, computed in the database, then protected.

``dashboard(...)`` runs inside the organization's tenant scope (``access_scope(access)``) and
issues the same dozen GROUP BY queries whatever the organization's size: per month (members by
creation month, active members, practices published, first reads, reactions, comments), per
group of people (members, active members and adoptions per country and job type), per topic,
and the first cohort's months. Everything that counts people goes through ``disclosure`` before
it leaves this module.

Definitions (also on the page):
- members in a month: accounts of the organization created before the month's end and active
  today (there is no history of deactivations); active members: distinct members with a
  ``MonthlyActivity`` row for the month (deactivated accounts are left out of both);
- practices shared: published (or since archived) in the month;
- practices read: first reads (``PracticeRead.first_read_at``) in the month;
- adoptions / useful marks / comments: created in the month;
- per country and job type, over the period: members at its end, members active at least once,
  adoptions by those members;
- the first cohort: the members active in the organization's first month with any activity
  (those since deactivated stay in it: leaving is part of retention); for each of the
  following ``RETENTION_MONTHS`` months at most, how many of them were active again.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Subquery
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django_countries import countries

from grove.accounts.models import User
from grove.practices.models import (
    Comment,
    MonthlyActivity,
    Practice,
    PracticeRead,
    PracticeStatus,
    Reaction,
    ReactionKind,
)

from .disclosure import (
    COUNT,
    PERCENT,
    Figure,
    actions,
    people,
    protect,
    ratio,
    share,
)

DEFAULT_MONTHS = 12
MIN_MONTHS = 3
MAX_MONTHS = 24
TOP_TOPICS = 10
RETENTION_MONTHS = 24  # months after the cohort's first, at most

SHARED_STATUSES = (PracticeStatus.PUBLISHED, PracticeStatus.ARCHIVED)


# --- Months ---------------------------------------------------------------------------------


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(month: datetime.date, count: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def months_between(first: datetime.date, second: datetime.date) -> int:
    return (second.year - first.year) * 12 + second.month - first.month


def period_months(today: datetime.date, count: int) -> list[datetime.date]:
    """The ``count`` calendar months ending with the current one, oldest first."""
    current = month_start(today)
    return [add_months(current, offset) for offset in range(1 - count, 1)]


def _as_month(value) -> datetime.date:
    """A TruncMonth result (a datetime on every backend) or a date, as its month's first day."""
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return datetime.date(value.year, value.month, 1)


def _instant(month: datetime.date) -> datetime.datetime:
    return datetime.datetime(month.year, month.month, 1, tzinfo=timezone.get_current_timezone())


# --- The shape of the dashboard -------------------------------------------------------------


@dataclass(frozen=True)
class MonthRow:
    month: datetime.date
    members: Figure
    active: Figure
    active_share: Figure
    practices_shared: Figure
    shared_per_active: Figure
    reads: Figure
    reads_per_member: Figure
    adoptions: Figure
    useful: Figure
    comments: Figure


@dataclass(frozen=True)
class TopicRow:
    name: str
    practices: Figure
    adoptions: Figure


@dataclass(frozen=True)
class GroupRow:
    key: str  # a country code, a job type id, "other", "total" (the CSV's group column)
    label: str
    members: Figure
    active: Figure
    active_share: Figure
    adoptions: Figure
    is_other: bool = False
    is_total: bool = False

    @property
    def hidden(self) -> str:
        return self.members.hidden


@dataclass(frozen=True)
class GroupTable:
    rows: list[GroupRow]  # shown groups (largest first), then hidden ones (by name)
    other: GroupRow | None
    total: GroupRow

    @property
    def all_rows(self) -> list[GroupRow]:
        return [*self.rows, *([self.other] if self.other else []), self.total]

    @property
    def shown_rows(self) -> list[GroupRow]:
        return [row for row in self.rows if not row.hidden]


@dataclass(frozen=True)
class RetentionRow:
    month: datetime.date
    offset: int  # months after the cohort's first
    returning: Figure
    share: Figure


@dataclass(frozen=True)
class Retention:
    cohort_month: datetime.date | None
    cohort_size: Figure
    rows: list[RetentionRow] = field(default_factory=list)


@dataclass(frozen=True)
class Dashboard:
    months: list[datetime.date]
    period_start: datetime.date
    period_end: datetime.date  # exclusive: the first day after the period
    monthly: list[MonthRow]
    members: Figure  # at the period's end
    active: Figure  # at least once in the period
    active_share: Figure
    practices_shared: Figure
    adoptions: Figure
    useful: Figure
    comments: Figure
    topics: list[TopicRow]
    countries: GroupTable
    job_types: GroupTable
    retention: Retention


# --- The queries ----------------------------------------------------------------------------


def dashboard(*, months: int = DEFAULT_MONTHS, today: datetime.date | None = None) -> Dashboard:
    """The current organization's dashboard over the last ``months`` calendar months (the
    current one included). Run inside its tenant scope; a constant number of queries."""
    today = today or timezone.localdate()
    month_list = period_months(today, months)
    first, end_month = month_list[0], add_months(month_list[-1], 1)
    start, end = _instant(first), _instant(end_month)

    members_by_month = _members_by_month(end, month_list)
    counts = _monthly_counts(start, end)
    monthly = [_month_row(month, members_by_month[month], counts) for month in month_list]

    groups = _people_groups(start, end, first, end_month)
    countries_table = _group_table(
        groups, key_of=lambda g: g[0], label_of=_country_label, other_label=_("Other countries")
    )
    job_types_table = _group_table(
        groups,
        key_of=lambda g: g[1],
        label_of=lambda key, names=groups.job_type_names: names.get(key) or _("No job type"),
        other_label=_("Other job types"),
    )
    total = countries_table.total
    return Dashboard(
        months=month_list,
        period_start=first,
        period_end=end_month,
        monthly=monthly,
        members=total.members,
        active=total.active,
        active_share=total.active_share,
        practices_shared=actions(sum(counts.shared.values())),
        adoptions=actions(sum(counts.adopted.values())),
        useful=actions(sum(counts.useful.values())),
        comments=actions(sum(counts.comments.values())),
        topics=_top_topics(start, end),
        countries=countries_table,
        job_types=job_types_table,
        retention=_retention(month_start(today)),
    )


def _members_by_month(end: datetime.datetime, months: list[datetime.date]) -> dict:
    """Members (active accounts) created before each month's end: one GROUP BY on the month of
    creation, summed up in order."""
    created = (
        User.objects.filter(is_active=True, created_at__lt=end)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(count=Count("id"))
        .order_by()
    )
    by_month: dict[datetime.date, int] = defaultdict(int)
    for row in created:
        by_month[_as_month(row["month"])] += row["count"]
    running = sum(count for month, count in by_month.items() if month < months[0])
    members = {}
    for month in months:
        running += by_month.get(month, 0)
        members[month] = running
    return members


@dataclass
class _MonthlyCounts:
    active: dict = field(default_factory=dict)
    shared: dict = field(default_factory=dict)
    reads: dict = field(default_factory=dict)
    adopted: dict = field(default_factory=dict)
    useful: dict = field(default_factory=dict)
    comments: dict = field(default_factory=dict)


def _per_month(queryset, column: str) -> dict[datetime.date, int]:
    rows = (
        queryset.annotate(month_of=TruncMonth(column))
        .values("month_of")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {_as_month(row["month_of"]): row["count"] for row in rows}


def _monthly_counts(start: datetime.datetime, end: datetime.datetime) -> _MonthlyCounts:
    counts = _MonthlyCounts()
    active = (
        MonthlyActivity.objects.filter(
            month__gte=start.date(), month__lt=end.date(), user__is_active=True
        )
        .values("month")
        .annotate(count=Count("user_id", distinct=True))
        .order_by()
    )
    counts.active = {_as_month(row["month"]): row["count"] for row in active}
    counts.shared = _per_month(
        Practice.objects.filter(
            status__in=SHARED_STATUSES, published_at__gte=start, published_at__lt=end
        ),
        "published_at",
    )
    counts.reads = _per_month(
        PracticeRead.objects.filter(first_read_at__gte=start, first_read_at__lt=end),
        "first_read_at",
    )
    reactions = (
        Reaction.objects.filter(
            kind__in=[ReactionKind.ADOPTED, ReactionKind.USEFUL],
            created_at__gte=start,
            created_at__lt=end,
        )
        .annotate(month_of=TruncMonth("created_at"))
        .values("month_of", "kind")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for row in reactions:
        target = counts.adopted if row["kind"] == ReactionKind.ADOPTED else counts.useful
        target[_as_month(row["month_of"])] = row["count"]
    counts.comments = _per_month(
        Comment.objects.filter(created_at__gte=start, created_at__lt=end), "created_at"
    )
    return counts


def _month_row(month: datetime.date, member_count: int, counts: _MonthlyCounts) -> MonthRow:
    members = people(member_count)
    active = people(counts.active.get(month, 0), of=None if members.hidden else member_count)
    shared = counts.shared.get(month, 0)
    reads = counts.reads.get(month, 0)
    return MonthRow(
        month=month,
        members=members,
        active=active,
        active_share=share(active, members),
        practices_shared=actions(shared),
        shared_per_active=ratio(shared, active),
        reads=actions(reads),
        reads_per_member=ratio(reads, members),
        adoptions=actions(counts.adopted.get(month, 0)),
        useful=actions(counts.useful.get(month, 0)),
        comments=actions(counts.comments.get(month, 0)),
    )


# --- Groups of people -----------------------------------------------------------------------

GroupKey = tuple[str, str]  # (country code or "", job type id or "")


@dataclass
class _Groups:
    members: dict[GroupKey, int]
    active: dict[GroupKey, int]
    adoptions: dict[GroupKey, int]
    job_type_names: dict[str, str]


def _people_groups(
    start: datetime.datetime,
    end: datetime.datetime,
    first: datetime.date,
    end_month: datetime.date,
) -> _Groups:
    """Members, active members and adoptions per (country, job type): three GROUP BY queries,
    rolled up per country and per job type in Python (each person is in exactly one pair, so
    distinct counts add up)."""

    def key(row, prefix: str = "") -> GroupKey:
        job_type = row[f"{prefix}job_type_id"]
        return (row[f"{prefix}country"] or "", str(job_type) if job_type else "")

    names: dict[str, str] = {}
    members: dict[GroupKey, int] = {}
    for row in (
        User.objects.filter(is_active=True, created_at__lt=end)
        .values("country", "job_type_id", "job_type__name")
        .annotate(count=Count("id"))
        .order_by()
    ):
        members[key(row)] = row["count"]
        if row["job_type_id"]:
            names[str(row["job_type_id"])] = row["job_type__name"]
    active: dict[GroupKey, int] = {}
    for row in (
        MonthlyActivity.objects.filter(
            month__gte=first, month__lt=end_month, user__is_active=True, user__created_at__lt=end
        )
        .values("user__country", "user__job_type_id")
        .annotate(count=Count("user_id", distinct=True))
        .order_by()
    ):
        active[key(row, "user__")] = row["count"]
    adoptions: dict[GroupKey, int] = {}
    for row in (
        Reaction.objects.filter(
            kind=ReactionKind.ADOPTED,
            created_at__gte=start,
            created_at__lt=end,
            user__is_active=True,
            user__created_at__lt=end,
        )
        .values("user__country", "user__job_type_id")
        .annotate(count=Count("pk"))
        .order_by()
    ):
        adoptions[key(row, "user__")] = row["count"]
    return _Groups(members, active, adoptions, names)


def _country_label(code: str) -> str:
    if not code:
        return _("Country not given")
    return str(countries.name(code)) or code


def _group_table(groups: _Groups, *, key_of, label_of, other_label: str) -> GroupTable:
    """One breakdown (per country or per job type), protected: small groups hidden and merged
    into "Other", complementary suppression over members, then over active members."""
    members: dict[str, int] = defaultdict(int)
    active: dict[str, int] = defaultdict(int)
    adoptions: dict[str, int] = defaultdict(int)
    for source, target in ((groups.members, members), (groups.active, active)):
        for pair, count in source.items():
            target[key_of(pair)] += count
    for pair, count in groups.adoptions.items():
        adoptions[key_of(pair)] += count
    keys = sorted(members, key=lambda k: (-members[k], label_of(k)))

    total_members = sum(members.values())
    total_active = sum(active[k] for k in keys)
    total_adoptions = sum(adoptions[k] for k in keys)

    group_reasons = protect([(members[k], None) for k in keys])
    shown = [k for k, reason in zip(keys, group_reasons, strict=True) if not reason]
    hidden = {k: reason for k, reason in zip(keys, group_reasons, strict=True) if reason}

    # The "Other" row merges the hidden groups; then the active column is protected over the
    # rows it is shown in (the groups shown and "Other"), against the shown total.
    other_members = sum(members[k] for k in hidden)
    cells = [(active[k], members[k]) for k in shown]
    if hidden:
        cells.append((sum(active[k] for k in hidden), other_members))
    # (When "Other" is itself too small, every group is in it and its row hides everything.)
    active_reasons = protect(cells)

    def row(key, label, member_count, active_count, adopted, active_reason, **flags) -> GroupRow:
        members_figure = people(member_count)
        if members_figure.hidden:
            hidden_all = Figure(None, COUNT, members_figure.hidden)
            return GroupRow(
                key,
                label,
                hidden_all,
                hidden_all,
                Figure(None, PERCENT, members_figure.hidden),
                hidden_all,
                **flags,
            )
        active_figure = (
            Figure(None, COUNT, active_reason) if active_reason else Figure(active_count)
        )
        return GroupRow(
            key,
            label,
            members_figure,
            active_figure,
            share(active_figure, members_figure),
            actions(adopted),
            **flags,
        )

    rows = [
        row(k, label_of(k), members[k], active[k], adoptions[k], reason)
        for k, reason in zip(shown, active_reasons, strict=False)
    ]
    for k in sorted(hidden, key=label_of):
        figure = Figure(None, COUNT, hidden[k])
        rows.append(
            GroupRow(k, label_of(k), figure, figure, Figure(None, PERCENT, hidden[k]), figure)
        )
    other = None
    if hidden:
        other = row(
            "other",
            other_label,
            other_members,
            sum(active[k] for k in hidden),
            sum(adoptions[k] for k in hidden),
            active_reasons[-1],
            is_other=True,
        )
    total_active_figure = people(total_active, of=total_members)
    total = row(
        "total",
        _("All members"),
        total_members,
        total_active,
        total_adoptions,
        total_active_figure.hidden,
        is_total=True,
    )
    return GroupTable(rows=rows, other=other, total=total)


# --- Topics and the first cohort ------------------------------------------------------------


def _top_topics(start: datetime.datetime, end: datetime.datetime) -> list[TopicRow]:
    """Practices shared and adoptions per topic over the period, the top ``TOP_TOPICS`` by
    adoptions, then practices (counts of things done, not of people: shown as they are)."""
    practices = {
        row["topic_id"]: (row["topic__name"], row["count"])
        for row in Practice.objects.filter(
            status__in=SHARED_STATUSES, published_at__gte=start, published_at__lt=end
        )
        .values("topic_id", "topic__name")
        .annotate(count=Count("pk"))
        .order_by()
    }
    adoptions = {
        row["practice__topic_id"]: (row["practice__topic__name"], row["count"])
        for row in Reaction.objects.filter(
            kind=ReactionKind.ADOPTED, created_at__gte=start, created_at__lt=end
        )
        .values("practice__topic_id", "practice__topic__name")
        .annotate(count=Count("pk"))
        .order_by()
    }
    topics = []
    for topic_id in practices.keys() | adoptions.keys():
        name = (practices.get(topic_id) or adoptions[topic_id])[0]
        shared = practices.get(topic_id, ("", 0))[1]
        adopted = adoptions.get(topic_id, ("", 0))[1]
        topics.append((-adopted, -shared, name, TopicRow(name, actions(shared), actions(adopted))))
    topics.sort(key=lambda item: item[:3])
    return [item[3] for item in topics[:TOP_TOPICS]]


def _retention(current_month: datetime.date) -> Retention:
    """The first cohort and its months: one query (the first month and the cohort are
    subqueries)."""
    first_month = MonthlyActivity.objects.order_by("month").values("month")[:1]
    cohort = MonthlyActivity.objects.filter(month=Subquery(first_month)).values("user_id")
    by_month = {
        _as_month(row["month"]): row["count"]
        for row in MonthlyActivity.objects.filter(user_id__in=cohort)
        .values("month")
        .annotate(count=Count("user_id", distinct=True))
        .order_by()
    }
    if not by_month:
        return Retention(cohort_month=None, cohort_size=Figure(0))
    cohort_month = min(by_month)
    size = by_month[cohort_month]
    cohort_size = people(size)
    last = min(months_between(cohort_month, current_month), RETENTION_MONTHS)
    rows = []
    for offset in range(1, last + 1):
        month = add_months(cohort_month, offset)
        returning = (
            Figure(None, COUNT, cohort_size.hidden)
            if cohort_size.hidden
            else people(by_month.get(month, 0), of=size)
        )
        rows.append(RetentionRow(month, offset, returning, share(returning, cohort_size)))
    return Retention(cohort_month=cohort_month, cohort_size=cohort_size, rows=rows)
