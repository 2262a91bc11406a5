"""The dashboard's figures on a small hand-built organization: every value known in advance."""

import dataclasses
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grove.core.testing.factories import (
    OrganizationFactory,
    PracticeFactory,
    TopicFactory,
    UserFactory,
)
from grove.insights import queries
from grove.insights.disclosure import PROTECTED, SMALL, Figure
from grove.tenancy.context import tenant_context

from .builders import DEC, FEB, JAN, MAR, NO_PASSWORD, TODAY, active, at, member, react, small_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def small():
    return small_org(OrganizationFactory(slug="small"))


def board_of(organization, months=3, today=TODAY):
    with tenant_context(organization):
        return queries.dashboard(months=months, today=today)


def values(figures):
    return [figure.value if figure.shown else figure.hidden for figure in figures]


def test_the_period_is_the_last_calendar_months_with_the_current_one():
    assert queries.period_months(TODAY, 3) == [JAN, FEB, MAR]
    assert queries.period_months(datetime.date(2026, 1, 31), 12)[0] == datetime.date(2025, 2, 1)
    assert len(queries.period_months(TODAY, 24)) == 24


def test_monthly_figures_of_the_small_organization(small):
    board = board_of(small.organization)
    rows = board.monthly

    assert [row.month for row in rows] == [JAN, FEB, MAR]
    assert values(row.members for row in rows) == [10, 12, 12]
    # March: 3 active members, fewer than 5: hidden, and so is every figure made from it.
    assert values(row.active for row in rows) == [5, 7, SMALL]
    assert values(row.active_share for row in rows) == [0.5, pytest.approx(7 / 12), SMALL]
    assert values(row.practices_shared for row in rows) == [1, 2, 1]
    assert values(row.shared_per_active for row in rows) == [
        pytest.approx(1 / 5),
        pytest.approx(2 / 7),
        SMALL,
    ]
    assert values(row.reads for row in rows) == [3, 6, 0]
    assert values(row.reads_per_member for row in rows) == [
        pytest.approx(0.3),
        pytest.approx(0.5),
        pytest.approx(0.0),
    ]
    assert values(row.adoptions for row in rows) == [2, 3, 1]
    assert values(row.useful for row in rows) == [0, 1, 0]
    assert values(row.comments for row in rows) == [1, 0, 2]


def test_totals_over_the_period(small):
    board = board_of(small.organization)

    assert board.members.value == 12
    assert board.active.value == 7  # u0-u5 and u10; the deactivated account is left out
    assert board.active_share.value == pytest.approx(7 / 12)
    assert board.practices_shared.value == 4
    assert board.adoptions.value == 6
    assert board.useful.value == 1
    assert board.comments.value == 3


def test_top_topics_by_adoptions_then_practices(small):
    board = board_of(small.organization)

    assert [(t.name, t.practices.value, t.adoptions.value) for t in board.topics] == [
        ("Hygiene", 2, 3),
        ("Sales tips", 1, 2),  # one adoption of a practice published before the period
        ('=HYPERLINK("http://evil.example")', 1, 1),
    ]


def test_top_topics_keeps_ten(db):
    organization = OrganizationFactory()
    author = member(organization, created=DEC)

    for index in range(12):
        topic = TopicFactory(organization=organization, name=f"Topic {index:02}")
        for _ in range(index):
            PracticeFactory(
                organization=organization,
                author=author,
                topic=topic,
                published_at=datetime.datetime(2026, 2, 1, tzinfo=datetime.UTC),
            )

    topics = board_of(organization).topics

    assert len(topics) == queries.TOP_TOPICS
    assert [t.name for t in topics][:2] == ["Topic 11", "Topic 10"]


def test_per_country_with_one_country(small):
    table = board_of(small.organization).countries

    [france] = table.rows
    assert (france.key, france.label) == ("FR", "France")
    assert (france.members.value, france.active.value, france.adoptions.value) == (12, 7, 6)
    assert france.active_share.value == pytest.approx(7 / 12)
    assert table.other is None
    assert (table.total.members.value, table.total.active.value) == (12, 7)


