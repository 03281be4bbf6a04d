"""What lead triage needs from storage: the leads, and the investigations in the same
transaction (accepting a lead opens an investigation, merging attaches to one — the lead's
decision and the investigation's change commit together or not at all).

`recall.adapters.db.lead_store` implements it with SQL.
"""

from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from recall.domain.leads import Lead, LeadState
from recall.service.ports import UnitOfWork


class LeadDecidedMeanwhileError(RuntimeError):
    """Another regulator decided the lead first; nothing was saved (the message is its id)."""


@dataclass(frozen=True, slots=True)
class MediaReport:
    """An accepted `injury_report` event from a newsroom (a station of kind `media`) that is
    not a lead yet: `payload` is the report as the intake validated it."""

    event_id: str
    jurisdiction: str
    received_at: datetime
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MediaRefusal:
    """A newsroom report that could not become a lead: the import reads it no more."""

    event_id: str
    reason: str
    refused_at: datetime


class LeadRepository(Protocol):
    def get(self, lead_id: str) -> Lead | None:
        """The lead with this id, or None."""

    def add(self, lead: Lead) -> bool:
        """Store a new lead; False (and nothing changed) when its id is already stored."""

    def decide(self, lead: Lead) -> None:
        """Store the decision of a pending lead; `LeadDecidedMeanwhileError` if it is no
        longer pending."""

    def unrecorded_media_reports(self, limit: int) -> list[MediaReport]:
        """Newsroom injury reports in the record with neither a lead (the reference of a
        media lead made from a report is its event id) nor a refusal, oldest received first."""

    def refuse_media_report(self, refusal: MediaRefusal) -> None:
        """Record that this report cannot become a lead (once: a second refusal is ignored)."""

    def media_refusals(self, limit: int) -> list[MediaRefusal]:
        """The refused newsroom reports, newest refusal first."""

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
