"""Recall vocabulary: the values every other module of this package speaks in.

Codes are `StrEnum`s whose values equal the wire schemas' strings, so adapters translate by
value and never by position. `RecallSpec` is the static description of a recall (what, how many,
by which means, by when); the moving parts (state, progress, deadlines) live elsewhere and refer
to it, so a spec can be shared by the lifecycle, the validators and the simulator.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from recall.domain.recalls.errors import InvalidRecallError
from recall.domain.vocabulary import RiskLevel

PRODUCT_CATEGORIES = frozenset(
    {
        "children",
        "appliances",
        "electronics",
        "textiles",
        "furniture",
        "vehicles",
        "sports",
        "kitchenware",
        "lighting",
        "personal_care",
    }
)


class RecallKind(StrEnum):
    """Who decided the recall: the firm itself or the regulator."""

    VOLUNTARY = "voluntary"  # 主动召回
    ORDERED = "ordered"  # 责令召回


class SupplyLevel(StrEnum):
    """Where affected units sit in the supply chain; each level is counted separately."""

    MANUFACTURER = "manufacturer"
    DISTRIBUTOR = "distributor"
    RETAILER = "retailer"
    CONSUMER = "consumer"


class Remedy(StrEnum):
    """How a unit counts as corrected."""

    REPAIR = "repair"
    REPLACE = "replace"
    REFUND = "refund"
    WARNING = "warning"


class NoticeChannel(StrEnum):
    """How holders are told. Only `direct_notice` reaches known owners by name."""

    DIRECT_NOTICE = "direct_notice"
    RETAILER_NOTICE = "retailer_notice"
    PRESS_RELEASE = "press_release"
    SOCIAL_MEDIA = "social_media"
    WEBSITE = "website"


class Verdict(StrEnum):
    """Outcome of the effectiveness evaluation at completion."""

    EFFECTIVE = "effective"
    PARTIALLY_EFFECTIVE = "partially_effective"
    INEFFECTIVE = "ineffective"


LEVEL_ZH: Mapping[SupplyLevel, str] = MappingProxyType(
    {
        SupplyLevel.MANUFACTURER: "生产者",
        SupplyLevel.DISTRIBUTOR: "经销商",
        SupplyLevel.RETAILER: "零售商",
        SupplyLevel.CONSUMER: "消费者",
    }
)
REMEDY_ZH: Mapping[Remedy, str] = MappingProxyType(
    {
        Remedy.REPAIR: "修理",
        Remedy.REPLACE: "更换",
        Remedy.REFUND: "退货退款",
        Remedy.WARNING: "警示",
    }
)
KIND_ZH: Mapping[RecallKind, str] = MappingProxyType(
    {RecallKind.VOLUNTARY: "主动召回", RecallKind.ORDERED: "责令召回"}
)
VERDICT_ZH: Mapping[Verdict, str] = MappingProxyType(
    {
        Verdict.EFFECTIVE: "有效",
        Verdict.PARTIALLY_EFFECTIVE: "部分有效",
        Verdict.INEFFECTIVE: "无效",
    }
)


def require_aware(value: dt.datetime, name: str) -> dt.datetime:
    """Refuse naive datetimes: deadlines compared across time zones must not guess the zone."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRecallError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value


def days_between(start: dt.datetime, end: dt.datetime) -> float:
    """Elapsed days as a float, the time axis of every curve in this package."""
    return (end - start).total_seconds() / 86_400.0


@dataclass(frozen=True, slots=True)
class RecallSpec:
    """What is recalled, how many units at which level, by which means, and the targets.

    `affected` counts units per level at announcement; `target_rate` is the correction rate the
    regulator expects by `target_date`; `reporting_cadence_days` spaces the progress reports.
    An ordered recall must name the investigation that requested it.
    """

    recall_id: str
    kind: RecallKind
    product_key: str
    category: str
    affected: Mapping[SupplyLevel, int]
    remedies: frozenset[Remedy]
    channels: frozenset[NoticeChannel]
    risk_level: RiskLevel
    start: dt.datetime
    target_date: dt.datetime
    target_rate: float
    reporting_cadence_days: int = 30
    batches: frozenset[str] = frozenset()
    investigation_id: str | None = None
    firm_id: str = "unknown"
    title: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "affected", dict(self.affected))
        self._check_identity()
        self._check_counts()
        require_aware(self.start, "start")
        require_aware(self.target_date, "target_date")
        if self.target_date <= self.start:
            raise InvalidRecallError(f"recall {self.recall_id}: target_date must be after start")
        if not 0.0 < self.target_rate <= 1.0:
            raise InvalidRecallError(f"recall {self.recall_id}: target_rate must be in (0, 1]")
        if self.reporting_cadence_days <= 0:
            raise InvalidRecallError(f"recall {self.recall_id}: reporting_cadence_days must be > 0")

    def _check_identity(self) -> None:
        if not self.recall_id:
            raise InvalidRecallError("recall_id must not be empty")
        if self.category not in PRODUCT_CATEGORIES:
            raise InvalidRecallError(
                f"recall {self.recall_id}: unknown category {self.category!r}; "
                f"expected one of {sorted(PRODUCT_CATEGORIES)}"
            )
        if self.kind is RecallKind.ORDERED and not self.investigation_id:
            raise InvalidRecallError(
                f"recall {self.recall_id}: an ordered recall needs investigation_id"
            )
        if not self.remedies:
            raise InvalidRecallError(f"recall {self.recall_id}: at least one remedy is required")
        if not self.channels:
            raise InvalidRecallError(
                f"recall {self.recall_id}: at least one notice channel is required"
            )

    def _check_counts(self) -> None:
        for level, units in self.affected.items():
            if not isinstance(level, SupplyLevel):
                raise InvalidRecallError(f"recall {self.recall_id}: unknown level {level!r}")
            if units < 0:
                raise InvalidRecallError(f"recall {self.recall_id}: affected[{level}] is negative")
        if self.total_affected <= 0:
            raise InvalidRecallError(f"recall {self.recall_id}: no affected units")

    @property
    def total_affected(self) -> int:
        return sum(self.affected.values())

    @property
    def has_direct_contact(self) -> bool:
        """Direct notice is the one channel the CPSC data tie to high correction rates."""
        return NoticeChannel.DIRECT_NOTICE in self.channels

    def affected_at(self, level: SupplyLevel) -> int:
        return self.affected.get(level, 0)
