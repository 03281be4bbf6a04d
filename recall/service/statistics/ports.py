"""What the statistics read from storage: counts already grouped by the finest key.

The adapter groups in SQL by (region, category, month, key) within the caller's scope and the
time range; the service rolls those rows up to the dimensions asked for (pure code), so one
query shape serves every `group_by`. Recalls come one row each (they are few, and their units
live in the notice and the latest progress report).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class Measure(StrEnum):
    """What a tally counts; `key` refines it (an event type, a lead source, a decision)."""

    EVENTS = "events"
    LEADS = "leads"
    OPENED = "investigations_opened"
    CONCLUDED = "investigations_concluded"


@dataclass(frozen=True, slots=True)
class StatisticsWindow:
    """The caller's scope (region code prefix, None: everything) and the half-open time range."""

    scope_prefix: str | None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class Tally:
    """`count` things of `measure`/`key` in one region, category and month (YYYY-MM, UTC)."""

    measure: Measure
    key: str
    region: str | None
    category: str | None
    month: str
    count: int


@dataclass(frozen=True, slots=True)
class LeadTally:
    """Leads by the evidence kind and detector method of their trigger (the service names the
    source)."""

    kind: str | None
    method: str | None
    region: str | None
    category: str | None
    month: str
    count: int


@dataclass(frozen=True, slots=True)
class RecallFigure:
    """One published recall: where, what, when it started, its state and its units; its
    `tier` (county, city, province: the level of its owner, see the adapter) and `value`
    (units affected × the notice's declared unit value; None when the notice declares none)."""

    region: str
    category: str
    month: str
    state: str
    units_affected: int
    units_corrected: int
    tier: str = "county"
    value: float | None = None


class StatisticsReads(Protocol):
    def tallies(self, window: StatisticsWindow) -> list[Tally]:
        """Accepted events by type, investigations opened, and concluded by decision."""
        ...

    def lead_tallies(self, window: StatisticsWindow) -> list[LeadTally]:
        """Risk signals, triaged leads (media, complaints: kind ``lead``, method
        ``lead_<source>``), plus investigations whose opening evidence is neither."""
        ...

    def recall_figures(self, window: StatisticsWindow) -> list[RecallFigure]:
        """Recalls that started in the window."""
        ...


class OpenQueueReads(Protocol):
    def open_investigations(self, scope_prefix: str | None) -> list[tuple[str, datetime]]:
        """(state, opened_at) of every open (opened or assigned) investigation in the scope."""
        ...
