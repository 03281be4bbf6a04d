"""Dead letters of the stages after intake, in the one `DeadLetter` shape of the contract.

A later stage (risk, regional risk, investigations, recalls) that cannot process a record sets
it aside so its partition goes on (DESIGN.md §7), and says so on `intake.deadletter` like the
intake does: reason, stage, the position on its own input topic, the size and hash of the
record. No contents: the event is stored in SQL already, and a processing error's message can
quote values. Built through the model and encoded by `schemas.topics.encode`, so a letter is
checked against the contract on the way out like every other record.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from schemas import DeadLetter, FieldError, RejectReason, SourcePosition
from schemas.topics import INTAKE_DEADLETTER, encode


def processing_letter(
    stage: str, reason: str, field_name: str, text: str, message: Any, now: datetime
) -> bytes:
    """The encoded `processing_dead_letter`: the bytes to put on `intake.deadletter`."""
    return encode(
        INTAKE_DEADLETTER, processing_dead_letter(stage, reason, field_name, text, message, now)
    )


def processing_dead_letter(
    stage: str, reason: str, field_name: str, text: str, message: Any, now: datetime
) -> DeadLetter:
    """A dead letter in the one `DeadLetter` shape: why and where, no contents.

    The event is stored in SQL already, so only the size and hash of the record are kept.
    """
    value = message.value if isinstance(message.value, bytes) else b""
    return DeadLetter(
        reason=RejectReason(reason),
        stage=stage,
        errors=(FieldError(field=field_name[:200], message=text[:500]),),
        reporter_id=None,
        received_at=now,
        source=SourcePosition(
            topic=str(getattr(message, "topic", ""))[:249],
            partition=message.partition,
            offset=message.offset,
        ),
        original_b64="",
        original_size=len(value),
        original_sha256=hashlib.sha256(value).hexdigest(),
        original_truncated=bool(value),
    )
