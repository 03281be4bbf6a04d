"""Recalls (召回实施/效果评估): the register, a dossier, the closure report, and the
regulator's decisions (evaluate, close).

Scope: a regulator sees the recalls whose jurisdiction lies in its area, a firm its own
recalls (by manufacturer credit code, the product key's first part); other roles none. Only
regulators act; a firm acting on its own recall gets 403, anyone outside the scope 404.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from recall.adapters.reports.closure import render_closure_report
from recall.adapters.reports.pdf import render_pdf
from recall.api import audit as api_audit
from recall.api import lists
from recall.api.deps import CurrentPrincipal, RecallPagesDep, StorageDep
from recall.api.problems import PROBLEM_RESPONSES, not_found
from recall.api.regions import RegionFilter, checked_region
from recall.domain import recalls as domain
from recall.domain.access import Principal, Role, can_see
from recall.domain.recalls import forecast as domain_forecast
from recall.service.ports import Storage
from recall.service.recalls import commands
from recall.service.recalls import pages as service
from recall.service.recalls.closure import ClosureReportData
from recall.service.recalls.lookup import RecallNotFoundError
from recall.service.recalls.queries import RecallDossier, recall_dossier
from schemas import api
from schemas.common import ProductCategory, RiskLevel
from schemas.recalls import EffectivenessVerdict, RecallState

router = APIRouter(prefix="/recalls", tags=["recalls 召回"], responses=PROBLEM_RESPONSES)
ACTING = frozenset({Role.REGULATOR})
NOUN = "recall"


class RecallSort(StrEnum):
    UPDATED_DESC = "-updated_at"
    UPDATED = "updated_at"
    START_DESC = "-start"
    START = "start"


COLUMNS = (
    lists.Column("recall_id", "召回编号", "Recall id"),
    lists.Column("kind", "召回类型", "Kind"),
    lists.Column("state", "状态", "State"),
    lists.Column("verdict", "效果评价", "Verdict"),
    lists.Column("jurisdiction", "辖区", "Jurisdiction"),
    lists.Column("category", "品类", "Category"),
    lists.Column("product_key", "产品", "Product"),
    lists.Column("manufacturer_code", "生产者代码", "Manufacturer code"),
    lists.Column("start", "开始日期", "Start"),
    lists.Column("target_rate", "目标纠正率", "Target rate"),
    lists.Column("raw_rate", "纠正率", "Correction rate"),
    lists.Column("adjusted_rate", "调整后纠正率", "Adjusted rate"),
    lists.Column("forecast_final_rate", "预测最终纠正率", "Forecast final rate"),
    lists.Column("forecast_low80", "预测下限 80%", "Forecast low 80%"),
    lists.Column("forecast_high80", "预测上限 80%", "Forecast high 80%"),
    lists.Column("updated_at", "更新时间", "Updated at"),
)


@router.get("", response_model=api.RecallPage, responses=lists.EXPORTS)
def list_recalls(
    request: Request,
    principal: CurrentPrincipal,
    pages: RecallPagesDep,
    state: Annotated[list[RecallState], Query()] = [],  # noqa: B006  # FastAPI copies it
    verdict: Annotated[list[EffectivenessVerdict], Query()] = [],  # noqa: B006  # as above
    category: ProductCategory | None = None,
    region: RegionFilter = None,
    sort: RecallSort = RecallSort.UPDATED_DESC,
    cursor: lists.Cursor = None,
    limit: lists.Limit = lists.DEFAULT_LIMIT,
    export: lists.ExportFormat = lists.Format.JSON,
) -> Any:
    """The recall register in the caller's scope, most recently updated first by default."""
    scope = service.scope_of(principal)
    if scope is None:
        raise api_audit.forbidden(request, "list recalls", "regulators and firms")
    where = service.narrowed(
        scope,
        states=frozenset(domain.RecallState(s.value) for s in state),
        category=category.value if category else None,
        region=checked_region(region),
        verdicts=frozenset(v.value for v in verdict),
    )
    first = lists.page_request(request, sort.value, cursor, limit)
    now = datetime.now(UTC)

    def fetch(page: Any) -> Any:
        return service.recall_page(pages, where, page, now=now)

    def shown(items: list[service.RecallItem]) -> list[api.RecallSummary]:
        return [_summary(i) for i in items if can_see(principal, _scoped(i))]

    if export is not lists.Format.JSON:
        documents = (shown(items) for items in lists.every_page(fetch, first))
        return lists.export_response(export, COLUMNS, documents, "recalls")
    page = fetch(first)
    return lists.page_body(request, page, sort.value, shown(page.items))


