"""Dead letters of the stages after intake, in the one `DeadLetter` shape of the contract.

A later stage (risk, regional risk, investigations, recalls) that cannot process a record sets
it aside so its partition goes on (DESIGN.md §7), and says so on `intake.deadletter` like the
intake does: reason, stage, the position on its own input topic, the size and hash of the
record. No contents: the event is stored in SQL already, and a processing error's message can
quote values. Built through the model, so a letter is checked against the contract on the way
out.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from schemas import DeadLetter, FieldError, RejectReason, SourcePosition


def processing_letter(
    stage: str, reason: str, field_name: str, text: str, message: Any, now: datetime
) -> bytes:
    """A dead letter in the one `DeadLetter` shape: why and where, no contents.

    The event is stored in SQL already, so only the size and hash of the record are kept;
    building it through the model checks it against the contract on the way out.
    """
    value = message.value if isinstance(message.value, bytes) else b""
    letter = DeadLetter(
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
    return letter.model_dump_json().encode()
