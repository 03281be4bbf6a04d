"""Recalls (召回): the register and a recall's page — the correction curve per supply level
against the target, the forecast with its 80 % band, deadlines and reports, incidents before
and after the start, residual risk, the evaluation, the closure report, and the regulator's
actions (evaluate, close). Every figure is the API's (`GET /recalls`, `GET /recalls/{id}`)."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from recall.api.dashboard.frames import frame, plain
from recall.api.dashboard.pages import Route

NAV = ("recalls", "Recalls")
MESSAGES = (
    # recall states and verdicts, kinds, supply levels (the API's enum values)
    "announced",
    "in_progress",
    "lagging",
    "completed",
    "evaluated",
    "closed",
    "effective",
    "partially_effective",
    "ineffective",
    "voluntary",
    "ordered",
    "manufacturer",
    "distributor",
    "retailer",
    "consumer",
    "overall",
    # deadlines
    "pending",
    "on_time",
    "late",
    "overdue",
    "unscheduled",
    # alerts about a recall
    "recall_lagging",
    "recall_ineffective",
    "progress_report_overdue",
    "referral",
    # the page's script
    "Report overdue",
    "Target rate",
    "Target date",
    "After the start",
    "Forecast",
    "{level} band",
    "Forecast at the target date: {rate} ({level} band {low}–{high}), from {n} reports",
    "{rate} ({level} band {low}–{high}) at day {day} after the start",
    "No forecast: no report yet and no finished recalls of this category to learn from",
    "The target date has passed or the recall owes no more reports: the curve is the outcome",
    "Injuries",
    "Failed samples",
    "per 1,000 unit-years",
    "not yet measurable",
    "Evaluating…",
    "Closing…",
    "Evaluated",
    "Closed",
    "Enter a reason",
    "days",
    "Missed reports",
    "The firm refused",
)
MAX_ID = 64


async def register(request: Request) -> Response:
    return await frame(request, "recalls.html", "recalls")


async def recall(request: Request, recall_id: str) -> Response:
    """The page of one recall; whether the account may see it is the API's answer."""
    if len(recall_id) > MAX_ID:
        return plain(404, "no such recall")
    return await frame(request, "recall.html", "recalls", recall_id=recall_id)


ROUTES: tuple[Route, ...] = (
    ("/recalls", register, ["GET"]),
    ("/recalls/{recall_id}", recall, ["GET"]),
)
