"""Values of the defect-investigation domain: codes, evidence, audit entries, conclusions.

Why values are frozen: an investigation is a legal record. Evidence, audit entries and the
conclusion must never change after they are recorded, only be added to; freezing them makes that a
property of the types instead of a convention.

Exception tree::

    DomainError
    └── InvestigationError
        ├── InvestigationInputError      a value breaks a rule (empty reason, naive datetime...)
        └── IllegalInvestigationTransition an action is not allowed in the current state
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from recall.domain.errors import DomainError
from recall.domain.vocabulary import RiskLevel

HAZARDS = frozenset(
    {
        "mechanical", "cuts", "electric_shock", "fire", "burns", "choking", "suffocation",
        "strangulation", "chemical", "entrapment", "drowning", "damage_to_sight",
        "damage_to_hearing", "microbiological", "other",
    }
)  # fmt: skip
"""Shared hazard codes (conventions); the same strings travel on the wire."""

PRODUCT_CATEGORIES = frozenset(
    {
        "children", "appliances", "electronics", "textiles", "furniture", "vehicles", "sports",
        "kitchenware", "lighting", "personal_care",
    }
)  # fmt: skip
"""The ten product categories of the consumer-product taxonomy."""


class InvestigationError(DomainError):
    """Base of every refusal raised by the investigation domain."""


class InvestigationInputError(InvestigationError, ValueError):
    """A value given to the domain breaks a rule; the message names the field and the rule."""


class IllegalInvestigationTransition(InvestigationError):  # noqa: N818 - name fixed by issue 3
    """An action is not allowed in the investigation's current state.

    Carries the state and the allowed actions so the CLI/API can tell the user what *is* possible.
    """

    def __init__(
        self, investigation_id: str, state: str, action: str, allowed: tuple[str, ...], hint: str
    ) -> None:
        self.investigation_id = investigation_id
        self.state = state
        self.action = action
        self.allowed = allowed
        listed = ", ".join(allowed) if allowed else "none"
        message = (
            f"cannot {action} investigation {investigation_id}: it is {state}; "
            f"allowed actions: {listed}"
        )
        super().__init__(f"{message} ({hint})" if hint else message)


class InvestigationState(StrEnum):
    """Lifecycle position; `concluded` is refined by the `Decision` on the conclusion."""

    OPENED = "opened"
    ASSIGNED = "assigned"
    CONCLUDED = "concluded"
    RECALL_REQUESTED = "recall_requested"


class Decision(StrEnum):
    """Outcome of an investigation."""

    DEFECT_CONFIRMED = "defect_confirmed"
    NO_DEFECT = "no_defect"


class EvidenceKind(StrEnum):
    """Where a piece of evidence comes from."""

    SIGNAL = "signal"
    SAMPLING_FAILURE = "sampling_failure"
    INJURY_CLUSTER = "injury_cluster"
    MANUAL = "manual"


class Action(StrEnum):
    """Everything that can happen to an investigation; each one leaves an audit entry."""

    OPEN = "open"
    ATTACH_EVIDENCE = "attach_evidence"
    ASSIGN = "assign"
    CONCLUDE = "conclude"
    REQUEST_RECALL = "request_recall"


def require_text(value: str | None, field: str) -> str:
    """Return `value` stripped; refuse missing or blank text (a record needs its 'why')."""
    if value is None or not value.strip():
        raise InvestigationInputError(f"{field} must be non-empty text")
    return value.strip()


def require_aware(at: datetime, field: str) -> None:
    """Refuse naive datetimes: stations, brokers and regulators sit in different time zones."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvestigationInputError(f"{field} must be a timezone-aware datetime, got {at!r}")


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason for concern attached to an investigation.

    `evidence_id` is the idempotency key (the signal id, sampling id or injury report id): the
    stream layer is at-least-once, so the same evidence may arrive twice and must count once.
    The statistical fields mirror a Signal's explanation so the investigator sees *why*.
    """

    evidence_id: str
    kind: EvidenceKind
    summary: str
    occurred_at: datetime
    risk_level: RiskLevel | None = None
    observed: float | None = None
    expected: float | None = None
    statistic: float | None = None
    threshold: float | None = None
    method: str | None = None
    window: str | None = None

    def __post_init__(self) -> None:
        require_text(self.evidence_id, "evidence_id")
        require_text(self.summary, "summary")
        require_aware(self.occurred_at, "occurred_at")
        for name in ("observed", "expected", "statistic", "threshold"):
            number = getattr(self, name)
            if number is not None and not math.isfinite(number):
                raise InvestigationInputError(f"evidence {name} must be finite, got {number!r}")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """Who did what, when and why; `from_state` is None only for the opening entry."""

    action: Action
    actor: str
    at: datetime
    reason: str
    from_state: InvestigationState | None
    to_state: InvestigationState

    def __post_init__(self) -> None:
        require_text(self.actor, "actor")
        require_text(self.reason, "reason")
        require_aware(self.at, "at")


@dataclass(frozen=True, slots=True)
class Conclusion:
    """The decision and its grounds.

    A confirmed defect must say how risky (risk level) and what the danger is (hazard
    description): those two facts drive the recall's urgency and its consumer notice. A
    no-defect decision carries neither, so "no defect" can never be read as "low risk defect".
    """

    decision: Decision
    reason: str
    risk_level: RiskLevel | None = None
    hazard_description: str | None = None

    def __post_init__(self) -> None:
        # Accept the wire strings too: a str that equals an enum value must not be misread
        # by the identity checks below.
        object.__setattr__(self, "decision", Decision(self.decision))
        if self.risk_level is not None:
            object.__setattr__(self, "risk_level", RiskLevel(self.risk_level))
        require_text(self.reason, "reason")
        if self.decision is Decision.DEFECT_CONFIRMED:
            if self.risk_level is None:
                raise InvestigationInputError("defect_confirmed needs a risk_level")
            require_text(self.hazard_description, "hazard_description")
        elif self.risk_level is not None or self.hazard_description is not None:
            raise InvestigationInputError("no_defect takes no risk_level or hazard_description")
