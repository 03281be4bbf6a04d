"""The firm's credit record (信用监管) gets each case outcome as an event.

One outcome per case (outcomes are final), so the record id `credit:<case id>` is stable: the
credit-record row (unique per case) and the `firms.credit` outbox record are written in the
outcome's transaction, and a retried transaction or a repeated publish is one record.
"""

from __future__ import annotations

from recall.domain.cases import ReferralCase
from recall.service.ports import OutboxRecord, OutputTopics, outbox_record
from schemas.cases import CaseOutcome, FirmCreditRecorded, Penalty
from schemas.topics import FIRMS_CREDIT


def credit_event(case: ReferralCase) -> FirmCreditRecorded:
    """The credit record of a case that reached its outcome."""
    outcome = case.outcome
    if outcome is None:
        raise ValueError(f"case {case.case_id} has no outcome yet")
    last = case.audit[-1]
    penalty = case.penalty
    return FirmCreditRecorded(
        record_id=f"credit:{case.case_id}",
        firm=case.firm_code,
        case_id=case.case_id,
        recall_id=case.recall_id,
        grounds=case.grounds.value,
        outcome=CaseOutcome(outcome.value),
        penalty=None
        if penalty is None
        else Penalty(
            decision_no=penalty.decision_no,
            fine_yuan=penalty.fine_yuan,
            measures=penalty.measures,
        ),
        reason=case.outcome_reason or last.reason,
        owner=case.owner,
        decided_by=last.actor,
        at=last.at,
    )


def credit_record(event: FirmCreditRecorded, topics: OutputTopics) -> OutboxRecord:
    """The `firms.credit` outbox record, keyed by the firm (its records in order)."""
    return outbox_record(
        FIRMS_CREDIT,
        topics.credit,
        record_id=event.record_id,
        key=event.firm,
        value=event,
        at=event.at,
    )
