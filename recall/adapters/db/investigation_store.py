"""SQL repository for investigations: rebuild aggregates from rows, save with a version check.

The aggregate is append-only (evidence and audit only grow), so saving writes the new evidence
and audit rows and updates the head row — guarded by `version` (the audit length), so an
investigator's `conclude` and the agent's `attach_evidence` can never overwrite each other.
Implements `recall.service.investigations.ports.InvestigationRepository`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recall.adapters.db.models import Expert as ExpertRow
from recall.adapters.db.models import (
    ExpertPanelRow,
    InvestigationAuditRow,
    InvestigationEvidenceRow,
    InvestigationRow,
    Manufacturer,
)
from recall.adapters.db.upsert import insert_ignoring_conflicts
from recall.domain.experts import Expert
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
from recall.service.investigations.ports import (
    ConcurrentUpdateError,
    InvestigationSummary,
    PanelRecord,
)

__all__ = ["ConcurrentUpdateError", "SqlInvestigationRepository"]

_OPEN = (InvestigationState.OPENED.value, InvestigationState.ASSIGNED.value)


class SqlInvestigationRepository:
    """Investigations and the expert registry over one session (one unit of work)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, investigation_id: str) -> Investigation | None:
        row = self._session.get(InvestigationRow, investigation_id)
        return self._rebuild(row) if row else None

    def latest_for(self, product_key: str, hazard: str) -> Investigation | None:
        row = self._session.scalars(
            select(InvestigationRow)
            .where(InvestigationRow.product_key == product_key, InvestigationRow.hazard == hazard)
            .order_by(InvestigationRow.seq.desc())
            .limit(1)
        ).first()
        return self._rebuild(row) if row else None

    def save(
        self,
        investigation: Investigation,
        *,
        previous_version: int | None,
        trigger_sent_at: datetime | None = None,
    ) -> None:
        """Insert or update; `previous_version` is the audit length when loaded (None: new)."""
        head = _head_values(investigation)
        if previous_version is None:
            self._session.add(InvestigationRow(**head, trigger_sent_at=trigger_sent_at))
            try:
                self._session.flush()
            except IntegrityError as error:  # opened meanwhile by someone else
                raise ConcurrentUpdateError(investigation.investigation_id) from error
        else:
            result = self._session.execute(
                update(InvestigationRow)
                .where(
                    InvestigationRow.investigation_id == investigation.investigation_id,
                    InvestigationRow.version == previous_version,
                )
                .values(**head)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
                raise ConcurrentUpdateError(investigation.investigation_id)
        self._append_children(investigation)

    def summaries(
        self,
        *,
        jurisdiction_prefix: str | None,
        states: Collection[InvestigationState],
        limit: int,
    ) -> list[InvestigationSummary]:
        query = select(InvestigationRow).order_by(InvestigationRow.updated_at.desc()).limit(limit)
        if jurisdiction_prefix:
            query = query.where(InvestigationRow.jurisdiction.startswith(jurisdiction_prefix))
        if states:
            query = query.where(InvestigationRow.state.in_(sorted(s.value for s in states)))
        return [_summary(row) for row in self._session.scalars(query)]

    def experts(self) -> list[Expert]:
        return [
            Expert(
                expert_id=row.expert_id,
                name=row.name,
                categories=frozenset(row.categories or ()),
                jurisdiction=row.jurisdiction,
                linked_firms=frozenset(row.linked_firms or ()),
                active=row.active,
            )
            for row in self._session.scalars(select(ExpertRow).order_by(ExpertRow.expert_id))
        ]

    def open_panels(self) -> dict[str, tuple[str, ...]]:
        rows = self._session.execute(
            select(InvestigationRow.investigation_id, InvestigationRow.expert_ids).where(
                InvestigationRow.state.in_(_OPEN)
            )
        )
        return {row_id: tuple(expert_ids or ()) for row_id, expert_ids in rows}

    def manufacturer_home(self, credit_code: str) -> str | None:
        return self._session.scalar(
            select(Manufacturer.jurisdiction).where(
                Manufacturer.credit_code == credit_code.strip().upper()
            )
        )

    def record_panel(self, record: PanelRecord) -> None:
        self._session.add(
            ExpertPanelRow(
                investigation_id=record.investigation_id,
                position=record.position,
                at=record.at,
                actor=record.actor,
                rule=record.rule,
                home=record.home,
                fallback=record.fallback,
                composition=record.composition,
            )
        )
        self._session.flush()

    def panels(self, investigation_id: str) -> list[PanelRecord]:
        rows = self._session.scalars(
            select(ExpertPanelRow)
            .where(ExpertPanelRow.investigation_id == investigation_id)
            .order_by(ExpertPanelRow.position)
        )
        return [
            PanelRecord(
                investigation_id=r.investigation_id,
                position=r.position,
                at=r.at,
                actor=r.actor,
                rule=r.rule,
                home=r.home,
                fallback=r.fallback,
                composition=r.composition,
            )
            for r in rows
        ]

    def _rebuild(self, row: InvestigationRow) -> Investigation:
        evidence = self._session.scalars(
            select(InvestigationEvidenceRow)
            .where(InvestigationEvidenceRow.investigation_id == row.investigation_id)
            .order_by(InvestigationEvidenceRow.position)
        ).all()
        audit = self._session.scalars(
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

    def _append_children(self, inv: Investigation) -> None:
        """Every evidence and audit row; those stored already are skipped (append-only)."""
        session = self._session
        evidence = [_evidence_values(inv, i, e) for i, e in enumerate(inv.evidence)]
        audit = [_audit_values(inv, i, a) for i, a in enumerate(inv.audit)]
        session.execute(
            insert_ignoring_conflicts(session, InvestigationEvidenceRow.__table__), evidence
        )
        session.execute(insert_ignoring_conflicts(session, InvestigationAuditRow.__table__), audit)


def _summary(row: InvestigationRow) -> InvestigationSummary:
    return InvestigationSummary(
        investigation_id=row.investigation_id,
        product_key=row.product_key,
        hazard=row.hazard,
        state=InvestigationState(row.state),
        decision=Decision(row.decision) if row.decision else None,
        jurisdiction=row.jurisdiction,
        expert_ids=tuple(row.expert_ids or ()),
        updated_at=_aware(row.updated_at),
    )


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


def _evidence_values(inv: Investigation, position: int, e: Evidence) -> dict[str, object]:
    return {
        "investigation_id": inv.investigation_id,
        "evidence_id": e.evidence_id,
        "position": position,
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


def _audit_values(inv: Investigation, position: int, a: AuditEntry) -> dict[str, object]:
    return {
        "investigation_id": inv.investigation_id,
        "position": position,
        "action": a.action.value,
        "actor": a.actor,
        "at": a.at,
        "reason": a.reason,
        "from_state": a.from_state.value if a.from_state else None,
        "to_state": a.to_state.value,
    }
