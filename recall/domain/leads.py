"""Lead triage (信息处置): newsroom reports and consumer complaints waiting for a regulator.

Why a triage queue and not automatic opening: a newspaper article or a 12315 complaint is a
claim nobody has weighed yet. The risk model opens investigations from measured evidence; a
lead needs a person to decide, and the decision has legal weight, so it is recorded with who,
when and why, exactly once.

States (a lead is decided once; every decision is final)::

    pending ──accept──▶ accepted    opened a new investigation with the lead as first evidence
            ──merge───▶ merged      attached as evidence to an existing open investigation
            ──dismiss─▶ dismissed   with a reason (duplicate, not a product defect, no grounds…)

Identity: a lead is named by its source and the channel's own reference (the 12315 ticket
number, the newsroom's article id), `lead_id_for`, so recording the same complaint twice — a
retried request, a replayed stream — stores one lead.

Exception tree::

    DomainError
    └── LeadError
        ├── LeadInputError             a value breaks a rule (empty reason, naive time…)
        └── IllegalLeadTransition      the lead was already decided
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from recall.domain import jurisdiction as jur
from recall.domain.errors import DomainError
from recall.domain.investigations.model import (
    HAZARDS,
    PRODUCT_CATEGORIES,
    Evidence,
    EvidenceKind,
)

__all__ = [
    "LEAD_NAMESPACE",
    "IllegalLeadTransition",
    "Lead",
    "LeadAction",
    "LeadError",
    "LeadInputError",
    "LeadSource",
    "LeadState",
    "lead_id_for",
]

LEAD_NAMESPACE = uuid.UUID("6f1d3c2e-8a4b-5c7d-9e0f-14a2b3c4d5e6")


class LeadError(DomainError):
    """Base of every refusal raised by lead triage."""


class LeadInputError(LeadError, ValueError):
    """A value breaks a rule; the message names the field."""


class LeadSource(StrEnum):
    """Where a triaged lead comes from (the statistics count them under the same names)."""

    MEDIA = "media"  # a newsroom's report (媒体报道)
    COMPLAINT = "complaint"  # a consumer complaint, e.g. 12315 (消费者投诉)


class LeadState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    MERGED = "merged"
    DISMISSED = "dismissed"


class LeadAction(StrEnum):
    ACCEPT = "accept"
    MERGE = "merge"
    DISMISS = "dismiss"


_ALLOWED: dict[LeadState, tuple[LeadAction, ...]] = {
    LeadState.PENDING: (LeadAction.ACCEPT, LeadAction.MERGE, LeadAction.DISMISS),
    LeadState.ACCEPTED: (),
    LeadState.MERGED: (),
    LeadState.DISMISSED: (),
}


class IllegalLeadTransition(LeadError):  # noqa: N818 - parallel to IllegalInvestigationTransition
    """The lead was already decided; carries its state and decision for the message."""

    def __init__(self, lead: Lead, action: LeadAction) -> None:
        self.lead_id = lead.lead_id
        self.state = lead.state
        self.action = action
        by = f" by {lead.decided_by} at {lead.decided_at:%Y-%m-%d %H:%M}" if lead.decided_at else ""
        target = f" (investigation {lead.investigation_id})" if lead.investigation_id else ""
        super().__init__(
            f"cannot {action} lead {lead.lead_id}: it was already {lead.state}{by}{target};"
            " a triage decision is final"
        )


def _text(value: str | None, field: str, limit: int) -> str:
    if value is None or not value.strip():
        raise LeadInputError(f"{field} must be non-empty text")
    if len(value.strip()) > limit:
        raise LeadInputError(f"{field} is longer than {limit} characters")
    return value.strip()


def _aware(at: datetime, field: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise LeadInputError(f"{field} must be a timezone-aware datetime, got {at!r}")


def lead_id_for(source: LeadSource | str, reference: str) -> str:
    """UUIDv5 of (source, the channel's reference): one lead per complaint or article."""
    return str(uuid.uuid5(LEAD_NAMESPACE, f"{LeadSource(source).value}\x1f{reference.strip()}"))


@dataclass(frozen=True, slots=True)
class Lead:
    """One lead and its triage decision (build it with `Lead.record`)."""

    lead_id: str
    source: LeadSource
    reference: str
    jurisdiction: str
    product_key: str
    hazard: str
    category: str
    summary: str
    received_at: datetime
    recorded_by: str
    recorded_at: datetime
    state: LeadState = LeadState.PENDING
    investigation_id: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", LeadSource(self.source))
        object.__setattr__(self, "state", LeadState(self.state))
        if self.lead_id != lead_id_for(self.source, self.reference):
            raise LeadInputError("lead_id does not match its source and reference")
        jur.validate(self.jurisdiction)
        if self.hazard not in HAZARDS:
            raise LeadInputError(f"hazard {self.hazard!r} is not a hazard code")
        if self.category not in PRODUCT_CATEGORIES:
            raise LeadInputError(f"category {self.category!r} is not a category code")
        _text(self.summary, "summary", 2000)
        _aware(self.received_at, "received_at")
        _aware(self.recorded_at, "recorded_at")
        decided = self.state is not LeadState.PENDING
        if decided != (self.decided_by is not None and self.decided_at is not None):
            raise LeadInputError(f"state {self.state} and the decision fields disagree")
        linked = self.state in (LeadState.ACCEPTED, LeadState.MERGED)
        if linked != (self.investigation_id is not None):
            raise LeadInputError(f"state {self.state} and investigation_id disagree")

    @classmethod
    def record(
        cls,
        *,
        source: LeadSource | str,
        reference: str,
        jurisdiction: str,
        product_key: str,
        hazard: str,
        category: str,
        summary: str,
        received_at: datetime,
        actor: str,
        at: datetime,
    ) -> Lead:
        """A new pending lead; `actor` (who recorded it) and `at` (when) are kept."""
        ref = _text(reference, "reference", 120)
        return cls(
            lead_id=lead_id_for(source, ref),
            source=LeadSource(source),
            reference=ref,
            jurisdiction=jurisdiction,
            product_key=_text(product_key, "product_key", 512),
            hazard=hazard,
            category=category,
            summary=_text(summary, "summary", 2000),
            received_at=received_at,
            recorded_by=_text(actor, "actor", 120),
            recorded_at=at,
        )

    def allowed_actions(self) -> tuple[LeadAction, ...]:
        return _ALLOWED[self.state]

    def require(self, action: LeadAction) -> None:
        """Raise `IllegalLeadTransition` unless `action` is allowed now."""
        if action not in self.allowed_actions():
            raise IllegalLeadTransition(self, action)

    def accept(self, investigation_id: str, *, actor: str, at: datetime, reason: str) -> Lead:
        """Opened `investigation_id` with this lead as its first evidence."""
        return self._decide(
            LeadAction.ACCEPT, LeadState.ACCEPTED, investigation_id, actor, at, reason
        )

    def merge(self, investigation_id: str, *, actor: str, at: datetime, reason: str) -> Lead:
        """Attached as evidence to the open investigation `investigation_id`."""
        return self._decide(LeadAction.MERGE, LeadState.MERGED, investigation_id, actor, at, reason)

    def dismiss(self, *, actor: str, at: datetime, reason: str) -> Lead:
        """Closed without an investigation; the reason is required (it is the record)."""
        return self._decide(LeadAction.DISMISS, LeadState.DISMISSED, None, actor, at, reason)

    def as_evidence(self) -> Evidence:
        """The lead as investigation evidence (kind manual; the id is the lead id, so merging
        the same lead twice attaches it once)."""
        label = "媒体报道 / media report" if self.source is LeadSource.MEDIA else "投诉 / complaint"
        return Evidence(
            evidence_id=self.lead_id,
            kind=EvidenceKind.MANUAL,
            summary=f"{label} {self.reference}: {self.summary}"[:2000],
            occurred_at=self.received_at,
            method=f"lead_{self.source.value}",
        )

    def _decide(
        self,
        action: LeadAction,
        to: LeadState,
        investigation_id: str | None,
        actor: str,
        at: datetime,
        reason: str,
    ) -> Lead:
        self.require(action)
        _aware(at, "at")
        return replace(
            self,
            state=to,
            investigation_id=investigation_id,
            decided_by=_text(actor, "actor", 120),
            decided_at=at,
            reason=_text(reason, "reason", 2000),
        )
