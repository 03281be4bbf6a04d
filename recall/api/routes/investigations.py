"""Defect investigations (缺陷调查): the queue, the file, and the regulator's decisions.

Scope: a regulator sees the investigations whose jurisdiction lies in its area, an expert
those it sits on (whatever its region); other roles see none. Only regulators act (assign,
conclude, request a recall); an expert who may read an investigation gets 403 for an action,
anyone outside its scope 404. The actor recorded in the audit trail is the account id.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request

from recall.api import audit as api_audit
from recall.api.deps import CurrentPrincipal, InvestigationPagesDep, StorageDep, TopicsDep
from recall.api.lists import (
    EXPORTS,
    Column,
    Cursor,
    ExportFormat,
    Format,
    Limit,
    every_page,
    export_response,
    page_body,
    page_request,
)
from recall.api.problems import PROBLEM_RESPONSES, not_found
from recall.api.regions import RegionFilter, checked_region
from recall.api.tier_views import ownership_body, tier_moves, tier_of
from recall.domain import investigations as domain
from recall.domain.access import Principal, Role, can_see
from recall.domain.tiers import SubjectKind
from recall.service.investigations import commands
from recall.service.investigations import pages as service
from recall.service.investigations.queries import (
    InvestigationNotFoundError,
    get_investigation,
    panel_history,
)
from recall.service.ports import Storage
from recall.service.tiers.queries import ownership
from schemas import api
from schemas.common import Hazard, ProductCategory, RiskLevel
from schemas.risk import InvestigationState

router = APIRouter(
    prefix="/investigations", tags=["investigations 缺陷调查"], responses=PROBLEM_RESPONSES
)
ACTING = frozenset({Role.REGULATOR})
NOUN = "investigation"


class InvestigationSort(StrEnum):
    OPENED_DESC = "-opened_at"
    OPENED = "opened_at"
    UPDATED_DESC = "-updated_at"
    UPDATED = "updated_at"


COLUMNS = (
    Column("investigation_id", "调查编号", "Investigation id"),
    Column("product_key", "产品", "Product"),
    Column("hazard", "危害", "Hazard"),
    Column("category", "品类", "Category"),
    Column("state", "状态", "State"),
    Column("decision", "结论", "Decision"),
    Column("jurisdiction", "辖区", "Jurisdiction"),
    Column("owner", "主管机关", "Owner"),
    Column("tier", "监管层级", "Tier"),
    Column("expert_ids", "专家", "Experts"),
    Column("opened_at", "立案时间", "Opened at"),
    Column("updated_at", "更新时间", "Updated at"),
)


@router.get("", response_model=api.InvestigationPage, responses=EXPORTS)
def list_investigations(
    request: Request,
    principal: CurrentPrincipal,
    pages: InvestigationPagesDep,
    state: Annotated[list[InvestigationState], Query()] = [],  # noqa: B006  # FastAPI copies it
    hazard: Hazard | None = None,
    category: ProductCategory | None = None,
    region: RegionFilter = None,
    owner: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{6}$",
            description="only what this administration owns (主管, docs/tiers.md): a regulator's "
            "own queue; the list stays inside the caller's area either way",
        ),
    ] = None,
    sort: InvestigationSort = InvestigationSort.OPENED_DESC,
    cursor: Cursor = None,
    limit: Limit = 50,
    export: ExportFormat = Format.JSON,
) -> Any:
    """The investigation queue in the caller's scope, newest first by default."""
    scope = service.scope_of(principal)
    if scope is None:
        raise api_audit.forbidden(request, "list investigations", "regulators and experts")
    where = service.narrowed(
        scope,
        states=frozenset(domain.InvestigationState(s.value) for s in state),
        hazard=hazard.value if hazard else None,
        category=category.value if category else None,
        region=checked_region(region),
        owner=owner,
    )
    first = page_request(request, sort.value, cursor, limit)

    def fetch(page: Any) -> Any:
        return service.investigation_page(pages, where, page)

    if export is not Format.JSON:
        documents = (
            [_summary(i) for i in items if _sees(principal, i)]
            for items in every_page(fetch, first)
        )
        return export_response(export, COLUMNS, documents, "investigations")
    page = fetch(first)
    items = [_summary(i) for i in page.items if _sees(principal, i)]
    return page_body(request, page, sort.value, items)


