"""How long the open investigations have waited: the queue by state and age band.

A regulator's first question of a queue is not how many but how old: an investigation opened
three months ago and still without a panel is the one to chase. The bands are the ones the
province's own follow-up rules use — a week, a month, a quarter. Pure: the caller passes `now`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from recall.domain.investigations.model import InvestigationState

AGE_BANDS: tuple[tuple[str, int | None], ...] = (
    ("under_7_days", 7),
    ("7_to_30_days", 30),
    ("30_to_90_days", 90),
    ("over_90_days", None),
)
"""(name, upper bound in days, exclusive); the last band is open-ended."""

OPEN_STATES = (InvestigationState.OPENED, InvestigationState.ASSIGNED)


def age_band(opened_at: datetime, now: datetime) -> str:
    """The band of an investigation opened at `opened_at` (one opened in the future: the first)."""
    age = now - opened_at
    for name, days in AGE_BANDS:
        if days is None or age < timedelta(days=days):
            return name
    raise AssertionError("the last band is open-ended")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class QueueAges:
    bands: tuple[str, ...]
    counts: dict[str, list[int]]
    """Open state → investigations per band (in `bands` order)."""
    oldest_opened_at: datetime | None


def queue_ages(open_rows: Iterable[tuple[str, datetime]], now: datetime) -> QueueAges:
    """Count (state, opened_at) pairs of open investigations by state and age band."""
    bands = tuple(name for name, _ in AGE_BANDS)
    counts = {state.value: [0] * len(bands) for state in OPEN_STATES}
    oldest: datetime | None = None
    for state, opened_at in open_rows:
        if state not in counts:
            continue
        counts[state][bands.index(age_band(opened_at, now))] += 1
        oldest = opened_at if oldest is None or opened_at < oldest else oldest
    return QueueAges(bands, counts, oldest)
