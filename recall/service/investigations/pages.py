"""Pages of the investigation list as a principal may read it (the regulator API's queue).

The scope is part of the query, never a filter applied afterwards: a regulator's list is cut
by its region's significant digits in SQL, an expert's by its id on the panel, so a page is
full and its cursor meaningful. `scope_of` is the one translation from a principal to that
filter; `recall.domain.access.can_see` answers the same question for one object.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from recall.domain.access import Principal, Role, Scoped, region_prefix
from recall.domain.investigations import Decision, InvestigationState
from recall.domain.jurisdiction import significant_prefix
from recall.service.paging import Page, PageRequest

SORTS = ("opened_at", "updated_at")


@dataclass(frozen=True, slots=True)
class InvestigationFilter:
    """What a page holds: the principal's scope (`scope_prefix`, `expert_id`) and the
    reader's filters (`states`, `hazard`, `category`, `region_prefix`); None: no filter."""

    scope_prefix: str | None = None
    expert_id: str | None = None
    states: frozenset[InvestigationState] = frozenset()
    hazard: str | None = None
    category: str | None = None
    region_prefix: str | None = None
    owner: str | None = None
    """Only what this administration owns (supervision tier); the scope still applies."""


@dataclass(frozen=True, slots=True)
class InvestigationItem:
    """One line of the list: the head of an investigation."""

    investigation_id: str
    product_key: str
    hazard: str
    category: str
    state: InvestigationState
    decision: Decision | None
    jurisdiction: str | None
    expert_ids: tuple[str, ...]
    opened_at: datetime
    updated_at: datetime
    owner: str | None = None
    """The owning administration (docs/tiers.md); None until placed."""


class InvestigationPages(Protocol):
    def investigation_page(
        self, where: InvestigationFilter, request: PageRequest
    ) -> Page[InvestigationItem]:
        """Items matching `where` in the requested order, after `request.after`."""
        ...


def scope_of(principal: Principal) -> InvestigationFilter | None:
    """The filter that keeps a principal's list inside its scope; None: its role lists none."""
    if principal.role is Role.REGULATOR:
        return InvestigationFilter(scope_prefix=region_prefix(principal))
    if principal.role is Role.EXPERT:
        return InvestigationFilter(expert_id=principal.expert_id)
    return None


def scoped(jurisdiction: str | None, expert_ids: tuple[str, ...]) -> Scoped:
    """What scopes an investigation: its region, and the experts on its panel."""
    return Scoped(region=jurisdiction, expert_ids=frozenset(expert_ids))


def narrowed(
    scope: InvestigationFilter,
    *,
    states: frozenset[InvestigationState],
    hazard: str | None,
    category: str | None,
    region: str | None,
    owner: str | None = None,
) -> InvestigationFilter:
    """The scope with the reader's filters; `region` is a GB/T 2260 code and covers its area,
    `owner` is exact: what that administration owns (a province's own queue, not its area's)."""
    return InvestigationFilter(
        scope_prefix=scope.scope_prefix,
        expert_id=scope.expert_id,
        states=states,
        hazard=hazard,
        category=category,
        region_prefix=significant_prefix(region) if region else None,
        owner=owner,
    )


def investigation_page(
    pages: InvestigationPages, where: InvestigationFilter, request: PageRequest
) -> Page[InvestigationItem]:
    """One page of the list; the sort must be one of `SORTS` (a programming error if not)."""
    if request.sort not in SORTS:
        raise ValueError(f"investigations sort by {SORTS}, not {request.sort!r}")
    return pages.investigation_page(where, request)
