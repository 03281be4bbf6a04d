"""Statistics (统计): the loop's figures for the caller's area, by region, category or month.

Scope: regulators only, each cut to its own area in SQL (a province its cities and counties,
a city its counties, a county itself); every other role gets 403. Definitions of every figure
are in `recall.service.statistics.queries` and docs/api.md ("Statistics").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict

from recall.adapters.db.statistics import SqlStatistics
from recall.adapters.db.traffic import SqlTraffic
from recall.api import audit as api_audit
from recall.api import labels, lists
from recall.api.deps import CurrentPrincipal
from recall.api.moments import QueryInstant
from recall.api.problems import PROBLEM_RESPONSES, ProblemError
from recall.domain import traffic
from recall.domain.access import Principal, Role, region_prefix
from recall.domain.traffic import Width
from recall.service.statistics.ports import StatisticsReads, StatisticsWindow
from recall.service.statistics.queries import (
    TIERS,
    VALUE_NOTE,
    Dimension,
    Group,
    LeadSource,
    RegionLevel,
    Statistics,
    leads_by_month,
    open_queue,
    statistics,
)
from recall.service.traffic.queries import intake_rate
from schemas import api

router = APIRouter(prefix="/statistics", tags=["statistics 统计"], responses=PROBLEM_RESPONSES)

Moment = Annotated[
    QueryInstant | None, Query(description="ISO-8601; without an offset it is read as UTC")
]


class _Row(BaseModel):
    """One CSV line: flat keys such as `events.injury_report`."""

    model_config = ConfigDict(extra="allow")


@router.get(
    "",
    response_model=api.StatisticsReport,
    response_model_by_alias=True,
    responses=lists.CSV_EXPORT,
)
def show_statistics(
    request: Request,
    principal: CurrentPrincipal,
    group_by: Annotated[
        list[Dimension],
        Query(
            max_length=2,
            description="one or two of region, category, month, year; none: totals",
        ),
    ] = [],  # noqa: B006  # FastAPI copies it
    region_level: RegionLevel = RegionLevel.CITY,
    start: Annotated[Moment, Query(alias="from")] = None,
    end: Annotated[Moment, Query(alias="to")] = None,
    export: lists.TableExport = lists.TableFormat.JSON,
) -> Any:
    """Events, defect leads by source, investigations, recalls, units — in the caller's area."""
    window = _regulators_window(request, principal, start, end)
    reads: StatisticsReads = SqlStatistics(request.app.state.sessions)
    figures = statistics(reads, window, group_by=group_by, region_level=region_level)
    if export is lists.TableFormat.CSV:
        return _csv(figures)
    return api.StatisticsReport(
        group_by=[d.value for d in figures.group_by],
        region_level=region_level.value,
        scope=principal.region,
        start=window.start,
        end=window.end,
        groups=[_figures(g) for g in figures.groups],
        total=_figures(figures.total),
        labels=dict(_label_items(figures)),
        value_note=VALUE_NOTE,
    )


@router.get("/leads", response_model=api.LeadsReport, response_model_by_alias=True)
def show_leads(
    request: Request,
    principal: CurrentPrincipal,
    start: Annotated[Moment, Query(alias="from")] = None,
    end: Annotated[Moment, Query(alias="to")] = None,
) -> api.LeadsReport:
    """Defect leads by source (purchase sampling, injury reports, other) per month, in the
    caller's area: the `leads` of `GET /statistics?group_by=month` without its other figures."""
    window = _regulators_window(request, principal, start, end)
    figures = leads_by_month(SqlStatistics(request.app.state.sessions), window)
    return api.LeadsReport(
        scope=principal.region,
        start=window.start,
        end=window.end,
        months=[
            api.MonthlyLeads(month=g.month or "", leads=_figures(g).leads) for g in figures.groups
        ],
        total=_figures(figures.total).leads,
    )


@router.get("/open-investigations", response_model=api.QueueAges)
def show_open_investigations(request: Request, principal: CurrentPrincipal) -> api.QueueAges:
    """The open investigations (opened, assigned) in the caller's area by state and age band:
    how long the queue has waited, not only how long it is."""
    if principal.role is not Role.REGULATOR:
        raise api_audit.forbidden(request, "read statistics", "regulators")
    now = datetime.now(UTC)
    ages = open_queue(SqlStatistics(request.app.state.sessions), region_prefix(principal), now)
    return api.QueueAges(
        scope=principal.region,
        at=now,
        bands=list(ages.bands),
        counts=ages.counts,
        total=sum(sum(row) for row in ages.counts.values()),
        oldest_opened_at=ages.oldest_opened_at,
    )


