"""Enforcement referral cases (移送执法案件): what a referral to enforcement becomes.

A recall whose firm misses its progress reports or refuses to act is *referred*
(`recall.domain.recalls.deadlines.Referral`); the referral opens one `ReferralCase`, owned by an
enforcement administration at the right supervision tier (`owner.owner_for`), with a deadline;
an overdue case escalates one tier up (`ReferralCase.escalate_if_overdue`); its outcome —
rectified, penalised, closed without action — is what the firm's credit record receives.
"""

from recall.domain.cases.model import (
    CaseAction,
    CaseAudit,
    CaseError,
    CaseOutcome,
    CaseState,
    Grounds,
    IllegalCaseTransition,
    Penalty,
    ReferralCase,
    case_id_for,
)
from recall.domain.cases.owner import DEFAULT_CASE_DAYS, OwnerChoice, owner_for

__all__ = [
    "DEFAULT_CASE_DAYS",
    "CaseAction",
    "CaseAudit",
    "CaseError",
    "CaseOutcome",
    "CaseState",
    "Grounds",
    "IllegalCaseTransition",
    "OwnerChoice",
    "Penalty",
    "ReferralCase",
    "case_id_for",
    "owner_for",
]
