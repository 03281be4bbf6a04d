"""The Investigation aggregate: opened -> assigned -> concluded -> recall_requested.

Why an immutable aggregate: every operation returns a *new* Investigation (or the same object when
nothing changed), so a stream agent can compare before/after to decide whether to emit, a failed
rule leaves the previous state untouched, and persistence is "write the new value" with no
hidden mutation. Each operation appends exactly one `AuditEntry`, so the audit tuple is the
complete, ordered history (who, when, why, from which state to which).

Allowed actions per position (``concluded`` is split by decision)::

    opened                     attach_evidence, assign
    assigned                   attach_evidence, assign (re-assign), conclude
    concluded/defect_confirmed request_recall
    concluded/no_defect        (none: new serious evidence opens investigation seq + 1)
    recall_requested           (none: the recall domain takes over)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from recall.domain import jurisdiction
from recall.domain.investigations.identity import investigation_id_for, manufacturer_of
from recall.domain.investigations.model import (
    PRODUCT_CATEGORIES,
    Action,
    AuditEntry,
    Conclusion,
    Decision,
    Evidence,
    IllegalInvestigationTransition,
    InvestigationInputError,
    InvestigationState,
    require_text,
)
from recall.domain.vocabulary import RiskLevel

_OPEN_STATES = (InvestigationState.OPENED, InvestigationState.ASSIGNED)
_ALLOWED: dict[tuple[InvestigationState, Decision | None], tuple[Action, ...]] = {
    (InvestigationState.OPENED, None): (Action.ATTACH_EVIDENCE, Action.ASSIGN),
    (InvestigationState.ASSIGNED, None): (Action.ATTACH_EVIDENCE, Action.ASSIGN, Action.CONCLUDE),
    (InvestigationState.CONCLUDED, Decision.DEFECT_CONFIRMED): (Action.REQUEST_RECALL,),
    (InvestigationState.CONCLUDED, Decision.NO_DEFECT): (),
    (InvestigationState.RECALL_REQUESTED, Decision.DEFECT_CONFIRMED): (),
}
_HINTS: dict[tuple[InvestigationState, Decision | None], str] = {
    (InvestigationState.CONCLUDED, Decision.NO_DEFECT): (
        "closed with no_defect; new serious evidence opens a new investigation with the next seq"
    ),
    (InvestigationState.RECALL_REQUESTED, Decision.DEFECT_CONFIRMED): (
        "recall already requested; follow it up in the recall domain"
    ),
}


@dataclass(frozen=True, slots=True)
class Investigation:
    """One defect investigation of one hazard of one product; build it with `open`."""

    product_key: str
    hazard: str
    seq: int
    category: str
    jurisdiction: str | None
    state: InvestigationState
    evidence: tuple[Evidence, ...]
    audit: tuple[AuditEntry, ...]
    expert_ids: tuple[str, ...] = ()
    conclusion: Conclusion | None = None

    def __post_init__(self) -> None:
        """Check invariants, so a value rebuilt from storage is as trustworthy as a new one."""
        investigation_id_for(self.product_key, self.hazard, self.seq)  # validates the key
        if self.category not in PRODUCT_CATEGORIES:
            raise InvestigationInputError(f"category {self.category!r} is not a category code")
        if self.jurisdiction is not None:
            jurisdiction.validate(self.jurisdiction)
        if not self.evidence or not self.audit:
            raise InvestigationInputError("an investigation needs evidence and an audit trail")
        if len({e.evidence_id for e in self.evidence}) != len(self.evidence):
            raise InvestigationInputError("evidence ids must be unique")
        if (self.state in _OPEN_STATES) != (self.conclusion is None):
            raise InvestigationInputError(f"state {self.state} and conclusion disagree")
        if (self.state is InvestigationState.OPENED) != (not self.expert_ids):
            raise InvestigationInputError(f"state {self.state} and expert_ids disagree")
        if (self.state, self.decision) not in _ALLOWED:
            raise InvestigationInputError(f"state {self.state} cannot have {self.decision}")

    # --- derived facts -------------------------------------------------------------------

    @property
    def investigation_id(self) -> str:
        """Deterministic id (see `investigation_id_for`)."""
        return investigation_id_for(self.product_key, self.hazard, self.seq)

    @property
    def previous_id(self) -> str | None:
        """Id of the earlier investigation of the same product and hazard, if any."""
        return (
            None
            if self.seq == 1
            else investigation_id_for(self.product_key, self.hazard, self.seq - 1)
        )

    @property
    def manufacturer_id(self) -> str | None:
        """USCC of the manufacturer under investigation (None when the product key says unknown)."""
        return manufacturer_of(self.product_key)

    @property
    def decision(self) -> Decision | None:
        return None if self.conclusion is None else self.conclusion.decision

    @property
    def is_open(self) -> bool:
        """Opened or assigned: still collecting evidence, no decision yet."""
        return self.state in _OPEN_STATES

    @property
    def opened_at(self) -> datetime:
        return self.audit[0].at

    @property
    def concluded_at(self) -> datetime | None:
        """When the decision was taken (None while open)."""
        stamps = [a.at for a in self.audit if a.action is Action.CONCLUDE]
        return stamps[-1] if stamps else None

    def has_evidence(self, evidence_id: str) -> bool:
        return any(e.evidence_id == evidence_id for e in self.evidence)

    def allowed_actions(self) -> tuple[Action, ...]:
        """What may happen next; shown by the CLI and named in every refusal."""
        return _ALLOWED[(self.state, self.decision)]

    # --- operations ----------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        product_key: str,
        hazard: str,
        seq: int,
        category: str,
        jurisdiction: str | None,
        evidence: Evidence,
        actor: str,
        at: datetime,
        reason: str,
    ) -> Investigation:
        """Open investigation `seq` of (product_key, hazard) from its first piece of evidence.

        Evidence is required: an investigation with nothing behind it could not be explained.
        Use `routing.next_seq` / `routing.route_evidence` to choose `seq`.
        """
        entry = AuditEntry(Action.OPEN, actor, at, reason, None, InvestigationState.OPENED)
        return cls(
            product_key=product_key,
            hazard=hazard,
            seq=seq,
            category=category,
            jurisdiction=jurisdiction,
            state=InvestigationState.OPENED,
            evidence=(evidence,),
            audit=(entry,),
        )

    def attach_evidence(self, evidence: Evidence, *, actor: str, at: datetime) -> Investigation:
        """Add evidence to an open investigation; the same evidence id twice changes nothing.

        Returns ``self`` (identical object) for a duplicate, so ``new is old`` tells the caller
        there is nothing to persist or emit. The audit reason is the evidence summary.
        """
        self._require(Action.ATTACH_EVIDENCE)
        if self.has_evidence(evidence.evidence_id):
            return self
        entry = self._entry(Action.ATTACH_EVIDENCE, actor, at, evidence.summary, self.state)
        return replace(self, evidence=(*self.evidence, evidence), audit=(*self.audit, entry))

    def assign(
        self, expert_ids: Sequence[str], *, actor: str, at: datetime, reason: str
    ) -> Investigation:
        """Assign (or re-assign) the expert panel; choose it with `experts.select_panel`."""
        self._require(Action.ASSIGN)
        panel = tuple(require_text(e, "expert id") for e in expert_ids)
        if not panel or len(set(panel)) != len(panel):
            raise InvestigationInputError(f"expert_ids must be non-empty and unique: {panel}")
        entry = self._entry(Action.ASSIGN, actor, at, reason, InvestigationState.ASSIGNED)
        return replace(
            self, state=InvestigationState.ASSIGNED, expert_ids=panel, audit=(*self.audit, entry)
        )

    def conclude(
        self,
        decision: Decision,
        *,
        actor: str,
        at: datetime,
        reason: str,
        risk_level: RiskLevel | None = None,
        hazard_description: str | None = None,
    ) -> Investigation:
        """Record the panel's decision; defect_confirmed needs risk_level and hazard_description."""
        self._require(Action.CONCLUDE)
        conclusion = Conclusion(decision, reason, risk_level, hazard_description)
        entry = self._entry(Action.CONCLUDE, actor, at, reason, InvestigationState.CONCLUDED)
        return replace(
            self,
            state=InvestigationState.CONCLUDED,
            conclusion=conclusion,
            audit=(*self.audit, entry),
        )

    def request_recall(self, *, actor: str, at: datetime, reason: str) -> Investigation:
        """Ask the manufacturer to recall; legal only after a confirmed defect."""
        self._require(Action.REQUEST_RECALL)
        entry = self._entry(
            Action.REQUEST_RECALL, actor, at, reason, InvestigationState.RECALL_REQUESTED
        )
        return replace(self, state=InvestigationState.RECALL_REQUESTED, audit=(*self.audit, entry))

    # --- helpers -------------------------------------------------------------------------

    def _require(self, action: Action) -> None:
        allowed = self.allowed_actions()
        if action in allowed:
            return
        position = (self.state, self.decision)
        label = f"{self.state} ({self.decision})" if self.decision else str(self.state)
        raise IllegalInvestigationTransition(
            self.investigation_id, label, action, tuple(allowed), _HINTS.get(position, "")
        )

    def _entry(
        self, action: Action, actor: str, at: datetime, reason: str, to: InvestigationState
    ) -> AuditEntry:
        return AuditEntry(action, actor, at, reason, self.state, to)
