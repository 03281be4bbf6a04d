"""Intake in SQL: the repository of one transaction, and the queries the CLI and worker read.

`SqlIntakeRepository` implements `recall.service.intake.ports.IntakeRepository` on the session
of one unit of work (`recall.adapters.db.storage.SqlUnitOfWork.intake`). Redelivery and
duplication are told apart by the source record position: the same record delivered twice (a
worker restarted before committing its offset) is a redelivery and leaves no trace; a second
record carrying an already-stored event id is a duplicate and is counted once, keyed by its own
position. So `published = accepted + rejected + duplicates` holds exactly, however often the
worker restarts. In the same transaction it keeps each station's last contact
(`stations.last_seen_at`), which the station list reads instead of scanning the events.

`IntakeStore` holds the read side, which no service needs: the reporter registry for the
worker's cache, the counts and the per-partition accounting for `recall intake summary`, the
benchmarks and the tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, or_, select, tuple_, union, union_all, update
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import Base, DeadLetterRow, Event, EventDuplicate, Station
from recall.adapters.db.upsert import insert_ignoring_conflicts
from recall.domain.intake import Reporter
from recall.service.intake.ports import (
    EventKey,
    EventRow,
    LetterRow,
    Position,
    StoreOutcome,
    event_key,
    event_position,
)


@dataclass(frozen=True, slots=True)
class IntakeCounts:
    events: int
    duplicates: int
    dead_letters: int
    dead_letters_by_reason: dict[str, int]
    events_by_type: dict[str, int]


class SqlIntakeRepository:
    """Events, duplicates and dead letters written in one session (one transaction)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def store_events(self, rows: Sequence[EventRow]) -> StoreOutcome:
        """See `IntakeRepository.store_events`: insert once per key, classify the rest."""
        first: dict[EventKey, EventRow] = {}
        later: list[EventRow] = []
        for row in rows:
            if event_key(row) in first:
                later.append(row)
            else:
                first[event_key(row)] = row
        inserted = self._insert_new(list(first.values()))
        stored = self._stored([k for k in first if k not in inserted])
        stored.update({k: (event_position(first[k]), first[k]["content_hash"]) for k in inserted})
        outcome: dict[str, set[Position]] = {"dup": set(), "again": set(), "conflict": set()}
        for row in later + [r for k, r in first.items() if k not in inserted]:
            position, digest = stored[event_key(row)]
            if position == event_position(row):
                outcome["again"].add(position)
            elif digest is not None and digest != row["content_hash"]:
                outcome["conflict"].add(event_position(row))
            else:
                outcome["dup"].add(event_position(row))
        self._insert_duplicates([r for r in rows if event_position(r) in outcome["dup"]])
        return StoreOutcome(
            inserted=frozenset(event_position(first[k]) for k in inserted),
            duplicates=frozenset(outcome["dup"]),
            redelivered=frozenset(outcome["again"]),
            conflicts=frozenset(outcome["conflict"]),
        )

    def store_dead_letters(self, rows: Sequence[LetterRow]) -> int:
        """Insert dead letters once per source position; returns how many were new."""
        if not rows:
            return 0
        statement = insert_ignoring_conflicts(self._session, DeadLetterRow.__table__).returning(
            DeadLetterRow.reason
        )
        return len(self._session.scalars(statement, list(rows)).all())

    def mark_seen(self, seen: Mapping[str, datetime]) -> None:
        """See `IntakeRepository.mark_seen`: one UPDATE, run once per station in station id
        order (two transactions touching the same stations lock them in the same order, never
        deadlock), writing only where it moves the time forward — `greatest()` as a WHERE
        clause, so SQLite runs the same statement, and a row with nothing to change is not
        written."""
        if not seen:
            return
        stations = Base.metadata.tables["stations"]
        at = bindparam("seen_at", type_=stations.c.last_seen_at.type)
        statement = (
            update(stations)
            .where(
                stations.c.station_id == bindparam("seen_id"),
                or_(stations.c.last_seen_at.is_(None), stations.c.last_seen_at < at),
            )
            .values(last_seen_at=at)
        )
        # The column's type (UtcDateTime) writes every instant in UTC, so on SQLite too the
        # comparison is between instants, not between clock faces of different zones.
        self._session.execute(
            statement, [{"seen_id": s, "seen_at": at_} for s, at_ in sorted(seen.items())]
        )

    def _insert_new(self, rows: list[EventRow]) -> set[EventKey]:
        if not rows:
            return set()
        statement = insert_ignoring_conflicts(self._session, Event.__table__).returning(
            Event.reporter_id, Event.event_id
        )
        return {(r.reporter_id, r.event_id) for r in self._session.execute(statement, rows)}

    def _stored(self, keys: list[EventKey]) -> dict[EventKey, tuple[Position, str | None]]:
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
            for r in self._session.execute(query)
        }

    def _insert_duplicates(self, rows: list[EventRow]) -> None:
        if not rows:
            return
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
        self._session.execute(
            insert_ignoring_conflicts(self._session, EventDuplicate.__table__), values
        )


class IntakeStore:
    """What the intake stored, read in sessions of its own (never inside a batch)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

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
