"""Refuse control characters in a request's path and query, before any route sees them.

No identifier, region code, cursor, sort key or filter value of this API holds a C0 control
or DEL, and PostgreSQL cannot hold NUL in a text parameter at all: an id such as `a%00b`
reached the database as a lookup and as an audit row's subject, and the database's refusal
came back as a 500. Checking at the edge covers every route, present and future, instead of
trusting each parameter's own validation to remember it.

The answers match what a client already gets for the same mistake elsewhere: a path that
names nothing is a 404 (no object has such an id), a query value that cannot be valid is a
422 naming the parameter. Both are declared on every resource route, so the OpenAPI document
stays true. A query string of raw bytes that are not UTF-8 (not percent-encoded) is a 400.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from recall.api.problems import problem
from schemas.api import FieldProblem

_CONTROL = re.compile("[\x00-\x1f\x7f]")


class ControlCharacterGuard:
    """ASGI middleware: answer a problem for a control character in the path or the query."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            response = _refusal(scope)
            if response is not None:
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _refusal(scope: Scope) -> JSONResponse | None:
    path: str = scope["path"]
    # The echoed path is percent-encoded: the problem document should not carry a control
    # character into a client's log either.
    instance = quote(path, safe="/")
    if not _is_utf8(scope.get("query_string", b"")):
        # uvicorn's default parser refuses such a request line; others pass the bytes on, and
        # Starlette's `request.url` (every problem document, every page) would then raise.
        request = Request({**scope, "query_string": b""})
        detail = "the query string is not UTF-8; percent-encode it (RFC 3986)"
        return problem(request, 400, detail, instance=instance)
    request = Request(scope)
    found = _CONTROL.search(path)
    if found is not None:
        detail = f"no resource at this path: it contains the control character {_name(found)}"
        return problem(request, 404, detail, instance=instance)
    errors = [
        FieldProblem(
            field=f"query.{_printable(name)}",
            message=f"contains the control character {_name(bad)}; no value here holds one",
        )
        for name, value in _query(scope)
        if (bad := _CONTROL.search(name) or _CONTROL.search(value)) is not None
    ]
    if errors:
        detail = "the request has invalid fields"
        return problem(
            request, 422, detail, kind="validation", errors=errors[:20], instance=instance
        )
    return None


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _query(scope: Scope) -> list[tuple[str, str]]:
    """The query's pairs, decoded the way Starlette decodes them for the routes."""
    raw: bytes = scope.get("query_string", b"")
    if not raw:
        return []
    return parse_qsl(raw.decode("latin-1"), keep_blank_values=True)


def _name(found: re.Match[str]) -> str:
    return f"U+{ord(found.group()):04X}"


def _printable(name: str) -> str:
    return _CONTROL.sub("\N{REPLACEMENT CHARACTER}", name)[:100]
