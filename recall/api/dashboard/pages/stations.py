"""Stations (监测站点): who reports, when each was last heard from, what was refused.

The list (GET /stations, worst first: silent, then failing by share refused) and a station's
page (its traffic per hour or day from GET /stations/{id}/traffic, its recent dead letters).
Whether the account may see a station is the API's answer, as everywhere.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from recall.api.dashboard.frames import frame, plain
from recall.api.dashboard.pages import Route

NAV: tuple[str, str] | None = ("stations", "Stations")
STATION_KINDS = (
    "hospital",
    "school",
    "traffic_police",
    "mall",
    "supermarket",
    "enforcement",
    "lab",
    "media",
    "firm",
)
"""`schemas.common.StationKind`'s values, shown translated (the overview uses them too)."""
REJECT_REASONS = (
    "malformed_json",
    "oversize",
    "schema",
    "unknown_reporter",
    "disabled_reporter",
    "unauthenticated",
    "wrong_jurisdiction",
    "not_permitted",
    "unknown_recall",
    "invalid_progress",
    "recall_conflict",
    "event_time_out_of_range",
    "event_id_conflict",
    "storage_refused",
    "internal_error",
    "processing_error",
)
"""`schemas.records.RejectReason`'s values."""
MESSAGES = (
    *STATION_KINDS,
    *REJECT_REASONS,
    "silent",
    "failing",
    "ok",
    "disabled",
    "never",
    "Accepted",
    "Refused",
    "Enabled",
    "Disabled",
)
MAX_ID = 64


async def stations(request: Request) -> Response:
    return await frame(request, "stations.html", "stations")


async def station(request: Request, station_id: str) -> Response:
    """One station's page; whether the account may see it is the API's answer."""
    if len(station_id) > MAX_ID:
        return plain(404, "no such station")
    return await frame(request, "station.html", "stations", station_id=station_id)


ROUTES: tuple[Route, ...] = (
    ("/stations", stations, ["GET"]),
    ("/stations/{station_id}", station, ["GET"]),
)
