"""Stations (监测站点): who reports, when each was last heard from, what was refused.

Scope: a station's region is its registered `jurisdiction`; a regulator sees the stations of
its area with their health, a station account itself only (even before it is registered:
then without registry fields). Experts, firms and the public see none (403 on the list, 404
on an id). Health counts accepted events and dead letters by reason over `window_days`, and
says whether the station is silent or failing (`recall.domain.station_condition`: where the
`stations` stage has judged it, the verdict stored with its alerts, docs/station-health.md);
its traffic is the same counts per hour or day (`/stations/{id}/traffic`, scoped like the
station).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam

from recall.adapters.db.station_health import health_states
from recall.adapters.db.traffic import SqlTraffic
from recall.api import audit as api_audit
from recall.api import lists
from recall.api.deps import CurrentPrincipal
from recall.api.moments import QueryInstant
from recall.api.problems import PROBLEM_RESPONSES, ProblemError, not_found
from recall.api.read_model import ReadModelDep, page_body, page_request
from recall.api.regions import RegionFilter, checked_region
from recall.domain import station_condition, traffic
from recall.domain.access import can_see
from recall.domain.traffic import Width
from recall.service.paging import Page, PageRequest
from recall.service.readmodel import page_ports as ports
from recall.service.readmodel import pages as service
from recall.service.readmodel.ports import StationHealth
from recall.service.traffic import queries as traffic_queries
from schemas import api
from schemas.common import StationKind

router = APIRouter(prefix="/stations", tags=["stations 监测站点"], responses=PROBLEM_RESPONSES)
NOUN = "station"

WindowDays = Annotated[
    int, Query(ge=1, le=90, description="days of traffic the counts cover (1–90)")
]


class TrafficBucket(StrEnum):
    HOUR = "hour"
    DAY = "day"


Moment = Annotated[
    QueryInstant | None,
    Query(description="ISO-8601 (no offset: UTC); widened to whole hours or China days"),
]


class StationSort(StrEnum):
    ID = "station_id"
    ID_DESC = "-station_id"


COLUMNS = (
    lists.Column("station_id", "站点编号", "Station id"),
    lists.Column("name", "名称", "Name"),
    lists.Column("kind", "类型", "Kind"),
    lists.Column("jurisdiction", "辖区", "Jurisdiction"),
    lists.Column("enabled", "启用", "Enabled"),
    lists.Column("last_seen_at", "最后联系时间", "Last seen at"),
    lists.Column("last_accepted_at", "最后接收时间", "Last accepted at"),
    lists.Column("accepted", "接收数", "Accepted"),
    lists.Column("rejected", "退回数（按原因）", "Rejected by reason"),
    lists.Column("since", "统计起点", "Since"),
)


@router.get("", response_model=api.StationPage, responses=lists.EXPORTS)
def list_stations(
    request: Request,
    principal: CurrentPrincipal,
    read_model: ReadModelDep,
    region: RegionFilter = None,
    window_days: WindowDays = 7,
    sort: StationSort = StationSort.ID,
    cursor: lists.Cursor = None,
    limit: lists.Limit = lists.DEFAULT_LIMIT,
    export: lists.ExportFormat = lists.Format.JSON,
) -> Any:
    """Stations in the caller's scope with their health, by station id."""
    scope = service.station_scope(principal)
    if scope is None:
        raise api_audit.forbidden(request, "list stations", "regulators and stations")
    wanted = checked_region(region)
    since = _since(window_days)

    def fetch(page: PageRequest) -> Page[ports.StationItem]:
        return service.station_page(read_model, scope, page, region=wanted, since=since)

    def shown(items: list[ports.StationItem]) -> list[api.StationHealth]:
        judged = _judged(request, [i.health.station_id for i in items])
        return [
            _document(i.station, i.health, judged.get(i.health.station_id))
            for i in items
            if can_see(principal, service.station(i.station.jurisdiction, i.station.station_id))
        ]

    first = page_request(request, sort.value, cursor, limit, timed=False)
    if export is not lists.Format.JSON:
        documents = (shown(i) for i in lists.every_page(fetch, first))
        return lists.export_response(export, COLUMNS, documents, "stations")
    page = fetch(first)
    return page_body(request, page, sort.value, shown(page.items), timed=False)


