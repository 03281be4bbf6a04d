"""The ReferralCase aggregate: opened → assigned → rectified | penalised | closed_without_action.

Immutable, like `Investigation`: each operation returns a new case with exactly one more
`CaseAudit` entry (who, when, why, from which state to which, and the owner after it), so the
audit tuple is the whole history and the version a store checks is its length.

Allowed actions per state::

    opened     assign, escalate
    assigned   assign (re-assign), rectified, penalise, close, escalate
    rectified / penalised / closed_without_action   (none: the outcome is final)

An outcome needs an assigned case: someone at the owning administration has handled it. An
escalation (the deadline passed with no outcome) moves the case to `jurisdiction.parent(owner)`,
back to `opened` (the new owner names its own handler) with a fresh deadline; at the province
there is no tier above, so it stays and is not escalated again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from recall.domain import jurisdiction
from recall.domain.errors import DomainError


class CaseError(DomainError, ValueError):
    """A case that cannot exist or an input a case cannot take; the message says which rule."""


class CaseState(StrEnum):
    OPENED = "opened"  # 已立案
    ASSIGNED = "assigned"  # 调查中 (under investigation)
    RECTIFIED = "rectified"  # 已整改
    PENALISED = "penalised"  # 已处罚
    CLOSED_WITHOUT_ACTION = "closed_without_action"  # 不予处罚 / 撤案


class CaseAction(StrEnum):
    OPEN = "open"
    ASSIGN = "assign"
    ESCALATE = "escalate"
    RECTIFIED = "rectified"
    PENALISE = "penalise"
    CLOSE = "close"


class Grounds(StrEnum):
    """Why the firm was referred (移送事由)."""

    MISSED_PROGRESS_REPORTS = "missed_progress_reports"  # 未按期报告召回进展
    REFUSED_RECALL = "refused_recall"  # 拒不召回 / 拒不配合


class CaseOutcome(StrEnum):
    """The outcome the firm's credit record receives (信用监管)."""

    RECTIFIED = "rectified"
    PENALISED = "penalised"
    CLOSED_WITHOUT_ACTION = "closed_without_action"


OPEN_STATES = frozenset({CaseState.OPENED, CaseState.ASSIGNED})
_ALLOWED: dict[CaseState, tuple[CaseAction, ...]] = {
    CaseState.OPENED: (CaseAction.ASSIGN, CaseAction.ESCALATE),
    CaseState.ASSIGNED: (
        CaseAction.ASSIGN,
        CaseAction.RECTIFIED,
        CaseAction.PENALISE,
        CaseAction.CLOSE,
        CaseAction.ESCALATE,
    ),
    CaseState.RECTIFIED: (),
    CaseState.PENALISED: (),
    CaseState.CLOSED_WITHOUT_ACTION: (),
}
_OUTCOME_STATE = {
    CaseOutcome.RECTIFIED: CaseState.RECTIFIED,
    CaseOutcome.PENALISED: CaseState.PENALISED,
    CaseOutcome.CLOSED_WITHOUT_ACTION: CaseState.CLOSED_WITHOUT_ACTION,
}
SYSTEM_ACTOR = "system:case-deadlines"


class IllegalCaseTransition(CaseError):  # noqa: N818 - named like the other lifecycles'
    """An action the case's state does not allow; names the actions that are allowed."""

    def __init__(self, case_id: str, state: CaseState, action: str, allowed: tuple[str, ...]):
        self.case_id = case_id
        self.state = state
        self.action = action
        self.allowed = allowed
        listed = ", ".join(allowed) if allowed else "none (the outcome is final)"
        super().__init__(
            f"cannot {action} case {case_id}: it is {state.value}; allowed actions: {listed}"
        )


@dataclass(frozen=True, slots=True)
class Penalty:
    """What the administrative penalty decision (行政处罚决定书) imposed."""

    decision_no: str  # 处罚决定书文号
    fine_yuan: int  # 罚款 (yuan, 0 when none)
    measures: str = ""  # other measures: 没收违法所得, 责令停产停业, …

    def __post_init__(self) -> None:
        if not self.decision_no.strip():
            raise CaseError("a penalty needs the decision number (处罚决定书文号)")
        if self.fine_yuan < 0:
            raise CaseError(f"fine_yuan must be ≥ 0, got {self.fine_yuan}")


