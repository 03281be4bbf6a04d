"""Referral cases and firm credit records in SQL (tables of migration 0020).

The case is stored whole as JSON (`body`: evidence, audit, penalty) with its head in columns
for lists and the escalation timer; `version` (the audit length) guards every update.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from recall.adapters.db.models import FirmCreditRecordRow, Manufacturer, ReferralCaseRow
from recall.adapters.db.upsert import insert_ignoring_conflicts
from recall.domain.cases import (
    CaseAction,
    CaseAudit,
    CaseState,
    Grounds,
    Penalty,
    ReferralCase,
)
from recall.service.cases.ports import ConcurrentCaseUpdateError
from schemas.cases import FirmCreditRecorded

_OPEN = (CaseState.OPENED.value, CaseState.ASSIGNED.value)


def to_body(case: ReferralCase) -> dict[str, Any]:
    penalty = case.penalty
    return {
        "referral_key": case.referral_key,
        "firm_code": case.firm_code,
        "recall_id": case.recall_id,
        "grounds": case.grounds.value,
        "evidence": list(case.evidence),
        "owner": case.owner,
        "deadline": case.deadline.isoformat(),
        "case_days": case.case_days,
        "state": case.state.value,
        "assignee": case.assignee,
        "outcome_reason": case.outcome_reason,
        "penalty": None
        if penalty is None
        else {
            "decision_no": penalty.decision_no,
            "fine_yuan": penalty.fine_yuan,
            "measures": penalty.measures,
        },
        "audit": [
            {
                "action": a.action.value,
                "actor": a.actor,
                "at": a.at.isoformat(),
                "reason": a.reason,
                "from_state": a.from_state.value if a.from_state else None,
                "to_state": a.to_state.value,
                "owner": a.owner,
            }
            for a in case.audit
        ],
    }


def from_body(body: dict[str, Any]) -> ReferralCase:
    penalty = body.get("penalty")
    return ReferralCase(
        referral_key=body["referral_key"],
        firm_code=body["firm_code"],
        recall_id=body["recall_id"],
        grounds=Grounds(body["grounds"]),
        evidence=tuple(body["evidence"]),
        owner=body["owner"],
        deadline=datetime.fromisoformat(body["deadline"]),
        case_days=int(body["case_days"]),
        state=CaseState(body["state"]),
        assignee=body.get("assignee"),
        outcome_reason=body.get("outcome_reason"),
        penalty=None if penalty is None else Penalty(**penalty),
        audit=tuple(
            CaseAudit(
                CaseAction(a["action"]),
                a["actor"],
                datetime.fromisoformat(a["at"]),
                a["reason"],
                CaseState(a["from_state"]) if a["from_state"] else None,
                CaseState(a["to_state"]),
                a["owner"],
            )
            for a in body["audit"]
        ),
    )


def _head(case: ReferralCase) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "referral_key": case.referral_key,
        "firm_code": case.firm_code,
        "recall_id": case.recall_id,
        "grounds": case.grounds.value,
        "state": case.state.value,
        "owner": case.owner,
        "deadline": case.deadline,
        "opened_at": case.opened_at,
        "updated_at": case.updated_at,
        "version": len(case.audit),
        "body": to_body(case),
    }


class SqlCaseRepository:
    """`recall.service.cases.ports.CaseRepository` over one session (one unit of work)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, case_id: str) -> ReferralCase | None:
        row = self._session.get(ReferralCaseRow, case_id)
        return None if row is None else from_body(row.body)

    def open_once(self, case: ReferralCase) -> bool:
        result = self._session.execute(
            insert_ignoring_conflicts(self._session, ReferralCaseRow).values(**_head(case))
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult of an INSERT

    def save(self, case: ReferralCase, *, previous_version: int) -> None:
        head = _head(case)
        result = self._session.execute(
            update(ReferralCaseRow)
            .where(
                ReferralCaseRow.case_id == case.case_id,
                ReferralCaseRow.version == previous_version,
            )
            .values(**head)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
            raise ConcurrentCaseUpdateError(case.case_id)

    def cases(
        self, *, owner_prefix: str | None, states: Collection[CaseState], limit: int
    ) -> list[ReferralCase]:
        query = select(ReferralCaseRow.body)
        if owner_prefix:
            query = query.where(ReferralCaseRow.owner.startswith(owner_prefix, autoescape=True))
        if states:
            query = query.where(ReferralCaseRow.state.in_([s.value for s in states]))
        query = query.order_by(ReferralCaseRow.updated_at.desc(), ReferralCaseRow.case_id).limit(
            limit
        )
        return [from_body(body) for body in self._session.scalars(query)]

    def overdue(self, now: datetime) -> list[ReferralCase]:
        query = (
            select(ReferralCaseRow.body)
            .where(ReferralCaseRow.state.in_(_OPEN), ReferralCaseRow.deadline < now)
            .order_by(ReferralCaseRow.deadline, ReferralCaseRow.case_id)
        )
        return [from_body(body) for body in self._session.scalars(query)]

    def firm_home(self, firm_code: str) -> str | None:
        row = self._session.get(Manufacturer, firm_code)
        return None if row is None else row.jurisdiction

    def record_credit(self, record: FirmCreditRecorded) -> bool:
        row = {
            "record_id": record.record_id,
            "firm_code": record.firm,
            "case_id": record.case_id,
            "recall_id": record.recall_id,
            "outcome": record.outcome.value,
            "fine_yuan": record.penalty.fine_yuan if record.penalty else None,
            "owner": record.owner,
            "at": record.at,
            "body": record.model_dump(mode="json"),
        }
        result = self._session.execute(
            insert_ignoring_conflicts(self._session, FirmCreditRecordRow).values(**row)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def credit_records(self, firm_code: str) -> list[FirmCreditRecorded]:
        query = (
            select(FirmCreditRecordRow.body)
            .where(FirmCreditRecordRow.firm_code == firm_code)
            .order_by(FirmCreditRecordRow.at, FirmCreditRecordRow.record_id)
        )
        return [FirmCreditRecorded.model_validate(body) for body in self._session.scalars(query)]


__all__ = ["SqlCaseRepository", "from_body", "to_body"]