@router.get("/{recall_id}", response_model=api.RecallDetail)
def show_recall(
    request: Request, recall_id: str, principal: CurrentPrincipal, storage: StorageDep
) -> api.RecallDetail:
    """Progress, rates per supply level, forecast with its 80 % interval, evaluation, the
    reports owed, incidents before and after the start, residual risk, what the caller may do."""
    return _detail(_visible(request, storage, principal, recall_id), principal)


class ReportFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"


CLOSURE_REPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "召回结案报告: an HTML page, or with `format=pdf` the same report as A4 PDF",
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


@router.get("/{recall_id}/closure-report", response_class=HTMLResponse, responses=CLOSURE_REPORT)
def closure_report(
    request: Request,
    recall_id: str,
    principal: CurrentPrincipal,
    storage: StorageDep,
    export: Annotated[
        ReportFormat, Query(alias="format", description="html: a web page; pdf: A4 for filing")
    ] = ReportFormat.HTML,
) -> Response:
    """The closure report (召回结案报告): one self-contained HTML page, or its PDF.

    The query parameter, not the Accept header, picks the PDF: a link can name it, a browser
    (which accepts anything) never receives one unasked, and caches need no `Vary`. A plain
    `def` route: FastAPI runs it in a worker thread, so the seconds of PDF layout never block
    the event loop.
    """
    dossier = _visible(request, storage, principal, recall_id)
    html = render_closure_report(dossier.data)
    if export is ReportFormat.HTML:
        return HTMLResponse(html)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", recall_id)
    return Response(
        render_pdf(html),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="closure-report-{name}.pdf"'},
    )


@router.post("/{recall_id}/evaluate", response_model=api.EvaluationOutcome)
def evaluate(
    request: Request, recall_id: str, principal: CurrentPrincipal, storage: StorageDep
) -> api.EvaluationOutcome:
    """completed → evaluated, with the verdict of the effectiveness evaluation."""
    with api_audit.recorded(request, principal, "recall.evaluate", recall_id):
        _may_act(request, storage, principal, recall_id, "evaluate")
        outcome = commands.evaluate(
            storage, recall_id, actor=principal.account_id, now=datetime.now(UTC)
        )
    return api.EvaluationOutcome(
        evaluation=_evaluation(outcome.evaluation),
        fda_check_level=outcome.fda.level.value,
        transition=_transition(outcome.transition),
    )


@router.post("/{recall_id}/close", response_model=api.RecallTransition)
def close(
    request: Request,
    recall_id: str,
    body: api.CloseRequest,
    principal: CurrentPrincipal,
    storage: StorageDep,
) -> api.RecallTransition:
    """evaluated → closed: the closure report is filed; nothing may change afterwards."""
    with api_audit.recorded(request, principal, "recall.close", recall_id):
        _may_act(request, storage, principal, recall_id, "close")
        transition = commands.close(
            storage,
            recall_id,
            actor=principal.account_id,
            reason=body.reason,
            now=datetime.now(UTC),
        )
    return _transition(transition)


def _visible(
    request: Request, storage: Storage, principal: Principal, recall_id: str
) -> RecallDossier:
    """The dossier, or the same 404 whether the recall is missing or outside the scope."""
    try:
        dossier = recall_dossier(storage, recall_id, now=datetime.now(UTC))
    except RecallNotFoundError:
        raise not_found(NOUN, recall_id) from None
    if not can_see(principal, service.scoped(dossier.jurisdiction, dossier.data.spec.product_key)):
        raise api_audit.hidden(request, NOUN, recall_id)
    return dossier


