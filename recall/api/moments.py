"""`QueryInstant`: a time in a query (`from`, `to`, `since`, `until`), as the instant in UTC.

Every list and report that takes a time reads it the same way — ISO-8601, with an offset
(`ZonedQueryInstant`) or also without one, read as UTC (`QueryInstant`) — and the same bound
applies: 1900 to 9000. A time outside it is no one's
question about this system's data, and near the calendar's ends the arithmetic the reports do
(widening to whole days and months, windows back from `to`) leaves the years `datetime` can
hold: `to=0001-01-01T00:00:00Z` or `from=9999-12-31T23:59:59-01:00` answered 500.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

from schemas.common import in_utc

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _within_bounds(moment: datetime) -> datetime:
    instant = in_utc(moment)
    if not EARLIEST <= instant < LATEST:
        raise ValueError("a time between the years 1900 and 9000 is needed")
    return instant


QueryInstant = Annotated[datetime, AfterValidator(_within_bounds)]
"""A query's time, converted to UTC (a time without an offset is read as UTC)."""
ZonedQueryInstant = Annotated[AwareDatetime, AfterValidator(_within_bounds)]
"""A query's time that must carry its offset (the read model's `since` and `until`), in UTC."""
