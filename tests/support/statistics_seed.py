"""Known rows for the province-style statistics (units, value, tiers, lead shares per month and
year), written straight to the record so every expected figure can be counted by hand.

Shanxi (14…), seen by a province regulator 140000:

=========  =====================================================  ==========================
month      leads (source)                                         recalls (tier, units, value)
=========  =====================================================  ==========================
2025-03    sampling ×2 (140105), injury ×1 (140106), media ×1     R1 county 1000u × 199.5,
           (140105)                                               300 corrected;
                                                                  R2 200u, no value: ordered by
                                                                  an investigation the
                                                                  province owns → province tier
2025-04    complaint ×1 (140106)
2026-01    sampling ×1 (140202), complaint ×1 (140106)            R3 province 50u × 10
=========  =====================================================  ==========================

7 leads and 3 recalls in all. Shanghai (31…) holds one recall and one complaint that no
Shanxi figure may include.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import (
    InvestigationRow,
    LeadRow,
    RecallProgressRow,
    RecallRow,
    RiskSignalRow,
)
from recall.domain.leads import lead_id_for


def when(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, tzinfo=UTC)


def _owned_investigation(investigation_id: str, where: str, owner: str, at: datetime) -> Any:
    return InvestigationRow(
        investigation_id=investigation_id,
        product_key="unknown/acme/r2",
        hazard="fire",
        seq=1,
        category="children",
        jurisdiction=where,
        state="recall_requested",
        decision="defect_confirmed",
        expert_ids=[],
        opened_at=at,
        updated_at=at,
        version=1,
        owner=owner,
        owner_since=at,
    )


def _recall(
    recall_id: str,
    where: str,
    category: str,
    start: datetime,
    units: int,
    value: float | None,
    investigation_id: str | None = None,
) -> RecallRow:
    notice: dict[str, Any] = {"affected": {"consumer": units}}
    if value is not None:
        notice["declared_unit_value"] = value
    return RecallRow(
        recall_id=recall_id,
        kind="ordered" if investigation_id else "voluntary",
        investigation_id=investigation_id,
        product_key=f"unknown/acme/{recall_id.lower()}",
        category=category,
        firm_id="F-1",
        jurisdiction=where,
        hazard="fire",
        risk_level="serious",
        notice=notice,
        notice_event_id=str(uuid.uuid4()),
        start=start,
        target_date=start + timedelta(days=90),
        state="in_progress",
        verdict=None,
        sent_keys=[],
        last_effectiveness=None,
        updated_at=start,
    )


def _signal(signal_id: str, where: str, method: str, at: datetime) -> RiskSignalRow:
    return RiskSignalRow(
        signal_id=signal_id,
        product_key="unknown/acme/s",
        hazard="fire",
        category="appliances",
        jurisdiction=where,
        method=method,
        risk_level="serious",
        raised_at=at,
        record={},
    )


def _lead(source: str, reference: str, where: str, at: datetime) -> LeadRow:
    return LeadRow(
        lead_id=lead_id_for(source, reference),
        source=source,
        reference=reference,
        jurisdiction=where,
        product_key="unknown/acme/l",
        hazard="fire",
        category="appliances",
        summary="reported",
        received_at=at,
        recorded_by="seed",
        recorded_at=at,
        state="pending",
    )


def seed_province_figures(db: sessionmaker[Session]) -> None:
    with db.begin() as session:
        session.add_all(
            [
                _recall("R1", "140105", "appliances", when(2025, 3, 10), 1000, 199.5),
                _recall("R2", "140100", "children", when(2025, 3, 20), 200, None, "INV-R2"),
                _owned_investigation("INV-R2", "140105", owner="140000", at=when(2025, 3, 15)),
                _recall("R3", "140000", "appliances", when(2026, 1, 5), 50, 10.0),
                _recall("R-SH", "310101", "appliances", when(2025, 3, 1), 999, 1.0),
                RecallProgressRow(
                    recall_id="R1",
                    sequence=1,
                    event_id=str(uuid.uuid4()),
                    period_start=when(2025, 3, 10),
                    period_end=when(2025, 4, 10),
                    submitted_at=when(2025, 4, 11),
                    levels={"consumer": {"corrected": {"repair": 300}}},
                    refused=False,
                ),
                _signal("s1", "140105", "sampling_failure", when(2025, 3, 2)),
                _signal("s2", "140105", "sampling_failure", when(2025, 3, 3)),
                _signal("s3", "140106", "harmonic_nb", when(2025, 3, 4)),
                _signal("s4", "140202", "sampling_failure", when(2026, 1, 6)),
                _lead("media", "NEWS-1", "140105", when(2025, 3, 5)),
                _lead("complaint", "12315-1", "140106", when(2025, 4, 1)),
                _lead("complaint", "12315-2", "140106", when(2026, 1, 7)),
                _lead("complaint", "12315-SH", "310101", when(2025, 3, 8)),
            ]
        )
