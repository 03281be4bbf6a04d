"""Lead triage (信息处置): newsroom reports and consumer complaints, accepted, merged or dismissed.

Scope: regulators only, each within its own area: a lead outside it is 404 (as if it did not
exist), and so is an investigation outside it named by a merge. Other roles get 403. Every
action is written to the audit log (`lead.record`, `lead.accept`, `lead.merge`,
`lead.dismiss`) with its outcome; the lead keeps who decided, when and why.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from recall.adapters.db.lead_store import SqlLeadStorage
from recall.api import audit as api_audit
from recall.api.deps import CurrentPrincipal, TopicsDep
from recall.api.problems import PROBLEM_RESPONSES, not_found
from recall.domain.access import Principal, Role, Scoped, can_see
from recall.domain.leads import Lead, LeadState
from recall.service.investigations import pages
from recall.service.investigations.queries import InvestigationNotFoundError, get_investigation
from recall.service.leads import commands
from recall.service.leads.commands import LeadNotFoundError
from recall.service.leads.queries import get_lead, list_leads
from schemas import api
from schemas.leads import LeadReport

router = APIRouter(prefix="/leads", tags=["leads 信息处置"], responses=PROBLEM_RESPONSES)
ACTING = frozenset({Role.REGULATOR})
NOUN = "lead"


def _storage(request: Request) -> SqlLeadStorage:
    return SqlLeadStorage(request.app.state.sessions)


@router.get("", response_model=list[api.Lead])
def list_(
    request: Request,
    principal: CurrentPrincipal,
    state: Annotated[list[LeadState], Query()] = [],  # noqa: B006  # FastAPI copies it
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[api.Lead]:
    """The triage queue in the caller's area, newest received first (`state=pending`: to do)."""
    _regulator(request, principal, "list leads")
    found = list_leads(_storage(request), scope=principal.region, states=state, limit=limit)
    return [lead_document(lead) for lead in found if can_see(principal, Scoped(lead.jurisdiction))]


@router.post("", response_model=api.LeadRecorded)
def record(request: Request, body: LeadReport, principal: CurrentPrincipal) -> api.LeadRecorded:
    """Record a newsroom report or a complaint (12315) in the caller's area; recording the same
    (source, reference) again returns the stored lead with `created: false`."""
    _regulator(request, principal, "record leads")
    with api_audit.recorded(request, principal, "lead.record", body.reference):
        api_audit.enforce(
            request,
            principal,
            Scoped(body.jurisdiction),
            acting_roles=ACTING,
            noun=NOUN,
            identifier=body.reference,
            action="record",
        )
        done = commands.record_lead(_storage(request), body, actor=principal.account_id)
    return api.LeadRecorded(lead=lead_document(done.lead), created=done.created)


@router.get("/{lead_id}", response_model=api.Lead)
def show(request: Request, lead_id: str, principal: CurrentPrincipal) -> api.Lead:
    """One lead, its decision if taken, and what may happen next."""
    return lead_document(_visible(request, principal, lead_id))


@router.post("/{lead_id}/accept", response_model=api.Lead)
def accept(
    request: Request,
    lead_id: str,
    body: api.ReasonRequest,
    principal: CurrentPrincipal,
    topics: TopicsDep,
) -> api.Lead:
    """Open an investigation with the lead as its first evidence (409 when one is already open
    for the product and hazard: merge into it)."""
    with api_audit.recorded(request, principal, "lead.accept", lead_id):
        _visible(request, principal, lead_id)
        decided, _ = commands.accept_lead(
            _storage(request),
            lead_id,
            actor=principal.account_id,
            reason=body.reason,
            topics=topics,
        )
    return lead_document(decided)


@router.post("/{lead_id}/merge", response_model=api.Lead)
def merge(
    request: Request,
    lead_id: str,
    body: api.MergeLeadRequest,
    principal: CurrentPrincipal,
    topics: TopicsDep,
) -> api.Lead:
    """Attach the lead as evidence to an open investigation in the caller's area."""
    with api_audit.recorded(request, principal, "lead.merge", lead_id):
        _visible(request, principal, lead_id)
        storage = _storage(request)
        try:
            target = get_investigation(storage, body.investigation_id)
        except InvestigationNotFoundError:
            raise not_found("investigation", body.investigation_id) from None
        if not can_see(principal, pages.scoped(target.jurisdiction, ())):
            raise api_audit.hidden(request, "investigation", body.investigation_id)
        decided, _ = commands.merge_lead(
            storage,
            lead_id,
            body.investigation_id,
            actor=principal.account_id,
            reason=body.reason,
            topics=topics,
        )
    return lead_document(decided)


@router.post("/{lead_id}/dismiss", response_model=api.Lead)
def dismiss(
    request: Request, lead_id: str, body: api.ReasonRequest, principal: CurrentPrincipal
) -> api.Lead:
    """Close the lead without an investigation; the reason is kept."""
    with api_audit.recorded(request, principal, "lead.dismiss", lead_id):
        _visible(request, principal, lead_id)
        decided = commands.dismiss_lead(
            _storage(request), lead_id, actor=principal.account_id, reason=body.reason
        )
    return lead_document(decided)


def _regulator(request: Request, principal: Principal, action: str) -> None:
    if principal.role is not Role.REGULATOR:
        raise api_audit.forbidden(request, action, "regulators")


def _visible(request: Request, principal: Principal, lead_id: str) -> Lead:
    """The lead, or the same 404 whether it is missing or outside the caller's area."""
    _regulator(request, principal, "triage leads")
    try:
        lead = get_lead(_storage(request), lead_id)
    except LeadNotFoundError:
        raise not_found(NOUN, lead_id) from None
    if not can_see(principal, Scoped(lead.jurisdiction)):
        raise api_audit.hidden(request, NOUN, lead_id)
    return lead


def lead_document(lead: Lead) -> api.Lead:
    return api.Lead(
        lead_id=lead.lead_id,
        source=lead.source.value,
        reference=lead.reference,
        jurisdiction=lead.jurisdiction,
        product_key=lead.product_key,
        hazard=lead.hazard,
        category=lead.category,
        summary=lead.summary,
        received_at=lead.received_at,
        recorded_by=lead.recorded_by,
        recorded_at=lead.recorded_at,
        state=lead.state.value,
        investigation_id=lead.investigation_id,
        decided_by=lead.decided_by,
        decided_at=lead.decided_at,
        reason=lead.reason,
        allowed_actions=[a.value for a in lead.allowed_actions()],
    )
