"""Translate between notice documents (schemas.recalls as JSON) and the recall domain.

The register keeps every notice as the document it was announced with; `spec_from_notice`
reads one back, `notice_document` writes the one a regulator's order stands for.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
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


def aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def spec_from_notice(notice: Mapping[str, Any], *, product_key: str, firm_id: str) -> RecallSpec:
    """A domain spec from a notice payload as JSON (`model_dump(mode="json")`)."""
    return RecallSpec(
        recall_id=notice["recall_id"],
        kind=RecallKind(notice["kind"]),
        product_key=product_key,
        category=notice["product"]["category"],
        affected={SupplyLevel(k): int(v) for k, v in notice["affected"].items()},
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


def notice_document(spec: RecallSpec, *, hazard: str, product: Mapping[str, Any]) -> dict[str, Any]:
    """The notice a spec stands for, as `spec_from_notice` reads it (`product`: its ProductRef)."""
    return {
        "recall_id": spec.recall_id,
        "kind": spec.kind.value,
        "investigation_id": spec.investigation_id,
        "title": spec.title,
        "product": {"category": spec.category, **product},
        "batches": sorted(spec.batches),
        "affected": {level.value: units for level, units in spec.affected.items()},
        "hazard": hazard,
        "risk_level": spec.risk_level.value,
        "remedies": sorted(r.value for r in spec.remedies),
        "channels": sorted(c.value for c in spec.channels),
        "start": spec.start.isoformat(),
        "target_date": spec.target_date.isoformat(),
        "target_rate": spec.target_rate,
        "reporting_cadence_days": spec.reporting_cadence_days,
    }


def levels_from_json(levels: Mapping[str, Any]) -> dict[SupplyLevel, LevelProgress]:
    return {
        SupplyLevel(name): LevelProgress(
            located=int(counts.get("located", 0)),
            notified=int(counts.get("notified", 0)),
            corrected={Remedy(r): int(n) for r, n in (counts.get("corrected") or {}).items()},
            unreachable={str(r): int(n) for r, n in (counts.get("unreachable") or {}).items()},
        )
        for name, counts in levels.items()
    }


def levels_to_json(levels: Mapping[SupplyLevel, LevelProgress]) -> dict[str, Any]:
    """The inverse of `levels_from_json`: the counts as a report's `levels` carry them."""
    return {
        level.value: {
            "located": counts.located,
            "notified": counts.notified,
            "corrected": {remedy.value: n for remedy, n in counts.corrected.items()},
            "unreachable": dict(counts.unreachable),
        }
        for level, counts in levels.items()
    }


def progress_report(
    recall_id: str,
    sequence: int,
    period_start: datetime,
    period_end: datetime,
    submitted_at: datetime,
    levels: Mapping[str, Any],
) -> ProgressReport:
    """A domain report from its stored or received parts (`levels` as JSON)."""
    return ProgressReport(
        recall_id=recall_id,
        sequence=sequence,
        period_start=aware(period_start),
        period_end=aware(period_end),
        submitted_at=aware(submitted_at),
        levels=levels_from_json(levels),
    )
