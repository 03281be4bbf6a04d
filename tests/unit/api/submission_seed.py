"""Events and dead letters of one reporter, as the intake stores them, for polling tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

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


def refused_event(
    db: sessionmaker[Session],
    reporter: str,
    event_id: str,
    offset: int,
    received_at: datetime | None = None,
) -> None:
    original = orjson.dumps({"event_id": event_id, "reporter_id": reporter, "age": "x"})
    with db.begin() as session:
        session.add(
            DeadLetterRow(
                source_topic="intake.raw", source_partition=0, source_offset=offset,
                reason="schema",
                errors=[{"field": "payload.age", "message": "Input should be a valid integer"}],
                reporter_id=reporter, received_at=received_at or datetime.now(UTC),
                original=original, original_size=len(original), original_sha256="0" * 64,
                detail="", event_id=event_id.lower(),
            )
        )  # fmt: skip


def newer_refusals(
    db: sessionmaker[Session], reporter: str, count: int, first_offset: int, after: datetime
) -> None:
    """`count` refusals of other events of `reporter`, each received after `after`."""
    with db.begin() as session:
        session.add_all(
            DeadLetterRow(
                source_topic="intake.raw", source_partition=0, source_offset=first_offset + n,
                reason="malformed_json", errors=[], reporter_id=reporter,
                received_at=after + timedelta(seconds=n + 1), original=b"{", original_size=1,
                original_sha256="0" * 64, detail="", event_id=str(uuid.uuid4()),
            )
            for n in range(count)
        )  # fmt: skip
