"""What every list of the API shares: cursor pages, sorting, filters, CSV and NDJSON export.

- **Pages.** `limit` (1–500, default 50) items after `cursor`; the response's `next` is the
  URL of the following page, null on the last. The cursor is opaque: base64url of the last
  item's (sort value, id) and the sort order, signed with an HMAC so a changed cursor is a
  400 problem instead of a query on values nobody checked. Keyset pages (see
  `recall.service.paging`) show every item once even while the list grows.
- **Sorting.** `sort=field` ascending, `sort=-field` descending, among the fields each list
  allows (an enum in the OpenAPI document); the id breaks ties.
- **Export.** `format=json` (default) is one page. `format=csv` and `format=ndjson` stream
  every item that matches the filters, in the list's order (from `cursor` on, read `limit`
  at a time, each read one transaction, as the pages are):
  - CSV: UTF-8 with a byte order mark, so spreadsheet programs read the Chinese, and a header
    in "中文 / English" form. Cells that a spreadsheet would run as a formula (`=`, `+`, `-`,
    `@`) are quoted with `'`: dead-letter messages quote what stations sent.
  - NDJSON (`application/x-ndjson`): one JSON document per line, each exactly an item of the
    JSON pages (same fields, nesting and types, where CSV flattens and stringifies). NDJSON
    rather than one streamed JSON array because a line is complete on its own: a consumer
    handles each item as it arrives with any JSON parser (`jq -c`, `pandas.read_json(...,
    lines=True)`, a loop over lines) instead of holding the whole list or needing a streaming
    parser, and the server writes a page of lines without tracking an open bracket and
    commas. The price: a download cut short ends at a line boundary and still parses, where
    an array would fail to; a client that must know it has everything compares the count
    with the JSON pages'. Lines end with `\n` alone; split on that (U+2028 can occur
    unescaped inside strings, so not on every Unicode line break).
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import hmac
import io
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from recall.api.problems import ProblemError
from recall.service.paging import Page, PageRequest, Position
from schemas.common import in_utc

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
NDJSON = "application/x-ndjson"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Format(StrEnum):
    """What a list answers: one page, or every matching item."""

    JSON = "json"
    CSV = "csv"
    NDJSON = "ndjson"


class TableFormat(StrEnum):
    """What a report that is one document answers (statistics): its JSON already holds every
    row, so there is nothing for NDJSON to add; CSV serves spreadsheets."""

    JSON = "json"
    CSV = "csv"


Cursor = Annotated[
    str | None,
    Query(max_length=1000, description="the `next` link's cursor; absent for the first page"),
]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page (1–500)")]
ExportFormat = Annotated[
    Format,
    Query(
        alias="format",
        description="json: one page; csv or ndjson: every matching item, streamed",
    ),
]
TableExport = Annotated[
    TableFormat, Query(alias="format", description="json: the report; csv: its rows")
]


@dataclass(frozen=True, slots=True)
class Column:
    """A CSV column: the item's field and its bilingual header."""

    key: str
    zh: str
    en: str

    @property
    def header(self) -> str:
        return f"{self.zh} / {self.en}"


def page_request(request: Request, sort: str, cursor: str | None, limit: int) -> PageRequest:
    """The page asked for; a cursor that is not ours, or of another sort, is a 400."""
    after = decode_cursor(cursor_key(request), cursor, sort) if cursor else None
    return PageRequest(sort.lstrip("-"), sort.startswith("-"), limit, after)


def cursor_key(request: Request) -> bytes:
    key: bytes = request.app.state.cursor_key
    return key


def encode_cursor(key: bytes, position: Position, sort: str) -> str:
    values = [v.isoformat() if isinstance(v, datetime) else v for v in position]
    payload = orjson.dumps({"s": sort, "k": values})
    return f"{_b64(payload)}.{_b64(_sign(key, payload))}"


