"""Risk by region: which part of a region holds a place, and counts rolled up to those parts.

A regulator looks at one region at a time and sees it split one tier down: a province by its
cities, a city by its counties, a county as itself. The figures come from storage already
grouped by (jurisdiction, category, …); here they are rolled up to the shown region's parts
and to time buckets. Pure: no I/O, exact integer counts.

Scope follows the lists: a region inside the regulator's area is shown as asked; a region
that holds the area (a county asking for its province) is narrowed to the area, as a list's
`region` filter narrows and never widens; a region beside it is not shown at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from recall.domain.jurisdiction import Level, covers, is_placeholder, level, validate
from recall.domain.vocabulary import RiskLevel

__all__ = [
    "Bucket",
    "DayCount",
    "Figures",
    "OpenCount",
    "Point",
    "RegionRisk",
    "SignalCount",
    "bucket_start",
    "child_of",
    "roll_up",
    "series",
    "shown_region",
]


class Bucket(StrEnum):
    """A period of the signals-over-time series: ISO weeks (from Monday) or calendar months."""

    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, slots=True)
class SignalCount:
    """`count` signals of `risk_level` in one jurisdiction and category."""

    jurisdiction: str
    category: str
    risk_level: str
    count: int


@dataclass(frozen=True, slots=True)
class OpenCount:
    """`count` open investigations in one jurisdiction (None: unknown) and category."""

    jurisdiction: str | None
    category: str
    count: int


@dataclass(frozen=True, slots=True)
class DayCount:
    """`count` signals raised on one (UTC) day in one category."""

    day: date
    category: str
    count: int


@dataclass
class Figures:
    """Signals, their highest level, and open investigations of one part (or the whole)."""

    signals: int = 0
    highest: RiskLevel | None = None
    open_investigations: int = 0

    def add_signals(self, count: int, risk_level: str) -> None:
        self.signals += count
        found = _level(risk_level)
        if found is not None and (self.highest is None or found.rank > self.highest.rank):
            self.highest = found


@dataclass(frozen=True, slots=True)
class RegionRisk:
    """A region's parts (in code order), their figures per category and in all, the total."""

    region: str
    children: tuple[str, ...]
    categories: tuple[str, ...]
    cells: dict[tuple[str, str], Figures]
    by_child: dict[str, Figures]
    total: Figures


@dataclass(frozen=True, slots=True)
class Point:
    """Signals raised in the bucket that starts on `period`, in all and by category."""

    period: date
    signals: int
    by_category: dict[str, int] = field(default_factory=dict)


def shown_region(scope: str, asked: str | None) -> str | None:
    """The region a regulator of `scope` is shown when it asks for `asked` (None: beside it).

    Its own area when it asks for nothing or for a region holding its area; the region asked
    for when inside its area.
    """
    validate(scope)
    if asked is None:
        return scope
    validate(asked)
    if covers(scope, asked):
        return asked
    if covers(asked, scope):
        return scope
    return None


def child_of(region: str, code: str) -> str | None:
    """The part of `region` one tier down that holds `code` (None: `code` is outside).

    A province's part is the city (`140105` → `140100`), or the county itself under a
    placeholder grouping (Beijing's `110101`, Hubei's province-administered `429004`); a
    city's part is the county; a county is its own only part. A code equal to the region
    (a signal filed at city level, shown for the city) is the region itself.
    """
    if not covers(region, code):
        return None
    match level(region):
        case Level.COUNTY:
            return region
        case Level.CITY:
            return code
        case Level.PROVINCE:
            city = code[:4] + "00"
            return code if code != city and is_placeholder(city) else city


def roll_up(
    region: str,
    known: Iterable[str],
    signals: Iterable[SignalCount],
    open_investigations: Iterable[OpenCount],
) -> RegionRisk:
    """Figures of `region`'s parts: every part the registry `known`s, plus any with data."""
    children = {c for code in known if code != region and (c := child_of(region, code)) is not None}
    if level(region) is Level.COUNTY:
        children = {region}
    cells: dict[tuple[str, str], Figures] = {}
    by_child: dict[str, Figures] = {}
    total = Figures()

    def targets(jurisdiction: str | None, category: str) -> list[Figures]:
        child = child_of(region, jurisdiction) if jurisdiction else None
        if child is None:
            return []
        children.add(child)
        cell = cells.setdefault((child, category), Figures())
        return [cell, by_child.setdefault(child, Figures()), total]

    for s in signals:
        for figures in targets(s.jurisdiction, s.category):
            figures.add_signals(s.count, s.risk_level)
    for o in open_investigations:
        for figures in targets(o.jurisdiction, o.category):
            figures.open_investigations += o.count
    ordered = tuple(sorted(children))
    for child in ordered:
        by_child.setdefault(child, Figures())
    categories = tuple(sorted({category for _, category in cells}))
    return RegionRisk(region, ordered, categories, cells, by_child, total)


def bucket_start(day: date, bucket: Bucket) -> date:
    """The first day of the bucket holding `day` (its week's Monday, its month's first)."""
    if bucket is Bucket.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def series(counts: Iterable[DayCount], first: date, last: date, bucket: Bucket) -> list[Point]:
    """Every bucket from `first`'s to `last`'s, with zeros where nothing was raised."""
    totals: Counter[date] = Counter()
    categories: dict[date, Counter[str]] = {}
    for c in counts:
        start = bucket_start(c.day, bucket)
        totals[start] += c.count
        categories.setdefault(start, Counter())[c.category] += c.count
    points = []
    period = bucket_start(first, bucket)
    while period <= last:
        by_category = dict(sorted(categories.get(period, Counter()).items()))
        points.append(Point(period, totals[period], by_category))
        period = _next(period, bucket)
    return points


def _next(period: date, bucket: Bucket) -> date:
    if bucket is Bucket.WEEK:
        return period + timedelta(days=7)
    return date(period.year + period.month // 12, period.month % 12 + 1, 1)


def _level(value: str) -> RiskLevel | None:
    try:
        return RiskLevel(value)
    except ValueError:
        return None
