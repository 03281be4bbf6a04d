"""Translate between the wire (schemas.recalls), SQL rows and the recall domain."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from recall.domain.recalls import (
    Level,
    LevelProgress,
    NoticeChannel,
    ProgressReport,
    RecallKind,
    RecallSpec,
    Remedy,
    RiskLevel,
)
from recall.domain.recalls.lifecycle import RecallState, RecallTransition


def aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def spec_from_notice(notice: dict[str, Any], *, product_key: str, firm_id: str) -> RecallSpec:
    """A domain spec from a notice payload as JSON (`model_dump(mode="json")`)."""
    return RecallSpec(
        recall_id=notice["recall_id"],
        kind=RecallKind(notice["kind"]),
        product_key=product_key,
        category=notice["product"]["category"],
        affected={Level(k): int(v) for k, v in notice["affected"].items()},
        remedies=frozenset(Remedy(r) for r in notice["remedies"]),
        channels=frozenset(NoticeChannel(c) for c in notice["channels"]),
        risk_level=RiskLevel(notice["risk_level"]),
        start=aware(datetime.fromisoformat(notice["start"])),
        target_date=aware(datetime.fromisoformat(notice["target_date"])),
        target_rate=float(notice["target_rate"]),
        reporting_cadence_days=int(notice.get("reporting_cadence_days", 30)),
        batches=frozenset(notice.get("batches") or ()),
        investigation_id=notice.get("investigation_id"),
        firm_id=firm_id,
        title=notice.get("title", ""),
    )


def levels_from_json(levels: dict[str, Any]) -> dict[Level, LevelProgress]:
    return {
        Level(name): LevelProgress(
            located=int(counts.get("located", 0)),
            notified=int(counts.get("notified", 0)),
            corrected={Remedy(r): int(n) for r, n in (counts.get("corrected") or {}).items()},
            unreachable={str(r): int(n) for r, n in (counts.get("unreachable") or {}).items()},
        )
        for name, counts in levels.items()
    }


def report_from_row(
    recall_id: str,
    sequence: int,
    period_start: datetime,
    period_end: datetime,
    submitted_at: datetime,
    levels: dict[str, Any],
) -> ProgressReport:
    return ProgressReport(
        recall_id=recall_id,
        sequence=sequence,
        period_start=aware(period_start),
        period_end=aware(period_end),
        submitted_at=aware(submitted_at),
        levels=levels_from_json(levels),
    )


def transition_from_row(recall_id: str, row: Any) -> RecallTransition:
    return RecallTransition(
        recall_id=recall_id,
        from_state=RecallState(row.from_state) if row.from_state else None,
        to_state=RecallState(row.to_state),
        who=row.who,
        when=aware(row.at),
        why=row.why,
    )
