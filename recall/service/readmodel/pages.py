"""Pages of the read model as a principal may read them (the regulator API).

What scopes each resource, in one place (the routes' docstrings and docs/api.md say the same):

- a score: the product's region as stored in `risk_scores.region` (its manufacturer's
  jurisdiction, else where its latest signal was raised) — regulators of that area; and the
  manufacturer whose credit code begins the product key — that firm, for its own products;
- a signal, an alert, a regional risk, a referral: their `jurisdiction` — regulators only
  (signals are leads under assessment: telling a firm before the regulator decides could
  compromise an investigation);
- a station: its registered `jurisdiction` — regulators; and the station itself.

Lists are cut in SQL by the same digits `recall.domain.access.can_see` compares, so pages are
full and cursors meaningful; a reader's `region` filter narrows the scope, never widens it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from recall.domain.access import Principal, Role, Scoped, region_prefix
from recall.domain.jurisdiction import significant_prefix
from recall.service.paging import Page, PageRequest, Position
from recall.service.readmodel.page_ports import (
    ProductView,
    ReadModelPages,
    RegionalRisk,
    RegionalRiskFilter,
    StationFilter,
    StationItem,
    StationRecord,
)
from recall.service.readmodel.ports import (
    AlertFilter,
    ReadModel,
    ScoreFilter,
    ScoreSort,
    ScoreView,
    SignalFilter,
    StationHealth,
)
from schemas.risk import Alert, AlertKind, SignalRaised

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Scope:
    """A principal's cut of one resource: a region prefix, an owner, or both absent (all)."""

    region_prefix: str | None = None
    manufacturer_code: str | None = None
    station_id: str | None = None


def owner_of(product_key: str) -> str | None:
    """The credit code a product key begins with ('<code>/…'); None without one."""
    code, slash, _ = product_key.partition("/")
    return code if slash and code != "unknown" else None


def score_scope(principal: Principal) -> Scope | None:
    """Regulators: their area; a firm: its own products; other roles: none (None)."""
    if principal.role is Role.REGULATOR:
        return Scope(region_prefix=region_prefix(principal))
    if principal.role is Role.FIRM:
        return Scope(manufacturer_code=principal.manufacturer_code)
    return None


def regional_scope(principal: Principal) -> Scope | None:
    """Signals, alerts, regional risk, referrals: regulators' area only."""
    if principal.role is Role.REGULATOR:
        return Scope(region_prefix=region_prefix(principal))
    return None


def station_scope(principal: Principal) -> Scope | None:
    """Regulators: the stations registered in their area; a station: itself."""
    if principal.role is Role.REGULATOR:
        return Scope(region_prefix=region_prefix(principal))
    if principal.role is Role.STATION:
        return Scope(station_id=principal.station_id)
    return None


def scored(region: str | None, product_key: str) -> Scoped:
    return Scoped(region=region, manufacturer_code=owner_of(product_key))


def regional(jurisdiction: str | None) -> Scoped:
    return Scoped(region=jurisdiction)


def station(jurisdiction: str | None, station_id: str) -> Scoped:
    return Scoped(region=jurisdiction, station_id=station_id)


def narrowest(scope: Scope, region: str | None) -> tuple[bool, str | None]:
    """(anything left?, prefix): the scope's prefix narrowed by a reader's region filter."""
    wanted = significant_prefix(region) if region else None
    mine = scope.region_prefix
    if wanted is None or (mine is not None and mine.startswith(wanted)):
        return True, mine
    if mine is None or wanted.startswith(mine):
        return True, wanted
    return False, None


def score_page(
    read_model: ReadModel,
    scope: Scope,
    request: PageRequest,
    *,
    region: str | None = None,
    risk_levels: Collection[str] = (),
    category: str | None = None,
) -> Page[ScoreView]:
    """Current scores; `request.after` is (sort value, product key)."""
    fits, prefix = narrowest(scope, region)
    if not fits:
        return Page([], None)
    sort = ScoreSort(request.sort)
    query = ScoreFilter(
        product_prefix=f"{scope.manufacturer_code}/" if scope.manufacturer_code else None,
        region_prefix=prefix,
        risk_levels=tuple(risk_levels),
        category=category,
        sort=sort,
        descending=request.descending,
        after=_after(request),
        limit=request.limit + 1,
    )

    def position(v: ScoreView) -> Position:
        return (v.score if sort is ScoreSort.SCORE else v.updated_at, v.product_key)

    return _page(read_model.scores(query), request.limit, position)


