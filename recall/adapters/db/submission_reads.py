"""`SubmissionReads` in SQL: a reporter's region, and what became of one of its events.

A refusal is found by the event id its record claimed, which the intake stores canonical in
`dead_letters.event_id` (`recall.service.intake.letters.claimed_event_id`): one query on the
index `ix_dead_letters_reporter_event`, however many letters the reporter has. A record that
claimed no readable UUID has no id there, and cannot be asked about by id anyway.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import DeadLetterRow, Event, EventDuplicate, Station
from recall.service.submissions import Rejection


class SqlSubmissionReads:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def reporter_jurisdiction(self, reporter_id: str) -> str | None:
        with self._sessions() as session:
            station = session.get(Station, reporter_id)
        return station.jurisdiction if station is not None and station.enabled else None

    def accepted(self, reporter_id: str, event_id: str) -> datetime | None:
        with self._sessions() as session:
            stored = session.scalar(
                select(Event.received_at).where(
                    Event.reporter_id == reporter_id, Event.event_id == event_id
                )
            )
            if stored is None:
                stored = session.scalar(
                    select(EventDuplicate.received_at)
                    .where(
                        EventDuplicate.event_id == event_id,
                        EventDuplicate.reporter_id == reporter_id,
                    )
                    .limit(1)
                )
        return None if stored is None else _utc(stored)

    def rejection(self, reporter_id: str, event_id: str) -> Rejection | None:
        """The newest refusal of that id: a record refused, fixed and refused again reads as
        its latest reason."""
        try:
            canonical = str(uuid.UUID(event_id))
        except ValueError:
            return None
        query = (
            select(DeadLetterRow.reason, DeadLetterRow.errors, DeadLetterRow.received_at)
            .where(DeadLetterRow.reporter_id == reporter_id, DeadLetterRow.event_id == canonical)
            .order_by(DeadLetterRow.received_at.desc())
            .limit(1)
        )
        with self._sessions() as session:
            found = session.execute(query).first()
        if found is None:
            return None
        reason, errors, received_at = found
        return Rejection(reason, _errors(errors), _utc(received_at))


def _errors(raw: list[Any]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (str(e.get("field", "")), str(e.get("message", ""))) for e in raw if isinstance(e, dict)
    )


def _utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
