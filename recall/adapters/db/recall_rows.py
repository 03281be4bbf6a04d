"""Rows of the recall tables as domain values, and back (the published figures as the contract's).

`rebuild` loads the aggregate with its reports; the rest translates one row at a time.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from recall.adapters.db.models import Event, RecallProgressRow, RecallRow, RecallTransitionRow
from recall.domain.recalls import (
    Incident,
    IncidentKind,
    ProgressReport,
    Recall,
    RecallSpec,
    RecallState,
    RecallTransition,
    Verdict,
)
from recall.service.recalls.mapping import aware, progress_report, spec_from_notice
from recall.service.recalls.ports import LoadedRecall, NewRecall, RecallHead
from schemas.recalls import EffectivenessFigures


def spec_of(row: RecallRow) -> RecallSpec:
    return spec_from_notice(row.notice, product_key=row.product_key, firm_id=row.firm_id)


def report_of(row: RecallProgressRow) -> ProgressReport:
    return progress_report(
        row.recall_id, row.sequence, row.period_start, row.period_end, row.submitted_at, row.levels
    )


def transition_of(recall_id: str, row: RecallTransitionRow) -> RecallTransition:
    return RecallTransition(
        recall_id=recall_id,
        from_state=RecallState(row.from_state) if row.from_state else None,
        to_state=RecallState(row.to_state),
        who=row.who,
        when=aware(row.at),
        why=row.why,
    )


def figures_of(stored: dict[str, Any] | None) -> EffectivenessFigures | None:
    """The last published figures; None when absent or written by an older shape."""
    if stored is None:
        return None
    try:
        return EffectivenessFigures.model_validate(stored)
    except ValidationError:
        return None


def head_of(row: RecallRow) -> RecallHead:
    return RecallHead(
        recall_id=row.recall_id,
        kind=row.kind,
        state=RecallState(row.state),
        verdict=row.verdict,
        jurisdiction=row.jurisdiction,
        category=row.category,
        target_rate=float(row.notice["target_rate"]),
        effectiveness=figures_of(row.last_effectiveness),
        updated_at=aware(row.updated_at),
    )


def incident_of(row: Event) -> Incident | None:
    """An accepted injury report, or a failed sample, as an incident of its product."""
    payload = row.payload
    if row.type == "sampling_result" and payload.get("overall") != "fail":
        return None
    if row.occurred_at is None or row.product_key is None:
        return None
    return Incident(
        row.event_id,
        IncidentKind.INJURY if row.type == "injury_report" else IncidentKind.SAMPLING_FAILURE,
        aware(row.occurred_at),
        row.product_key,
        (payload.get("product") or {}).get("batch"),
    )


def rebuild(session: Session, row: RecallRow) -> LoadedRecall:
    """The aggregate with its reports, as loaded: its version is its stored history's length."""
    steps = session.scalars(
        select(RecallTransitionRow)
        .where(RecallTransitionRow.recall_id == row.recall_id)
        .order_by(RecallTransitionRow.position)
    ).all()
    progress = session.scalars(
        select(RecallProgressRow)
        .where(RecallProgressRow.recall_id == row.recall_id)
        .order_by(RecallProgressRow.sequence)
    ).all()
    verdict = Verdict(row.verdict) if row.verdict else None
    history = [transition_of(row.recall_id, step) for step in steps]
    return LoadedRecall(
        recall=Recall.restore(spec_of(row), history, verdict),
        reports=[report_of(p) for p in progress],
        refused=any(p.refused for p in progress),
        jurisdiction=row.jurisdiction,
        hazard=row.hazard,
        sent_keys=frozenset(row.sent_keys or ()),
        effectiveness=figures_of(row.last_effectiveness),
        updated_at=aware(row.updated_at),
        version=len(steps),
    )


def recall_row(new: NewRecall) -> RecallRow:
    """The head row of a recall being registered."""
    spec = new.recall.spec
    return RecallRow(
        recall_id=spec.recall_id,
        kind=spec.kind.value,
        investigation_id=spec.investigation_id,
        product_key=spec.product_key,
        category=spec.category,
        firm_id=spec.firm_id,
        jurisdiction=new.jurisdiction,
        hazard=new.hazard,
        risk_level=spec.risk_level.value,
        notice=dict(new.notice),
        notice_event_id=new.notice_event_id,
        start=spec.start,
        target_date=spec.target_date,
        state=new.recall.state.value,
        verdict=None,
        sent_keys=[],
        last_effectiveness=None,
        updated_at=new.created_at,
    )
