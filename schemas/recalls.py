"""Recall notices and progress reports: what firms (and regulators) send about a recall.

Counts are cumulative per period and per supply-chain level, as NHTSA's quarterly reports and
CPSC's monthly progress reports are. Internal consistency is checked here; consistency with
the recall and with earlier reports (counts never go down, never above affected) is checked at
intake against the system of record, and a report that fails is a dead letter with the reason.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from schemas.common import (
    Hazard,
    Identifier,
    Label,
    ProductRef,
    RiskLevel,
    ShortText,
    Strict,
    WireBool,
    WireDatetime,
    WireFloat,
    WireInt,
)

Count = Annotated[WireInt, Field(ge=0, le=10**10)]
ReasonCode = Annotated[
    str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")
]


class RecallKind(StrEnum):
    VOLUNTARY = "voluntary"  # 主动召回
    ORDERED = "ordered"  # 责令召回


class SupplyLevel(StrEnum):
    MANUFACTURER = "manufacturer"
    DISTRIBUTOR = "distributor"
    RETAILER = "retailer"
    CONSUMER = "consumer"


class Remedy(StrEnum):
    REPAIR = "repair"
    REPLACE = "replace"
    REFUND = "refund"
    WARNING = "warning"


class NoticeChannel(StrEnum):
    DIRECT_NOTICE = "direct_notice"
    RETAILER_NOTICE = "retailer_notice"
    PRESS_RELEASE = "press_release"
    SOCIAL_MEDIA = "social_media"
    WEBSITE = "website"


class RecallState(StrEnum):
    """Where a recall stands (DESIGN.md §5): announced → in progress (⇄ lagging) → completed →
    evaluated → closed."""

    ANNOUNCED = "announced"
    IN_PROGRESS = "in_progress"
    LAGGING = "lagging"
    COMPLETED = "completed"
    EVALUATED = "evaluated"
    CLOSED = "closed"


class EffectivenessVerdict(StrEnum):
    """The effectiveness evaluation's outcome once a recall completes."""

    EFFECTIVE = "effective"
    PARTIALLY_EFFECTIVE = "partially_effective"
    INEFFECTIVE = "ineffective"


class RecallNotice(Strict):
    """The payload of a `recall_notice` event (a firm announcing a recall)."""

    recall_id: Identifier
    kind: RecallKind
    investigation_id: Identifier | None = None
    title: Label
    product: ProductRef
    batches: tuple[Identifier, ...] = Field(default=(), max_length=1000)
    affected: dict[SupplyLevel, Count] = Field(min_length=1)
    hazard: Hazard
    risk_level: RiskLevel
    remedies: tuple[Remedy, ...] = Field(min_length=1, max_length=4)
    channels: tuple[NoticeChannel, ...] = Field(min_length=1, max_length=5)
    start: WireDatetime
    target_date: WireDatetime
    target_rate: WireFloat = Field(gt=0, le=1)
    reporting_cadence_days: WireInt = Field(default=30, ge=1, le=366)
    declared_unit_value: WireFloat | None = Field(
        default=None,
        ge=0,
        le=100_000_000,
        description="Optional: the firm's declared value of one unit in CNY (申报单价); the"
        " statistics' value recalled is units affected × this. Omitted: the recall is not valued",
    )

    @model_validator(mode="after")
    def _consistent(self) -> RecallNotice:
        if self.product.manufacturer_code is None:
            raise ValueError("a recall notice must name the manufacturer (credit code)")
        if self.target_date <= self.start:
            raise ValueError("target_date must be after start")
        if self.kind is RecallKind.ORDERED and self.investigation_id is None:
            raise ValueError("an ordered recall must name the investigation that requested it")
        if sum(self.affected.values()) == 0:
            raise ValueError("a recall must affect at least one unit")
        return self


class LevelCounts(Strict):
    located: Count = 0
    notified: Count = 0
    corrected: dict[Remedy, Count] = Field(default_factory=dict)
    unreachable: dict[ReasonCode, Count] = Field(default_factory=dict, max_length=20)

    @model_validator(mode="after")
    def _within_located(self) -> LevelCounts:
        if self.notified > self.located:
            raise ValueError("notified cannot exceed located")
        return self


class RecallProgressReport(Strict):
    """The payload of a `recall_progress_report` event: cumulative counts up to period_end."""

    recall_id: Identifier
    sequence: WireInt = Field(ge=1, le=10_000)
    period_start: WireDatetime
    period_end: WireDatetime
    levels: dict[SupplyLevel, LevelCounts] = Field(min_length=1)
    refused: WireBool = Field(default=False, description="The firm declines to continue the recall")
    note: ShortText | None = None

    @model_validator(mode="after")
    def _period(self) -> RecallProgressReport:
        if self.period_end <= self.period_start:
            raise ValueError("period_end must be after period_start")
        return self


# --- what the effectiveness agent publishes ------------------------------------------------------

Rate = Annotated[WireFloat, Field(ge=0, le=1)]
"""A share of units, 0..1."""
RateScope = Annotated[
    str,
    StringConstraints(pattern=r"^(manufacturer|distributor|retailer|consumer|overall)$"),
]
"""A supply-chain level with affected units, or `overall` for the whole recall."""


class CorrectionRates(Strict):
    """Units of one level (or overall) as of the latest progress report."""

    affected: Count
    corrected: Count
    unreachable: Count
    raw_rate: Rate = Field(description="corrected ÷ affected")
    adjusted_rate: Rate | None = Field(
        description="corrected ÷ (affected − unreachable); null when nothing is left to correct"
    )
    reach: Rate = Field(description="notified ÷ affected")


class FinalRateForecast(Strict):
    """The forecast final correction rate (posterior median) with its 80% interval."""

    final_rate: Rate
    low80: Rate
    high80: Rate
    method: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    n_points: WireInt = Field(ge=0, description="Progress reports the forecast is fitted to")


class PostRecallIncidents(Strict):
    """Injuries and failed samples involving the recalled product, before and after the start."""

    before: Count
    after: Count


class ResidualRiskFigures(Strict):
    """Expected incidents per year from the units still in use (uncorrected × incident rate)."""

    uncorrected_units: WireFloat = Field(ge=0)
    incidents_after_start: WireFloat = Field(ge=0)
    incidents_per_year_expected: WireFloat = Field(ge=0)
    incidents_per_year_high: WireFloat = Field(ge=0, description="Upper 95% bound (Garwood)")


class EffectivenessFigures(Strict):
    """A recall's effectiveness figures; the system of record keeps the latest per recall."""

    rates: dict[RateScope, CorrectionRates] = Field(min_length=1)
    forecast: FinalRateForecast | None = Field(
        description="null before the first report when the category has no finished recalls"
    )
    post_recall: PostRecallIncidents
    residual_risk: ResidualRiskFigures | None = Field(
        description="null when no unit-time of exposure has passed yet"
    )


class RecallEffectivenessUpdated(EffectivenessFigures):
    """A record of `recalls.effectiveness`, published after every accepted notice or report.

    Keyed by recall id; the latest record of a recall is its current effectiveness.
    """

    recall_id: Identifier
    state: RecallState
    at: WireDatetime
