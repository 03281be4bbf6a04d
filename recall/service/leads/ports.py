"""What lead triage needs from storage: the leads, and the investigations in the same
transaction (accepting a lead opens an investigation, merging attaches to one — the lead's
decision and the investigation's change commit together or not at all).

`recall.adapters.db.lead_store` implements it with SQL.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractContextManager
from typing import Protocol

from recall.domain.leads import Lead, LeadState
from recall.service.ports import UnitOfWork


class LeadDecidedMeanwhileError(RuntimeError):
    """Another regulator decided the lead first; nothing was saved (the message is its id)."""


class LeadRepository(Protocol):
    def get(self, lead_id: str) -> Lead | None:
        """The lead with this id, or None."""

    def add(self, lead: Lead) -> bool:
        """Store a new lead; False (and nothing changed) when its id is already stored."""

    def decide(self, lead: Lead) -> None:
        """Store the decision of a pending lead; `LeadDecidedMeanwhileError` if it is no
        longer pending."""

    def listing(
        self, *, scope_prefix: str | None, states: Collection[LeadState], limit: int
    ) -> list[Lead]:
        """Leads, newest received first, within the scope and states (empty: all)."""


class LeadUnitOfWork(UnitOfWork, Protocol):
    """Every repository of a unit of work, and the leads."""

    @property
    def leads(self) -> LeadRepository: ...


class LeadStorage(Protocol):
    def transaction(self) -> AbstractContextManager[LeadUnitOfWork]:
        """Commit on normal exit, roll everything back if the block raises."""
