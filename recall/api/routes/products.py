"""Products (产品): registry facts, the current risk score and the risk history.

Scope: a product is scoped like its score — its region as stored in `risk_scores.region`
(the manufacturer's jurisdiction, else where its latest signal was raised; for a product with
no score yet, the same rule applied now) and its manufacturer, the credit code that begins the
key. A regulator of that region and that firm see it; anyone else gets the 404 of a missing
product. The history shows the signals the caller may also list under `/signals`: a
regulator's those raised in its area, a firm's none.

Product keys contain `/` (`<credit code>/<brand>/<model>`): the path takes the rest of the URL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request

from recall.adapters.db.product_events import SqlProductEvents
from recall.api import audit as api_audit
from recall.api.deps import CurrentPrincipal
from recall.api.problems import PROBLEM_RESPONSES, not_found
from recall.api.read_model import ReadModelDep
from recall.api.routes.scores import score
from recall.domain.access import Principal, can_see
from recall.service.readmodel import pages as service
from recall.service.readmodel.product_series import product_series
from schemas import api

router = APIRouter(prefix="/products", tags=["products 产品"], responses=PROBLEM_RESPONSES)
NOUN = "product"


@router.get("/{product_key:path}", response_model=api.ProductRisk)
def show_product(
    request: Request, product_key: str, principal: CurrentPrincipal, read_model: ReadModelDep
) -> api.ProductRisk:
    """Registry facts (if registered), current score with its explanation, risk history."""
    view = service.product_view(read_model, product_key, service.regional_scope(principal))
    if view is None:
        raise not_found(NOUN, product_key)
    if not can_see(principal, service.scored(view.region, product_key)):
        raise api_audit.hidden(request, NOUN, product_key)
    registry = view.registry
    return api.ProductRisk(
        product_key=view.product_key,
        region=view.region,
        registry=None
        if registry is None
        else api.RegistryFacts(
            brand=registry.brand,
            model=registry.model,
            category=registry.category,
            kind=registry.kind,
            gtin=registry.gtin,
            units_in_use=registry.units_in_use,
            manufacturer_code=registry.manufacturer_code,
            manufacturer_name=registry.manufacturer_name,
            manufacturer_jurisdiction=registry.manufacturer_jurisdiction,
        ),
        score=score(view.score) if view.score else None,
        history=view.history,
        events=_events(request, product_key, principal),
    )


def _events(
    request: Request, product_key: str, principal: Principal
) -> api.ProductEventSeries | None:
    sessions = request.app.state.sessions
    found = product_series(
        SqlProductEvents(sessions),
        product_key,
        service.regional_scope(principal),
        now=datetime.now(UTC),
    )
    if found is None:
        return None
    return api.ProductEventSeries(days=found.days, counts=found.counts, truncated=found.truncated)
