"""Sign-in, sign-out, the language switch and the pages' frames."""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from recall.api.auth import CSRF_COOKIE, SESSION_COOKIE, AuthProblem, verify_token
from recall.api.dashboard import i18n
from recall.api.dashboard.live import LiveHub
from recall.config import Settings
from recall.domain.access import Principal, Role

HERE = Path(__file__).parent
PREFIX = "/dashboard"
ECHARTS = HERE / "assets" / "node_modules" / "echarts" / "dist" / "echarts.min.js"
SESSION_HOURS = 12
MAX_FORM_BYTES = 4096


@cache
def _templates(code: str) -> Environment:
    """One environment per language, made once: its compiled templates are kept between
    requests (an overlay per request would compile every template on every page view)."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.language(code).translations, newstyle=True)  # type: ignore[attr-defined]  # added by the i18n extension
    return env


JS_MESSAGES = (
    "Nothing to show",
    "Could not load",
    "Purchase sampling",
    "Injury reports",
    "Other sources",
    "Live: on",
    "Live: off",
    "Live: reconnecting",
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
    "Observed",
    "Expected",
    "Alarm threshold",
    "More",
    "Assigning…",
    "Panel assigned",
    "Not found, or outside your area",
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
)
"""What the pages' scripts show: sent translated with each page (a script cannot call gettext)."""

PAGES = (("overview", "Overview"), ("investigations", "Investigations"))
"""The navigation: only pages that exist (investigations, recalls, risk by region and stations
join it as they are built — a link to nothing is worse than no link)."""


def install_dashboard(app: FastAPI, settings: Settings) -> None:
    """Mount the dashboard's routes and assets on `app` (after `install_auth`)."""
    hub = LiveHub(settings)
    app.state.live = hub
    app.router.on_shutdown.append(hub.close)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=HERE / "static"), name="dashboard-static")
    routes: list[tuple[str, Any, list[str]]] = [
        ("", overview, ["GET"]),
        ("/investigations", investigations, ["GET"]),
        ("/investigations/{investigation_id}", investigation, ["GET"]),
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
        return _plain(
            503,
            "the dashboard's chart library is not installed: run `make setup`"
            " (npm ci in recall/api/dashboard/assets)",
        )
    headers = {"Cache-Control": "public, max-age=86400"}
    return Response(ECHARTS.read_bytes(), media_type="text/javascript", headers=headers)


async def live(request: Request) -> Response:
    """Server-sent events of what the account may see (`live.py`); 401 without a session."""
    principal = await _signed_in(request)
    if principal is None:
        return _plain(401, "sign in at /dashboard/login first")
    hub: LiveHub = request.app.state.live
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(hub.stream(principal), media_type="text/event-stream", headers=headers)


async def login_form(request: Request) -> Response:
    return _page(request, "login.html", None, status=200, error=None)


async def login(request: Request) -> Response:
    """Check a pasted token like any request's; on success keep it in an HttpOnly cookie."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return _page(request, "login.html", None, status=413, error="too_long")
    fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=4)
    token = (fields.get("token") or [""])[0].strip()
    if not token:
        return _page(request, "login.html", None, status=400, error="missing")
    try:
        await verify_token(request, token)
    except AuthProblem as problem:
        error = "throttled" if problem.status_code == 429 else "invalid"
        if problem.status_code == 503:
            error = "unavailable"
        return _page(request, "login.html", None, status=problem.status_code, error=error)
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


async def overview(request: Request) -> Response:
    principal = await _signed_in(request)
    if principal is None:
        return RedirectResponse(f"{PREFIX}/login", status_code=303)
    return _page(request, "overview.html", principal, status=200, active="overview")


async def investigations(request: Request) -> Response:
    return await _frame(request, "investigations.html", "investigations")


async def investigation(request: Request, investigation_id: str) -> Response:
    """The page of one investigation; whether the account may see it is the API's answer."""
    if len(investigation_id) > 64:
        return _plain(404, "no such investigation")
    return await _frame(
        request, "investigation.html", "investigations", investigation_id=investigation_id
    )


async def _frame(request: Request, template: str, active: str, **context: Any) -> Response:
    principal = await _signed_in(request)
    if principal is None:
        return RedirectResponse(f"{PREFIX}/login", status_code=303)
    return _page(request, template, principal, status=200, active=active, **context)


async def _signed_in(request: Request) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return await verify_token(request, token)
    except AuthProblem:
        return None


def _page(
    request: Request, template: str, principal: Principal | None, *, status: int, **context: Any
) -> Response:
    code = i18n.choose(
        request.query_params.get("lang"),
        request.cookies.get(i18n.COOKIE),
        request.headers.get("accept-language"),
    )
    language = i18n.language(code)
    html = (
        _templates(language.code)
        .get_template(template)
        .render(
            lang=language,
            principal=principal,
            who=_who(principal, language) if principal else None,
            pages=PAGES,
            prefix=PREFIX,
            path=request.url.path,
            js_messages={m: language.gettext(m) for m in JS_MESSAGES},
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status, headers=_SECURITY_HEADERS)
    if request.query_params.get("lang"):
        response.set_cookie(i18n.COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
    return response


def _who(principal: Principal, language: i18n.Language) -> str:
    """How the header names the signed-in account's scope."""
    match principal.role:
        case Role.REGULATOR:
            return language.gettext("Regulator") + f" · {principal.region}"
        case Role.EXPERT:
            return language.gettext("Expert") + f" · {principal.expert_id}"
        case Role.STATION | Role.FIRM:
            return language.gettext(principal.role.value.title()) + f" · {principal.station_id}"
        case _:
            return language.gettext("Public")


_SECURITY_HEADERS = {
    # ECharts' tooltips carry inline styles; scripts stay same-origin only.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:;"
    " style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self';"
    " frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _plain(status: int, text: str) -> Response:
    return Response(text, status_code=status, media_type="text/plain; charset=utf-8")
