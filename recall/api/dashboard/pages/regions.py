"""Risk by region: category × region heat map, drilled from province to county.

`/dashboard/regions?region=CODE` (default: the account's own region). The figures are the
API's `GET /statistics/risk-by-region` and `GET /signals?region=…`, so a region outside the
account's area reads as the API answers it (narrowed to the area, or not found).
"""

from __future__ import annotations

import re

from fastapi import Request
from fastapi.responses import Response

from recall.api.dashboard.frames import frame
from recall.api.dashboard.pages import Route

NAV = ("regions", "Risk by region")
CATEGORIES = (
    "children",
    "appliances",
    "electronics",
    "textiles",
    "furniture",
    "vehicles",
    "sports",
    "kitchenware",
    "lighting",
    "personal_care",
)
"""The product categories (schemas.common.ProductCategory), named on the heat map's rows."""
MESSAGES = (
    *CATEGORIES,
    "Region",
    "Open investigations",
    "Highest risk level",
    "Risk signals",
    "this level",
)
_CODE = re.compile(r"^[0-9]{6}$")


async def regions(request: Request) -> Response:
    """The page of one region; an address that is no code shows the account's own region."""
    asked = request.query_params.get("region", "")
    return await frame(
        request, "regions.html", "regions", region=asked if _CODE.match(asked) else ""
    )


ROUTES: tuple[Route, ...] = (("/regions", regions, ["GET"]),)