def decode_cursor(key: bytes, cursor: str, sort: str) -> Position:
    """The position a cursor names (its first value is the sort field's time)."""
    try:
        body, signature = cursor.split(".")
        payload = _unb64(body)
        if not hmac.compare_digest(_unb64(signature), _sign(key, payload)):
            raise ValueError("signature")
        document = orjson.loads(payload)
        values = document["k"]
        if document["s"] != sort:
            raise _bad_cursor("the cursor belongs to another sort order; start again without it")
        return _position(values)
    except ProblemError:
        raise
    except (ValueError, KeyError, TypeError, IndexError, binascii.Error) as error:
        raise _bad_cursor("the cursor is not one this API issued") from error


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _position(values: object) -> Position:
    """A cursor's values, checked for the shape positions have (ValueError otherwise).

    Signed cursors are ours; the secret that signs them also derives the stations' keys, so a
    forger holds far more than lists. These cheap checks keep the worst of a forgery out of
    SQL all the same: a time, then up to three keys (short printable strings, 64-bit
    integers, finite numbers or null). A position of the wrong types for its list is not
    caught here. Anything else (a NUL, a
    nested object, a time past the calendar's end in UTC) would reach the database's
    comparison and come back as a server error instead of a 400.
    """
    if not isinstance(values, list) or not 2 <= len(values) <= 4:
        raise ValueError("a position is a time and one to three keys")
    first, *keys = values
    if not isinstance(first, str):
        raise ValueError("a position starts with a time")
    moment = datetime.fromisoformat(first)
    in_utc(moment)  # ValueError when UTC cannot hold it
    for key in keys:
        if key is None:  # a nullable sort column's value
            continue
        if isinstance(key, bool) or not isinstance(key, str | int | float):
            raise ValueError("a position's keys are strings or numbers")
        if isinstance(key, int) and not -(2**63) <= key < 2**63:
            raise ValueError("a position's integers are 64-bit")
        if isinstance(key, float) and not math.isfinite(key):
            raise ValueError("a position's numbers are finite")
        if isinstance(key, str) and (len(key) > 300 or _CONTROL.search(key)):
            raise ValueError("a position's strings are short and printable")
    return (moment, *keys)


def page_body(request: Request, page: Page[Any], sort: str, items: list[Any]) -> dict[str, Any]:
    """`items` and the `next` link of a page."""
    next_url = None
    if page.next_after is not None:
        token = encode_cursor(cursor_key(request), page.next_after, sort)
        next_url = str(request.url.include_query_params(cursor=token))
    return {"items": items, "next": next_url}


def every_page(fetch: Callable[[PageRequest], Page[T]], first: PageRequest) -> Iterator[list[T]]:
    """The items of `first` and of every page after it (each page is one transaction)."""
    request: PageRequest | None = first
    while request is not None:
        page = fetch(request)
        yield page.items
        after = page.next_after
        request = (
            None if after is None else PageRequest(first.sort, first.descending, first.limit, after)
        )


EXPORTS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            "A page of JSON; with `format=csv` or `format=ndjson` every matching item, as CSV "
            "or as one JSON item per line"
        ),
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            NDJSON: {"schema": {"type": "string"}},
        },
    }
}
"""`responses=` of every list route: the OpenAPI document declares both exports."""

CSV_EXPORT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The report as JSON, or with `format=csv` its rows as CSV",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}
"""`responses=` of a one-document report (`TableFormat`): CSV is its only other form."""


def export_response(
    export: Format, columns: Sequence[Column], pages: Iterable[Sequence[BaseModel]], name: str
) -> StreamingResponse:
    """The streamed download `export` names (CSV or NDJSON) of the documents of every page."""
    if export is Format.NDJSON:
        return ndjson_response(pages, name)
    if export is Format.CSV:
        return csv_response(columns, pages, name)
    raise ValueError(f"{export} is a page, not an export")


def ndjson_response(pages: Iterable[Sequence[BaseModel]], name: str) -> StreamingResponse:
    """A streamed NDJSON download: each document as FastAPI writes it in a JSON page."""
    return StreamingResponse(
        _ndjson_chunks(pages),
        media_type=NDJSON,
        headers={"Content-Disposition": f'attachment; filename="{name}.ndjson"'},
    )


def _ndjson_chunks(pages: Iterable[Sequence[BaseModel]]) -> Iterator[bytes]:
    for documents in pages:
        if documents:
            yield b"".join(d.model_dump_json(by_alias=True).encode() + b"\n" for d in documents)


def csv_response(
    columns: Sequence[Column], pages: Iterable[Sequence[BaseModel]], name: str
) -> StreamingResponse:
    """A streamed CSV download of the documents of every page."""
    return StreamingResponse(
        _csv_chunks(columns, pages),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _csv_chunks(columns: Sequence[Column], pages: Iterable[Sequence[BaseModel]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    yield "\ufeff" + _drain(buffer)
    for documents in pages:
        for document in documents:
            values = document.model_dump(mode="json")
            writer.writerow([_cell(values.get(c.key)) for c in columns])
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = "; ".join(value)
    elif isinstance(value, (list, dict)):
        text = orjson.dumps(value).decode()
    elif isinstance(value, bool):
        return "true" if value else "false"
    elif isinstance(value, (int, float)):
        return str(value)
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _bad_cursor(detail: str) -> ProblemError:
    return ProblemError(400, detail, kind="invalid-cursor")


def _sign(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
