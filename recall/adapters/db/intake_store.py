"""Repository for the intake path: events, duplicates, dead letters and the reporter registry.

Redelivery and duplication are told apart by the source record position: the same record
delivered twice (a worker restarted before committing its offset) is a redelivery and leaves
no trace; a second record carrying an already-stored event id is a duplicate and is counted
once, keyed by its own position. So `published = accepted + rejected + duplicates` holds
exactly, however often the worker restarts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import DeadLetterRow, Event, EventDuplicate, Station
from recall.adapters.db.upsert import insert_ignoring_conflicts
from recall.domain.intake import Reporter


@dataclass(frozen=True, slots=True)
class StoreOutcome:
    inserted: int
    duplicates: int
    redelivered: int
    dead_letters: int = 0
    forward: frozenset[tuple[str, int, int]] = frozenset()
    """Source positions of events to pass downstream: new ones and redeliveries, not duplicates."""


@dataclass(frozen=True, slots=True)
class IntakeCounts:
    events: int
    duplicates: int
    dead_letters: int
    dead_letters_by_reason: dict[str, int]
    events_by_type: dict[str, int]


def _position(row: dict[str, Any]) -> tuple[str, int, int]:
    return (row["source_topic"], row["source_partition"], row["source_offset"])


class IntakeStore:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def store_intake(
        self,
        events: Sequence[dict[str, Any]],
        dead_letters: Sequence[dict[str, Any]],
        session: Session | None = None,
    ) -> StoreOutcome:
        """One intake batch in one transaction: events by id, duplicates and letters by position."""
        if session is None:
            with self._sessions.begin() as own:
                return self.store_intake(events, dead_letters, own)
        outcome = self._store_events(session, events)
        stored_letters = self._insert_dead_letters(session, dead_letters)
        return StoreOutcome(
            outcome.inserted,
            outcome.duplicates,
            outcome.redelivered,
            stored_letters,
            outcome.forward,
        )

    def begin(self) -> Any:
        """A transaction for a caller that adds its own writes to an intake batch."""
        return self._sessions.begin()

    def store_events(self, rows: Sequence[dict[str, Any]]) -> StoreOutcome:
        """Insert event rows once by event id; record true duplicates once by position."""
        with self._sessions.begin() as session:
            return self._store_events(session, rows)

    def _store_events(self, session: Session, rows: Sequence[dict[str, Any]]) -> StoreOutcome:
        first: dict[str, dict[str, Any]] = {}
        later: list[dict[str, Any]] = []
        for row in rows:
            if row["event_id"] in first:
                later.append(row)
            else:
                first[row["event_id"]] = row
        inserted = self._insert_new(session, list(first.values()))
        known = self._positions_of(session, [k for k in first if k not in inserted])
        known.update({k: _position(first[k]) for k in inserted})
        candidates = later + [r for k, r in first.items() if k not in inserted]
        duplicates = [r for r in candidates if known.get(r["event_id"]) != _position(r)]
        stored_dupes = self._insert_duplicates(session, duplicates)
        duplicate_positions = {_position(r) for r in duplicates}
        forward = frozenset(_position(r) for r in rows) - duplicate_positions
        redelivered = len(rows) - len(inserted) - len(duplicates)
        return StoreOutcome(len(inserted), stored_dupes, redelivered, 0, forward)

    def _insert_new(self, session: Session, rows: list[dict[str, Any]]) -> set[str]:
        if not rows:
            return set()
        statement = insert_ignoring_conflicts(session, Event.__table__).returning(Event.event_id)
        return set(session.scalars(statement, rows).all())

    def _positions_of(
        self, session: Session, event_ids: list[str]
    ) -> dict[str, tuple[str, int, int]]:
        if not event_ids:
            return {}
        query = select(
            Event.event_id, Event.source_topic, Event.source_partition, Event.source_offset
        ).where(Event.event_id.in_(event_ids))
        return {
            r.event_id: (r.source_topic, r.source_partition, r.source_offset)
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
                "received_at": r["received_at"],
            }
            for r in rows
        ]
        statement = insert_ignoring_conflicts(session, EventDuplicate.__table__).returning(
            EventDuplicate.event_id
        )
        return len(session.scalars(statement, values).all())

    def store_dead_letters(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert dead letters once per source position; returns how many were new."""
        with self._sessions.begin() as session:
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
