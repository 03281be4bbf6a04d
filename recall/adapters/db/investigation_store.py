"""Repository for investigations: rebuild aggregates from rows, save them with a version check.

The aggregate is append-only (evidence and audit only grow), so saving writes the new evidence
and audit rows and updates the head row — guarded by `version` (the audit length), so an
investigator's `conclude` and the agent's `attach_evidence` can never overwrite each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from recall.adapters.db.models import (
    InvestigationAuditRow,
    InvestigationEvidenceRow,
    InvestigationRow,
)
from recall.adapters.db.upsert import insert_ignoring_conflicts
from recall.domain.investigations import (
    Action,
    AuditEntry,
    Conclusion,
    Decision,
    Evidence,
    EvidenceKind,
    Investigation,
    InvestigationState,
    RiskLevel,
)


class ConcurrentUpdateError(RuntimeError):
    """Someone else changed the investigation first; reload and try again."""


def _evidence(row: InvestigationEvidenceRow) -> Evidence:
    return Evidence(
        evidence_id=row.evidence_id,
        kind=EvidenceKind(row.kind),
        summary=row.summary,
        occurred_at=_aware(row.occurred_at),
        risk_level=RiskLevel(row.risk_level) if row.risk_level else None,
        observed=row.observed,
        expected=row.expected,
        statistic=row.statistic,
        threshold=row.threshold,
        method=row.method,
        window=row.window,
    )


def _audit(row: InvestigationAuditRow) -> AuditEntry:
    return AuditEntry(
        action=Action(row.action),
        actor=row.actor,
        at=_aware(row.at),
        reason=row.reason,
        from_state=InvestigationState(row.from_state) if row.from_state else None,
        to_state=InvestigationState(row.to_state),
    )


def _aware(moment: datetime) -> datetime:
    """SQLite drops the zone; every stored time is UTC."""
    from datetime import UTC

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _conclusion(row: InvestigationRow) -> Conclusion | None:
    if row.decision is None:
        return None
    return Conclusion(
        decision=Decision(row.decision),
        reason=row.conclusion_reason or "",
        risk_level=RiskLevel(row.risk_level) if row.risk_level else None,
        hazard_description=row.hazard_description,
    )


def rebuild(session: Session, row: InvestigationRow) -> Investigation:
    evidence = session.scalars(
        select(InvestigationEvidenceRow)
        .where(InvestigationEvidenceRow.investigation_id == row.investigation_id)
        .order_by(InvestigationEvidenceRow.position)
    ).all()
    audit = session.scalars(
        select(InvestigationAuditRow)
        .where(InvestigationAuditRow.investigation_id == row.investigation_id)
        .order_by(InvestigationAuditRow.position)
    ).all()
    return Investigation(
        product_key=row.product_key,
        hazard=row.hazard,
        seq=row.seq,
        category=row.category,
        jurisdiction=row.jurisdiction,
        state=InvestigationState(row.state),
        evidence=tuple(_evidence(e) for e in evidence),
        audit=tuple(_audit(a) for a in audit),
        expert_ids=tuple(row.expert_ids or ()),
        conclusion=_conclusion(row),
    )


def get(session: Session, investigation_id: str) -> Investigation | None:
    row = session.get(InvestigationRow, investigation_id)
    return rebuild(session, row) if row else None


def latest_for(session: Session, product_key: str, hazard: str) -> Investigation | None:
    row = session.scalars(
        select(InvestigationRow)
        .where(InvestigationRow.product_key == product_key, InvestigationRow.hazard == hazard)
        .order_by(InvestigationRow.seq.desc())
        .limit(1)
    ).first()
    return rebuild(session, row) if row else None


def save(
    session: Session,
    investigation: Investigation,
    *,
    previous_version: int | None,
    trigger_sent_at: datetime | None = None,
) -> None:
    """Insert or update; `previous_version` is the audit length when it was loaded (None: new)."""
    head = _head_values(investigation)
    if previous_version is None:
        session.add(InvestigationRow(**head, trigger_sent_at=trigger_sent_at))
        session.flush()
    else:
        result = session.execute(
            update(InvestigationRow)
            .where(
                InvestigationRow.investigation_id == investigation.investigation_id,
                InvestigationRow.version == previous_version,
            )
            .values(**head)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise ConcurrentUpdateError(investigation.investigation_id)
    _append_children(session, investigation)


def _head_values(inv: Investigation) -> dict[str, object]:
    conclusion = inv.conclusion
    return {
        "investigation_id": inv.investigation_id,
        "product_key": inv.product_key,
        "hazard": inv.hazard,
        "seq": inv.seq,
        "category": inv.category,
        "jurisdiction": inv.jurisdiction,
        "state": inv.state.value,
        "decision": conclusion.decision.value if conclusion else None,
        "risk_level": conclusion.risk_level.value if conclusion and conclusion.risk_level else None,
        "hazard_description": conclusion.hazard_description if conclusion else None,
        "conclusion_reason": conclusion.reason if conclusion else None,
        "expert_ids": list(inv.expert_ids),
        "opened_at": inv.opened_at,
        "updated_at": inv.audit[-1].at,
        "version": len(inv.audit),
    }


def _append_children(session: Session, inv: Investigation) -> None:
    evidence = [
        {
            "investigation_id": inv.investigation_id,
            "evidence_id": e.evidence_id,
            "position": i,
            "kind": e.kind.value,
            "summary": e.summary,
            "occurred_at": e.occurred_at,
            "risk_level": e.risk_level.value if e.risk_level else None,
            "observed": e.observed,
            "expected": e.expected,
            "statistic": e.statistic,
            "threshold": e.threshold,
            "method": e.method,
            "window": e.window,
        }
        for i, e in enumerate(inv.evidence)
    ]
    audit = [
        {
            "investigation_id": inv.investigation_id,
            "position": i,
            "action": a.action.value,
            "actor": a.actor,
            "at": a.at,
            "reason": a.reason,
            "from_state": a.from_state.value if a.from_state else None,
            "to_state": a.to_state.value,
        }
        for i, a in enumerate(inv.audit)
    ]
    session.execute(
        insert_ignoring_conflicts(session, InvestigationEvidenceRow.__table__), evidence
    )
    session.execute(insert_ignoring_conflicts(session, InvestigationAuditRow.__table__), audit)


def list_rows(
    session: Session, *, scope: str | None = None, states: Sequence[str] = (), limit: int = 200
) -> list[InvestigationRow]:
    """Head rows, newest first, optionally within a jurisdiction scope (prefix) and states."""
    from recall.domain.jurisdiction import significant_prefix

    query = select(InvestigationRow).order_by(InvestigationRow.updated_at.desc()).limit(limit)
    if scope:
        query = query.where(InvestigationRow.jurisdiction.startswith(significant_prefix(scope)))
    if states:
        query = query.where(InvestigationRow.state.in_(list(states)))
    return list(session.scalars(query))
