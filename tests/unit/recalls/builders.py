"""Builders for recall tests: one valid recall, reports, and tz-aware times."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from recall.domain.recalls import (
    LevelProgress,
    NoticeChannel,
    ProgressReport,
    RecallKind,
    RecallSpec,
    Remedy,
    RiskLevel,
    SupplyLevel,
)

START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
PRODUCT = "91140100MA0XXXXXX1/Brand/Model-1"


def day(n: float) -> dt.datetime:
    return START + dt.timedelta(days=n)


def make_spec(**overrides: Any) -> RecallSpec:
    values: dict[str, Any] = {
        "recall_id": "R-1",
        "kind": RecallKind.VOLUNTARY,
        "product_key": PRODUCT,
        "category": "children",
        "affected": {SupplyLevel.RETAILER: 200, SupplyLevel.CONSUMER: 800},
        "remedies": frozenset({Remedy.REPAIR, Remedy.REFUND}),
        "channels": frozenset({NoticeChannel.DIRECT_NOTICE}),
        "risk_level": RiskLevel.HIGH,
        "start": START,
        "target_date": day(365),
        "target_rate": 0.7,
        "reporting_cadence_days": 30,
        "batches": frozenset({"B1", "B2"}),
    }
    values.update(overrides)
    return RecallSpec(**values)


def make_report(
    sequence: int,
    levels: Mapping[SupplyLevel, LevelProgress],
    *,
    recall_id: str = "R-1",
    cadence: int = 30,
    submitted_after: float = 1.0,
) -> ProgressReport:
    return ProgressReport(
        recall_id=recall_id,
        sequence=sequence,
        period_start=day((sequence - 1) * cadence),
        period_end=day(sequence * cadence),
        submitted_at=day(sequence * cadence + submitted_after),
        levels=levels,
    )


def consumer(repaired: int, *, notified: int | None = None, lost: int = 0) -> LevelProgress:
    return LevelProgress(
        located=notified if notified is not None else repaired,
        notified=notified if notified is not None else repaired,
        corrected={Remedy.REPAIR: repaired},
        unreachable={"destroyed": lost} if lost else {},
    )
