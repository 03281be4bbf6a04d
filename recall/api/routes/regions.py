"""Region names (行政区划名称): the registry's GB/T 2260 names, for API users to label codes.

Names of administrative divisions are public (the standard publishes them), so any
authenticated account may read them; they say nothing about what happens in a region.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from recall.adapters.db.regions import SqlRegions
from recall.api.deps import CurrentPrincipal
from recall.api.problems import PROBLEM_RESPONSES, ProblemError
from recall.domain.jurisdiction import JurisdictionError, significant_prefix, validate
from schemas import api

router = APIRouter(prefix="/regions", tags=["regions 行政区划"], responses=PROBLEM_RESPONSES)


@router.get("", response_model=api.RegionNames)
def list_region_names(
    request: Request,
    principal: CurrentPrincipal,
    under: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{6}$",
            description="GB/T 2260 code: that division and every one under it "
            "(default: the caller's region for a regulator, else every registered name)",
        ),
    ] = None,
) -> api.RegionNames:
    """Names (中文, English) of the registered divisions under a code, in code order."""
    try:
        code = validate(under) if under else principal.region
    except JurisdictionError as error:
        raise ProblemError(422, f"under: {error}", kind="validation") from None
    prefix = significant_prefix(code) if code else None
    names = SqlRegions(request.app.state.sessions).region_names(prefix)
    return api.RegionNames(
        items=[api.RegionName(code=n.code, name_zh=n.name_zh, name_en=n.name_en) for n in names]
    )
