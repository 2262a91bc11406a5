"""Charts as server-rendered SVG: geometry here, markup in templates/insights/_chart.html.

No JavaScript and nothing fetched from elsewhere. Each chart is sized for a phone (a 360-unit
wide viewBox, scaled to the width of the page), carries a <title> and a <desc>, and the page
puts its data table beside it. A hidden figure (see ``disclosure``) is a gap in the chart,
marked by a hollow dot that names why.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.formats import date_format, number_format

from .disclosure import Figure, hidden_label

WIDTH = 360
TIME_HEIGHT = 200
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 12, 34
ROW_HEIGHT = 34
LABEL_CHARS = 44


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    title: str
    hollow: bool = False


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass
class Chart:
    id: str
    title: str
    desc: str
    height: int
    width: int = WIDTH
    bars: list[Rect] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # polyline "x,y x,y" strings
    dots: list[Dot] = field(default_factory=list)
    labels: list[Text] = field(default_factory=list)
    grid: list[float] = field(default_factory=list)  # y of horizontal rules
    axis_y: float = 0.0
    plot_left: float = LEFT
    plot_right: float = WIDTH - RIGHT

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^n at least ``value`` (1 for nothing)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)  # pragma: no cover -- the loop always returns


def _tick(value: float, percent: bool) -> str:
    if percent:
        return f"{number_format(value, decimal_pos=0)} %"
    if value != int(value):
        return number_format(value, decimal_pos=1 if round(value, 1) == value else 2)
    return number_format(int(value), force_grouping=True)


def _month_label(month: datetime.date) -> str:
    return date_format(month, "M")


def month_title(month: datetime.date) -> str:
    return date_format(month, "YEAR_MONTH_FORMAT")


def time_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    months: Sequence[datetime.date],
    figures: Sequence[Figure],
    style: str = "bar",
    percent: bool = False,
) -> Chart:
    """One figure per month, as bars or as a line broken where a figure is hidden."""
    height = TIME_HEIGHT
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = height - TOP - BOTTOM
    base = TOP + plot_height
    values = [figure.chart_value for figure in figures]
    top = 100.0 if percent else nice_ceiling(max((v for v in values if v is not None), default=0))
    chart = Chart(id=chart_id, title=title, desc=desc, height=height, axis_y=base)
    for fraction in (0.0, 0.5, 1.0):
        y = base - fraction * plot_height
        chart.grid.append(y)
        chart.labels.append(Text(LEFT - 4, y + 4, _tick(top * fraction, percent), "end"))

    slot = plot_width / max(len(months), 1)
    step = max(1, math.ceil(len(months) / 6))
    segment: list[str] = []
    for index, (month, figure, value) in enumerate(zip(months, figures, values, strict=True)):
        center = LEFT + slot * (index + 0.5)
        tip = f"{month_title(month)}: {figure}"
        if (len(months) - 1 - index) % step == 0:
            chart.labels.append(Text(center, base + 14, _month_label(month)))
            if month.month == 1 or index < step:
                chart.labels.append(Text(center, base + 27, str(month.year)))
        if value is None:
            if segment:
                chart.lines.append(" ".join(segment))
                segment = []
            chart.dots.append(Dot(round(center, 1), base - 4, tip, hollow=True))
            continue
        y = base - (value / top) * plot_height
        if style == "bar":
            width = slot * 0.7
            chart.bars.append(
                Rect(
                    round(center - width / 2, 1),
                    round(y, 1),
                    round(width, 1),
                    round(base - y, 1),
                    tip,
                )
            )
        else:
            segment.append(f"{center:.1f},{y:.1f}")
            chart.dots.append(Dot(round(center, 1), round(y, 1), tip))
    if segment:
        chart.lines.append(" ".join(segment))
    return chart


def bar_list_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    items: Sequence[tuple[str, Figure]],
    percent: bool = False,
) -> Chart:
    """Horizontal bars, one per labelled figure, the label above its bar (narrow screens)."""
    height = TOP + ROW_HEIGHT * max(len(items), 1)
    values = [figure.chart_value for _, figure in items]
    top = 100.0 if percent else nice_ceiling(max((v for v in values if v is not None), default=0))
    plot_width = WIDTH - 10 - 60  # room for the value after the bar
    chart = Chart(id=chart_id, title=title, desc=desc, height=height, plot_left=10)
    for index, ((label, figure), value) in enumerate(zip(items, values, strict=True)):
        y = TOP + ROW_HEIGHT * index
        short = label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"
        chart.labels.append(Text(10, y + 10, short, "start"))
        if value is None:
            text = hidden_label(figure.hidden) if figure.hidden else "—"
            chart.labels.append(Text(10, y + 25, text, "start"))
            continue
        width = max((value / top) * plot_width, 1.0 if value else 0.0)
        chart.bars.append(Rect(10, y + 15, round(width, 1), 12, f"{label}: {figure}"))
        chart.labels.append(Text(round(10 + width + 4, 1), y + 25, str(figure), "start"))
    return chart
