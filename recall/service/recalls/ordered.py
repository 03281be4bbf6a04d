"""An ordered recall (责令召回) from an investigation in `recall_requested`.

The order is registered like a notice of kind `ordered`, so that every later step (progress
validation, effectiveness, deadlines) treats ordered and voluntary recalls alike. The spec is
built from the investigation and the registry; the stored notice document is written from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from recall.domain.investigations import Investigation
from recall.domain.recalls import (
    NoticeChannel,
    Recall,
    RecallKind,
    RecallSpec,
    Remedy,
    RiskLevel,
    SupplyLevel,
)
from recall.service.ports import UnitOfWork
from recall.service.recalls.intake import backfill_incidents
from recall.service.recalls.mapping import notice_document
from recall.service.recalls.ports import NewRecall, ProductFacts

DEFAULT_UNITS = 10_000  # when the registry does not know how many units are in use


@dataclass(frozen=True, slots=True)
class _Terms:
    start: datetime
    target_date: datetime
    target_rate: float
    cadence_days: int


def order_recall(
    tx: UnitOfWork,
    investigation: Investigation,
    *,
    actor: str,
    now: datetime,
    target_rate: float = 0.8,
    target_days: int = 180,
    cadence_days: int = 30,
) -> str:
    """Create the ordered recall for `investigation`; idempotent (one per investigation)."""
    recalls = tx.recalls
    recall_id = f"ORD-{investigation.investigation_id[:13]}"
    if recalls.notice_event_id(recall_id) is not None:
        return recall_id
    product = recalls.product(investigation.product_key)
    maker = investigation.manufacturer_id
    firm = (recalls.firm_of(maker) if maker else None) or f"FIRM-{maker}"
    terms = _Terms(now, now + timedelta(days=target_days), target_rate, cadence_days)
    spec = _spec(recall_id, investigation, product, firm, terms)
    recall = Recall.ordered(
        spec,
        investigation_id=investigation.investigation_id,
        investigation_state=investigation.state.value,
        who=actor,
        when=now,
        why=f"defect confirmed in investigation {investigation.investigation_id}",
    )
    product_ref = _product_ref(investigation, product, maker)
    recalls.add(
        NewRecall(
            recall=recall,
            jurisdiction=investigation.jurisdiction or "000000",
            hazard=investigation.hazard,
            notice=notice_document(spec, hazard=investigation.hazard, product=product_ref),
            notice_event_id=recall_id,
            created_at=now,
        )
    )
    backfill_incidents(recalls, spec)
    return recall_id


def _spec(
    recall_id: str,
    investigation: Investigation,
    product: ProductFacts | None,
    firm: str,
    terms: _Terms,
) -> RecallSpec:
    """The regulator's order: repair or refund every consumer unit in use, by notice and press."""
    level = investigation.conclusion.risk_level if investigation.conclusion else None
    units = (product.units_in_use if product else None) or DEFAULT_UNITS
    return RecallSpec(
        recall_id=recall_id,
        kind=RecallKind.ORDERED,
        product_key=investigation.product_key,
        category=investigation.category,
        affected={SupplyLevel.CONSUMER: units},
        remedies=frozenset({Remedy.REPAIR, Remedy.REFUND}),
        channels=frozenset({NoticeChannel.DIRECT_NOTICE, NoticeChannel.PRESS_RELEASE}),
        risk_level=RiskLevel(level.value) if level else RiskLevel.SERIOUS,
        start=terms.start,
        target_date=terms.target_date,
        target_rate=terms.target_rate,
        reporting_cadence_days=terms.cadence_days,
        investigation_id=investigation.investigation_id,
        firm_id=firm,
        title=f"责令召回 ordered recall: {investigation.product_key} ({investigation.hazard})",
    )


def _product_ref(
    investigation: Investigation, product: ProductFacts | None, maker: str | None
) -> dict[str, object]:
    """The notice's product as the registry has it, else as the product key spells it."""
    _, brand, model = investigation.product_key.split("/", 2)
    return {
        "kind": product.kind if product else "unknown",
        "brand": product.brand if product else brand,
        "model": product.model if product else model,
        "manufacturer_code": maker,
    }
