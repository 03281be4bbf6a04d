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
from schemas.common import StationKind
from schemas.records import RejectReason

NAV: tuple[str, str] | None = ("stations", "Stations")
STATION_KINDS = tuple(kind.value for kind in StationKind)
"""Shown translated (the overview uses them too); a new kind fails the catalogue test until
it is translated."""
REJECT_REASONS = tuple(reason.value for reason in RejectReason)
"""Why a record was refused, translated; a new reason likewise."""
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
