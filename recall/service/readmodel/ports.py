"""What the read model needs from storage: one repository, declared here, implemented by
`recall.adapters.db.read_model.SqlReadModel` (an in-memory fake in the unit tests).

Writes are idempotent and safe under concurrent workers: a score replaces the stored one only
if it is newer (`updated_at`, then its source position), signals and alerts are inserted once
by id. The adapter does the comparison inside the statement (PostgreSQL `INSERT … ON CONFLICT
DO UPDATE … WHERE`), so two workers projecting different partitions never race.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from schemas.risk import Alert, RiskScoreUpdated, ScoreContribution, SignalRaised


@dataclass(frozen=True, slots=True)
class ScoreAt:
    """A `risk.scores` record with where it was read: the tie-break between equal times."""

    score: RiskScoreUpdated
    partition: int
    offset: int

    @property
    def version(self) -> tuple[datetime, int, int]:
        return (self.score.updated_at, self.partition, self.offset)


@dataclass(frozen=True, slots=True)
class ProductFacts:
    """What scopes a product's score: its region and category (None when unknown)."""

    region: str | None
    category: str | None


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """A score as the read model keeps it: the record, its position, region and category."""

    record: ScoreAt
    region: str | None
    category: str | None


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What one write changed: scores stored (new or newer), signals and alerts inserted."""

    scores: int = 0
    signals: int = 0
    alerts: int = 0


@dataclass(frozen=True, slots=True)
class TableStatus:
    table: str
    rows: int
    newest: datetime | None


class ScoreSort(StrEnum):
    SCORE = "score"
    UPDATED_AT = "updated_at"


Cursor = tuple[float | datetime, str]
"""Keyset position: (the sort column's value, the row's key) of the last row seen."""


@dataclass(frozen=True, slots=True)
class ScoreFilter:
    product_key: str | None = None
    product_prefix: str | None = None  # a firm's products: "<credit code>/"
    region_prefix: str | None = None
    risk_levels: Collection[str] = ()
    category: str | None = None
    sort: ScoreSort = ScoreSort.SCORE
    descending: bool = True
    after: Cursor | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class SignalFilter:
    product_key: str | None = None
    region_prefix: str | None = None
    risk_levels: Collection[str] = ()
    methods: Collection[str] = ()
    since: datetime | None = None
    until: datetime | None = None
    descending: bool = True
    after: Cursor | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class AlertFilter:
    kinds: Collection[str] = ()
    region_prefix: str | None = None
    subject: str | None = None
    """What the alert is about: a recall or investigation id, `<category>|<city>`."""
    since: datetime | None = None
    until: datetime | None = None
    after: Cursor | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class ScoreView:
    product_key: str
    score: float
    risk_level: str | None
    explanation: tuple[str, ...]
    updated_at: datetime
    region: str | None
    category: str | None
    contributions: tuple[ScoreContribution, ...] = ()  # empty for scores from before 0017


@dataclass(frozen=True, slots=True)
class StationHealth:
    """A station's traffic over a window: last seen, accepted, rejected by reason.

    `last_seen_at` is when the intake last received an accepted event (a heartbeat, a resend)
    from the station, kept on its registry row by the intake itself; None for a station never
    heard from, or not registered. A refused record does not count: its reporter id may be
    only what an unsigned record claims. Refusals are in `rejected`.
    """

    station_id: str
    since: datetime
    last_seen_at: datetime | None
    last_accepted_at: datetime | None
    accepted: int
    rejected: Mapping[str, int]


class ReadModel(Protocol):
    def write(
        self, scores: Sequence[ScoreRow], signals: Sequence[SignalRaised], alerts: Sequence[Alert]
    ) -> WriteOutcome:
        """Store in one transaction; at most one score per product. A score older than (or
        the same as) the stored one is left out; a known signal or alert id is ignored."""

    def product_facts(self, product_keys: Collection[str]) -> Mapping[str, ProductFacts]:
        """Region and category of each product: its manufacturer's jurisdiction and its
        category from the registry; for a product outside it, those of its latest stored
        signal (where the harm was reported). Absent keys: nothing known."""

    def clear(self) -> None:
        """Empty the three tables (before a rebuild)."""

    def status(self) -> list[TableStatus]:
        """Rows and newest timestamp per table."""

    def scores(self, query: ScoreFilter) -> list[ScoreView]:
        """Scores matching the filter, in its order, after its cursor, at most `limit`."""

    def signals(self, query: SignalFilter) -> list[SignalRaised]:
        """Signals matching the filter, by (raised_at, signal_id)."""

    def alerts(self, query: AlertFilter) -> list[Alert]:
        """Alerts matching the filter, newest first, by (at, alert_id)."""

    def stations_health(
        self, station_ids: Collection[str], since: datetime
    ) -> Mapping[str, StationHealth]:
        """The health of each station asked for (every one, known or not): last seen, last
        accepted, accepted events and dead letters (by reason) received since `since`. A fixed
        number of queries, however many stations: a page of 500 costs what a page of 1 does."""

    def is_transient(self, error: BaseException) -> bool:
        """True when the same write may succeed later (outage, deadlock, timeout)."""
