"""Read-only questions about the triage queue, for the CLI and the API."""

from __future__ import annotations

from collections.abc import Collection

from recall.domain.jurisdiction import significant_prefix
from recall.domain.leads import Lead, LeadState
from recall.service.leads.commands import LeadNotFoundError
from recall.service.leads.ports import LeadStorage, MediaRefusal

__all__ = ["get_lead", "list_leads", "media_refusals"]


def get_lead(storage: LeadStorage, lead_id: str) -> Lead:
    """The lead (`LeadNotFoundError` when there is none)."""
    with storage.transaction() as tx:
        found = tx.leads.get(lead_id)
    if found is None:
        raise LeadNotFoundError(f"no lead {lead_id!r}")
    return found


def list_leads(
    storage: LeadStorage,
    *,
    scope: str | None,
    states: Collection[LeadState] = (),
    limit: int = 200,
) -> list[Lead]:
    """Leads newest first; `scope` (a GB/T 2260 code) covers its sub-areas."""
    prefix = significant_prefix(scope) if scope else None
    with storage.transaction() as tx:
        return tx.leads.listing(scope_prefix=prefix, states=frozenset(states), limit=limit)


def media_refusals(storage: LeadStorage, *, limit: int = 200) -> list[MediaRefusal]:
    """Newsroom reports the import could not turn into leads, newest refusal first."""
    with storage.transaction() as tx:
        return tx.leads.media_refusals(limit)
