"""Risk by region for a regulator: its region (or one inside it) split one tier down.

Definitions (docs/dashboard.md, "Risk by region", and docs/api.md say the same):

- **signals**: risk signals raised in the time range, counted in the part of the region that
  holds their `jurisdiction` (where the harm was reported), by product category;
- **highest risk level**: the highest level among those signals;
- **open investigations**: investigations open now (opened or assigned), whatever the time
  range, in the part that holds their jurisdiction;
- **series**: the region's signals per ISO week or calendar month (UTC days), in all and by
  category, every bucket of the range listed, empty ones with zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from recall.domain.jurisdiction import ancestors, significant_prefix
from recall.domain.region_risk import Bucket, Point, RegionRisk, roll_up, series, shown_region
from recall.service.regions.ports import RegionRiskReads, SignalWindow

DEFAULT_DAYS = 365


@dataclass(frozen=True, slots=True)
class RegionRiskView:
    """What a regulator of `scope` is shown for `region`, `path` from the top tier down."""

    region: str
    scope: str
    path: tuple[str, ...]
    start: datetime
    end: datetime
    bucket: Bucket
    risk: RegionRisk
    series: list[Point]


def window_of(
    start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """The half-open range asked for; by default the year up to `now`."""
    end = end or now
    return start or end - timedelta(days=DEFAULT_DAYS), end


def risk_by_region(
    reads: RegionRiskReads,
    *,
    scope: str,
    asked: str | None,
    start: datetime,
    end: datetime,
    bucket: Bucket,
) -> RegionRiskView | None:
    """The figures of the region shown for `asked` (see `shown_region`); None beside `scope`."""
    region = shown_region(scope, asked)
    if region is None:
        return None
    prefix = significant_prefix(region)
    window = SignalWindow(prefix, start, end)
    known = [name.code for name in reads.region_names(prefix)]
    risk = roll_up(region, known, reads.signal_counts(window), reads.open_investigations(prefix))
    first = start.astimezone(UTC).date()
    last = (end - timedelta(microseconds=1)).astimezone(UTC).date()
    points = series(reads.day_counts(window), first, last, bucket)
    path = (*reversed(ancestors(region)), region)
    return RegionRiskView(region, scope, path, start, end, bucket, risk, points)