def _may_act(
    request: Request, storage: Storage, principal: Principal, recall_id: str, action: str
) -> None:
    try:
        obj = service.scope_of_recall(storage, recall_id)
    except RecallNotFoundError:
        raise not_found(NOUN, recall_id) from None
    api_audit.enforce(
        request, principal, obj, acting_roles=ACTING, noun=NOUN, identifier=recall_id, action=action
    )


def _scoped(item: service.RecallItem) -> Any:
    return service.scoped(item.jurisdiction, item.product_key)


def _rate(value: float | None) -> float | None:
    """A rate, or None where it is undefined (no units to divide by)."""
    return None if value is None or math.isnan(value) else value


def _summary(item: service.RecallItem) -> api.RecallSummary:
    final, low, high = item.forecast if item.forecast else (None, None, None)
    return api.RecallSummary(
        recall_id=item.recall_id,
        kind=item.kind,
        state=RecallState(item.state.value),
        verdict=EffectivenessVerdict(item.verdict) if item.verdict else None,
        jurisdiction=item.jurisdiction,
        category=item.category,
        product_key=item.product_key,
        manufacturer_code=item.manufacturer_code,
        start=item.start,
        target_rate=item.target_rate,
        raw_rate=_rate(item.raw_rate),
        adjusted_rate=_rate(item.adjusted_rate),
        forecast_final_rate=_clip(final),
        forecast_low80=_clip(low),
        forecast_high80=_clip(high),
        updated_at=item.updated_at,
        next_report_due=item.next_report_due,
        report_overdue=item.report_overdue,
    )


def _clip(value: float | None) -> float | None:
    value = _rate(value)
    return None if value is None else min(max(value, 0.0), 1.0)


def _detail(dossier: RecallDossier, principal: Principal) -> api.RecallDetail:
    data = dossier.data
    spec = data.spec
    band = [_band_point(spec.start, f) for f in dossier.band]
    return api.RecallDetail(
        recall_id=spec.recall_id,
        title=spec.title,
        kind=spec.kind.value,
        state=RecallState(dossier.state.value),
        verdict=EffectivenessVerdict(dossier.verdict.value) if dossier.verdict else None,
        jurisdiction=dossier.jurisdiction,
        hazard=dossier.hazard,
        category=spec.category,
        product_key=spec.product_key,
        manufacturer_code=service.manufacturer_of(spec.product_key),
        risk_level=RiskLevel(spec.risk_level.value),
        start=spec.start,
        target_date=spec.target_date,
        target_rate=spec.target_rate,
        affected={level.value: count for level, count in spec.affected.items()},
        history=[_transition(t) for t in data.history],
        reports=[
            api.ProgressReport(
                sequence=r.sequence,
                period_start=r.period_start,
                period_end=r.period_end,
                submitted_at=r.submitted_at,
                rates=[_rates(level) for level in rates.values()],
            )
            for r, rates in dossier.progress
        ],
        rates=[_rates(r) for r in dossier.rates.values()],
        forecast=_forecast(dossier.current_forecast),
        early_forecast=_forecast(data.forecast),
        evaluation=_evaluation(data.evaluation) if data.evaluation else None,
        forecast_band=band,
        target_forecast=band[-1] if band else None,
        deadlines=[_deadline(d, data.generated_at) for d in data.deadlines],
        referrals=[_referral(r) for r in data.referrals],
        post_recall=_post_recall(data, dossier.incident_rates),
        residual_risk=_residual(data.residual) if data.residual else None,
        allowed_actions=_allowed(principal, dossier.state),
        closure_report=(
            f"/recalls/{quote(spec.recall_id, safe='')}/closure-report"
            if dossier.state in REPORTED
            else None
        ),
    )


REPORTED = frozenset({domain.RecallState.EVALUATED, domain.RecallState.CLOSED})
"""States with a closure report worth filing: the evaluation's verdict is in it."""
ACTIONS: dict[domain.RecallState, api.RecallAction] = {
    domain.RecallState.COMPLETED: "evaluate",
    domain.RecallState.EVALUATED: "close",
}
"""The regulator's move out of each state (`ALLOWED_MOVES`: completed → evaluated → closed)."""


def _allowed(principal: Principal, state: domain.RecallState) -> list[api.RecallAction]:
    """What this caller may POST now: only regulators act (the caller already sees it)."""
    action = ACTIONS.get(state)
    return [action] if action and principal.role in ACTING else []


