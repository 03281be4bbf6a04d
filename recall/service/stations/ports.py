"""What the station-health check needs from storage (`recall.adapters.db.station_health`).

Reads run outside the deciding transaction (they are counts that a minute's delay does not
change); the verdicts and the alerts that announce them are written in one transaction, so a
state change without its alert, or an alert without its state change, cannot be committed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from recall.service.ports import Outbox


@dataclass(frozen=True, slots=True)
class StationFacts:
    """A registered reporter as the check sees it."""

    station_id: str
    kind: str
    jurisdiction: str
    enabled: bool
    last_seen_at: datetime | None


@dataclass(frozen=True, slots=True)
class History:
    """A station's records per epoch hour over the learning window, and since when it counts
    (its first record, if that is inside the window)."""

    counts: Mapping[int, int]
    first_hour: int


@dataclass(frozen=True, slots=True)
class FeedCounts:
    accepted: int = 0
    rejected: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class HealthState:
    """One station's stored verdicts (`station_health`), as of the last check."""

    station_id: str
    silent_since: datetime | None = None
    """The last contact before the silence; None while the station is well."""
    silent_alert_id: str | None = None
    feed_since: datetime | None = None
    """When the feed turned poor; None while it is ok."""
    feed_alert_id: str | None = None
    learned: bool = False
    expected_events: float = 0.0
    probability: float = 1.0
    rejected_share: float | None = None
    updated_at: datetime | None = None

    @property
    def silent(self) -> bool:
        return self.silent_since is not None

    @property
    def feed_poor(self) -> bool:
        return self.feed_since is not None


class HealthReads(Protocol):
    def stations(self) -> list[StationFacts]:
        """Every registered reporter, with when the intake last heard from it."""

    def history(self, start: datetime, end: datetime) -> dict[str, History]:
        """Per station with records in [start, end): its records (events, heartbeats
        included) per hour by received time, and the hour its history starts."""

    def feed(self, start: datetime, end: datetime) -> dict[str, FeedCounts]:
        """Per station: records stored and refused (by reason) in [start, end)."""


class HealthRepository(Protocol):
    def states(self) -> dict[str, HealthState]:
        """Every station's stored verdicts (locked for this transaction where it can)."""

    def save(self, states: Sequence[HealthState]) -> None:
        """Insert or replace these stations' rows."""


class HealthUnit(Protocol):
    @property
    def health(self) -> HealthRepository: ...

    @property
    def outbox(self) -> Outbox: ...


class HealthStorage(Protocol):
    def transaction(self) -> AbstractContextManager[HealthUnit]:
        """Commit on normal exit, roll back if the block raises."""
