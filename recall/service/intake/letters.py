"""The intake's dead letters: bounded, redacted, and checked against their topic's model.

A dead letter carries a bounded, redacted copy of the refused record and reasons a station
operator can act on. It is built through `schemas.topics.encode(INTAKE_DEADLETTER, …)`, so a
letter that does not obey `DeadLetter` is never produced. That costs about 14 µs a letter,
a few per cent of refusing a record (timeit, 10k records), on the rare path: every letter is
checked in full.

Should our own rules ever word a letter the contract refuses (a bug), the letter is rebuilt
with nothing from the record's text but its position, size and hash, as `internal_error`:
the record is still accounted for and kept for replay, and the intake never raises.

`claimed_event_id` reads the event id a refused record claims, so that a station or firm
polling `GET /submissions/{event_id}` finds its refusal by an indexed column rather than by
searching the kept originals. The id is never trusted as bytes: only a UUID in a form the
envelope reads is kept, in its canonical text (what `events.event_id` holds).
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Sequence
from datetime import datetime

import orjson
import structlog

from recall.service.intake.ports import Position
from schemas import DEAD_LETTER_ORIGINAL_MAX, MAX_EVENT_BYTES, RejectReason
from schemas.privacy import redact_bytes, redact_text
from schemas.topics import INTAKE_DEADLETTER, OutgoingRecordError, encode

log = structlog.get_logger(__name__)
MAX_ERRORS = 20
MAX_ERROR_TEXT = 300
FieldErrors = list[dict[str, str]]
_UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32}")
_LONGEST_UUID_FORM = len("urn:uuid:") + 36


def field_error(field: str, message: str) -> dict[str, str]:
    """One field error, bounded and redacted: messages may quote what a station sent.

    A NUL, which a JSON string may carry (`\\u0000`) and a validation message quotes, is
    spelled `\\x00`: PostgreSQL text cannot hold the character, so the letter would be refused
    and stored as `storage_refused`, the record's real reason lost.
    """
    return {
        "field": _no_nul(redact_text(field[:200])[0]),
        "message": _no_nul(redact_text(message[:MAX_ERROR_TEXT])[0]),
    }


def _no_nul(text: str) -> str:
    return text.replace("\x00", "\\x00")


def bounded(errors: Sequence[dict[str, str]]) -> FieldErrors:
    """At most `MAX_ERRORS` errors, each bounded and redacted."""
    return [field_error(e.get("field", ""), e.get("message", "")) for e in errors[:MAX_ERRORS]]


def dead_letter(
    position: Position,
    original: bytes,
    *,
    reason: RejectReason,
    errors: FieldErrors,
    reporter_id: str | None,
    now: datetime,
) -> bytes:
    """The `intake.deadletter` record for the record at `position` whose value is `original`.

    `errors` must already be bounded (`field_error`, `bounded`).
    """
    topic, partition, offset = position
    # Redact a little past the cap, so an identifier straddling it is not kept half-visible.
    kept, redactions = redact_bytes(original[: DEAD_LETTER_ORIGINAL_MAX + 64])
    letter = {
        "reason": reason.value,
        "errors": errors,
        "reporter_id": reporter_id,
        "received_at": now,
        "source": {"topic": topic, "partition": partition, "offset": offset},
        "original_b64": base64.b64encode(kept[:DEAD_LETTER_ORIGINAL_MAX]).decode("ascii"),
        "original_size": len(original),
        "original_sha256": hashlib.sha256(original).hexdigest(),
        "original_truncated": len(original) > DEAD_LETTER_ORIGINAL_MAX,
        "redactions": redactions,
    }
    try:
        return encode(INTAKE_DEADLETTER, letter)
    except OutgoingRecordError as error:
        log.error("dead letter refused by its contract; kept bare", error=str(error))
        bare = field_error("", "internal error while writing the dead letter; kept for replay")
        letter.update(reason=RejectReason.INTERNAL_ERROR.value, errors=[bare], reporter_id=None)
        return encode(INTAKE_DEADLETTER, letter)


def claimed_event_id(value: bytes) -> str | None:
    """The canonical event id a refused record's value claims, or None when it claims none.

    Read only as far as the top-level `event_id` of a JSON object no larger than an event may
    be (an oversize record is refused unread, and stays unread). The claim is kept only when it
    is a UUID in a form the envelope accepts (hyphenated, 32 hex digits, braced, `urn:uuid:`),
    and stored canonical (lower-case, hyphenated: 36 characters), so it matches the
    `events.event_id` of the same event and the path of `GET /submissions/{event_id}`. Anything
    else — a number, a 10 MB string, text with NUL bytes — is no id: the column stays NULL.
    """
    if not value or len(value) > MAX_EVENT_BYTES:
        return None
    try:
        document = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    claimed = document.get("event_id") if isinstance(document, dict) else None
    if not isinstance(claimed, str) or len(claimed) > _LONGEST_UUID_FORM:
        return None
    core = claimed
    if claimed.startswith("urn:uuid:"):
        core = claimed[len("urn:uuid:") :]
    elif claimed.startswith("{") and claimed.endswith("}"):
        core = claimed[1:-1]
    if _UUID_TEXT.fullmatch(core) is None:
        return None
    return str(uuid.UUID(core))
