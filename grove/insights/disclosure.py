"""Aggregates only: no figure about fewer than ``K_ANONYMITY`` people is shown, nor derivable.

The dashboard counts people (members, active members, a cohort) and splits them into groups
(countries, job types). A count of 1 to 4 people is never shown: the cell reads "fewer than 5".
Neither is a split whose other side is that small ("48 of 50 members active" points at the 2
who were not), nor a group that could be recomputed from what is shown: when groups add up to a
shown total and only one is hidden (or the hidden ones add up to fewer than 5 people), the next
smallest groups are hidden too (complementary suppression). The hidden groups are merged into
an "Other" row, itself shown only when it holds at least 5 people.

Zero is shown: it is about no one. Counts of actions (practices shared, adoptions, comments)
are not counts of people and are shown as they are.

Pure functions over numbers: the database work is in ``queries.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

# The one place the threshold lives.
K_ANONYMITY = 5

SMALL = "small"  # fewer than K_ANONYMITY people
PROTECTED = "protected"  # hidden so that a small group cannot be worked out from the rest

COUNT = "count"
RATIO = "ratio"
PERCENT = "percent"

HIDDEN_LABELS = {SMALL: _("fewer than %(k)s"), PROTECTED: _("hidden")}
# In the CSV: stable tokens rather than translated words.
CSV_HIDDEN = {SMALL: f"<{K_ANONYMITY}", PROTECTED: "suppressed"}


@dataclass(frozen=True)
class Figure:
    """One number as the dashboard shows it: its value, or why it is hidden."""

    value: float | int | None
    kind: str = COUNT
    hidden: str = ""

    @property
    def shown(self) -> bool:
        return not self.hidden

    @property
    def chart_value(self) -> float | None:
        """The value to draw (a percentage as 0-100), None for a gap."""
        if self.hidden or self.value is None:
            return None
        return float(self.value) * 100 if self.kind == PERCENT else float(self.value)

    def __str__(self) -> str:
        if self.hidden:
            return hidden_label(self.hidden)
        if self.value is None:
            return "—"
        if self.kind == PERCENT:
            return f"{number_format(self.value * 100, decimal_pos=0)} %"
        if self.kind == RATIO:
            return number_format(self.value, decimal_pos=2)
        return number_format(self.value, force_grouping=True)

    @property
    def csv_value(self) -> str:
        if self.hidden:
            return CSV_HIDDEN[self.hidden]
        if self.value is None:
            return ""
        if self.kind == COUNT:
            return str(int(self.value))
        return f"{self.value:.4f}"


def hidden_label(reason: str) -> str:
    """What a hidden cell reads, in the current language."""
    return str(HIDDEN_LABELS[reason]) % {"k": K_ANONYMITY}


def is_small(count: int | None) -> bool:
    """A count of people too small to show: 1 to K_ANONYMITY - 1."""
    return count is not None and 0 < count < K_ANONYMITY


def split_is_small(part: int, whole: int | None) -> bool:
    """``part`` of ``whole`` people: too small to show on either side of the split."""
    return is_small(part) or (whole is not None and is_small(whole - part))


def people(count: int, *, of: int | None = None) -> Figure:
    """A count of people (``of``: the group they were taken from, when it is shown). A hidden
    count keeps no value: nothing downstream (a template, the CSV) can show it by mistake."""
    if is_small(count):
        return Figure(None, COUNT, SMALL)
    if of is not None and split_is_small(count, of):
        return Figure(None, COUNT, PROTECTED)
    return Figure(count)


def actions(count: int) -> Figure:
    """A count of things done (not of people): always shown."""
    return Figure(count)


def ratio(numerator: float, denominator: Figure, *, kind: str = RATIO) -> Figure:
    """``numerator`` per ``denominator``, hidden whenever the denominator is."""
    if denominator.hidden:
        return Figure(None, kind, denominator.hidden)
    if not denominator.value:
        return Figure(None, kind)
    return Figure(numerator / denominator.value, kind)


def share(part: Figure, whole: Figure) -> Figure:
    """``part`` as a share of ``whole``: hidden when either is."""
    if part.hidden or whole.hidden:
        return Figure(None, PERCENT, part.hidden or whole.hidden)
    return ratio(part.value or 0, whole, kind=PERCENT)


def protect(cells: Sequence[tuple[int, int | None]]) -> list[str]:
    """Which of the cells that add up to a shown total to hide, and why ("" = shown).

    Each cell is ``(people, out_of)``: a count of people and, when the cell splits a shown
    group, the size of that group (else None). A cell is hidden when it is small on either
    side; then, while the hidden cells could be recomputed from the total (a single one hidden,
    or together fewer than K_ANONYMITY people, or leaving fewer than K_ANONYMITY out of their
    groups), the smallest shown cell is hidden too. If that runs out of cells, the total itself
    is small and its own check hides it.
    """
    reasons = [
        SMALL if is_small(part) else PROTECTED if split_is_small(part, whole) else ""
        for part, whole in cells
    ]

    def recomputable() -> bool:
        hidden = [cells[i] for i, reason in enumerate(reasons) if reason]
        if not hidden:
            return False
        if len(hidden) == 1 or is_small(sum(part for part, _ in hidden)):
            return True
        wholes = [whole for _, whole in hidden]
        if all(whole is not None for whole in wholes):
            # Every whole is known here (the check above); the filter says so to the type checker.
            rest = sum(whole - part for part, whole in hidden if whole is not None)
            return is_small(rest)
        return False

    while recomputable():
        candidates = [i for i, reason in enumerate(reasons) if not reason]
        if not candidates:
            break
        # The smallest first; zero cells last (hiding a zero protects nothing).
        smallest = min(candidates, key=lambda i: (cells[i][0] == 0, cells[i][0], i))
        reasons[smallest] = PROTECTED
    return reasons
