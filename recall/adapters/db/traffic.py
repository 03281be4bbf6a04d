"""The traffic charts' reads (`TrafficReads`): one grouped query per series.

Each query keeps the rows received in [origin, end) and groups them by the bucket index
`floor((epoch(received_at) - epoch(origin)) / width)` — computed by the database
(`extract(epoch …)` on PostgreSQL, `strftime('%s', …)` on SQLite, where stored times are UTC
wall-clock text) — and one key, so it returns at most buckets × keys rows however many records
there are. A station's series walk its range of `ix_events_reporter_received` and
`ix_dead_letters_reporter_received`; an area's join the area's stations to the same indexes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Integer, cast, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from recall.adapters.db.models import DeadLetterRow, Event, Station
from recall.domain.traffic import Buckets
from recall.service.traffic.ports import IntakeTally, Tally

Received = InstrumentedAttribute[Any]
Index = Callable[[Received], ColumnElement[int]]


class SqlTraffic:
    """Grouped counts over a session factory (one read transaction per call)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def station_accepted(self, station_id: str, buckets: Buckets) -> list[Tally]:
        with self.sessions() as session:
            index = _bucket_of(session, buckets)(Event.received_at)
            stmt = (
                select(index, func.count())
                .where(Event.reporter_id == station_id, *_within(Event.received_at, buckets))
                .group_by(index)
            )
            return [Tally(int(b), "", n) for b, n in session.execute(stmt)]

    def station_refused(self, station_id: str, buckets: Buckets) -> list[Tally]:
        letter = DeadLetterRow
        with self.sessions() as session:
            index = _bucket_of(session, buckets)(letter.received_at)
            stmt = (
                select(index, letter.reason, func.count())
                .where(letter.reporter_id == station_id, *_within(letter.received_at, buckets))
                .group_by(index, letter.reason)
            )
            return [Tally(int(b), reason, n) for b, reason, n in session.execute(stmt)]

    def area_accepted(self, scope_prefix: str | None, buckets: Buckets) -> list[IntakeTally]:
        with self.sessions() as session:
            index = _bucket_of(session, buckets)(Event.received_at)
            stmt = (
                select(index, Station.kind, Event.type, func.count())
                .join(Station, Station.station_id == Event.reporter_id)
                .where(*_within(Event.received_at, buckets), *_in_area(scope_prefix))
                .group_by(index, Station.kind, Event.type)
            )
            return [IntakeTally(int(b), k, t, n) for b, k, t, n in session.execute(stmt)]

    def area_refused(self, scope_prefix: str | None, buckets: Buckets) -> list[Tally]:
        letter = DeadLetterRow
        with self.sessions() as session:
            index = _bucket_of(session, buckets)(letter.received_at)
            stmt = (
                select(index, func.count())
                .join(Station, Station.station_id == letter.reporter_id)
                .where(*_within(letter.received_at, buckets), *_in_area(scope_prefix))
                .group_by(index)
            )
            return [Tally(int(b), "", n) for b, n in session.execute(stmt)]


def _within(received: Received, buckets: Buckets) -> tuple[ColumnElement[bool], ...]:
    return (received >= buckets.origin, received < buckets.end)


def _in_area(scope_prefix: str | None) -> tuple[ColumnElement[bool], ...]:
    if not scope_prefix:
        return ()
    return (Station.jurisdiction.startswith(scope_prefix, autoescape=True),)


def _bucket_of(session: Session, buckets: Buckets) -> Index:
    """A function from a time column to its bucket index in this session's SQL dialect."""
    origin = int(buckets.origin.timestamp())
    width = buckets.seconds
    if session.get_bind().dialect.name == "postgresql":
        return lambda col: cast(func.floor((func.extract("epoch", col) - origin) / width), Integer)
    return lambda col: (cast(func.strftime("%s", col), Integer) - origin) // width