@dataclass(frozen=True, slots=True)
class CaseAudit:
    action: CaseAction
    actor: str
    at: datetime
    reason: str
    from_state: CaseState | None
    to_state: CaseState
    owner: str  # the owner after this step


def case_id_for(referral_key: str) -> str:
    """Deterministic id from the referral's key: the same referral always names the same case,
    so opening it again (a replay, a redelivered alert) finds the case instead of a second one."""
    return "RC-" + hashlib.sha256(referral_key.encode()).hexdigest()[:16].upper()


def _text(value: str, what: str) -> str:
    if not value or not value.strip():
        raise CaseError(f"{what} must not be empty")
    return value.strip()


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise CaseError(f"{what} must be timezone-aware, got {moment!r}")
    return moment


@dataclass(frozen=True, slots=True)
class ReferralCase:
    """One enforcement case opened by one referral; build it with `ReferralCase.open`."""

    referral_key: str
    firm_code: str
    recall_id: str
    grounds: Grounds
    evidence: tuple[str, ...]  # the missed deadlines and the referral alert id, as cited
    owner: str
    deadline: datetime
    case_days: int
    state: CaseState
    audit: tuple[CaseAudit, ...]
    assignee: str | None = None
    outcome_reason: str | None = None
    penalty: Penalty | None = None

    def __post_init__(self) -> None:
        jurisdiction.validate(self.owner)
        _aware(self.deadline, "deadline")
        if not self.audit or not self.evidence:
            raise CaseError("a case needs evidence and an audit trail")
        if self.case_days <= 0:
            raise CaseError("case_days must be > 0")
        if (self.state is CaseState.OPENED) != (self.assignee is None):
            raise CaseError(f"state {self.state} and assignee disagree")
        if (self.state is CaseState.PENALISED) != (self.penalty is not None):
            raise CaseError(f"state {self.state} and penalty disagree")

    # --- derived facts ---------------------------------------------------------------

    @property
    def case_id(self) -> str:
        return case_id_for(self.referral_key)

    @property
    def tier(self) -> jurisdiction.Level:
        return jurisdiction.level(self.owner)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def outcome(self) -> CaseOutcome | None:
        return None if self.is_open else CaseOutcome(self.state.value)

    @property
    def opened_at(self) -> datetime:
        return self.audit[0].at

    @property
    def updated_at(self) -> datetime:
        return self.audit[-1].at

    @property
    def escalations(self) -> int:
        return sum(1 for a in self.audit if a.action is CaseAction.ESCALATE)

    def allowed_actions(self) -> tuple[CaseAction, ...]:
        allowed = _ALLOWED[self.state]
        if jurisdiction.parent(self.owner) is None:  # province: nowhere to escalate to
            return tuple(a for a in allowed if a is not CaseAction.ESCALATE)
        return allowed

    def is_overdue(self, now: datetime) -> bool:
        """Open and past its deadline at `now` (a case closed exactly at the deadline is on
        time, as a progress report submitted at its deadline is)."""
        return self.is_open and _aware(now, "now") > self.deadline

    # --- operations -------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        referral_key: str,
        firm_code: str,
        recall_id: str,
        grounds: Grounds,
        evidence: tuple[str, ...],
        owner: str,
        owner_why: str,
        at: datetime,
        case_days: int,
        actor: str = SYSTEM_ACTOR,
    ) -> ReferralCase:
        """Open the case of one referral; the deadline is `case_days` after `at`."""
        _aware(at, "at")
        if case_days <= 0:
            raise CaseError("case_days must be > 0")
        entry = CaseAudit(
            CaseAction.OPEN,
            actor,
            at,
            f"referred ({grounds.value}); owner: {owner_why}",
            None,
            CaseState.OPENED,
            owner,
        )
        return cls(
            referral_key=_text(referral_key, "referral_key"),
            firm_code=_text(firm_code, "firm_code"),
            recall_id=_text(recall_id, "recall_id"),
            grounds=grounds,
            evidence=tuple(evidence),
            owner=owner,
            deadline=at + timedelta(days=case_days),
            case_days=case_days,
            state=CaseState.OPENED,
            audit=(entry,),
        )

    def assign(self, assignee: str, *, actor: str, at: datetime, reason: str) -> ReferralCase:
        """Name the handler (officer or team) at the owning administration: under investigation."""
        self._require(CaseAction.ASSIGN)
        who = _text(assignee, "assignee")
        entry = self._entry(CaseAction.ASSIGN, actor, at, reason, CaseState.ASSIGNED)
        return replace(self, state=CaseState.ASSIGNED, assignee=who, audit=(*self.audit, entry))

    def rectified(self, *, actor: str, at: datetime, reason: str) -> ReferralCase:
        """The firm put things right (整改到位): reports resumed, recall carried out."""
        return self._conclude(CaseOutcome.RECTIFIED, CaseAction.RECTIFIED, actor, at, reason, None)

    def penalise(self, penalty: Penalty, *, actor: str, at: datetime, reason: str) -> ReferralCase:
        """An administrative penalty was decided (行政处罚)."""
        return self._conclude(
            CaseOutcome.PENALISED, CaseAction.PENALISE, actor, at, reason, penalty
        )

    def close(self, *, actor: str, at: datetime, reason: str) -> ReferralCase:
        """Closed without action (不予处罚 / 撤案); the reason is required and kept."""
        return self._conclude(
            CaseOutcome.CLOSED_WITHOUT_ACTION, CaseAction.CLOSE, actor, at, reason, None
        )

    def escalate_if_overdue(self, now: datetime) -> ReferralCase:
        """One tier up when the deadline passed with no outcome; `self` (the same object)
        otherwise — before the deadline, once closed, or at the province.

        The escalated case has a new deadline (`now + case_days`), so a timer that runs again
        at the same moment finds it not overdue and escalates it only once.
        """
        if not self.is_overdue(now) or CaseAction.ESCALATE not in self.allowed_actions():
            return self
        up = jurisdiction.parent(self.owner)
        assert up is not None  # allowed_actions excludes escalate at the province
        reason = (
            f"no outcome by the deadline {self.deadline.isoformat()}: escalated from"
            f" {self.owner} ({self.tier.value}) to {up} ({jurisdiction.level(up).value})"
        )
        entry = CaseAudit(
            CaseAction.ESCALATE, SYSTEM_ACTOR, now, reason, self.state, CaseState.OPENED, up
        )
        return replace(
            self,
            owner=up,
            state=CaseState.OPENED,
            assignee=None,
            deadline=now + timedelta(days=self.case_days),
            audit=(*self.audit, entry),
        )

    # --- helpers ----------------------------------------------------------------------

    def _conclude(
        self,
        outcome: CaseOutcome,
        action: CaseAction,
        actor: str,
        at: datetime,
        reason: str,
        penalty: Penalty | None,
    ) -> ReferralCase:
        self._require(action)
        why = _text(reason, "reason")
        to = _OUTCOME_STATE[outcome]
        entry = self._entry(action, actor, at, why, to)
        return replace(
            self,
            state=to,
            outcome_reason=why,
            penalty=penalty,
            audit=(*self.audit, entry),
        )

    def _require(self, action: CaseAction) -> None:
        allowed = self.allowed_actions()
        if action not in allowed:
            raise IllegalCaseTransition(
                self.case_id, self.state, action.value, tuple(a.value for a in allowed)
            )

    def _entry(
        self, action: CaseAction, actor: str, at: datetime, reason: str, to: CaseState
    ) -> CaseAudit:
        return CaseAudit(
            action,
            _text(actor, "actor"),
            _aware(at, "at"),
            _text(reason, "reason"),
            self.state,
            to,
            self.owner,
        )
