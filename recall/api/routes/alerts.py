"""Alerts (预警): everything raised for a person to act on; regional risk (区域风险), the
regional signals grouped per category × city; referrals (移送执法), recalls referred to
enforcement.

Scope: an alert's region is its `jurisdiction` (a regional signal's city, an investigation's
or a recall's jurisdiction); a regulator sees the alerts of its area, and an alert without a
jurisdiction is seen by no account. Other roles see none of these lists (403): alerts name
investigations and enforcement before anything is published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from recall.api import audit as api_audit
from recall.api import lists
from recall.api.deps import CurrentPrincipal
from recall.api.problems import PROBLEM_RESPONSES
from recall.api.read_model import ReadModelDep, Since, Until, check_window
from recall.api.regions import RegionFilter, checked_region
from recall.domain.access import Principal, can_see
from recall.service.paging import Page, PageRequest
from recall.service.readmodel import page_ports as ports
from recall.service.readmodel import pages as service
from recall.service.readmodel.ports import AlertFilter
from schemas import api
from schemas.common import ProductCategory
from schemas.risk import Alert, AlertKind

router = APIRouter(tags=["alerts 预警"], responses=PROBLEM_RESPONSES)
ROLES = "regulators"


class AlertSort(StrEnum):
    AT_DESC = "-at"


COLUMNS = (
    lists.Column("alert_id", "预警编号", "Alert id"),
    lists.Column("kind", "类型", "Kind"),
    lists.Column("severity", "级别", "Severity"),
    lists.Column("title", "标题", "Title"),
    lists.Column("subject", "对象", "Subject"),
    lists.Column("jurisdiction", "辖区", "Jurisdiction"),
    lists.Column("at", "时间", "At"),
    lists.Column("details", "详情", "Details"),
)
REGIONAL_COLUMNS = (
    lists.Column("category", "品类", "Category"),
    lists.Column("city", "城市", "City"),
    lists.Column("alerts", "预警数", "Alerts"),
    lists.Column("latest_at", "最近预警时间", "Latest at"),
    lists.Column("latest", "最近预警", "Latest alert"),
)
REFERRAL_COLUMNS = (
    lists.Column("recall_id", "召回编号", "Recall id"),
    lists.Column("jurisdiction", "辖区", "Jurisdiction"),
    lists.Column("at", "移送时间", "Referred at"),
    lists.Column("reasons", "原因", "Reasons"),
    lists.Column("missed", "未报进度报告", "Missed reports"),
    lists.Column("refused", "拒不召回", "Refused"),
    lists.Column("alert_id", "预警编号", "Alert id"),
)


@router.get("/alerts", response_model=api.AlertPage, responses=lists.EXPORTS)
def list_alerts(
    request: Request,
    principal: CurrentPrincipal,
    read_model: ReadModelDep,
    kind: Annotated[list[AlertKind], Query()] = [],  # noqa: B006  # FastAPI copies it
    region: RegionFilter = None,
    subject: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="what the alert is about: a recall or investigation id, or"
            " `<category>|<city code>` for a regional signal",
        ),
    ] = None,
    since: Since = None,
    until: Until = None,
    sort: AlertSort = AlertSort.AT_DESC,
    cursor: lists.Cursor = None,
    limit: lists.Limit = lists.DEFAULT_LIMIT,
    export: lists.ExportFormat = lists.Format.JSON,
) -> Any:
    """Alerts in the caller's scope, newest first; `kind` is repeatable."""
    scope = _scope(request, principal, "list alerts")
    where = replace(_where([k.value for k in kind], region, since, until), subject=subject)

    def fetch(page: PageRequest) -> Page[Alert]:
        return service.alert_page(read_model, scope, page, where)

    first = lists.page_request(request, sort.value, cursor, limit)
    if export is not lists.Format.JSON:
        documents = (_visible(principal, i) for i in lists.every_page(fetch, first))
        return lists.export_response(export, COLUMNS, documents, "alerts")
    page = fetch(first)
    return lists.page_body(request, page, sort.value, _visible(principal, page.items))