@router.get("/intake-rate", response_model=api.IntakeRate)
def show_intake_rate(
    request: Request,
    principal: CurrentPrincipal,
    minutes: Annotated[int, Query(ge=1, le=1440, description="minutes back from now")] = 60,
) -> api.IntakeRate:
    """Accepted events per minute by station kind and by source, and dead letters per minute,
    of the stations registered in the caller's area; the current minute last."""
    if principal.role is not Role.REGULATOR:
        raise api_audit.forbidden(request, "read the intake rate", "regulators")
    now = datetime.now(UTC)
    first = traffic.floor(now, Width.MINUTE) - timedelta(minutes=minutes - 1)
    cut = traffic.buckets(Width.MINUTE, now=now, start=first)
    reads = SqlTraffic(request.app.state.sessions)
    rate = intake_rate(reads, region_prefix(principal), cut)
    return api.IntakeRate(
        scope=principal.region,
        minutes=cut.starts(),
        by_kind=rate.by_kind,
        by_source=rate.by_source,
        rejected=rate.refused,
        accepted_total=sum(sum(counts) for counts in rate.by_kind.values()),
        rejected_total=sum(rate.refused),
    )


def _regulators_window(
    request: Request, principal: Principal, start: datetime | None, end: datetime | None
) -> StatisticsWindow:
    """The caller's area between `start` and `end` (UTC); statistics are regulators' only."""
    if principal.role is not Role.REGULATOR:
        raise api_audit.forbidden(request, "read statistics", "regulators")
    if start is not None and end is not None and end <= start:
        raise ProblemError(422, "to: must be after from", kind="validation")
    return StatisticsWindow(region_prefix(principal), start, end)


def _figures(group: Group) -> api.StatisticsFigures:
    return api.StatisticsFigures(
        region=group.region,
        category=group.category,
        month=group.month,
        year=group.year,
        events=dict(sorted(group.events.items())),
        leads={s.value: group.leads.get(s.value, 0) for s in LeadSource},
        investigations_opened=group.investigations_opened,
        investigations_concluded={
            d: group.investigations_concluded.get(d, 0) for d in labels.DECISIONS
        },
        recalls={s: group.recalls.get(s, 0) for s in labels.RECALL_STATES},
        units_affected=group.units_affected,
        units_corrected=group.units_corrected,
        value_recalled=None if group.value_recalled is None else round(group.value_recalled, 2),
        recalls_without_value=group.recalls_without_value,
        recalls_by_tier={t: group.recalls_by_tier.get(t, 0) for t in TIERS},
    )


def _event_types(figures: Statistics) -> list[str]:
    seen = {t for g in (*figures.groups, figures.total) for t in g.events}
    return sorted(seen | set(labels.EVENT_TYPES))


def _columns(figures: Statistics) -> list[tuple[str, str, str]]:
    """(key, 中文, English) of every column or JSON field, in order."""
    out = [(d.value, *labels.pair(labels.FIELDS, d.value)) for d in figures.group_by]
    parts: list[tuple[str, dict[str, tuple[str, str]], list[str]]] = [
        ("events", labels.EVENT_TYPES, _event_types(figures)),
        ("leads", labels.LEAD_SOURCES, [s.value for s in LeadSource]),
        ("recalls_by_tier", labels.TIERS, list(TIERS)),
    ]
    for field, table, keys in parts:
        zh, en = labels.pair(labels.FIELDS, field)
        out += [
            (f"{field}.{k}", f"{zh}·{labels.pair(table, k)[0]}", f"{en}: {table.get(k, (k, k))[1]}")
            for k in keys
        ]
    out.append(("investigations_opened", *labels.pair(labels.FIELDS, "investigations_opened")))
    for field, table in (
        ("investigations_concluded", labels.DECISIONS),
        ("recalls", labels.RECALL_STATES),
    ):
        zh, en = labels.pair(labels.FIELDS, field)
        out += [(f"{field}.{k}", f"{zh}·{v[0]}", f"{en}: {v[1]}") for k, v in table.items()]
    out += [
        (f, *labels.pair(labels.FIELDS, f))
        for f in ("units_affected", "units_corrected", "value_recalled", "recalls_without_value")
    ]
    return out


def _label_items(figures: Statistics) -> list[tuple[str, str]]:
    fields = [(k, f"{v[0]} / {v[1]}") for k, v in labels.FIELDS.items()]
    columns = [(key, f"{zh} / {en}") for key, zh, en in _columns(figures)]
    categories = {g.category for g in figures.groups if g.category}
    cats = [(f"category.{c}", labels.label(labels.CATEGORIES, c)) for c in sorted(categories)]
    return fields + columns + cats


def _csv(figures: Statistics) -> Any:
    columns = [lists.Column(key, zh, en) for key, zh, en in _columns(figures)]
    rows = [_flat(g) for g in figures.groups]
    total = _flat(figures.total)
    if figures.group_by:
        total[figures.group_by[0].value] = "合计 / Total"
    return lists.csv_response(columns, [[_Row(**r) for r in [*rows, total]]], "statistics")


def _flat(group: Group) -> dict[str, Any]:
    doc = _figures(group).model_dump(mode="json")
    flat: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            flat[key] = value
    return flat
