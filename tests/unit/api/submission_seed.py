"""Events and dead letters of one reporter, as the intake stores them, for polling tests."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from sqlalchemy.orm import Session, sessionmaker

from recall.adapters.db.models import DeadLetterRow, Event


def stored_event(db: sessionmaker[Session], reporter: str, event_id: str) -> None:
    now = datetime.now(UTC)
    with db.begin() as session:
        session.add(
            Event(
                reporter_id=reporter, event_id=event_id, type="recall_notice",
                jurisdiction="140105", product_key=None, occurred_at=None, sent_at=now,
                received_at=now, source_topic="intake.raw", source_partition=0,
                source_offset=1, content_hash=None, payload={},
            )
        )  # fmt: skip


def refused_event(db: sessionmaker[Session], reporter: str, event_id: str, offset: int) -> None:
    original = orjson.dumps({"event_id": event_id, "reporter_id": reporter, "age": "x"})
    with db.begin() as session:
        session.add(
            DeadLetterRow(
                source_topic="intake.raw", source_partition=0, source_offset=offset,
                reason="schema",
                errors=[{"field": "payload.age", "message": "Input should be a valid integer"}],
                reporter_id=reporter, received_at=datetime.now(UTC), original=original,
                original_size=len(original), original_sha256="0" * 64, detail="",
            )
        )  # fmt: skip
