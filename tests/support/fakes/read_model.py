"""An in-memory `ReadModel`: the same rules as SQL (newer score wins, ids inserted once).

`fail_next` makes the next writes raise chosen errors (an outage), `refused` names records
the store refuses for good, so the agent's retry and isolation paths run without a database;
`writes` counts the calls that succeeded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from recall.service.readmodel.ports import (
    AlertFilter,
    Cursor,
    ProductFacts,
    ScoreFilter,
    ScoreRow,
    ScoreSort,
    ScoreView,
    SignalFilter,
    StationHealth,
    TableStatus,
    WriteOutcome,
)
from schemas.risk import Alert, SignalRaised
from tests.support.memory_storage import TransientStorageError

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StationTraffic:
    """One received record of a station: accepted (reason None) or dead-lettered."""

    station_id: str
    received_at: datetime
    reason: str | None = None


@dataclass
class MemoryReadModel:
    scores_by_key: dict[str, ScoreRow] = field(default_factory=dict)
    signals_by_id: dict[str, SignalRaised] = field(default_factory=dict)
    alerts_by_id: dict[str, Alert] = field(default_factory=dict)
    registry: dict[str, ProductFacts] = field(default_factory=dict)
    traffic: list[StationTraffic] = field(default_factory=list)
    last_seen: dict[str, datetime] = field(default_factory=dict)
    """Each station's last seen time, as the intake keeps it on the station's row."""
    failures: list[BaseException] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)
    """Ids (and product keys) the store refuses for good, as PostgreSQL refuses a value
    longer than its column: a write that holds one raises `ValueError`."""
    writes: int = 0

    def fail_next(self, *errors: BaseException) -> None:
        self.failures.extend(errors)

    def is_transient(self, error: BaseException) -> bool:
        return isinstance(error, TransientStorageError)

    def write(
        self, scores: Sequence[ScoreRow], signals: Sequence[SignalRaised], alerts: Sequence[Alert]
    ) -> WriteOutcome:
        if self.failures:
            raise self.failures.pop(0)
        ids = {s.record.score.product_key for s in scores} | {s.signal_id for s in signals}
        if self.refused & (ids | {a.alert_id for a in alerts}):
            raise ValueError("value too long for its column")
        keys = [s.record.score.product_key for s in scores]
        assert len(keys) == len(set(keys)), "one score per product per write, as SQL needs"
        stored = 0
        for row in scores:
            old = self.scores_by_key.get(row.record.score.product_key)
            if old is None or old.record.version < row.record.version:
                self.scores_by_key[row.record.score.product_key] = row
                stored += 1
        new_signals = [s for s in signals if s.signal_id not in self.signals_by_id]
        new_alerts = [a for a in alerts if a.alert_id not in self.alerts_by_id]
        self.signals_by_id.update((s.signal_id, s) for s in new_signals)
        self.alerts_by_id.update((a.alert_id, a) for a in new_alerts)
        self.writes += 1
        return WriteOutcome(stored, len(new_signals), len(new_alerts))

    def product_facts(self, product_keys: Collection[str]) -> Mapping[str, ProductFacts]:
        facts = {k: self.registry[k] for k in product_keys if k in self.registry}
        for signal in sorted(self.signals_by_id.values(), key=lambda s: s.raised_at):
            if signal.product_key in product_keys and signal.product_key not in self.registry:
                facts[signal.product_key] = ProductFacts(signal.jurisdiction, signal.category)
        return facts

    def clear(self) -> None:
        self.scores_by_key.clear()
        self.signals_by_id.clear()
        self.alerts_by_id.clear()

    def status(self) -> list[TableStatus]:
        scores = [r.record.score.updated_at for r in self.scores_by_key.values()]
        signals = [s.raised_at for s in self.signals_by_id.values()]
        alerts = [a.at for a in self.alerts_by_id.values()]
        return [
            TableStatus(name, len(times), max(times, default=None))
            for name, times in (
                ("risk_scores", scores),
                ("risk_signals", signals),
                ("alerts", alerts),
            )
        ]

    def scores(self, query: ScoreFilter) -> list[ScoreView]:
        views = [_view(row) for row in self.scores_by_key.values()]
        kept = [
            v
            for v in views
            if (query.product_key is None or v.product_key == query.product_key)
            and (query.product_prefix is None or v.product_key.startswith(query.product_prefix))
            and _in_region(v.region, query.region_prefix)
            and (not query.risk_levels or v.risk_level in query.risk_levels)
            and (query.category is None or v.category == query.category)
        ]

        def position(v: ScoreView) -> Cursor:
            return (v.score if query.sort is ScoreSort.SCORE else v.updated_at, v.product_key)

        return _after(kept, position, query.after, query.descending)[: query.limit]

    def signals(self, query: SignalFilter) -> list[SignalRaised]:
        kept = [
            s
            for s in self.signals_by_id.values()
            if (query.product_key is None or s.product_key == query.product_key)
            and _in_region(s.jurisdiction, query.region_prefix)
            and (not query.risk_levels or s.risk_level.value in query.risk_levels)
            and (not query.methods or s.method in query.methods)
            and _in_window(s.raised_at, query.since, query.until)
        ]
        ordered = _after(kept, lambda s: (s.raised_at, s.signal_id), query.after, query.descending)
        return ordered[: query.limit]

    def alerts(self, query: AlertFilter) -> list[Alert]:
        kept = [
            a
            for a in self.alerts_by_id.values()
            if (not query.kinds or a.kind.value in query.kinds)
            and _in_region(a.jurisdiction, query.region_prefix)
            and _in_window(a.at, query.since, query.until)
        ]
        return _after(kept, lambda a: (a.at, a.alert_id), query.after, True)[: query.limit]

    def stations_health(
        self, station_ids: Collection[str], since: datetime
    ) -> Mapping[str, StationHealth]:
        return {station_id: self._health(station_id, since) for station_id in station_ids}

    def _health(self, station_id: str, since: datetime) -> StationHealth:
        mine = [t for t in self.traffic if t.station_id == station_id]
        recent = [t for t in mine if t.received_at >= since]
        accepted = [t.received_at for t in mine if t.reason is None]
        return StationHealth(
            station_id=station_id,
            since=since,
            last_seen_at=self.last_seen.get(station_id),
            last_accepted_at=max(accepted, default=None),
            accepted=sum(1 for t in recent if t.reason is None),
            rejected=dict(sorted(Counter(t.reason for t in recent if t.reason).items())),
        )


def _view(row: ScoreRow) -> ScoreView:
    score = row.record.score
    level = score.risk_level.value if score.risk_level else None
    return ScoreView(
        score.product_key,
        score.score,
        level,
        score.explanation,
        score.updated_at,
        row.region,
        row.category,
        score.contributions,
    )


def _in_region(region: str | None, prefix: str | None) -> bool:
    return prefix is None or (region is not None and region.startswith(prefix))


def _in_window(at: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or at >= since) and (until is None or at < until)


def _after(
    items: list[T], position: Callable[[T], Cursor], after: Cursor | None, descending: bool
) -> list[T]:
    ordered = sorted(items, key=position, reverse=descending)
    if after is None:
        return ordered
    return [i for i in ordered if (position(i) < after) == descending and position(i) != after]
