"""What a report returns: tables of figures, each with how to draw it as a chart.

The table is the figures (what the page shows beside the chart, what the CSV holds); the
chart names which columns it draws. Cell values stay plain (numbers, dates, keys) and the
page formats them by the column's ``kind``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Column kinds: text, count, percent (0-100, None when there is nothing to divide by),
# week (the Monday of a local week), month ('YYYY-MM'), hour (0-23), key (CSV only).
KINDS = ("text", "count", "percent", "week", "month", "hour", "key")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"


@dataclass(frozen=True)
class Chart:
    """``kind``: bar, stacked (bars stacked), line, or heatmap (rows are the y axis, the
    columns after the first the x axis). ``series``: the keys of the columns drawn; ``label``
    the column naming each point (default the first)."""

    kind: str
    series: tuple[str, ...] = ()
    label: str | None = None
    percent: bool = False


@dataclass
class Table:
    name: str  # unique across the reports: the CSV's file name
    title: str
    columns: list[Column]
    rows: list[tuple]
    chart: Chart | None = None
    note: str = ""  # what the figures mean, in a sentence
    more: int = 0  # rows left off the page (the CSV has them all)
    extra: dict = field(default_factory=dict)  # figures shown beside the table

    def column(self, key: str) -> int:
        return next(i for i, c in enumerate(self.columns) if c.key == key)

    def header(self) -> list[str]:
        return [c.label for c in self.columns]


def rate(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` as a percentage with one decimal (None: nothing to divide)."""
    return round(100 * part / whole, 1) if whole else None