def test_per_job_type_small_group_merged_into_other_with_complementary_suppression(small):
    table = board_of(small.organization).job_types

    by_label = {row.label: row for row in table.rows}
    assert list(by_label) == ["Store", "Kitchen", "No job type"]  # shown, then hidden by name
    store = by_label["Store"]
    assert store.members.value == 5
    assert store.adoptions.value == 4
    # Two hidden groups: "No job type" has 2 people; Kitchen (5) is hidden with it so that
    # the 2 cannot be worked out as 12 - 5 - 5.
    assert by_label["No job type"].members.hidden == SMALL
    assert by_label["Kitchen"].members.hidden == PROTECTED
    assert by_label["Kitchen"].members.value is None
    other = table.other
    assert (other.members.value, other.adoptions.value) == (7, 2)
    # Active over the period: Other has 2 (u5, u10): fewer than 5; Store's 5 of 5 would give
    # them away (7 - 5), so Store's is hidden too.
    assert other.active.hidden == SMALL
    assert store.active.hidden == PROTECTED
    assert store.active_share.hidden == PROTECTED
    assert (table.total.members.value, table.total.active.value) == (12, 7)


def test_retention_of_the_first_cohort(small):
    retention = board_of(small.organization).retention

    assert retention.cohort_month == DEC
    assert retention.cohort_size.value == 5
    assert [row.month for row in retention.rows] == [JAN, FEB, MAR]
    assert values(row.returning for row in retention.rows) == [5, 5, SMALL]
    assert values(row.share for row in retention.rows) == [1.0, 1.0, SMALL]


def test_retention_hides_a_cohort_of_fewer_than_five(db):
    organization = OrganizationFactory()
    people = [member(organization, created=DEC) for _ in range(4)]
    active(organization, people, DEC)
    active(organization, people, JAN)

    retention = board_of(organization).retention

    assert retention.cohort_size.hidden == SMALL
    assert all(row.returning.hidden and row.share.hidden for row in retention.rows)


def test_retention_hides_the_few_who_did_not_come_back(db):
    organization = OrganizationFactory()
    people = [member(organization, created=DEC) for _ in range(10)]
    active(organization, people, DEC)
    active(organization, people[:7], JAN)  # 3 did not come back: they would be pointed at
    active(organization, people[:5], FEB)

    retention = board_of(organization).retention

    assert values(row.returning for row in retention.rows) == [PROTECTED, 5, 0]


def test_an_organization_without_activity(db):
    organization = OrganizationFactory()

    board = board_of(organization)

    assert board.retention.cohort_month is None
    assert board.topics == []
    assert values(row.active for row in board.monthly) == [0, 0, 0]
    assert board.countries.rows == []


def test_it_reads_only_its_own_organization(small):
    other = OrganizationFactory(slug="other")
    people = [member(other, created=DEC, country="FR") for _ in range(8)]
    active(other, people, JAN)

    board = board_of(small.organization)

    assert board.members.value == 12
    assert board.monthly[0].active.value == 5


def _queries_for(organization) -> int:
    with CaptureQueriesContext(connection) as captured:
        board_of(organization, months=12)
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_organization(
    small, django_assert_num_queries
):
    expected = _queries_for(small.organization)
    assert expected <= 12

    big = OrganizationFactory(slug="big")
    small_org(big)
    extra = [
        UserFactory(organization=big, country=country, password=NO_PASSWORD)
        for country in ("DE", "ES", "IT", "PT")
        for _ in range(6)
    ]
    for month in (DEC, JAN, FEB, MAR):
        active(big, extra, month)
    for index, user in enumerate(extra):
        topic = TopicFactory(organization=big, name=f"More {index}")
        practice = PracticeFactory(
            organization=big, author=user, topic=topic, published_at=at(datetime.date(2026, 2, 3))
        )
        react(practice, extra[index - 1], datetime.date(2026, 2, 4))

    with django_assert_num_queries(expected):
        board_of(big, months=12)


def _figures(value):
    if isinstance(value, Figure):
        yield value
    elif dataclasses.is_dataclass(value):
        for item in dataclasses.fields(value):
            yield from _figures(getattr(value, item.name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _figures(item)


def test_no_hidden_figure_carries_its_number(small):
    figures = list(_figures(board_of(small.organization)))

    hidden = [figure for figure in figures if figure.hidden]
    assert len(hidden) > 10
    assert all(figure.value is None for figure in hidden)
