"""Turn the pipeline's own records (canonical events, dead letters) into rows for the store.

These records were written by our intake, but the topics are open to any producer with the
right ACL, so a malformed record must still not crash the persistence agents: each parser
returns None for a record it cannot read, and the agent dead-letters it.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

import orjson

_TIME_FIELDS = {"injury_report": "occurred_at", "sampling_result": "sampled_at"}


def event_row(canonical: bytes) -> dict[str, Any] | None:
    """The `events` row for one canonical event, or None when it is not one."""
    try:
        record = orjson.loads(canonical)
        event = record["event"]
        source = record["source"]
        payload = event["payload"]
        occurred = payload.get(_TIME_FIELDS.get(event["type"], ""))
        return {
            "event_id": str(event["event_id"]),
            "type": str(event["type"]),
            "reporter_id": str(event["reporter_id"]),
            "jurisdiction": str(event["jurisdiction"]),
            "product_key": record.get("product_key"),
            "occurred_at": datetime.fromisoformat(occurred) if occurred else None,
            "sent_at": datetime.fromisoformat(event["sent_at"]),
            "received_at": datetime.fromisoformat(record["received_at"]),
            "source_topic": str(source["topic"]),
            "source_partition": int(source["partition"]),
            "source_offset": int(source["offset"]),
            "payload": payload,
        }
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return None


def dead_letter_row(letter: bytes) -> dict[str, Any] | None:
    """The `dead_letters` row for one dead-letter record, or None when it is not one."""
    try:
        record = orjson.loads(letter)
        source = record["source"]
        errors = record["errors"]
        return {
            "source_topic": str(source["topic"]),
            "source_partition": int(source["partition"]),
            "source_offset": int(source["offset"]),
            "reason": str(record["reason"]),
            "errors": errors,
            "reporter_id": record.get("reporter_id"),
            "received_at": datetime.fromisoformat(record["received_at"]),
            "original": base64.b64decode(record["original_b64"], validate=True),
            "detail": "; ".join(f"{e.get('field', '')}: {e.get('message', '')}" for e in errors),
        }
    except (
        orjson.JSONDecodeError,
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        binascii.Error,
    ):
        return None
