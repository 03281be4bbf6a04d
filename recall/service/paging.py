"""Keyset pages over a list a person reads: a page of items and where the next one starts.

Why keyset and not offsets: a list that grows while someone pages through it (new dead letters,
new investigations) must show every item once. A page starts strictly after the last item of
the previous one, by (sort value, id), so inserts elsewhere never shift it. The API turns the
position into an opaque cursor; adapters turn it into a row comparison in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

Position = tuple[object, ...]
"""(sort value, *id parts) of the last item a page showed."""


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which page: sort field and direction, size, and the position to start after."""

    sort: str
    descending: bool
    limit: int
    after: Position | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """Items in order; `next_after` is None on the last page."""

    items: list[T]
    next_after: Position | None
