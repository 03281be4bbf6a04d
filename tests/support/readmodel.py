"""Builders for the read model's tests: scores with their position, signals, alerts; and
the lists as the API reads them (`recall.service.readmodel.pages`), unscoped."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from recall.service.paging import Page, PageRequest
from recall.service.readmodel import pages
from recall.service.readmodel.page_ports import (
    RegionalRisk,
    RegionalRiskFilter,
    RegistryFacts,
    StationFilter,
    StationRecord,
)
from recall.service.readmodel.ports import (
    AlertFilter,
    ReadModel,
    ScoreAt,
    ScoreSort,
    ScoreView,
    SignalFilter,
)
from schemas.risk import Alert, AlertKind, AlertSeverity, RiskScoreUpdated, SignalRaised
from tests.support.fakes.read_model import MemoryReadModel
from tests.support.investigations import PRODUCT, signal

T = TypeVar("T")
T0 = datetime(2024, 3, 1, 9, tzinfo=UTC)
EVERYTHING = pages.Scope()
"""The cut of a reader who may see every row (no region, no owner)."""
__all__ = [
    "EVERYTHING",
    "PRODUCT",
    "T0",
    "MemoryPages",
    "alert",
    "alerts",
    "every_page",
    "score",
    "scores",
    "signal",
    "signal_at",
    "signals",
]


def score(
    value: float = 40.0,
    *,
    product_key: str = PRODUCT,
    minutes: float = 0,
    partition: int = 0,
    offset: int = 0,
    risk_level: str | None = "high",
) -> ScoreAt:
    """A score `minutes` after T0, read at (partition, offset)."""
    record = RiskScoreUpdated(
        product_key=product_key,
        score=value,
        risk_level=risk_level,
        explanation=(f"score {value}",),
        updated_at=T0 + timedelta(minutes=minutes),
    )
    return ScoreAt(record, partition, offset)


def signal_at(signal_id: str, minutes: float = 0, **overrides: Any) -> SignalRaised:
    return signal(signal_id, raised_at=T0 + timedelta(minutes=minutes), **overrides)


def alert(
    alert_id: str,
    *,
    minutes: float = 0,
    jurisdiction: str | None = "140100",
    kind: AlertKind = AlertKind.REGIONAL_SIGNAL,
) -> Alert:
    details = {
        AlertKind.REGIONAL_SIGNAL: {
            "hazard": "burns",
            "day": "2024-03-01",
            "observed": "12",
            "expected": "2.0",
            "threshold": "6",
            "trigger_event_id": f"ev-{alert_id}",
            "explanation": "12 burns in one day",
        },
        AlertKind.INVESTIGATION_OPENED: {
            "method": "live_nb",
            "evidence": "signal",
            "category": "appliances",
        },
    }[kind]
    return Alert(
        alert_id=alert_id,
        severity=AlertSeverity.WARNING,
        kind=kind,
        title="区域信号 / regional signal",
        subject=f"appliances|{jurisdiction}",
        jurisdiction=jurisdiction,
        at=T0 + timedelta(minutes=minutes),
        details=details,
    )


def scores(
    model: ReadModel,
    *,
    region: str | None = None,
    risk_levels: Collection[str] = (),
    category: str | None = None,
    sort: ScoreSort = ScoreSort.SCORE,
    descending: bool = True,
    limit: int = 50,
) -> list[ScoreView]:
    """The first page of `pages.score_page`, unscoped; `region` is a reader's region code."""
    request = PageRequest(sort.value, descending, limit)
    page = pages.score_page(
        model, EVERYTHING, request, region=region, risk_levels=risk_levels, category=category
    )
    return page.items


def signals(
    model: ReadModel,
    *,
    product_key: str | None = None,
    region: str | None = None,
    risk_levels: Collection[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
) -> list[SignalRaised]:
    """The first page of `pages.signal_page` (newest first), unscoped."""
    where = SignalFilter(
        product_key=product_key,
        region_prefix=region,
        risk_levels=tuple(risk_levels),
        since=since,
        until=until,
    )
    return pages.signal_page(model, EVERYTHING, PageRequest("raised_at", True, limit), where).items


def alerts(
    model: ReadModel,
    *,
    kinds: Collection[str] = (),
    region: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
) -> list[Alert]:
    """The first page of `pages.alert_page` (newest first), unscoped."""
    where = AlertFilter(kinds=tuple(kinds), region_prefix=region, since=since, until=until)
    return pages.alert_page(model, EVERYTHING, PageRequest("at", True, limit), where).items


def every_page(fetch: Callable[[PageRequest], Page[T]], first: PageRequest) -> list[Page[T]]:
    """Every page from `first` on, each asked for after the previous one's `next_after`."""
    found = [fetch(first)]
    while (after := found[-1].next_after) is not None:
        found.append(fetch(replace(first, after=after)))
    return found


class MemoryPages(MemoryReadModel):
    """`MemoryReadModel` as the API's `ReadModelPages`, for `pages.product_view` and
    `pages.station_view`: no registry record, no station register, no regional groups."""

    def regional_risk(self, query: RegionalRiskFilter) -> list[RegionalRisk]:
        return []

    def stations(self, query: StationFilter) -> list[StationRecord]:
        return []

    def registry_facts(self, product_key: str) -> RegistryFacts | None:
        return None
