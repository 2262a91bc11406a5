"""The dashboard page's charts: which figure each one draws, with its translated words."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .charts import Chart, bar_list_chart, month_title, time_chart
from .disclosure import K_ANONYMITY
from .queries import Dashboard, GroupTable

__all__ = ["K_ANONYMITY", "Panel", "Table", "panels"]


@dataclass(frozen=True)
class Table:
    """A chart's data table: a caption, column headers, then rows of a label and figures."""

    caption: str
    headers: list[str]
    rows: list[tuple[str, list]]


@dataclass(frozen=True)
class Panel:
    chart: Chart
    table: Table


def panels(board: Dashboard) -> dict[str, Panel]:
    """Every chart of the page with its data table, by name."""
    months = board.months
    labels = [month_title(month) for month in months]
    month_header = _("Month")
    span = {"first": labels[0], "last": labels[-1]}
    table_note = _("The table beside it gives every value; hidden values are gaps.")

    def series(chart_id, title, attribute, columns, **options) -> Panel:
        chart = time_chart(
            chart_id=f"chart-{chart_id}",
            title=title,
            desc=_("%(title)s per month, from %(first)s to %(last)s.") % {"title": title, **span}
            + " "
            + table_note,
            months=months,
            figures=[getattr(row, attribute) for row in board.monthly],
            **options,
        )
        table = Table(
            caption=title,
            headers=[month_header, *(header for header, _attribute in columns)],
            rows=[
                (label, [getattr(row, name) for _header, name in columns])
                for label, row in zip(labels, board.monthly, strict=True)
            ],
        )
        return Panel(chart, table)

    def groups(chart_id, title, group_header, table: GroupTable) -> Panel:
        shown = [*table.rows, *([table.other] if table.other else [])]
        chart = bar_list_chart(
            chart_id=f"chart-{chart_id}",
            title=title,
            desc=_("Share of members active at least once from %(first)s to %(last)s, by group.")
            % span
            + " "
            + table_note,
            items=[(row.label, row.active_share) for row in shown],
            percent=True,
        )
        data = Table(
            caption=title,
            headers=[
                group_header,
                _("Members"),
                pgettext("members", "Active"),
                _("Active share"),
                _("Adoptions"),
            ],
            rows=[
                (row.label, [row.members, row.active, row.active_share, row.adoptions])
                for row in table.all_rows
            ],
        )
        return Panel(chart, data)

    members, active, share = _("Members"), _("Active members"), _("Active share")
    result = {
        "active_share": series(
            "active-share",
            _("Active members"),
            "active_share",
            [(members, "members"), (active, "active"), (share, "active_share")],
            style="line",
            percent=True,
        ),
        "practices_shared": series(
            "practices-shared",
            _("Practices shared"),
            "practices_shared",
            [(_("Practices shared"), "practices_shared")],
        ),
        "shared_per_active": series(
            "shared-per-active",
            _("Practices shared per active member"),
            "shared_per_active",
            [
                (_("Practices shared"), "practices_shared"),
                (active, "active"),
                (_("Per active member"), "shared_per_active"),
            ],
            style="line",
        ),
        "reads_per_member": series(
            "reads-per-member",
            _("Practices read per member"),
            "reads_per_member",
            [
                (_("Practices read"), "reads"),
                (members, "members"),
                (_("Per member"), "reads_per_member"),
            ],
            style="line",
        ),
        "adoptions": series(
            "adoptions", _("Adoptions"), "adoptions", [(_("Adoptions"), "adoptions")]
        ),
        "useful": series("useful", _("Marked useful"), "useful", [(_("Marked useful"), "useful")]),
        "comments": series("comments", _("Comments"), "comments", [(_("Comments"), "comments")]),
        "topics": Panel(
            bar_list_chart(
                chart_id="chart-topics",
                title=_("Top topics by adoptions"),
                desc=_("Adoptions per topic from %(first)s to %(last)s, the most adopted first.")
                % span
                + " "
                + table_note,
                items=[(topic.name, topic.adoptions) for topic in board.topics],
            ),
            Table(
                caption=_("Top topics"),
                headers=[_("Topic"), _("Practices shared"), _("Adoptions")],
                rows=[(topic.name, [topic.practices, topic.adoptions]) for topic in board.topics],
            ),
        ),
        "countries": groups(
            "countries", _("Active members by country"), _("Country"), board.countries
        ),
        "job_types": groups(
            "job-types", _("Active members by job type"), _("Job type"), board.job_types
        ),
    }
    retention = board.retention
    if retention.cohort_month is not None and retention.rows:
        title = _("Retention of the first cohort")
        cohort = month_title(retention.cohort_month)
        result["retention"] = Panel(
            time_chart(
                chart_id="chart-retention",
                title=title,
                desc=_(
                    "Share of the members first active in %(cohort)s who were active again in "
                    "each following month."
                )
                % {"cohort": cohort}
                + " "
                + table_note,
                months=[row.month for row in retention.rows],
                figures=[row.share for row in retention.rows],
                style="line",
                percent=True,
            ),
            Table(
                caption=title,
                headers=[month_header, _("Active again"), _("Share of the cohort")],
                rows=[
                    (month_title(row.month), [row.returning, row.share]) for row in retention.rows
                ],
            ),
        )
    return result
