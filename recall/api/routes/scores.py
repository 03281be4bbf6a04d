"""Risk scores (风险评估): the current score of each product, with what made it.

Scope: a score's region is the product's region as stored in `risk_scores.region` (its
manufacturer's jurisdiction, else where its latest signal was raised); a regulator sees the
scores in its area. A firm sees the scores of its own products — those whose key begins with
its manufacturer credit code — whatever their region: a firm should know how its products are
judged. Experts, stations and the public see none (403). A score without a region is seen by
no regulator.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Request

from recall.adapters.db.product_events import SqlProductEvents
from recall.api import audit as api_audit
from recall.api import lists
from recall.api.deps import CurrentPrincipal
from recall.api.problems import PROBLEM_RESPONSES
from recall.api.read_model import ReadModelDep, page_body, page_request
from recall.api.regions import RegionFilter, checked_region
from recall.domain.access import Principal, can_see
from recall.service.paging import Page, PageRequest
from recall.service.readmodel import pages as service
from recall.service.readmodel.ports import ScoreView
from recall.service.readmodel.product_series import trends
from schemas import api
from schemas.common import ProductCategory, RiskLevel

router = APIRouter(prefix="/scores", tags=["risk scores 风险评分"], responses=PROBLEM_RESPONSES)


class ScoreSortOrder(StrEnum):
    SCORE_DESC = "-score"
    SCORE = "score"
    UPDATED_DESC = "-updated_at"
    UPDATED = "updated_at"


COLUMNS = (
    lists.Column("product_key", "产品", "Product"),
    lists.Column("score", "风险分值", "Score"),
    lists.Column("risk_level", "风险等级", "Risk level"),
    lists.Column("category", "品类", "Category"),
    lists.Column("region", "辖区", "Region"),
    lists.Column("explanation", "说明", "Explanation"),
    lists.Column("updated_at", "更新时间", "Updated at"),
)


@router.get("", response_model=api.ScorePage, responses=lists.EXPORTS)
def list_scores(
    request: Request,
    principal: CurrentPrincipal,
    read_model: ReadModelDep,
    region: RegionFilter = None,
    risk_level: RiskLevel | None = None,
    category: ProductCategory | None = None,
    sort: ScoreSortOrder = ScoreSortOrder.SCORE_DESC,
    cursor: lists.Cursor = None,
    limit: lists.Limit = lists.DEFAULT_LIMIT,
    export: lists.ExportFormat = lists.Format.JSON,
) -> Any:
    """Current scores in the caller's scope, highest first by default."""
    scope = service.score_scope(principal)
    if scope is None:
        raise api_audit.forbidden(request, "list risk scores", "regulators and firms")
    wanted = checked_region(region)
    timed = sort.value.lstrip("-") == "updated_at"

    def fetch(page: PageRequest) -> Page[ScoreView]:
        return service.score_page(
            read_model,
            scope,
            page,
            region=wanted,
            risk_levels=(risk_level.value,) if risk_level else (),
            category=category.value if category else None,
        )

    def shown(items: list[ScoreView]) -> list[api.Score]:
        return [
            score(v) for v in items if can_see(principal, service.scored(v.region, v.product_key))
        ]

    first = page_request(request, sort.value, cursor, limit, timed=timed)
    if export is not lists.Format.JSON:
        documents = (
            _with_trends(request, principal, shown(items))
            for items in lists.every_page(fetch, first)
        )
        return lists.export_response(export, COLUMNS, documents, "scores")
    page = fetch(first)
    return page_body(
        request, page, sort.value, _with_trends(request, principal, shown(page.items)), timed=timed
    )


def _with_trends(request: Request, principal: Principal, items: list[api.Score]) -> list[api.Score]:
    found = trends(
        SqlProductEvents(request.app.state.sessions),
        [s.product_key for s in items],
        service.regional_scope(principal),
        now=datetime.now(UTC),
    )
    return [
        s.model_copy(
            update={"trend": api.ScoreTrend(last_7_days=t.last, previous_7_days=t.previous)}
        )
        if (t := found.get(s.product_key))
        else s
        for s in items
    ]


def score(view: ScoreView) -> api.Score:
    return api.Score(
        product_key=view.product_key,
        score=view.score,
        risk_level=RiskLevel(view.risk_level) if view.risk_level else None,
        explanation=list(view.explanation),
        updated_at=view.updated_at,
        region=view.region,
        category=view.category,
        contributions=list(view.contributions),
    )
