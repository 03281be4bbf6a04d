"""Rows for the system of record, from intake outcomes.

Accepted events become `events` rows straight from the validated model (no JSON round trip);
dead letters are parsed back from the record we produce, so the stored row and the record on
`intake.deadletter` can never disagree. The one thing a letter row adds is the event id the
refused record claims, read from the whole original at admission (`Rejected.event_id`): the
letter keeps a bounded, redacted copy, which may have lost it.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

import orjson

from recall.service.intake.admission import Accepted, RawRecord
from recall.service.intake.ports import EventRow, LetterRow
from schemas.envelope import InjuryReportEvent, SamplingResultEvent


def event_row(record: RawRecord, accepted: Accepted, received_at: datetime) -> EventRow:
    """The `events` row of one accepted event."""
    event = accepted.event
    occurred: datetime | None = None
    if isinstance(event, InjuryReportEvent):
        occurred = event.payload.occurred_at
    elif isinstance(event, SamplingResultEvent):
        occurred = event.payload.sampled_at
    return EventRow(
        event_id=accepted.event_id,
        type=accepted.event_type,
        reporter_id=event.reporter_id,
        jurisdiction=event.jurisdiction,
        product_key=accepted.product_key,
        occurred_at=occurred,
        sent_at=event.sent_at,
        received_at=received_at,
        source_topic=record.topic,
        source_partition=record.partition,
        source_offset=record.offset,
        content_hash=accepted.content_hash,
        payload=accepted.payload,
    )


def dead_letter_row(letter: bytes, event_id: str | None = None) -> LetterRow | None:
    """The `dead_letters` row for one dead-letter record, or None when it is not one.

    `event_id` is the canonical id the refused record claims (`Rejected.event_id`).
    """
    try:
        record = orjson.loads(letter)
        source = record["source"]
        errors = record["errors"]
        return LetterRow(
            source_topic=str(source["topic"]),
            source_partition=int(source["partition"]),
            source_offset=int(source["offset"]),
            reason=str(record["reason"]),
            errors=errors,
            reporter_id=record.get("reporter_id"),
            received_at=datetime.fromisoformat(record["received_at"]),
            original=base64.b64decode(record["original_b64"], validate=True),
            original_size=record.get("original_size"),
            original_sha256=record.get("original_sha256"),
            detail="; ".join(f"{e.get('field', '')}: {e.get('message', '')}" for e in errors),
            event_id=event_id,
        )
    except (
        orjson.JSONDecodeError,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        binascii.Error,
    ):
        return None
