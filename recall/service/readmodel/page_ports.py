"""What the API's read-model pages need beyond `ReadModel`: the few lists only the API asks
(regional risk per category × city, the station register, a product's registry record) and
the records they return. Implemented by `recall.adapters.db.read_model_pages`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from recall.service.readmodel.ports import ReadModel, ScoreView, StationHealth
from schemas.risk import Alert, SignalRaised


@dataclass(frozen=True, slots=True)
class RegionalRiskFilter:
    region_prefix: str | None = None
    category: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after: tuple[datetime, str] | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class RegionalRisk:
    """Regional signals of one category in one city: how many, and the latest."""

    category: str
    city: str
    alerts: int
    latest: Alert


@dataclass(frozen=True, slots=True)
class StationFilter:
    region_prefix: str | None = None
    station_id: str | None = None
    descending: bool = False
    after: str | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class StationRecord:
    station_id: str
    kind: str
    name: str
    jurisdiction: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class StationItem:
    station: StationRecord
    health: StationHealth


@dataclass(frozen=True, slots=True)
class RegistryFacts:
    """A registered product and its manufacturer (None fields: not recorded)."""

    brand: str
    model: str
    category: str
    kind: str
    gtin: str | None
    units_in_use: int | None
    manufacturer_code: str | None
    manufacturer_name: str | None
    manufacturer_jurisdiction: str | None


class ReadModelPages(ReadModel, Protocol):
    """The read model, and the few lists only the API asks of it."""

    def regional_risk(self, query: RegionalRiskFilter) -> list[RegionalRisk]:
        """(category, city) groups of regional signals, latest first, after the cursor."""
        ...

    def stations(self, query: StationFilter) -> list[StationRecord]:
        """Registered stations matching the filter, by station id."""
        ...

    def registry_facts(self, product_key: str) -> RegistryFacts | None:
        """The registry's record of a product (None: not registered)."""
        ...


@dataclass(frozen=True, slots=True)
class ProductView:
    """A product as the caller may read it: what scopes it, its registry record, its score
    and the signals of its history the caller may see (oldest first)."""

    product_key: str
    region: str | None
    registry: RegistryFacts | None
    score: ScoreView | None
    history: list[SignalRaised]
