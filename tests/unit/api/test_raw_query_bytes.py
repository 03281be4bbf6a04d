"""A query string of raw bytes that are not UTF-8 is a 400 problem, not a crash.

uvicorn's default HTTP parser (h11) refuses such a request line before the app; other
servers and proxies pass the bytes on, and Starlette's `request.url` — used by every problem
document and every dashboard page — raised UnicodeDecodeError, in the error handler too, so
the client got no response at all. The test calls the ASGI app directly, as such a server
would, since an HTTP client will not send the bytes either.
"""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import orjson
import pytest
from fastapi import FastAPI

PATHS = ["/public/recalls.atom", "/investigations", "/dashboard/login", "/healthz"]


def _call(app: FastAPI, path: str, query: bytes) -> tuple[int, bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    [start] = [m for m in sent if m["type"] == "http.response.start"]
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body


@pytest.mark.parametrize("path", PATHS)
def test_a_raw_non_utf8_query_is_a_400_problem(app: FastAPI, path: str) -> None:
    status, body = _call(app, path, b"x=\xe9&lang=\xff")

    assert status == 400
    problem = orjson.loads(body)
    assert "not UTF-8" in problem["detail"]
    assert problem["instance"] == path


def test_a_percent_encoded_query_still_reaches_the_route(app: FastAPI) -> None:
    status, _ = _call(app, "/healthz", b"x=%C3%A9")
    assert status == 200
