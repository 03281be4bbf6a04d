"""Builders for the read model's tests: scores with their position, signals, alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from recall.service.readmodel.ports import ScoreAt
from schemas.risk import Alert, AlertKind, AlertSeverity, RiskScoreUpdated, SignalRaised
from tests.support.investigations import PRODUCT, signal

T0 = datetime(2024, 3, 1, 9, tzinfo=UTC)
__all__ = ["PRODUCT", "T0", "alert", "score", "signal", "signal_at"]


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
