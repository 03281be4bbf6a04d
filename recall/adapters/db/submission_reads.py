"""`SubmissionReads` in SQL: a reporter's region, and what became of one of its events.

Dead letters carry no event id column (a refused record may have no readable id at all), so a
refusal is found among the reporter's newest letters (index `ix_dead_letters_reporter_received`)
by the event id's text in the kept original. The id is a UUID: hexadecimal and dashes, which
the redaction of personal identifiers leaves alone unless a run of its digits reads as a
phone number; the search is bounded to the newest `SCAN_LIMIT` letters of that reporter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import DeadLetterRow, Event, EventDuplicate, Station
from recall.service.submissions import Rejection

SCAN_LIMIT = 500


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
        needle = event_id.lower().encode("ascii")
        query = (
            select(
                DeadLetterRow.original,
                DeadLetterRow.reason,
                DeadLetterRow.errors,
                DeadLetterRow.received_at,
            )
            .where(DeadLetterRow.reporter_id == reporter_id)
            .order_by(DeadLetterRow.received_at.desc())
            .limit(SCAN_LIMIT)
        )
        with self._sessions() as session:
            for original, reason, errors, received_at in session.execute(query):
                if needle in bytes(original).lower():
                    return Rejection(reason, _errors(errors), _utc(received_at))
        return None


def _errors(raw: list[Any]) -> tuple[tuple[str, str], ...]:
    return tuple(
        (str(e.get("field", "")), str(e.get("message", ""))) for e in raw if isinstance(e, dict)
    )


def _utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
