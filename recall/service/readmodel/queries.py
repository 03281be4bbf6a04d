"""Read-only questions the regulator API (and the CLI) ask of the read model.

Every list is paged by a keyset cursor: the (sort value, key) of the last row returned,
opaque to callers. Unlike an offset, it stays correct while the projector inserts rows, and a
page costs the same however deep it is. `scope` is a GB/T 2260 code covering its sub-areas (a
province its cities and counties, a city its counties).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Generic, TypeVar

from recall.domain.jurisdiction import significant_prefix
from recall.service.readmodel.ports import (
    AlertFilter,
    Cursor,
    ReadModel,
    ScoreFilter,
    ScoreSort,
    ScoreView,
    SignalFilter,
    StationHealth,
)
from schemas.risk import Alert, SignalRaised

__all__ = [
    "InvalidCursorError",
    "Page",
    "ProductRisk",
    "list_alerts",
    "list_scores",
    "list_signals",
    "product_risk",
    "station_health",
]

T = TypeVar("T")
MAX_LIMIT = 500


class InvalidCursorError(ValueError):
    """A cursor this query did not hand out (or one for another sort order)."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class ProductRisk:
    """A product's current score (None before its first) and its signals, oldest first."""

    score: ScoreView | None
    signals: list[SignalRaised]


def list_scores(
    read_model: ReadModel,
    *,
    scope: str | None = None,
    risk_levels: Collection[str] = (),
    category: str | None = None,
    sort: ScoreSort = ScoreSort.SCORE,
    descending: bool = True,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ScoreView]:
    """Current scores, highest (or most recently updated) first by default."""
    tag = f"scores:{sort.value}:{'desc' if descending else 'asc'}"
    query = ScoreFilter(
        region_prefix=_prefix(scope),
        risk_levels=tuple(risk_levels),
        category=category,
        sort=sort,
        descending=descending,
        after=decode_cursor(cursor, tag, timed=sort is ScoreSort.UPDATED_AT),
        limit=_bounded(limit) + 1,
    )
    rows = read_model.scores(query)

    def position(row: ScoreView) -> Cursor:
        value = row.score if sort is ScoreSort.SCORE else row.updated_at
        return (value, row.product_key)

    return _page(rows, limit, tag, position)


def list_signals(
    read_model: ReadModel,
    *,
    product_key: str | None = None,
    scope: str | None = None,
    risk_levels: Collection[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[SignalRaised]:
    """Signals, newest first; `since` inclusive, `until` exclusive (times of raising)."""
    tag = "signals"
    query = SignalFilter(
        product_key=product_key,
        region_prefix=_prefix(scope),
        risk_levels=tuple(risk_levels),
        since=since,
        until=until,
        after=decode_cursor(cursor, tag, timed=True),
        limit=_bounded(limit) + 1,
    )
    return _page(read_model.signals(query), limit, tag, lambda s: (s.raised_at, s.signal_id))


def list_alerts(
    read_model: ReadModel,
    *,
    kinds: Collection[str] = (),
    scope: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[Alert]:
    """Alerts (regional signals, investigations, recalls), newest first."""
    tag = "alerts"
    query = AlertFilter(
        kinds=tuple(kinds),
        region_prefix=_prefix(scope),
        since=since,
        until=until,
        after=decode_cursor(cursor, tag, timed=True),
        limit=_bounded(limit) + 1,
    )
    return _page(read_model.alerts(query), limit, tag, lambda a: (a.at, a.alert_id))


def product_risk(read_model: ReadModel, product_key: str, *, limit: int = MAX_LIMIT) -> ProductRisk:
    """A product's risk history: its current score and its latest `limit` signals, oldest
    first (the order a person reads a history in)."""
    found = read_model.scores(ScoreFilter(product_key=product_key, limit=1))
    score = found[0] if found else None
    signals = read_model.signals(SignalFilter(product_key=product_key, limit=_bounded(limit)))
    return ProductRisk(score, list(reversed(signals)))


def station_health(
    read_model: ReadModel,
    station_id: str,
    *,
    window: timedelta = timedelta(days=7),
    now: datetime | None = None,
) -> StationHealth:
    """A station's last contact, accepted events and rejections by reason over `window`."""
    since = (now or datetime.now(UTC)) - window
    return read_model.stations_health([station_id], since)[station_id]


def _prefix(scope: str | None) -> str | None:
    return significant_prefix(scope) if scope else None


def _bounded(limit: int) -> int:
    return max(1, min(limit, MAX_LIMIT))


def _page(rows: list[T], limit: int, tag: str, position: Callable[[T], Cursor]) -> Page[T]:
    limit = _bounded(limit)
    if len(rows) <= limit:
        return Page(rows, None)
    items = rows[:limit]
    return Page(items, encode_cursor(tag, position(items[-1])))


def encode_cursor(tag: str, cursor: Cursor) -> str:
    value, key = cursor
    shown = value.isoformat() if isinstance(value, datetime) else value
    raw = json.dumps([tag, shown, key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, tag: str, *, timed: bool) -> Cursor | None:
    """The position a cursor names, checked against the query it is used with."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        found, value, key = json.loads(raw)
        if found != tag or not isinstance(key, str):
            raise InvalidCursorError("this cursor belongs to another list or order")
        if timed:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise InvalidCursorError("a cursor's time carries its offset")
            return (moment, key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidCursorError("a score cursor holds a number")
        return (float(value), key)
    except InvalidCursorError:
        raise
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError) as error:
        raise InvalidCursorError("malformed cursor") from error
