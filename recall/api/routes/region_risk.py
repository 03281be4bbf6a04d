"""Risk by region (风险地区分布): a region split one tier down × product category.

Scope: regulators only (403 for every other role). The region shown is the one asked for
when it lies in the caller's area; a region holding the area (a county asking for its
province) is narrowed to the area, as every list's `region` filter narrows; a region beside
the area answers 404, as an object outside the scope does. Definitions of the figures are in
`recall.service.regions.queries` and docs/api.md.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request

from recall.adapters.db.regions import SqlRegions
from recall.api import audit as api_audit
from recall.api.deps import CurrentPrincipal
from recall.api.moments import QueryInstant
from recall.api.problems import PROBLEM_RESPONSES, ProblemError
from recall.api.regions import RegionFilter, checked_region
from recall.domain.access import Role
from recall.domain.jurisdiction import level
from recall.domain.region_risk import Bucket, Figures
from recall.service.regions.queries import RegionRiskView, risk_by_region, window_of
from schemas import api

router = APIRouter(prefix="/statistics", tags=["statistics 统计"], responses=PROBLEM_RESPONSES)

MAX_WINDOW = timedelta(days=5 * 366)
Moment = Annotated[
    QueryInstant | None, Query(description="ISO-8601; without an offset it is read as UTC")
]


@router.get("/risk-by-region", response_model=api.RegionRiskReport, response_model_by_alias=True)
def show_risk_by_region(
    request: Request,
    principal: CurrentPrincipal,
    region: RegionFilter = None,
    start: Annotated[Moment, Query(alias="from", description="default: a year before `to`")] = None,
    end: Annotated[Moment, Query(alias="to", description="default: now")] = None,
    bucket: Bucket = Bucket.WEEK,
) -> api.RegionRiskReport:
    """Signals, highest risk level and open investigations of each city of a province (each
    county of a city; a county itself) by product category, and the region's signals per
    week or month. Default region: the caller's own."""
    if principal.role is not Role.REGULATOR or principal.region is None:
        raise api_audit.forbidden(request, "read risk by region", "regulators")
    asked = checked_region(region)
    start, end = window_of(start, end, datetime.now(UTC))
    if end <= start:
        raise ProblemError(422, "to: must be after from", kind="validation")
    if end - start > MAX_WINDOW:
        raise ProblemError(422, "from: the range may span five years at most", kind="validation")
    view = risk_by_region(
        SqlRegions(request.app.state.sessions),
        scope=principal.region,
        asked=asked,
        start=start,
        end=end,
        bucket=bucket,
    )
    if view is None:
        raise api_audit.hidden(request, "region", asked or "")
    return report(view)


def report(view: RegionRiskView) -> api.RegionRiskReport:
    risk = view.risk
    return api.RegionRiskReport(
        region=view.region,
        level=level(view.region).value,
        scope=view.scope,
        path=list(view.path),
        start=view.start,
        end=view.end,
        bucket=view.bucket.value,
        categories=list(risk.categories),
        children=[_figures(c, None, risk.by_child[c]) for c in risk.children],
        cells=[
            _figures(child, category, figures)
            for (child, category), figures in sorted(risk.cells.items())
        ],
        total=_figures(view.region, None, risk.total),
        series=[
            api.RegionRiskPoint(period=p.period, signals=p.signals, by_category=p.by_category)
            for p in view.series
        ],
    )


def _figures(region: str, category: str | None, figures: Figures) -> api.RegionRiskFigures:
    return api.RegionRiskFigures(
        region=region,
        category=category,
        signals=figures.signals,
        highest_risk_level=figures.highest.value if figures.highest else None,
        open_investigations=figures.open_investigations,
    )


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
