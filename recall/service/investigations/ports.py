"""What the investigation stage needs from storage, declared here and implemented by adapters.

`recall.adapters.db.investigation_store.SqlInvestigationRepository` implements it with SQL;
`tests/support/fakes/investigations.py` in memory, for the services' unit tests.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from recall.domain.experts import Expert
from recall.domain.investigations import Decision, Investigation, InvestigationState


class ConcurrentUpdateError(RuntimeError):
    """Someone else changed the investigation first; reload and try again.

    Raised by `InvestigationRepository.save` when the stored version is not the one the
    caller loaded: a person's `conclude` and the agent's `attach_evidence` can never
    overwrite each other. The message is the investigation id.
    """


@dataclass(frozen=True, slots=True)
class InvestigationSummary:
    """One line of a listing: the head of an investigation, without evidence or audit."""

    investigation_id: str
    product_key: str
    hazard: str
    state: InvestigationState
    decision: Decision | None
    jurisdiction: str | None
    expert_ids: tuple[str, ...]
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PanelRecord:
    """One panel decision as audited (table `expert_panels`): who chose it, when, by which rule,
    the firm's home, the fallback if any, and every expert considered with why.

    `composition` is ``{"chosen": [{"expert_id", "why"}], "passed_over": [...],
    "excluded": [{"expert_id", "reasons": [...]}]}``; `position` is the audit entry of the
    assignment, so a panel record and its `assign` entry name each other.
    """

    investigation_id: str
    position: int
    at: datetime
    actor: str
    rule: str
    home: str | None
    fallback: str | None
    composition: dict[str, list[dict[str, object]]]


class InvestigationRepository(Protocol):
    """Investigations and the expert registry, as seen by one transaction.

    Investigations are append-only aggregates (evidence and audit only grow); their version is
    the length of their audit trail, which is what `save` checks.
    """

    def get(self, investigation_id: str) -> Investigation | None:
        """The investigation with this id, or None."""

    def latest_for(self, product_key: str, hazard: str) -> Investigation | None:
        """The investigation of this product and hazard with the highest seq, or None."""

    def save(
        self,
        investigation: Investigation,
        *,
        previous_version: int | None,
        trigger_sent_at: datetime | None = None,
    ) -> None:
        """Insert (`previous_version` None) or update the investigation.

        `previous_version` is the audit length when it was loaded; `ConcurrentUpdateError`
        if the stored one differs (or, for an insert, if the id is already stored).
        `trigger_sent_at` is when the station sent the event behind the opening signal
        (kept on insert, for the end-to-end latency figures).
        """

    def summaries(
        self,
        *,
        jurisdiction_prefix: str | None,
        states: Collection[InvestigationState],
        limit: int,
    ) -> list[InvestigationSummary]:
        """Heads, most recently changed first; `jurisdiction_prefix` and `states` filter
        (None and empty: no filter)."""

    def experts(self) -> list[Expert]:
        """The expert registry, each with load 0 (the service counts the load)."""

    def open_panels(self) -> dict[str, tuple[str, ...]]:
        """The expert ids of every open investigation (opened or assigned), by its id."""

    def manufacturer_home(self, credit_code: str) -> str | None:
        """The registered home jurisdiction of a manufacturer (None: not in the registry)."""

    def record_panel(self, record: PanelRecord) -> None:
        """Audit one panel decision (append-only)."""

    def panels(self, investigation_id: str) -> list[PanelRecord]:
        """The panel decisions of an investigation, oldest first."""
