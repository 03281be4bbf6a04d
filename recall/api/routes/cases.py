"""Enforcement referral cases (移送执法案件) and firms' credit records (信用记录).

Scope: a case's region is its owner (the enforcement administration); a regulator sees the
cases owned inside its area — after an escalation the case leaves a county's view for its
city's. Outside the scope is 404, as for every object. Only regulators read and act on cases
(others 403 on the list). A firm's credit record is seen by the regulators whose area holds the
owner of each outcome, and by the firm itself.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from recall.api import audit as api_audit
from recall.api.deps import CurrentPrincipal, StorageDep, TopicsDep
from recall.api.problems import PROBLEM_RESPONSES, not_found
from recall.api.regions import RegionFilter, checked_region
from recall.domain import cases as domain
from recall.domain.access import Principal, Role, Scoped, can_see, region_prefix
from recall.domain.jurisdiction import covers
from recall.service.cases import commands, queries
from recall.service.cases.ports import CaseNotFoundError
from recall.service.ports import Storage
from schemas import cases as wire

router = APIRouter(tags=["cases 移送执法案件"], responses=PROBLEM_RESPONSES)
ACTING = frozenset({Role.REGULATOR})
NOUN = "case"


def scoped(case: domain.ReferralCase) -> Scoped:
    """What scopes a case: its owner's area (regulators only)."""
    return Scoped(region=case.owner)


