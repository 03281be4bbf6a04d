"""What region names and risk by region read from storage.

The adapter cuts every query to a code prefix and, for signals, the half-open time range, and
groups in SQL: at most regions × categories × levels rows for the counts and days × categories
for the series, whatever the number of signals.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from recall.domain.region_risk import DayCount, OpenCount, SignalCount


@dataclass(frozen=True, slots=True)
class RegionName:
    """A division's names from the registry (English may be missing: then the Chinese)."""

    code: str
    name_zh: str
    name_en: str | None = None

    def name(self, language: str) -> str:
        """The name in `language` ("zh_CN", "en", …): English when asked and known."""
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh


@dataclass(frozen=True, slots=True)
class SignalWindow:
    """A code prefix (None: everywhere) and the half-open range of raising times."""

    prefix: str | None
    start: datetime
    end: datetime


class RegionNameReads(Protocol):
    def region_names(self, prefix: str | None, codes: Collection[str] = ()) -> list[RegionName]:
        """Names of the codes starting with `prefix` (None: all) and of `codes`, one query."""
        ...


class RegionRiskReads(RegionNameReads, Protocol):
    def signal_counts(self, window: SignalWindow) -> list[SignalCount]:
        """Signals raised in the window by jurisdiction, category and risk level."""
        ...

    def day_counts(self, window: SignalWindow) -> list[DayCount]:
        """Signals raised in the window by UTC day and category."""
        ...

    def open_investigations(self, prefix: str | None) -> list[OpenCount]:
        """Investigations open now (opened or assigned) by jurisdiction and category."""
        ...
