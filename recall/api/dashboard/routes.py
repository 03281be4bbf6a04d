"""Sign-in, sign-out, the chart library, the live feed, and the wiring of the pages."""

from __future__ import annotations

import secrets
from itertools import chain
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles

from recall.api.auth import CSRF_COOKIE, SESSION_COOKIE, AuthProblem, verify_token
from recall.api.dashboard.frames import HERE, PREFIX, Navigation, page, plain, signed_in
from recall.api.dashboard.live import LiveHub
from recall.api.dashboard.pages import Route, investigations, overview, recalls, regions, stations
from recall.config import Settings

ECHARTS = HERE / "assets" / "node_modules" / "echarts" / "dist" / "echarts.min.js"
SESSION_HOURS = 12
MAX_FORM_BYTES = 4096


CORE_MESSAGES = (
    "Nothing to show",
    "Could not load",
    "Live: on",
    "Live: off",
    "Live: reconnecting",
    "More",
    "Not found, or outside your area",
    "opened",
    "assigned",
    "concluded",
    "recall_requested",
    "low",
    "medium",
    "high",
    "serious",
    "mechanical",
    "cuts",
    "electric_shock",
    "fire",
    "burns",
    "choking",
    "suffocation",
    "strangulation",
    "chemical",
    "entrapment",
    "drowning",
    "damage_to_sight",
    "damage_to_hearing",
    "microbiological",
    "other",
)
"""What `dashboard.js` and every page show: states, levels, hazards, the live indicator."""

PAGE_MODULES = (overview, regions, investigations, recalls, stations)
"""In navigation order."""

JS_MESSAGES = tuple(dict.fromkeys(chain(CORE_MESSAGES, *(m.MESSAGES for m in PAGE_MODULES))))
"""What the pages' scripts show: sent translated with each page (a script cannot call gettext)."""

PAGES = tuple(m.NAV for m in PAGE_MODULES if m.NAV is not None)
"""The navigation: only pages that are built (see `pages/__init__.py`)."""


def install_dashboard(app: FastAPI, settings: Settings) -> None:
    """Mount the dashboard's routes and assets on `app` (after `install_auth`)."""
    hub = LiveHub(settings)
    app.state.live = hub
    app.state.dashboard = Navigation(pages=PAGES, js_messages=JS_MESSAGES)
    app.router.on_shutdown.append(hub.close)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="dashboard-static")
    routes: list[Route] = [
        *(route for module in PAGE_MODULES for route in module.ROUTES),
        ("/login", login_form, ["GET"]),
        ("/login", login, ["POST"]),
        ("/logout", logout, ["POST"]),
        ("/vendor/echarts.min.js", echarts, ["GET"]),
        ("/live", live, ["GET"]),
    ]
    for path, endpoint, methods in routes:
        app.add_api_route(PREFIX + path, endpoint, methods=methods, include_in_schema=False)


async def echarts(request: Request) -> Response:
    """Apache ECharts, installed from npm by `make setup` (never a CDN, never committed)."""
    if not ECHARTS.is_file():
        return plain(
            503,
            "the dashboard's chart library is not installed: run `make setup`"
            " (npm ci in recall/api/dashboard/assets)",
        )
    headers = {"Cache-Control": "public, max-age=86400"}
    return Response(ECHARTS.read_bytes(), media_type="text/javascript", headers=headers)


async def live(request: Request) -> Response:
    """Server-sent events of what the account may see (`live.py`); 401 without a session."""
    principal = await signed_in(request)
    if principal is None:
        return plain(401, "sign in at /dashboard/login first")
    hub: LiveHub = request.app.state.live
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(hub.stream(principal), media_type="text/event-stream", headers=headers)


async def login_form(request: Request) -> Response:
    return page(request, "login.html", None, status=200, error=None)


async def login(request: Request) -> Response:
    """Check a pasted token like any request's; on success keep it in an HttpOnly cookie."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return page(request, "login.html", None, status=413, error="too_long")
    try:  # the form has one field; a body with many is not from it
        fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=4)
    except ValueError:
        return page(request, "login.html", None, status=400, error="malformed")
    token = (fields.get("token") or [""])[0].strip()
    if not token:
        return page(request, "login.html", None, status=400, error="missing")
    try:
        await verify_token(request, token)
    except AuthProblem as problem:
        error = "throttled" if problem.status_code == 429 else "invalid"
        if problem.status_code == 503:
            error = "unavailable"
        return page(request, "login.html", None, status=problem.status_code, error=error)
    response = RedirectResponse(PREFIX, status_code=303)
    secure = request.url.scheme == "https"
    age = SESSION_HOURS * 3600
    response.set_cookie(SESSION_COOKIE, token, max_age=age, httponly=True, secure=secure,
                        samesite="strict", path="/")  # fmt: skip
    response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(24), max_age=age, secure=secure,
                        samesite="strict", path="/")  # fmt: skip
    return response


async def logout(request: Request) -> Response:
    response = RedirectResponse(f"{PREFIX}/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response