@router.get("/referrals", response_model=api.ReferralPage, responses=lists.EXPORTS)
def list_referrals(
    request: Request,
    principal: CurrentPrincipal,
    read_model: ReadModelDep,
    region: RegionFilter = None,
    since: Since = None,
    until: Until = None,
    sort: AlertSort = AlertSort.AT_DESC,
    cursor: lists.Cursor = None,
    limit: lists.Limit = lists.DEFAULT_LIMIT,
    export: lists.ExportFormat = lists.Format.JSON,
) -> Any:
    """Recalls referred to enforcement (移送执法) in the caller's scope, newest first."""
    scope = _scope(request, principal, "list referrals")
    where = _where(service.REFERRALS, region, since, until)

    def fetch(page: PageRequest) -> Page[Alert]:
        return service.alert_page(read_model, scope, page, where)

    def shown(items: list[Alert]) -> list[api.Referral]:
        return [_referral(a) for a in _visible(principal, items)]

    first = lists.page_request(request, sort.value, cursor, limit)
    if export is not lists.Format.JSON:
        documents = (shown(i) for i in lists.every_page(fetch, first))
        return lists.export_response(export, REFERRAL_COLUMNS, documents, "referrals")
    page = fetch(first)
    return lists.page_body(request, page, sort.value, shown(page.items))


@router.get("/regional-risk", response_model=api.RegionalRiskPage, responses=lists.EXPORTS)
def list_regional_risk(
    request: Request,
    principal: CurrentPrincipal,
    read_model: ReadModelDep,
    category: ProductCategory | None = None,
    region: RegionFilter = None,
    since: Since = None,
    until: Until = None,
    sort: Annotated[AlertSort, Query(description="by the latest alert of each key")] = (
        AlertSort.AT_DESC
    ),
    cursor: lists.Cursor = None,
    limit: lists.Limit = lists.DEFAULT_LIMIT,
    export: lists.ExportFormat = lists.Format.JSON,
) -> Any:
    """Regional signals per category × city: how many (in the range) and the latest."""
    scope = _scope(request, principal, "list regional risk")
    check_window(since, until)
    where = ports.RegionalRiskFilter(
        region_prefix=checked_region(region),
        category=category.value if category else None,
        since=since,
        until=until,
    )

    def fetch(page: PageRequest) -> Page[ports.RegionalRisk]:
        return service.regional_risk_page(read_model, scope, page, where)

    def shown(items: list[ports.RegionalRisk]) -> list[api.RegionalRisk]:
        return [
            api.RegionalRisk(
                category=g.category,
                city=g.city,
                alerts=g.alerts,
                latest_at=g.latest.at,
                latest=g.latest,
            )
            for g in items
            if can_see(principal, service.regional(g.city))
        ]

    first = lists.page_request(request, sort.value, cursor, limit)
    if export is not lists.Format.JSON:
        documents = (shown(i) for i in lists.every_page(fetch, first))
        return lists.export_response(export, REGIONAL_COLUMNS, documents, "regional-risk")
    page = fetch(first)
    return lists.page_body(request, page, sort.value, shown(page.items))


def _scope(request: Request, principal: Principal, action: str) -> service.Scope:
    scope = service.regional_scope(principal)
    if scope is None:
        raise api_audit.forbidden(request, action, ROLES)
    return scope


def _where(
    kinds: Sequence[str], region: str | None, since: datetime | None, until: datetime | None
) -> AlertFilter:
    check_window(since, until)
    return AlertFilter(
        kinds=tuple(kinds), region_prefix=checked_region(region), since=since, until=until
    )


def _visible(principal: Principal, alerts: list[Alert]) -> list[Alert]:
    """The SQL scope already holds; checked again per item, as a detail would be."""
    return [a for a in alerts if can_see(principal, service.regional(a.jurisdiction))]


def _referral(alert: Alert) -> api.Referral:
    details = alert.details
    return api.Referral(
        alert_id=alert.alert_id,
        recall_id=alert.subject,
        jurisdiction=alert.jurisdiction,
        at=alert.at,
        reasons=details.get("reasons", ""),
        missed=details.get("missed", ""),
        refused=details.get("refused") == "true",
    )