def signal_page(
    read_model: ReadModel, scope: Scope, request: PageRequest, where: SignalFilter
) -> Page[SignalRaised]:
    """Signals newest first; `where` holds the reader's filters (its region in `region_prefix`
    as a code, narrowed here by the scope)."""
    fits, prefix = narrowest(scope, where.region_prefix)
    if not fits:
        return Page([], None)
    query = replace(where, region_prefix=prefix, after=_after(request), limit=request.limit + 1)
    return _page(read_model.signals(query), request.limit, lambda s: (s.raised_at, s.signal_id))


def alert_page(
    read_model: ReadModel, scope: Scope, request: PageRequest, where: AlertFilter
) -> Page[Alert]:
    """Alerts newest first; `where.region_prefix` is the reader's region code."""
    fits, prefix = narrowest(scope, where.region_prefix)
    if not fits:
        return Page([], None)
    query = replace(where, region_prefix=prefix, after=_after(request), limit=request.limit + 1)
    return _page(read_model.alerts(query), request.limit, lambda a: (a.at, a.alert_id))


REFERRALS = (AlertKind.REFERRAL.value,)


def regional_risk_page(
    read_model: ReadModelPages, scope: Scope, request: PageRequest, where: RegionalRiskFilter
) -> Page[RegionalRisk]:
    """Category × city groups of regional signals, the most recently alerted first."""
    fits, prefix = narrowest(scope, where.region_prefix)
    if not fits:
        return Page([], None)
    at: tuple[datetime, str] | None = None
    if request.after is not None:
        moment, subject = request.after
        if not isinstance(moment, datetime) or not isinstance(subject, str):
            raise ValueError("a regional-risk position is (time, subject)")
        at = (moment, subject)
    query = replace(where, region_prefix=prefix, after=at, limit=request.limit + 1)
    rows = read_model.regional_risk(query)
    return _page(rows, request.limit, lambda g: (g.latest.at, f"{g.category}|{g.city}"))


def station_page(
    read_model: ReadModelPages,
    scope: Scope,
    request: PageRequest,
    *,
    region: str | None,
    since: datetime,
) -> Page[StationItem]:
    """Stations with their health since `since`; `request.after` is (station id,)."""
    fits, prefix = narrowest(scope, region)
    if not fits:
        return Page([], None)
    query = StationFilter(
        region_prefix=prefix,
        station_id=scope.station_id,
        descending=request.descending,
        after=str(request.after[0]) if request.after else None,
        limit=request.limit + 1,
    )
    page = _page(read_model.stations(query), request.limit, lambda s: (s.station_id,))
    health = read_model.stations_health([s.station_id for s in page.items], since)
    return Page([StationItem(s, health[s.station_id]) for s in page.items], page.next_after)


def _after(request: PageRequest) -> tuple[float | datetime, str] | None:
    if request.after is None:
        return None
    value, key = request.after
    if not isinstance(value, float | int | datetime) or not isinstance(key, str):
        raise ValueError("a read-model position is (value, key)")
    return (float(value) if not isinstance(value, datetime) else value, key)


def _page(rows: list[T], limit: int, position: Callable[[T], Position]) -> Page[T]:
    if len(rows) <= limit:
        return Page(rows, None)
    items = rows[:limit]
    return Page(items, position(items[-1]))


HISTORY_LIMIT = 500


def product_view(
    read_model: ReadModelPages, product_key: str, history_scope: Scope | None
) -> ProductView | None:
    """The product (None if nothing is known of it). Its region is its score's, else that of
    `ReadModel.product_facts` — the rule the projector gives a score. The history holds the
    latest `HISTORY_LIMIT` signals inside `history_scope` (none when it is None)."""
    found = read_model.scores(ScoreFilter(product_key=product_key, limit=1))
    score = found[0] if found else None
    registry = read_model.registry_facts(product_key)
    facts = read_model.product_facts({product_key}).get(product_key)
    if score is None and registry is None and facts is None:
        return None
    region = score.region if score else (facts.region if facts else None)
    history: list[SignalRaised] = []
    if history_scope is not None:
        where = SignalFilter(
            product_key=product_key, region_prefix=history_scope.region_prefix, limit=HISTORY_LIMIT
        )
        history = list(reversed(read_model.signals(where)))
    return ProductView(product_key, region, registry, score, history)


def station_view(
    read_model: ReadModelPages, station_id: str, since: datetime
) -> tuple[StationRecord | None, StationHealth]:
    """A station's registry record (None: not registered) and its health since `since`."""
    found = read_model.stations(StationFilter(station_id=station_id, limit=1))
    health = read_model.stations_health([station_id], since)[station_id]
    return (found[0] if found else None), health