@router.get("/{station_id}", response_model=api.StationHealth)
def show_station(
    request: Request,
    station_id: str,
    principal: CurrentPrincipal,
    read_model: ReadModelDep,
    window_days: WindowDays = 7,
) -> api.StationHealth:
    """One station's registry record and health over the window."""
    record, health = service.station_view(read_model, station_id, _since(window_days))
    if record is None and principal.station_id != station_id:
        raise not_found(NOUN, station_id)
    region = record.jurisdiction if record else None
    if not can_see(principal, service.station(region, station_id)):
        raise api_audit.hidden(request, NOUN, station_id)
    return _document(record, health, _judged(request, [station_id]).get(station_id))


@router.get("/{station_id}/traffic", response_model=api.StationTraffic)
def show_station_traffic(
    request: Request,
    station_id: Annotated[str, PathParam(max_length=64)],
    principal: CurrentPrincipal,
    read_model: ReadModelDep,
    bucket: TrafficBucket = TrafficBucket.HOUR,
    start: Annotated[Moment, Query(alias="from")] = None,
    end: Annotated[Moment, Query(alias="to")] = None,
) -> api.StationTraffic:
    """Accepted records and refusals by reason per hour (default: the last 48) or per day
    (default: the last 30), on China's clock; scoped like the station itself."""
    found = read_model.stations(ports.StationFilter(station_id=station_id, limit=1))
    if not found and principal.station_id != station_id:
        raise not_found(NOUN, station_id)
    region = found[0].jurisdiction if found else None
    if not can_see(principal, service.station(region, station_id)):
        raise api_audit.hidden(request, NOUN, station_id)
    try:
        cut = traffic.buckets(
            Width(bucket.value), now=datetime.now(UTC), start=_utc(start), end=_utc(end)
        )
    except traffic.BucketError as refused:
        raise ProblemError(422, str(refused), kind="validation") from refused
    series = traffic_queries.station_traffic(
        SqlTraffic(request.app.state.sessions), station_id, cut
    )
    return _traffic(series)


def _traffic(series: traffic_queries.StationTraffic) -> api.StationTraffic:
    cut = series.buckets
    rows = [
        api.TrafficBucket(
            start=start,
            accepted=series.accepted[n],
            rejected={r: c[n] for r, c in series.refused.items() if c[n]},
        )
        for n, start in enumerate(cut.starts())
    ]
    return api.StationTraffic(
        station_id=series.station_id,
        bucket="day" if cut.width is Width.DAY else "hour",
        start=cut.origin,
        end=cut.end,
        reasons=list(series.refused),
        buckets=rows,
        accepted=sum(series.accepted),
        rejected={r: sum(c) for r, c in series.refused.items()},
    )


def _utc(moment: datetime | None) -> datetime | None:
    """A time without an offset is read as UTC (as /statistics reads it)."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _since(window_days: int) -> datetime:
    return datetime.now(UTC) - timedelta(days=window_days)


def _judged(request: Request, station_ids: list[str]) -> dict[str, station_condition.Judged]:
    """The stations stage's verdicts for these stations (one query): the alerts' view."""
    stored = health_states(request.app.state.sessions, station_ids)
    return {s: station_condition.Judged(h.silent, h.feed_poor) for s, h in stored.items()}


def _document(
    record: ports.StationRecord | None,
    health: StationHealth,
    judged: station_condition.Judged | None = None,
) -> api.StationHealth:
    now = datetime.now(UTC)
    assessed = station_condition.assess(
        enabled=record.enabled if record else None,
        last_seen_at=health.last_seen_at,
        accepted=health.accepted,
        rejected=sum(health.rejected.values()),
        window=now - health.since,
        now=now,
        reports_on_a_cadence=not (record and record.kind == StationKind.FIRM),
        judged=judged,
    )
    return api.StationHealth(
        station_id=health.station_id,
        kind=record.kind if record else None,
        name=record.name if record else None,
        jurisdiction=record.jurisdiction if record else None,
        enabled=record.enabled if record else None,
        since=health.since,
        last_seen_at=health.last_seen_at,
        last_accepted_at=health.last_accepted_at,
        accepted=health.accepted,
        rejected=dict(health.rejected),
        condition=assessed.condition.value,
        silent_after_s=(
            int(assessed.silent_after.total_seconds()) if assessed.silent_after else None
        ),
        share_rejected=assessed.share_rejected,
    )
