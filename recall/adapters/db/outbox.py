"""The transactional outbox: read pending records, mark them published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import OutboxRow


@dataclass(frozen=True, slots=True)
class PendingRecord:
    record_id: str
    topic: str
    key: str
    value: bytes


def pending(sessions: sessionmaker[Session], limit: int = 500) -> list[PendingRecord]:
    with sessions() as session:
        rows = session.scalars(
            select(OutboxRow)
            .where(OutboxRow.published_at.is_(None))
            .order_by(OutboxRow.created_at)
            .limit(limit)
        )
        return [PendingRecord(r.record_id, r.topic, r.key, r.value) for r in rows]


def mark_published(sessions: sessionmaker[Session], record_ids: list[str]) -> None:
    if not record_ids:
        return
    with sessions.begin() as session:
        session.execute(
            update(OutboxRow)
            .where(OutboxRow.record_id.in_(record_ids))
            .values(published_at=datetime.now(UTC))
        )