@router.get("/{investigation_id}", response_model=api.InvestigationDetail)
def show_investigation(
    request: Request, investigation_id: str, principal: CurrentPrincipal, storage: StorageDep
) -> api.InvestigationDetail:
    """Head, evidence, audit trail and the actions possible now."""
    investigation = _visible(request, storage, principal, investigation_id)
    owned = ownership(storage, SubjectKind.INVESTIGATION, investigation_id)
    return _detail(investigation).model_copy(
        update={
            "owner": owned.owner,
            "tier": tier_of(owned.owner),
            "tier_moves": tier_moves(owned),
        }
    )


@router.get("/{investigation_id}/tier", response_model=api.Ownership)
def show_tier(
    request: Request, investigation_id: str, principal: CurrentPrincipal, storage: StorageDep
) -> api.Ownership:
    """Who owns the investigation (county, city or province) and why: every assignment and
    move with its rule and reason (分级监管, docs/tiers.md)."""
    _visible(request, storage, principal, investigation_id)
    return ownership_body(ownership(storage, SubjectKind.INVESTIGATION, investigation_id))


@router.post("/{investigation_id}/assign", response_model=api.Assignment)
def assign(
    request: Request,
    investigation_id: str,
    principal: CurrentPrincipal,
    storage: StorageDep,
    topics: TopicsDep,
    body: Annotated[api.AssignRequest | None, Body()] = None,
) -> api.Assignment:
    """Choose a panel by the policy (no expert linked to the manufacturer) and assign it."""
    size = body.size if body else api.AssignRequest().size
    with api_audit.recorded(request, principal, "investigation.assign", investigation_id):
        _may_act(request, storage, principal, investigation_id, "assign")
        outcome = commands.assign_experts(
            storage,
            investigation_id,
            actor=principal.account_id,
            topics=topics,
            size=size,
            impartiality=request.app.state.impartiality,
        )
    return api.Assignment(
        investigation=_detail(outcome.investigation), panel=outcome.panel.explain()
    )


@router.get("/{investigation_id}/panels", response_model=list[api.PanelDecision])
def show_panels(
    request: Request, investigation_id: str, principal: CurrentPrincipal, storage: StorageDep
) -> list[api.PanelDecision]:
    """Every panel decision, oldest first: the rule applied (异地专家 for a local firm), the
    fallback if any, and every expert chosen, passed over or excluded with why."""
    _visible(request, storage, principal, investigation_id)
    return [
        api.PanelDecision(
            position=r.position,
            at=r.at,
            actor=r.actor,
            rule=r.rule,
            home=r.home,
            fallback=r.fallback,
            chosen=[api.PanelMember.model_validate(m) for m in r.composition.get("chosen", [])],
            passed_over=[
                api.PanelMember.model_validate(m) for m in r.composition.get("passed_over", [])
            ],
            excluded=[api.PanelMember.model_validate(m) for m in r.composition.get("excluded", [])],
        )
        for r in panel_history(storage, investigation_id)
    ]


@router.post("/{investigation_id}/conclude", response_model=api.InvestigationDetail)
def conclude(
    request: Request,
    investigation_id: str,
    body: api.ConcludeRequest,
    principal: CurrentPrincipal,
    storage: StorageDep,
    topics: TopicsDep,
) -> api.InvestigationDetail:
    """Record the panel's decision; a confirmed defect raises an alert."""
    with api_audit.recorded(request, principal, "investigation.conclude", investigation_id):
        _may_act(request, storage, principal, investigation_id, "conclude")
        updated = commands.conclude(
            storage,
            investigation_id,
            decision=domain.Decision(body.decision),
            reason=body.reason,
            actor=principal.account_id,
            topics=topics,
            risk_level=domain.RiskLevel(body.risk_level.value) if body.risk_level else None,
            hazard_description=body.hazard_description,
        )
    return _detail(updated)


