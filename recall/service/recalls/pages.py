"""Pages of the recall register as a principal may read it (the regulator API).

A regulator's register is cut by its region in SQL, a firm's by its manufacturer credit
code (the first part of the product key), so pages are full and cursors meaningful.
`scope_of` is the one translation from a principal to that filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from recall.domain.access import Principal, Role, Scoped, region_prefix
from recall.domain.jurisdiction import significant_prefix
from recall.domain.recalls import OVERALL, RecallState, next_report_due
from recall.service.paging import Page, PageRequest
from recall.service.ports import Storage
from recall.service.recalls.lookup import require
from recall.service.recalls.ports import RecallHead

SORTS = ("updated_at", "start")


@dataclass(frozen=True, slots=True)
class RecallFilter:
    """The principal's scope (`scope_prefix`, `manufacturer_code`) and the reader's filters."""

    scope_prefix: str | None = None
    manufacturer_code: str | None = None
    states: frozenset[RecallState] = frozenset()
    category: str | None = None
    region_prefix: str | None = None
    verdicts: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class RecallListing:
    """What the store returns per recall: its register head, product and start, the last
    report's number (0: none yet) and the reporting cadence."""

    head: RecallHead
    product_key: str
    start: datetime
    last_sequence: int = 0
    cadence_days: int = 30


@dataclass(frozen=True, slots=True)
class RecallItem:
    """One line of the register, with the last published rates and forecast."""

    recall_id: str
    kind: str
    state: RecallState
    verdict: str | None
    jurisdiction: str
    category: str
    product_key: str
    manufacturer_code: str | None
    start: datetime
    target_rate: float
    raw_rate: float | None
    adjusted_rate: float | None
    forecast: tuple[float, float, float] | None  # final, low80, high80
    updated_at: datetime
    next_report_due: datetime | None = None  # None: a finished recall owes no more reports
    report_overdue: bool = False


EXPECTING_REPORTS = frozenset({RecallState.ANNOUNCED, RecallState.IN_PROGRESS, RecallState.LAGGING})
"""The states in which a recall owes progress reports (the deadline check's `active`)."""


class RecallPages(Protocol):
    def recall_page(self, where: RecallFilter, request: PageRequest) -> Page[RecallListing]:
        """Recalls matching `where` in the requested order, after `request.after`."""
        ...


def scope_of(principal: Principal) -> RecallFilter | None:
    """The filter that keeps a principal's register inside its scope; None: its role has none."""
    if principal.role is Role.REGULATOR:
        return RecallFilter(scope_prefix=region_prefix(principal))
    if principal.role is Role.FIRM:
        return RecallFilter(manufacturer_code=principal.manufacturer_code)
    return None


def manufacturer_of(product_key: str) -> str | None:
    """The credit code a product key starts with (None for 'unknown')."""
    code = product_key.split("/", 1)[0]
    return None if code == "unknown" else code


def scoped(jurisdiction: str, product_key: str) -> Scoped:
    """What scopes a recall: its region, and the manufacturer that recalls."""
    return Scoped(region=jurisdiction, manufacturer_code=manufacturer_of(product_key))


def narrowed(
    scope: RecallFilter,
    *,
    states: frozenset[RecallState],
    category: str | None,
    region: str | None,
    verdicts: frozenset[str] = frozenset(),
) -> RecallFilter:
    """The scope with the reader's filters; `region` is a GB/T 2260 code and covers its area."""
    return RecallFilter(
        scope_prefix=scope.scope_prefix,
        manufacturer_code=scope.manufacturer_code,
        states=states,
        category=category,
        region_prefix=significant_prefix(region) if region else None,
        verdicts=verdicts,
    )


def recall_page(
    pages: RecallPages, where: RecallFilter, request: PageRequest, *, now: datetime
) -> Page[RecallItem]:
    """One page of the register as of `now`; the sort must be one of `SORTS`."""
    if request.sort not in SORTS:
        raise ValueError(f"recalls sort by {SORTS}, not {request.sort!r}")
    page = pages.recall_page(where, request)
    return Page([_item(listing, now) for listing in page.items], page.next_after)


def _item(listing: RecallListing, now: datetime) -> RecallItem:
    """The line with its next report: due after the last one received (a gap in the numbers
    is the dossier's to show), overdue once `now` is past it."""
    head = listing.head
    due = None
    if head.state in EXPECTING_REPORTS:
        due = next_report_due(listing.start, listing.cadence_days, listing.last_sequence)
    published = head.effectiveness
    overall = published.rates.get(OVERALL) if published else None
    forecast = published.forecast if published else None
    return RecallItem(
        recall_id=head.recall_id,
        kind=head.kind,
        state=head.state,
        verdict=head.verdict,
        jurisdiction=head.jurisdiction,
        category=head.category,
        product_key=listing.product_key,
        manufacturer_code=manufacturer_of(listing.product_key),
        start=listing.start,
        target_rate=head.target_rate,
        raw_rate=overall.raw_rate if overall else None,
        adjusted_rate=overall.adjusted_rate if overall else None,
        forecast=(forecast.final_rate, forecast.low80, forecast.high80) if forecast else None,
        updated_at=head.updated_at,
        next_report_due=due,
        report_overdue=due is not None and now > due,
    )


def scope_of_recall(storage: Storage, recall_id: str) -> Scoped:
    """What scopes a stored recall (`RecallNotFoundError` if there is none)."""
    with storage.transaction() as tx:
        loaded = require(tx.recalls, recall_id)
    return scoped(loaded.jurisdiction, loaded.spec.product_key)
