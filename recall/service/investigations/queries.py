"""Read-only questions about investigations, for the CLI and the regulator API.

Both read through one short transaction and return domain values or summaries: no storage
row leaves the adapter.
"""

from __future__ import annotations

from collections.abc import Collection

from recall.domain.investigations import Investigation, InvestigationState
from recall.domain.jurisdiction import significant_prefix
from recall.service.investigations.ports import (
    InvestigationRepository,
    InvestigationSummary,
    PanelRecord,
)
from recall.service.ports import Storage

__all__ = [
    "InvestigationNotFoundError",
    "InvestigationSummary",
    "get_investigation",
    "list_investigations",
    "load",
    "panel_history",
]


class InvestigationNotFoundError(LookupError):
    """No investigation has this id."""


def get_investigation(storage: Storage, investigation_id: str) -> Investigation:
    """The whole investigation: head, evidence, audit trail (`InvestigationNotFoundError`)."""
    with storage.transaction() as tx:
        return load(tx.investigations, investigation_id)


def list_investigations(
    storage: Storage,
    *,
    scope: str | None = None,
    states: Collection[InvestigationState] = (),
    limit: int = 200,
) -> list[InvestigationSummary]:
    """Investigations, most recently changed first.

    `scope` is a jurisdiction code (GB/T 2260) and covers its sub-areas: a province its
    cities and counties, a city its counties. `states` keeps only those (empty: all).
    """
    prefix = significant_prefix(scope) if scope else None
    with storage.transaction() as tx:
        return tx.investigations.summaries(
            jurisdiction_prefix=prefix, states=frozenset(states), limit=limit
        )


def panel_history(storage: Storage, investigation_id: str) -> list[PanelRecord]:
    """The audited panel decisions of an investigation, oldest first."""
    with storage.transaction() as tx:
        return tx.investigations.panels(investigation_id)


def load(investigations: InvestigationRepository, investigation_id: str) -> Investigation:
    """The investigation with this id, or `InvestigationNotFoundError`."""
    found = investigations.get(investigation_id)
    if found is None:
        raise InvestigationNotFoundError(f"no investigation {investigation_id!r}")
    return found
