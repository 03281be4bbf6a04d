"""A product's events day by day: what the investigation page draws under the detector's
expected level and alarm threshold.

Regulators see the events reported inside their own area (as with the product's signal
history); other roles get no series — a firm reads its product's signals nowhere else either.
The store returns raw (moment, type) pairs, capped: a product's year is at most a few thousand
rows, and counting them here keeps the day boundaries (China's midnight) in one place,
`recall.domain.traffic`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from recall.domain.traffic import Width, buckets
from recall.service.readmodel.pages import Scope

DAYS = 90
TREND_DAYS = 7
ROW_LIMIT = 20_000
"""Rows read at most: a product with more events in `DAYS` days is shown truncated (and says so)."""


class ProductEvents(Protocol):
    def product_event_times(
        self, product_key: str, region_prefix: str | None, since: datetime, limit: int
    ) -> list[tuple[datetime, str]]:
        """(occurred_at, type) of the product's accepted events since `since`, oldest first."""
        ...

    def product_event_counts(
        self, product_keys: Collection[str], region_prefix: str | None, bounds: TrendBounds
    ) -> dict[str, tuple[int, int]]:
        """Per product: (events in [middle, end), events in [start, middle))."""
        ...


@dataclass(frozen=True, slots=True)
class TrendBounds:
    start: datetime
    middle: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Trend:
    """Events of the product in the last `TREND_DAYS` days against the `TREND_DAYS` before."""

    last: int
    previous: int


@dataclass(frozen=True, slots=True)
class ProductSeries:
    days: list[datetime]
    counts: dict[str, list[int]]
    """Events per day by event type (`injury_report`, `sampling_result`, …)."""
    truncated: bool


def product_series(
    events: ProductEvents, product_key: str, scope: Scope | None, *, now: datetime
) -> ProductSeries | None:
    """The last `DAYS` China days of the product's events in `scope`; None outside any scope."""
    if scope is None:
        return None
    grid = buckets(Width.DAY, now=now, start=now - timedelta(days=DAYS - 1))
    rows = events.product_event_times(product_key, scope.region_prefix, grid.origin, ROW_LIMIT + 1)
    counts: dict[str, list[int]] = {}
    for moment, kind in rows[:ROW_LIMIT]:
        index = grid.index(moment)
        if index is not None:
            counts.setdefault(kind, [0] * grid.count)[index] += 1
    return ProductSeries(grid.starts(), counts, truncated=len(rows) > ROW_LIMIT)


def trends(
    events: ProductEvents, product_keys: Collection[str], scope: Scope | None, *, now: datetime
) -> dict[str, Trend]:
    """Each product's week against the week before, in `scope`: a score's trend on the overview
    (a high score on a product whose reports are rising is the one to read first). Regulators
    only, like the series; one grouped query for the whole page."""
    if scope is None or not product_keys:
        return {}
    middle = now - timedelta(days=TREND_DAYS)
    bounds = TrendBounds(middle - timedelta(days=TREND_DAYS), middle, now)
    counts = events.product_event_counts(product_keys, scope.region_prefix, bounds)
    return {key: Trend(*counts.get(key, (0, 0))) for key in product_keys}
