"""The overview: what a regulator opens every morning."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from recall.api.dashboard.frames import frame
from recall.api.dashboard.pages import Route

NAV = ("overview", "Overview")
MESSAGES = (
    "Purchase sampling",
    "Injury reports",
    "Media reports",
    "Consumer complaints",
    "Other sources",
    "Dead letters",
    "live_nb",
    "harmonic_nb",
    "cold_start",
    "severe_cluster",
    "fatal_case",
    "sampling_failure",
    "under_7_days",
    "7_to_30_days",
    "30_to_90_days",
    "over_90_days",
    "Oldest opened",
    "Open",
    "escalated",  # an alert kind without a title falls back to its label
)
"""Besides these, the overview shows station kinds and conditions (`stations.MESSAGES`)."""


async def overview(request: Request) -> Response:
    return await frame(request, "overview.html", "overview")


ROUTES: tuple[Route, ...] = (("", overview, ["GET"]),)
