"""Time buckets for a traffic chart: per minute, hour or day, aligned on China's clock.

Regulators read days as China days: a per-day bar must run from midnight to midnight in
Beijing, not in UTC (which would cut every day at 08:00). China keeps one offset all year
(UTC+8, no daylight saving), so buckets are a fixed width from a fixed origin and a moment's
bucket is plain arithmetic — the same arithmetic the database does when it groups rows
(`floor((epoch(t) - epoch(origin)) / width)`), so the SQL returns at most `count` groups per
series whatever the number of rows. Pure: the caller passes `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum

from recall.domain.errors import DomainError

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
MAX_BUCKETS = 1_500
"""A chart's bars at most: 60 days by the hour, four years by the day, a day by the minute."""


class BucketError(DomainError, ValueError):
    """A time range that cannot be cut into buckets (empty, reversed or too long)."""


class Width(StrEnum):
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"

    @property
    def delta(self) -> timedelta:
        return {"minute": timedelta(minutes=1), "hour": timedelta(hours=1)}.get(
            self.value, timedelta(days=1)
        )


DEFAULT_COUNT = {Width.MINUTE: 60, Width.HOUR: 48, Width.DAY: 30}
"""What a chart shows when no range is asked for: the last hour, 48 hours or 30 days."""


@dataclass(frozen=True, slots=True)
class Buckets:
    """`count` consecutive buckets of `width`, the first starting at `origin` (UTC)."""

    origin: datetime
    width: Width
    count: int

    @property
    def end(self) -> datetime:
        """Where the last bucket ends (exclusive)."""
        return self.origin + self.count * self.width.delta

    @property
    def seconds(self) -> int:
        return int(self.width.delta.total_seconds())

    def starts(self) -> list[datetime]:
        return [self.origin + n * self.width.delta for n in range(self.count)]

    def index(self, moment: datetime) -> int | None:
        """The bucket `moment` falls in; None outside [origin, end)."""
        if not self.origin <= moment < self.end:
            return None
        return int((moment - self.origin).total_seconds()) // self.seconds


def floor(moment: datetime, width: Width) -> datetime:
    """The start of the bucket of `width` holding `moment`, on China's clock, in UTC."""
    local = moment.astimezone(CHINA)
    match width:
        case Width.MINUTE:
            local = local.replace(second=0, microsecond=0)
        case Width.HOUR:
            local = local.replace(minute=0, second=0, microsecond=0)
        case Width.DAY:
            local = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local.astimezone(UTC)


def buckets(
    width: Width,
    *,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Buckets:
    """The buckets covering [start, end), widened to whole buckets.

    Without `start`: the `DEFAULT_COUNT` buckets up to `end` (default `now`), the current
    (still filling) one last. Raises `BucketError` for an empty range or more than
    `MAX_BUCKETS` buckets.
    """
    stop = end if end is not None else now
    last = floor(stop, width)
    upper = last if last == stop and end is not None else last + width.delta
    default = upper - DEFAULT_COUNT[width] * width.delta
    origin = default if start is None else floor(start, width)
    if upper <= origin:
        raise BucketError("the time range is empty: `to` must be after `from`")
    count = int((upper - origin) / width.delta)
    if count > MAX_BUCKETS:
        raise BucketError(
            f"{count} {width.value} buckets asked for; at most {MAX_BUCKETS}: shorten the range"
            " or use a wider bucket"
        )
    return Buckets(origin.astimezone(UTC), width, count)
