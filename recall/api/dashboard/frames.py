"""How a dashboard page is answered: the signed-in check, the frame's template in the reader's
language, the security headers. Shared by `routes.py` and every module under `pages/`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from recall.api.auth import SESSION_COOKIE, AuthProblem, verify_token
from recall.api.dashboard import i18n
from recall.api.dashboard.places import labelled, places
from recall.domain.access import Principal, Role

HERE = Path(__file__).parent
PREFIX = "/dashboard"


@dataclass(frozen=True)
class Navigation:
    """What every frame carries: the pages to link and the strings the scripts translate.

    Kept on `app.state.dashboard` by `install_dashboard`, so a page module never imports the
    module that lists all pages."""

    pages: tuple[tuple[str, str], ...]
    js_messages: tuple[str, ...]


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


async def frame(request: Request, template: str, active: str, **context: Any) -> Response:
    """A page for a signed-in account; anyone else is sent to sign in."""
    principal = await signed_in(request)
    if principal is None:
        return RedirectResponse(f"{PREFIX}/login", status_code=303)
    return page(request, template, principal, status=200, active=active, **context)


async def signed_in(request: Request) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return await verify_token(request, token)
    except AuthProblem:
        return None


def page(
    request: Request, template: str, principal: Principal | None, *, status: int, **context: Any
) -> Response:
    code = i18n.choose(
        request.query_params.get("lang"),
        request.cookies.get(i18n.COOKIE),
        request.headers.get("accept-language"),
    )
    language = i18n.language(code)
    navigation: Navigation = request.app.state.dashboard
    names = places(request, principal, language.code)
    html = (
        _templates(language.code)
        .get_template(template)
        .render(
            lang=language,
            principal=principal,
            who=_who(principal, language, names) if principal else None,
            places=names,
            pages=navigation.pages,
            prefix=PREFIX,
            path=request.url.path,
            js_messages={m: language.gettext(m) for m in navigation.js_messages},
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
    if request.query_params.get("lang"):
        response.set_cookie(i18n.COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
    return response


def _who(principal: Principal, language: i18n.Language, names: dict[str, str]) -> str:
    """How the header names the signed-in account's scope ("太原市 (140100)" once named)."""
    match principal.role:
        case Role.REGULATOR:
            return language.gettext("Regulator") + f" · {labelled(principal.region or '', names)}"
        case Role.EXPERT:
            return language.gettext("Expert") + f" · {principal.expert_id}"
        case Role.STATION | Role.FIRM:
            return language.gettext(principal.role.value.title()) + f" · {principal.station_id}"
        case _:
            return language.gettext("Public")


SECURITY_HEADERS = {
    # ECharts' tooltips carry inline styles; scripts stay same-origin only.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:;"
    " style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self';"
    " frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def plain(status: int, text: str) -> Response:
    return Response(text, status_code=status, media_type="text/plain; charset=utf-8")
