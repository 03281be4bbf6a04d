"""What a regulator does to a case: assign it, record its outcome. And the escalation timer.

Each runs in one transaction: load, apply the domain operation, save with the version check
(the audit length), and — for an outcome — store the credit record and queue its `firms.credit`
event. A refusal is the domain's `IllegalCaseTransition`, naming the allowed actions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from recall.domain.cases import Penalty, ReferralCase
from recall.service.cases.credit import credit_event, credit_record
from recall.service.cases.ports import CaseNotFoundError
from recall.service.ports import OutputTopics, Storage, UnitOfWork, alert_record
from recall.service.tiers.alerts import case_escalated

log = structlog.get_logger(__name__)

__all__ = ["assign", "close", "escalate_overdue", "penalise", "rectified"]


def _change(
    storage: Storage,
    case_id: str,
    topics: OutputTopics,
    apply: Callable[[ReferralCase], ReferralCase],
) -> ReferralCase:
    with storage.transaction() as tx:
        current = tx.cases.get(case_id)
        if current is None:
            raise CaseNotFoundError(case_id)
        updated = apply(current)
        tx.cases.save(updated, previous_version=len(current.audit))
        if updated.outcome is not None:
            _record_outcome(tx, updated, topics)
    return updated


def _record_outcome(tx: UnitOfWork, case: ReferralCase, topics: OutputTopics) -> None:
    event = credit_event(case)
    if tx.cases.record_credit(event):
        tx.outbox.add([credit_record(event, topics)])
        log.info(
            "firm credit record written",
            case_id=case.case_id,
            firm=case.firm_code,
            outcome=event.outcome.value,
        )


def assign(
    storage: Storage,
    case_id: str,
    *,
    assignee: str,
    reason: str,
    actor: str,
    topics: OutputTopics,
    now: datetime | None = None,
) -> ReferralCase:
    at = now or datetime.now(UTC)
    return _change(
        storage, case_id, topics, lambda c: c.assign(assignee, actor=actor, at=at, reason=reason)
    )


def rectified(
    storage: Storage,
    case_id: str,
    *,
    reason: str,
    actor: str,
    topics: OutputTopics,
    now: datetime | None = None,
) -> ReferralCase:
    at = now or datetime.now(UTC)
    return _change(
        storage, case_id, topics, lambda c: c.rectified(actor=actor, at=at, reason=reason)
    )


def penalise(
    storage: Storage,
    case_id: str,
    *,
    penalty: Penalty,
    reason: str,
    actor: str,
    topics: OutputTopics,
    now: datetime | None = None,
) -> ReferralCase:
    at = now or datetime.now(UTC)
    return _change(
        storage, case_id, topics, lambda c: c.penalise(penalty, actor=actor, at=at, reason=reason)
    )


def close(
    storage: Storage,
    case_id: str,
    *,
    reason: str,
    actor: str,
    topics: OutputTopics,
    now: datetime | None = None,
) -> ReferralCase:
    at = now or datetime.now(UTC)
    return _change(storage, case_id, topics, lambda c: c.close(actor=actor, at=at, reason=reason))


def escalate_overdue(
    storage: Storage, now: datetime, *, topics: OutputTopics
) -> list[ReferralCase]:
    """Every open case past its deadline at `now`, one tier up (the clock is the caller's).

    Each move queues an `escalated` alert for the new owner (its jurisdiction) in the same
    transaction, on `topics.alerts`. Idempotent at one `now`:
    an escalated case has a new deadline after `now`; the alert id is the case and new owner."""
    moved = []
    with storage.transaction() as tx:
        for case in tx.cases.overdue(now):
            updated = case.escalate_if_overdue(now)
            if updated is case:
                continue
            tx.cases.save(updated, previous_version=len(case.audit))
            tx.outbox.add([alert_record(case_escalated(case, updated, now), topics)])
            moved.append(updated)
            log.warning(
                "referral case escalated",
                case_id=case.case_id,
                from_owner=case.owner,
                to_owner=updated.owner,
                deadline=case.deadline.isoformat(),
            )
    return moved
