"""The dashboard's figures as one tidy CSV table: ``section, month_or_group, measure, value``.

The same figures as the page, protected the same way (``disclosure``): a hidden value reads
``<5`` (fewer than 5 people) or ``suppressed`` (hidden so that a small group cannot be worked
out), never the number. Every cell goes through ``grove.core.csv`` (a topic named
``=HYPERLINK(...)`` comes out as text).

Sections: ``period`` (start, end, months), ``month`` (one row per month and measure, month as
YYYY-MM), ``total``, ``topic`` (by name), ``country`` (ISO code, ``none``, ``other``,
``total``), ``job_type`` (name, ``none``, ``other``, ``total``), ``retention`` (the cohort's
month, then each following month).
"""

from __future__ import annotations

from collections.abc import Iterator

from .disclosure import Figure
from .queries import Dashboard, GroupTable

HEADER = ("section", "month_or_group", "measure", "value")

MONTH_MEASURES = (
    "members",
    "active",
    "active_share",
    "practices_shared",
    "shared_per_active",
    "reads",
    "reads_per_member",
    "adoptions",
    "useful",
    "comments",
)
GROUP_MEASURES = ("members", "active", "active_share", "adoptions")


def rows(board: Dashboard) -> Iterator[tuple[str, str, str, str]]:
    yield HEADER
    yield ("period", "", "start", board.period_start.isoformat())
    yield ("period", "", "end", board.period_end.isoformat())
    yield ("period", "", "months", str(len(board.months)))
    for row in board.monthly:
        month = row.month.strftime("%Y-%m")
        for measure in MONTH_MEASURES:
            yield ("month", month, measure, _value(getattr(row, measure)))
    for measure in (
        "members",
        "active",
        "active_share",
        "practices_shared",
        "adoptions",
        "useful",
        "comments",
    ):
        yield ("total", "", measure, _value(getattr(board, measure)))
    for topic in board.topics:
        yield ("topic", topic.name, "practices_shared", _value(topic.practices))
        yield ("topic", topic.name, "adoptions", _value(topic.adoptions))
    yield from _groups("country", board.countries, by_label=False)
    yield from _groups("job_type", board.job_types, by_label=True)
    retention = board.retention
    if retention.cohort_month is not None:
        cohort = retention.cohort_month.strftime("%Y-%m")
        yield ("retention", cohort, "cohort_size", _value(retention.cohort_size))
        for retention_row in retention.rows:
            month = retention_row.month.strftime("%Y-%m")
            yield ("retention", month, "returning", _value(retention_row.returning))
            yield ("retention", month, "returning_share", _value(retention_row.share))


def _groups(section: str, table: GroupTable, *, by_label: bool) -> Iterator[tuple]:
    for row in table.all_rows:
        if row.is_other or row.is_total:
            name = row.key
        else:
            name = row.label if by_label and row.key else (row.key or "none")
        for measure in GROUP_MEASURES:
            yield (section, name, measure, _value(getattr(row, measure)))


def _value(figure: Figure) -> str:
    return figure.csv_value
