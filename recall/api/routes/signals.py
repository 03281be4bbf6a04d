"""Risk signals (风险信号): statistically or rule-detected reasons for concern.

Scope: a signal's region is its `jurisdiction` (where the harm was reported); a regulator
sees the signals of its area. Nobody else sees signals (403): they are leads under
assessment, and telling a firm before the regulator decides could compromise an investigation.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from fastapi import APIRouter, Query, Request

from recall.api import audit as api_audit
from recall.api import lists
from recall.api.deps import CurrentPrincipal, StorageDep
from recall.api.problems import PROBLEM_RESPONSES, not_found
from recall.api.read_model import ReadModelDep, Since, Until, check_window
from recall.api.regions import RegionFilter, checked_region
from recall.api.tier_views import ownership_body
from recall.domain.access import Principal, can_see
from recall.domain.tiers import SubjectKind
from recall.service.paging import Page, PageRequest
from recall.service.readmodel import pages as service
from recall.service.readmodel.ports import SignalFilter
from recall.service.tiers.queries import ownership
from schemas import api
from schemas.common import RiskLevel
from schemas.risk import SignalRaised

router = APIRouter(prefix="/signals", tags=["risk signals 风险信号"], responses=PROBLEM_RESPONSES)


class SignalSort(StrEnum):
    RAISED_DESC = "-raised_at"


COLUMNS = (
    lists.Column("signal_id", "信号编号", "Signal id"),
    lists.Column("product_key", "产品", "Product"),
    lists.Column("hazard", "危害", "Hazard"),
    lists.Column("category", "品类", "Category"),
    lists.Column("jurisdiction", "辖区", "Jurisdiction"),
    lists.Column("method", "检测方法", "Method"),
    lists.Column("risk_level", "风险等级", "Risk level"),
    lists.Column("day", "日期", "Day"),
    lists.Column("observed", "观测值", "Observed"),
    lists.Column("expected", "期望值", "Expected"),
    lists.Column("statistic", "统计量", "Statistic"),
    lists.Column("threshold", "阈值", "Threshold"),
    lists.Column("explanation", "说明", "Explanation"),
    lists.Column("raised_at", "发出时间", "Raised at"),
)


@router.get("", response_model=api.SignalPage, responses=lists.EXPORTS)
def list_signals(
    request: Request,
    principal: CurrentPrincipal,
    read_model: ReadModelDep,
    product: str | None = Query(default=None, max_length=300, description="a product key"),
    region: RegionFilter = None,
    risk_level: RiskLevel | None = None,
    method: str | None = Query(
        default=None,
        max_length=32,
        description=(
            "harmonic_nb, live_nb, cold_start, severe_cluster, fatal_case, sampling_failure, …"
        ),
    ),
    since: Since = None,
    until: Until = None,
    sort: SignalSort = SignalSort.RAISED_DESC,
    cursor: lists.Cursor = None,
    limit: lists.Limit = lists.DEFAULT_LIMIT,
    export: lists.ExportFormat = lists.Format.JSON,
) -> Any:
    """Signals in the caller's scope, most recently raised first."""
    scope = service.regional_scope(principal)
    if scope is None:
        raise api_audit.forbidden(request, "list risk signals", "regulators")
    check_window(since, until)
    where = SignalFilter(
        product_key=product,
        region_prefix=checked_region(region),
        risk_levels=(risk_level.value,) if risk_level else (),
        methods=(method,) if method else (),
        since=since,
        until=until,
    )

    def fetch(page: PageRequest) -> Page[SignalRaised]:
        return service.signal_page(read_model, scope, page, where)

    first = lists.page_request(request, sort.value, cursor, limit)
    if export is not lists.Format.JSON:
        documents = (visible(principal, i) for i in lists.every_page(fetch, first))
        return lists.export_response(export, COLUMNS, documents, "signals")
    page = fetch(first)
    return lists.page_body(request, page, sort.value, visible(principal, page.items))


def visible(principal: Principal, signals: list[SignalRaised]) -> list[SignalRaised]:
    """The SQL scope already holds; checked again per item, as a detail would be."""
    return [s for s in signals if can_see(principal, service.regional(s.jurisdiction))]


@router.get("/{signal_id}/tier", response_model=api.Ownership)
def show_signal_tier(
    request: Request, signal_id: str, principal: CurrentPrincipal, storage: StorageDep
) -> api.Ownership:
    """Which administration owns the signal (county, city or province) and why: the rule and
    its reason, in Chinese and English (分级监管, docs/tiers.md). Scoped like the list: a
    regulator sees the signals raised in its area; anyone else gets the same 404 as for a
    missing id (an id endpoint never says what exists outside the reader's scope)."""
    owned = ownership(storage, SubjectKind.SIGNAL, signal_id)
    if owned.region is None:
        raise not_found("signal", signal_id)
    if service.regional_scope(principal) is None or not can_see(
        principal, service.regional(owned.region)
    ):
        raise api_audit.hidden(request, "signal", signal_id)
    return ownership_body(owned)
