"""The `escalated` alert: the new owner is told when something moves one supervision tier up.

An audit row alone is found only by whoever looks; the alert goes where the new owner's
regulators look (its jurisdiction is the new owner, so webhooks, Alertmanager routes and the
live dashboard scope it there). One alert per move: the id derives from the subject and the
new owner (owners only move up, so that pair happens once), and the caller queues it in the
transaction that records the move, so a replay or a second worker queues nothing new.
First assignments are not escalations and raise none (`from_owner` is required).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from recall.domain import jurisdiction
from recall.domain.cases import ReferralCase
from recall.domain.tiers import TIER_LABELS, Rule, SubjectKind
from recall.service.tiers.ports import TierMove
from schemas.common import ProductCategory
from schemas.risk import Alert, AlertKind, AlertSeverity

INVESTIGATION = "investigation"
REFERRAL_CASE = "referral_case"


@dataclass(frozen=True, slots=True)
class Escalation:
    """What the alert says: which subject moved, from whom to whom, why, which deadline."""

    subject_kind: str
    subject_id: str
    from_owner: str
    to_owner: str
    rule: str
    reason: str
    at: datetime
    deadline: datetime | None = None
    category: str | None = None


def escalated_alert(escalation: Escalation) -> Alert:
    """The `escalated` alert of one move; the same move always gives the same alert id."""
    e = escalation
    name = f"recall:{AlertKind.ESCALATED}:{e.subject_kind}:{e.subject_id}:{e.to_owner}"
    tier = TIER_LABELS[jurisdiction.level(e.to_owner)]
    return Alert(
        alert_id=str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
        severity=AlertSeverity.WARNING,
        kind=AlertKind.ESCALATED,
        title=f"升级至上级监管部门 / Escalated to {e.to_owner} ({tier}): {e.subject_id}",
        subject=e.subject_id,
        jurisdiction=e.to_owner,
        at=e.at,
        details={
            "subject_kind": e.subject_kind,
            "subject_id": e.subject_id,
            "from_owner": e.from_owner,
            "to_owner": e.to_owner,
            "rule": e.rule,
            "reason": e.reason,
            "deadline": e.deadline.isoformat() if e.deadline else "",
        },
        category=_category(e.category),
    )


def investigation_escalated(move: TierMove, category: str | None = None) -> Alert | None:
    """The alert of an investigation's move up; None for a first assignment (or a signal)."""
    if move.from_owner is None or move.kind is not SubjectKind.INVESTIGATION:
        return None
    deadline = move.at if move.rule is Rule.DEADLINE else None  # timer moves are stamped with it
    return escalated_alert(
        Escalation(
            INVESTIGATION,
            move.subject_id,
            move.from_owner,
            move.to_owner,
            str(move.rule),
            move.reason,
            move.at,
            deadline,
            category,
        )
    )


def case_escalated(before: ReferralCase, after: ReferralCase, at: datetime) -> Alert:
    """The alert of a referral case moved from `before.owner` to `after.owner` at `at`."""
    return escalated_alert(
        Escalation(
            REFERRAL_CASE,
            after.case_id,
            before.owner,
            after.owner,
            after.grounds.value,
            after.audit[-1].reason,
            at,
            before.deadline,
        )
    )


def _category(code: str | None) -> ProductCategory | None:
    try:
        return ProductCategory(code) if code else None
    except ValueError:
        return None
