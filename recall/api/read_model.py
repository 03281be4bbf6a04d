"""What the read-model resources share: the store, untimed cursors, time windows.

The read model (`SqlReadModelPages`) is built on first use from the application's session
factory and kept on `app.state`. The list cursors of `recall.api.lists` begin with a time;
orders that have none (a score, a station id) put the epoch there, so every list's cursor is
signed and checked the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request

from recall.adapters.db.read_model_pages import SqlReadModelPages
from recall.api import lists
from recall.api.moments import ZonedQueryInstant
from recall.api.problems import ProblemError
from recall.service.paging import Page, PageRequest
from recall.service.readmodel.page_ports import ReadModelPages

T = TypeVar("T")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

Since = Annotated[
    ZonedQueryInstant | None,
    Query(description="from this time on (inclusive, ISO-8601 with offset)"),
]
Until = Annotated[ZonedQueryInstant | None, Query(description="before this time (exclusive)")]


def _read_model(request: Request) -> ReadModelPages:
    state = request.app.state
    found: ReadModelPages | None = getattr(state, "read_model", None)
    if found is None:
        found = state.read_model = SqlReadModelPages(state.sessions)
    return found


ReadModelDep = Annotated[ReadModelPages, Depends(_read_model)]


def page_request(
    request: Request, sort: str, cursor: str | None, limit: int, *, timed: bool = True
) -> PageRequest:
    """The page asked for; an untimed order's cursor carries the epoch first (dropped here)."""
    first = lists.page_request(request, sort, cursor, limit)
    if timed:
        return first
    after = first.after[1:] if first.after is not None else None
    return PageRequest(first.sort, first.descending, first.limit, after)


def page_body(
    request: Request, page: Page[T], sort: str, items: list[Any], *, timed: bool = True
) -> dict[str, Any]:
    """`items` and the `next` link; an untimed order's position gets the epoch first."""
    if not timed and page.next_after is not None:
        page = Page(page.items, (EPOCH, *page.next_after))
    return lists.page_body(request, page, sort, items)


def check_window(since: datetime | None, until: datetime | None) -> None:
    """`since` comes before `until` (else 422); each end's offset and bounds are checked by
    its type (`ZonedQueryInstant`)."""
    if since is not None and until is not None and since >= until:
        raise ProblemError(422, "since must come before until", kind="validation")
