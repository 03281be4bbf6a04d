"""The investigation queue and an investigation's page (assign a panel from it)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from recall.api.dashboard.frames import frame, plain
from recall.api.dashboard.pages import Route

NAV = ("investigations", "Investigations")
MESSAGES = (
    "Observed",
    "Expected",
    "Alarm threshold",
    "Assigning…",
    "Panel assigned",
    "open",
    "attach_evidence",
    "assign",
    "conclude",
    "request_recall",
    "defect_confirmed",
    "no_defect",
    "signal",
    "sampling_failure",
    "injury_cluster",
    "manual",
    "injury_report",
    "sampling_result",
    "recall_notice",
    "progress_report",
    "Events",
    "partial",
    "Sending…",
    "Recorded",
    "Not done",
    "county",
    "city",
    "province",
    "default",
    "severity",
    "regions",
    "firm_home",
    "deadline",
    "not placed yet",
)
MAX_ID = 64


async def queue(request: Request) -> Response:
    return await frame(request, "investigations.html", "investigations")


async def investigation(request: Request, investigation_id: str) -> Response:
    """The page of one investigation; whether the account may see it is the API's answer."""
    if len(investigation_id) > MAX_ID:
        return plain(404, "no such investigation")
    return await frame(
        request, "investigation.html", "investigations", investigation_id=investigation_id
    )


ROUTES: tuple[Route, ...] = (
    ("/investigations", queue, ["GET"]),
    ("/investigations/{investigation_id}", investigation, ["GET"]),
)