@router.post("/{investigation_id}/request-recall", response_model=api.InvestigationDetail)
def request_recall(
    request: Request,
    investigation_id: str,
    body: api.ReasonRequest,
    principal: CurrentPrincipal,
    storage: StorageDep,
    topics: TopicsDep,
) -> api.InvestigationDetail:
    """Order the manufacturer to recall (责令召回) after a confirmed defect."""
    with api_audit.recorded(request, principal, "investigation.request_recall", investigation_id):
        _may_act(request, storage, principal, investigation_id, "request-recall")
        updated = commands.request_recall(
            storage, investigation_id, reason=body.reason, actor=principal.account_id, topics=topics
        )
    return _detail(updated)


def _visible(
    request: Request, storage: Storage, principal: Principal, investigation_id: str
) -> domain.Investigation:
    """The investigation, or the same 404 whether it is missing or outside the scope."""
    try:
        investigation = get_investigation(storage, investigation_id)
    except InvestigationNotFoundError:
        raise not_found(NOUN, investigation_id) from None
    if not can_see(principal, service.scoped(investigation.jurisdiction, investigation.expert_ids)):
        raise api_audit.hidden(request, NOUN, investigation_id)
    return investigation


def _may_act(
    request: Request, storage: Storage, principal: Principal, investigation_id: str, action: str
) -> None:
    investigation = _visible(request, storage, principal, investigation_id)
    obj = service.scoped(investigation.jurisdiction, investigation.expert_ids)
    api_audit.enforce(
        request,
        principal,
        obj,
        acting_roles=ACTING,
        noun=NOUN,
        identifier=investigation_id,
        action=action,
    )


def _sees(principal: Principal, item: service.InvestigationItem) -> bool:
    """The SQL scope already holds; checked again per item, as a detail would be."""
    return can_see(principal, service.scoped(item.jurisdiction, item.expert_ids))


def _summary(item: service.InvestigationItem) -> api.InvestigationSummary:
    return api.InvestigationSummary(
        investigation_id=item.investigation_id,
        product_key=item.product_key,
        hazard=item.hazard,
        category=item.category,
        state=InvestigationState(item.state.value),
        decision=item.decision.value if item.decision else None,
        jurisdiction=item.jurisdiction,
        expert_ids=list(item.expert_ids),
        opened_at=item.opened_at,
        updated_at=item.updated_at,
        owner=item.owner,
        tier=tier_of(item.owner),
    )


def _detail(inv: domain.Investigation) -> api.InvestigationDetail:
    conclusion = inv.conclusion
    return api.InvestigationDetail(
        investigation_id=inv.investigation_id,
        product_key=inv.product_key,
        hazard=inv.hazard,
        category=inv.category,
        state=InvestigationState(inv.state.value),
        decision=inv.decision.value if inv.decision else None,
        jurisdiction=inv.jurisdiction,
        expert_ids=list(inv.expert_ids),
        opened_at=inv.opened_at,
        updated_at=inv.audit[-1].at,
        manufacturer_id=inv.manufacturer_id,
        evidence=[_evidence(e) for e in inv.evidence],
        audit=[_audit(a) for a in inv.audit],
        conclusion=None
        if conclusion is None
        else api.Conclusion(
            decision=conclusion.decision.value,
            reason=conclusion.reason,
            risk_level=_risk(conclusion.risk_level),
            hazard_description=conclusion.hazard_description,
        ),
        allowed_actions=[a.value for a in inv.allowed_actions()],
    )


def _evidence(e: domain.Evidence) -> api.Evidence:
    return api.Evidence(
        evidence_id=e.evidence_id,
        kind=e.kind.value,
        summary=e.summary,
        occurred_at=e.occurred_at,
        risk_level=_risk(e.risk_level),
        observed=e.observed,
        expected=e.expected,
        statistic=e.statistic,
        threshold=e.threshold,
        method=e.method,
        window=e.window,
    )


def _audit(a: domain.AuditEntry) -> api.AuditEntry:
    return api.AuditEntry(
        action=a.action.value,
        actor=a.actor,
        at=a.at,
        reason=a.reason,
        from_state=a.from_state.value if a.from_state else None,
        to_state=a.to_state.value,
    )


def _risk(level: domain.RiskLevel | None) -> RiskLevel | None:
    return RiskLevel(level.value) if level else None