@router.get("/cases", response_model=wire.CaseList)
def list_cases(
    request: Request,
    principal: CurrentPrincipal,
    storage: StorageDep,
    state: Annotated[list[wire.CaseState], Query()] = [],  # noqa: B006  # FastAPI copies it
    region: RegionFilter = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> wire.CaseList:
    """Cases owned in the caller's area, most recently changed first; `state` is repeatable."""
    if region_prefix(principal) is None or principal.region is None:
        raise api_audit.forbidden(request, "list cases", "regulators")
    narrowed = checked_region(region)
    if narrowed is not None and not covers(principal.region, narrowed):
        return wire.CaseList(items=[])  # combined with the caller's scope: nothing
    scope = narrowed or principal.region
    found = queries.list_cases(
        storage,
        scope=scope,
        states=[domain.CaseState(s.value) for s in state],
        limit=limit,
    )
    return wire.CaseList(items=[summary(c) for c in found if can_see(principal, scoped(c))])


@router.get("/cases/{case_id}", response_model=wire.CaseDetail)
def show_case(
    request: Request, case_id: str, principal: CurrentPrincipal, storage: StorageDep
) -> wire.CaseDetail:
    """Head, evidence, audit trail (who, when, why, owner) and the actions possible now."""
    return detail(_visible(request, storage, principal, case_id))


@router.post("/cases/{case_id}/assign", response_model=wire.CaseDetail)
def assign(
    request: Request,
    case_id: str,
    body: wire.AssignCaseRequest,
    principal: CurrentPrincipal,
    storage: StorageDep,
    topics: TopicsDep,
) -> wire.CaseDetail:
    """Name the handler at the owning administration: the case is under investigation."""
    with api_audit.recorded(request, principal, "case.assign", case_id):
        _may_act(request, storage, principal, case_id, "assign")
        case = commands.assign(
            storage,
            case_id,
            assignee=body.assignee,
            reason=body.reason,
            actor=principal.account_id,
            topics=topics,
        )
    return detail(case)


@router.post("/cases/{case_id}/rectified", response_model=wire.CaseDetail)
def rectified(
    request: Request,
    case_id: str,
    body: wire.CaseReasonRequest,
    principal: CurrentPrincipal,
    storage: StorageDep,
    topics: TopicsDep,
) -> wire.CaseDetail:
    """Outcome: the firm rectified (整改); the firm's credit record receives it."""
    with api_audit.recorded(request, principal, "case.rectified", case_id):
        _may_act(request, storage, principal, case_id, "close")
        case = commands.rectified(
            storage, case_id, reason=body.reason, actor=principal.account_id, topics=topics
        )
    return detail(case)


@router.post("/cases/{case_id}/penalise", response_model=wire.CaseDetail)
def penalise(
    request: Request,
    case_id: str,
    body: wire.PenaliseRequest,
    principal: CurrentPrincipal,
    storage: StorageDep,
    topics: TopicsDep,
) -> wire.CaseDetail:
    """Outcome: an administrative penalty (处罚), with its decision number and fine."""
    with api_audit.recorded(request, principal, "case.penalise", case_id):
        _may_act(request, storage, principal, case_id, "penalise")
        p = body.penalty
        case = commands.penalise(
            storage,
            case_id,
            penalty=domain.Penalty(p.decision_no, p.fine_yuan, p.measures),
            reason=body.reason,
            actor=principal.account_id,
            topics=topics,
        )
    return detail(case)


@router.post("/cases/{case_id}/close", response_model=wire.CaseDetail)
def close(
    request: Request,
    case_id: str,
    body: wire.CaseReasonRequest,
    principal: CurrentPrincipal,
    storage: StorageDep,
    topics: TopicsDep,
) -> wire.CaseDetail:
    """Outcome: closed without action (不予处罚 / 撤案); the reason is kept."""
    with api_audit.recorded(request, principal, "case.close", case_id):
        _may_act(request, storage, principal, case_id, "close")
        case = commands.close(
            storage, case_id, reason=body.reason, actor=principal.account_id, topics=topics
        )
    return detail(case)


@router.get("/firms/{firm_code}/credit", response_model=wire.CreditRecordList)
def firm_credit(
    request: Request, firm_code: str, principal: CurrentPrincipal, storage: StorageDep
) -> wire.CreditRecordList:
    """The firm's credit record (信用记录): every case outcome the caller may see, oldest first."""
    if principal.role not in (Role.REGULATOR, Role.FIRM):
        raise api_audit.forbidden(request, "read a credit record", "regulators and the firm")
    records = [
        r
        for r in queries.credit_records(storage, firm_code)
        if can_see(principal, Scoped(region=r.owner, manufacturer_code=r.firm))
    ]
    return wire.CreditRecordList(
        firm=firm_code,
        items=[
            wire.CreditRecord(
                record_id=r.record_id,
                firm=r.firm,
                case_id=r.case_id,
                recall_id=r.recall_id,
                outcome=r.outcome,
                penalty=r.penalty,
                reason=r.reason,
                owner=r.owner,
                at=r.at,
            )
            for r in records
        ],
    )


def _visible(
    request: Request, storage: Storage, principal: Principal, case_id: str
) -> domain.ReferralCase:
    """The case, or the same 404 whether it is missing or outside the scope."""
    try:
        case = queries.get_case(storage, case_id)
    except CaseNotFoundError:
        raise not_found(NOUN, case_id) from None
    if not can_see(principal, scoped(case)):
        raise api_audit.hidden(request, NOUN, case_id)
    return case


def _may_act(
    request: Request, storage: Storage, principal: Principal, case_id: str, action: str
) -> None:
    case = _visible(request, storage, principal, case_id)
    api_audit.enforce(
        request,
        principal,
        scoped(case),
        acting_roles=ACTING,
        noun=NOUN,
        identifier=case_id,
        action=action,
    )


def summary(case: domain.ReferralCase) -> wire.CaseSummary:
    return wire.CaseSummary(
        case_id=case.case_id,
        firm=case.firm_code,
        recall_id=case.recall_id,
        grounds=case.grounds.value,
        state=wire.CaseState(case.state.value),
        owner=case.owner,
        tier=case.tier.value,
        deadline=case.deadline,
        opened_at=case.opened_at,
        updated_at=case.updated_at,
    )


def detail(case: domain.ReferralCase) -> wire.CaseDetail:
    p = case.penalty
    return wire.CaseDetail(
        **dict(summary(case)),
        referral_key=case.referral_key,
        evidence=list(case.evidence),
        assignee=case.assignee,
        outcome_reason=case.outcome_reason,
        penalty=None
        if p is None
        else wire.Penalty(decision_no=p.decision_no, fine_yuan=p.fine_yuan, measures=p.measures),
        escalations=case.escalations,
        audit=[
            wire.CaseAuditEntry(
                action=a.action.value,
                actor=a.actor,
                at=a.at,
                reason=a.reason,
                from_state=wire.CaseState(a.from_state.value) if a.from_state else None,
                to_state=wire.CaseState(a.to_state.value),
                owner=a.owner,
            )
            for a in case.audit
        ],
        allowed_actions=[a.value for a in case.allowed_actions()],
    )
