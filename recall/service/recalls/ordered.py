"""An ordered recall (责令召回) from an investigation in `recall_requested`.

The regulator's order is written as a recall notice of kind `ordered`, so that every later
step (progress validation, effectiveness, deadlines) treats ordered and voluntary recalls alike.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from recall.adapters.db.models import Product, RecallRow, RecallTransitionRow, Station
from recall.domain.investigations import Investigation
from recall.domain.recalls import Recall
from recall.service.recalls.intake import backfill_incidents
from recall.service.recalls.mapping import spec_from_notice

DEFAULT_UNITS = 10_000


def order_recall(
    session: Session,
    investigation: Investigation,
    *,
    actor: str,
    now: datetime,
    target_rate: float = 0.8,
    target_days: int = 180,
    cadence_days: int = 30,
) -> str:
    """Create the ordered recall for `investigation`; idempotent (one per investigation)."""
    recall_id = f"ORD-{investigation.investigation_id[:13]}"
    if session.get(RecallRow, recall_id) is not None:
        return recall_id
    product = session.get(Product, investigation.product_key)
    maker = investigation.manufacturer_id
    firm = (
        session.scalars(
            select(Station.station_id).where(
                Station.kind == "firm", Station.manufacturer_code == maker
            )
        ).first()
        or f"FIRM-{maker}"
    )
    level = investigation.conclusion.risk_level if investigation.conclusion else None
    notice = {
        "recall_id": recall_id,
        "kind": "ordered",
        "investigation_id": investigation.investigation_id,
        "title": f"责令召回 ordered recall: {investigation.product_key} ({investigation.hazard})",
        "product": {
            "category": investigation.category,
            "kind": product.kind if product else "unknown",
            "brand": product.brand if product else investigation.product_key.split("/")[1],
            "model": product.model if product else investigation.product_key.split("/")[2],
            "manufacturer_code": maker,
        },
        "batches": [],
        "affected": {"consumer": (product.units_in_use if product else None) or DEFAULT_UNITS},
        "hazard": investigation.hazard,
        "risk_level": level.value if level else "serious",
        "remedies": ["repair", "refund"],
        "channels": ["direct_notice", "press_release"],
        "start": now.isoformat(),
        "target_date": (now + timedelta(days=target_days)).isoformat(),
        "target_rate": target_rate,
        "reporting_cadence_days": cadence_days,
    }
    spec = spec_from_notice(notice, product_key=investigation.product_key, firm_id=firm)
    recall = Recall.ordered(
        spec,
        investigation_id=investigation.investigation_id,
        investigation_state=investigation.state.value,
        who=actor,
        when=now,
        why=f"defect confirmed in investigation {investigation.investigation_id}",
    )
    created = recall.history[0]
    session.add(
        RecallRow(
            recall_id=recall_id,
            kind="ordered",
            investigation_id=investigation.investigation_id,
            product_key=investigation.product_key,
            category=investigation.category,
            firm_id=firm,
            jurisdiction=investigation.jurisdiction or "000000",
            hazard=investigation.hazard,
            risk_level=notice["risk_level"],
            notice=notice,
            notice_event_id=recall_id,
            start=now,
            target_date=spec.target_date,
            state="announced",
            verdict=None,
            sent_keys=[],
            last_effectiveness=None,
            updated_at=now,
        )
    )
    session.add(
        RecallTransitionRow(
            recall_id=recall_id,
            position=0,
            from_state=None,
            to_state=created.to_state.value,
            who=actor,
            at=now,
            why=created.why,
        )
    )
    session.flush()
    backfill_incidents(session, session.get(RecallRow, recall_id))  # type: ignore[arg-type]
    return recall_id