def _band_point(start: datetime, f: domain.Forecast) -> api.ForecastPoint:
    return api.ForecastPoint(
        day=f.horizon_days,
        at=start + timedelta(days=f.horizon_days),
        rate=min(max(f.final_rate, 0.0), 1.0),
        low80=min(max(f.low80, 0.0), 1.0),
        high80=min(max(f.high80, 0.0), 1.0),
    )


def _deadline(d: domain.ExpectationStatus, now: datetime) -> api.ReportDeadline:
    due = d.expected.due
    late = None
    if d.timeliness is domain.Timeliness.LATE and d.submitted_at is not None:
        late = (d.submitted_at - due).total_seconds() / 86_400.0
    elif d.timeliness is domain.Timeliness.OVERDUE:
        late = (now - due).total_seconds() / 86_400.0
    return api.ReportDeadline(
        sequence=d.expected.sequence,
        due=due,
        status=d.timeliness.value,
        submitted_at=d.submitted_at,
        days_late=late,
    )


def _referral(r: domain.Referral) -> api.RecallReferral:
    return api.RecallReferral(
        referred_at=r.referred_at,
        reasons=list(r.reasons),
        missed_sequences=list(r.missed_sequences),
        refused=r.refused,
    )


def _post_recall(
    data: ClosureReportData, rates: domain.IncidentRates | None
) -> api.PostRecallIncidents | None:
    summary = data.post_recall
    if summary is None or rates is None:
        return None
    return api.PostRecallIncidents(
        period_days=summary.period_days,
        lookback_days=summary.lookback_days,
        periods=[
            api.IncidentPeriod(
                start=b.start,
                end=b.end,
                after_start=b.index >= 0,
                injuries=b.injuries,
                sampling_failures=b.sampling_failures,
            )
            for b in summary.buckets
        ],
        before=summary.before,
        after=summary.after,
        unit_years_before=rates.unit_years_before,
        unit_years_after=rates.unit_years_after,
        rate_before=rates.before_per_unit_year,
        rate_after=rates.after_per_unit_year,
        change=rates.change,
        ineffective=list(data.ineffective.reasons) if data.ineffective else [],
    )


def _residual(r: domain.ResidualRisk) -> api.ResidualRisk:
    return api.ResidualRisk(
        uncorrected_units=r.uncorrected_units,
        incidents=r.incidents,
        unit_years=r.unit_years,
        rate_per_unit_year=r.rate_per_unit_year,
        rate_low=r.rate_low,
        rate_high=r.rate_high,
        expected_per_year=r.expected_per_year,
        expected_low=r.expected_low,
        expected_high=r.expected_high,
        confidence=r.confidence,
    )


def _rates(r: domain.LevelRates) -> api.LevelRates:
    return api.LevelRates(
        scope=r.scope,
        affected=r.affected,
        located=r.located,
        notified=r.notified,
        corrected=r.corrected,
        unreachable=r.unreachable,
        raw_rate=_clip(r.raw_rate),
        adjusted_rate=_clip(r.adjusted_rate),
        reach=_clip(r.reach),
    )


def _forecast(f: domain.Forecast | None) -> api.Forecast | None:
    if f is None:
        return None
    return api.Forecast(
        final_rate=f.final_rate,
        low80=f.low80,
        high80=f.high80,
        method=f.method,
        n_points=f.n_points,
        horizon_days=f.horizon_days,
        coverage=domain_forecast.COVERAGE,
    )


def _evaluation(e: domain.Evaluation) -> api.Evaluation:
    return api.Evaluation(
        verdict=EffectivenessVerdict(e.verdict.value),
        raw_rate=e.raw_rate,
        adjusted_rate=e.adjusted_rate,
        target_rate=e.target_rate,
        met_target=e.met_target,
        category_percentile=_rate(e.category_percentile),
        reasons=list(e.reasons),
    )


def _transition(t: domain.RecallTransition) -> api.RecallTransition:
    return api.RecallTransition(
        from_state=RecallState(t.from_state.value) if t.from_state else None,
        to_state=RecallState(t.to_state.value),
        who=t.who,
        when=t.when,
        why=t.why,
    )
