"""Repository for the intake path: events, duplicates, dead letters and the reporter registry.

Redelivery and duplication are told apart by the source record position: the same record
delivered twice (a worker restarted before committing its offset) is a redelivery and leaves
no trace; a second record carrying an already-stored event id is a duplicate and is counted
once, keyed by its own position. So `published = accepted + rejected + duplicates` holds
exactly, however often the worker restarts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, tuple_, union, union_all
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import DeadLetterRow, Event, EventDuplicate, Station
from recall.adapters.db.upsert import insert_ignoring_conflicts
from recall.domain.intake import Reporter

Position = tuple[str, int, int]
EventKey = tuple[str, str]  # (reporter_id, event_id)


@dataclass(frozen=True, slots=True)
class StoreOutcome:
    """Where each record of a batch ended, by its source position (topic, partition, offset).

    The sets are disjoint and, with the dead letters, cover the batch: the accounting invariant
    `published = stored + dead-lettered + duplicates` is checked on them per batch.
    """

    inserted: frozenset[Position] = frozenset()
    duplicates: frozenset[Position] = frozenset()
    redelivered: frozenset[Position] = frozenset()
    conflicts: frozenset[Position] = frozenset()
    """Same reporter and event id as a stored event, different content: to be dead-lettered."""
    dead_letters: int = 0

    @property
    def forward(self) -> frozenset[Position]:
        """Events to pass downstream: new ones and redeliveries, not duplicates or conflicts."""
        return self.inserted | self.redelivered


@dataclass(frozen=True, slots=True)
class IntakeCounts:
    events: int
    duplicates: int
    dead_letters: int
    dead_letters_by_reason: dict[str, int]
    events_by_type: dict[str, int]


def _position(row: dict[str, Any]) -> Position:
    return (row["source_topic"], row["source_partition"], row["source_offset"])


def _key(row: dict[str, Any]) -> EventKey:
    return (row["reporter_id"], row["event_id"])


class IntakeStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def begin(self) -> Any:
        """A transaction for a caller that adds its own writes to an intake batch."""
        return self._sessions.begin()

    def store_events(self, session: Session, rows: Sequence[dict[str, Any]]) -> StoreOutcome:
        """Insert event rows once per (reporter, event id); classify every other row.

        A row whose key is stored from the same position is a redelivery (no effect); from
        another position with the same content it is a duplicate (recorded once by position);
        with other content it is a conflict, which the caller dead-letters.
        """
        first: dict[EventKey, dict[str, Any]] = {}
        later: list[dict[str, Any]] = []
        for row in rows:
            if _key(row) in first:
                later.append(row)
            else:
                first[_key(row)] = row
        inserted = self._insert_new(session, list(first.values()))
        stored = self._stored(session, [k for k in first if k not in inserted])
        stored.update({k: (_position(first[k]), first[k]["content_hash"]) for k in inserted})
        outcome: dict[str, set[Position]] = {"dup": set(), "again": set(), "conflict": set()}
        for row in later + [r for k, r in first.items() if k not in inserted]:
            position, digest = stored[_key(row)]
            if position == _position(row):
                outcome["again"].add(position)
            elif digest is not None and digest != row["content_hash"]:
                outcome["conflict"].add(_position(row))
            else:
                outcome["dup"].add(_position(row))
        self._insert_duplicates(session, [r for r in rows if _position(r) in outcome["dup"]])
        return StoreOutcome(
            inserted=frozenset(_position(first[k]) for k in inserted),
            duplicates=frozenset(outcome["dup"]),
            redelivered=frozenset(outcome["again"]),
            conflicts=frozenset(outcome["conflict"]),
        )

    def _insert_new(self, session: Session, rows: list[dict[str, Any]]) -> set[EventKey]:
        if not rows:
            return set()
        statement = insert_ignoring_conflicts(session, Event.__table__).returning(
            Event.reporter_id, Event.event_id
        )
        return {(r.reporter_id, r.event_id) for r in session.execute(statement, rows)}

    def _stored(
        self, session: Session, keys: list[EventKey]
    ) -> dict[EventKey, tuple[Position, str | None]]:
        if not keys:
            return {}
        query = select(
            Event.reporter_id,
            Event.event_id,
            Event.source_topic,
            Event.source_partition,
            Event.source_offset,
            Event.content_hash,
        ).where(tuple_(Event.reporter_id, Event.event_id).in_(keys))
        return {
            (r.reporter_id, r.event_id): (
                (r.source_topic, r.source_partition, r.source_offset),
                r.content_hash,
            )
            for r in session.execute(query)
        }

    def _insert_duplicates(self, session: Session, rows: list[dict[str, Any]]) -> int:
        if not rows:
            return 0
        values = [
            {
                "source_topic": r["source_topic"],
                "source_partition": r["source_partition"],
                "source_offset": r["source_offset"],
                "event_id": r["event_id"],
                "reporter_id": r["reporter_id"],
                "received_at": r["received_at"],
            }
            for r in rows
        ]
        statement = insert_ignoring_conflicts(session, EventDuplicate.__table__).returning(
            EventDuplicate.event_id
        )
        return len(session.scalars(statement, values).all())

    def store_dead_letters(self, session: Session, rows: Sequence[dict[str, Any]]) -> int:
        """Insert dead letters once per source position; returns how many were new."""
        return self._insert_dead_letters(session, rows)

    def _insert_dead_letters(self, session: Session, rows: Sequence[dict[str, Any]]) -> int:
        if not rows:
            return 0
        statement = insert_ignoring_conflicts(session, DeadLetterRow.__table__).returning(
            DeadLetterRow.reason
        )
        return len(session.scalars(statement, list(rows)).all())

    def reporters(self) -> dict[str, Reporter]:
        with self._sessions() as session:
            return {
                s.station_id: Reporter(
                    s.station_id, s.kind, s.jurisdiction, s.enabled, s.manufacturer_code
                )
                for s in session.scalars(select(Station))
            }

    def counts(self) -> IntakeCounts:
        with self._sessions() as session:
            by_type = {  # noqa: C416 - Row pairs, not plain tuples
                kind: count
                for kind, count in session.execute(
                    select(Event.type, func.count()).group_by(Event.type)
                )
            }
            dupes = session.scalar(select(func.count()).select_from(EventDuplicate)) or 0
            by_reason = {  # noqa: C416 - Row pairs, not plain tuples
                reason: count
                for reason, count in session.execute(
                    select(DeadLetterRow.reason, func.count()).group_by(DeadLetterRow.reason)
                )
            }
        return IntakeCounts(
            events=sum(by_type.values()),
            duplicates=dupes,
            dead_letters=sum(by_reason.values()),
            dead_letters_by_reason=by_reason,
            events_by_type=by_type,
        )

    def accounted(self, topic: str, from_offsets: Mapping[int, int]) -> dict[int, int]:
        """Per partition of `topic`: source positions at or after its first retained offset
        that ended in some table (events, dead letters or duplicates).

        Each position may end in exactly one table, so the union is counted; a position in two
        tables would be counted once here and reported by `positions_in_two_tables`.
        """
        counts: dict[int, int] = {}
        with self._sessions() as session:
            for partition, first in from_offsets.items():
                positions = union(
                    *(
                        select(table.c.source_offset).where(
                            table.c.source_topic == topic,
                            table.c.source_partition == partition,
                            table.c.source_offset >= first,
                        )
                        for table in _POSITION_TABLES
                    )
                ).subquery()
                counts[partition] = int(
                    session.scalar(select(func.count()).select_from(positions)) or 0
                )
        return counts

    def positions_in_two_tables(self, topic: str) -> int:
        """Positions recorded with more than one outcome: must always be zero."""
        positions = union_all(
            *(
                select(table.c.source_partition, table.c.source_offset).where(
                    table.c.source_topic == topic
                )
                for table in _POSITION_TABLES
            )
        ).subquery()
        repeated = (
            select(positions.c.source_partition, positions.c.source_offset)
            .group_by(positions.c.source_partition, positions.c.source_offset)
            .having(func.count() > 1)
            .subquery()
        )
        with self._sessions() as session:
            return int(session.scalar(select(func.count()).select_from(repeated)) or 0)


_POSITION_TABLES = (Event.__table__, DeadLetterRow.__table__, EventDuplicate.__table__)
