"""The `region` filter of the lists: a GB/T 2260 code that covers its area."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from recall.api.problems import ProblemError
from recall.domain.jurisdiction import JurisdictionError, validate

RegionFilter = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9]{6}$",
        description="GB/T 2260 code: a province (140000) covers its cities and counties, "
        "a city (140100) its counties; combined with the caller's own scope",
    ),
]


def checked_region(region: str | None) -> str | None:
    """The code, or a 422 problem naming the broken rule (e.g. county digits under no city)."""
    if region is None:
        return None
    try:
        return validate(region)
    except JurisdictionError as error:
        raise ProblemError(422, f"region: {error}", kind="validation") from None
