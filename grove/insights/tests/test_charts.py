"""The SVG geometry: bars and lines scaled to the largest value, gaps where a figure is hidden."""

import datetime

from grove.insights.charts import bar_list_chart, nice_ceiling, time_chart
from grove.insights.disclosure import PERCENT, Figure, people

MONTHS = [datetime.date(2026, month, 1) for month in (1, 2, 3)]


def test_nice_ceiling():
    assert [nice_ceiling(v) for v in (0, 0.3, 1, 3, 7, 12, 480)] == [1, 0.5, 1, 5, 10, 20, 500]


def test_bars_scale_to_the_largest_value_and_a_hidden_month_is_a_hollow_dot():
    chart = time_chart(
        chart_id="c",
        title="Adoptions",
        desc="",
        months=MONTHS,
        figures=[Figure(5), Figure(10), people(3)],
    )

    assert [bar.height for bar in chart.bars] == [77.0, 154.0]  # top of the scale: 10
    assert [bar.title for bar in chart.bars] == ["January 2026: 5", "February 2026: 10"]
    [gap] = chart.dots
    assert gap.hollow and gap.title == "March 2026: fewer than 5"


def test_a_line_breaks_at_a_hidden_month():
    chart = time_chart(
        chart_id="c",
        title="Active members",
        desc="",
        months=[*MONTHS, datetime.date(2026, 4, 1)],
        figures=[Figure(0.5, PERCENT), people(2), Figure(0.25, PERCENT), Figure(1.0, PERCENT)],
        style="line",
        percent=True,
    )

    assert len(chart.lines) == 2  # January alone, then March-April
    assert chart.lines[1].count(",") == 2


def test_bar_lists_write_the_hidden_reason_instead_of_a_bar():
    chart = bar_list_chart(
        chart_id="c",
        title="By country",
        desc="",
        items=[("France", Figure(8)), ("Luxembourg", people(4))],
    )

    assert len(chart.bars) == 1
    assert [label.text for label in chart.labels] == ["France", "8", "Luxembourg", "fewer than 5"]
