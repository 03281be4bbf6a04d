"""Intake use case: turn one raw station record into a canonical event or a dead letter.

Kafka-free and clock-injected, so every rejection rule is unit-testable; the Faust agent only
moves bytes in and out. Nothing here raises on bad input: every failure becomes a dead letter
that carries the original bytes and a reason a station operator can act on.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import orjson
from pydantic import ValidationError

from recall.adapters.signing import SIGNATURE_HEADER, verify
from recall.domain.errors import DomainError
from recall.domain.intake import AdmissionRefused, Refusal, Reporter, admit
from schemas import MAX_EVENT_BYTES, STATION_EVENT_ADAPTER, RejectReason, product_key_of
from schemas.envelope import StationEvent, partition_key_of


@dataclass(frozen=True, slots=True)
class RawRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Sequence[tuple[str, bytes]]


@dataclass(frozen=True, slots=True)
class Accepted:
    canonical: bytes
    product_key: str | None
    event_id: str
    event_type: str
    partition_key: str
    event: StationEvent


@dataclass(frozen=True, slots=True)
class Rejected:
    dead_letter: bytes
    reason: RejectReason
    reporter_id: str | None


Outcome = Accepted | Rejected
KeyLookup = Callable[[str], bytes]


@dataclass(frozen=True, slots=True)
class _Problem:
    reason: RejectReason
    errors: list[dict[str, str]]


def process_record(
    record: RawRecord, reporters: Mapping[str, Reporter], station_key: KeyLookup, now: datetime
) -> Outcome:
    """Validate, authenticate and admit one record; never raises for bad input."""
    claimed = _claimed_reporter(record.key)
    parsed = _parse(record, claimed, station_key)
    if isinstance(parsed, _Problem):
        return _reject(record, claimed, parsed, now)
    try:
        refused = admit(
            reporters.get(parsed.reporter_id),
            reporter_id=parsed.reporter_id,
            event_type=parsed.type,
            jurisdiction=parsed.jurisdiction,
        )
    except DomainError as error:  # e.g. a registry entry with an unusable jurisdiction code
        refused = AdmissionRefused(Refusal.WRONG_JURISDICTION, str(error))
    if refused is not None:
        problem = _Problem(
            RejectReason(refused.refusal.value), [_err("reporter_id", refused.detail)]
        )
        return _reject(record, claimed, problem, now)
    return _accept(record, parsed, now)


def _parse(
    record: RawRecord, claimed: str | None, station_key: KeyLookup
) -> StationEvent | _Problem:
    value = record.value or b""
    if len(value) > MAX_EVENT_BYTES:
        return _Problem(
            RejectReason.OVERSIZE, [_err("", f"{len(value)} bytes exceeds {MAX_EVENT_BYTES}")]
        )
    auth = _authenticate(record, claimed, station_key)
    if auth is not None:
        return auth
    try:
        event = STATION_EVENT_ADAPTER.validate_json(value)
    except ValidationError as error:
        return _schema_problem(error)
    if event.reporter_id != claimed:
        return _Problem(
            RejectReason.UNAUTHENTICATED,
            [_err("reporter_id", f"signed by {claimed!r} but claims {event.reporter_id!r}")],
        )
    return event


def _claimed_reporter(key: bytes | None) -> str | None:
    if not key:
        return None
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _authenticate(
    record: RawRecord, claimed: str | None, station_key: KeyLookup
) -> _Problem | None:
    if claimed is None:
        return _Problem(
            RejectReason.UNAUTHENTICATED, [_err("key", "record key must be the reporter id")]
        )
    signature = next((v for k, v in record.headers if k == SIGNATURE_HEADER), None)
    if signature is None:
        return _Problem(
            RejectReason.UNAUTHENTICATED,
            [_err("headers", f"missing {SIGNATURE_HEADER}; sign with `recall station send`")],
        )
    try:
        valid = verify(station_key(claimed), record.value or b"", signature.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        valid = False
    if not valid:
        return _Problem(
            RejectReason.UNAUTHENTICATED,
            [_err("headers", f"signature does not match reporter {claimed!r}'s key")],
        )
    return None


def _schema_problem(error: ValidationError) -> _Problem:
    details = error.errors(include_url=False, include_input=False)
    if details and details[0]["type"] == "json_invalid":
        return _Problem(RejectReason.MALFORMED_JSON, [_err("", str(details[0]["msg"]))])
    errors = [_err(_field_path(d["loc"]), str(d["msg"])) for d in details[:20]]
    return _Problem(RejectReason.SCHEMA, errors)


def _field_path(loc: tuple[int | str, ...]) -> str:
    # The discriminated union adds the tag ('injury_report') as the first element: drop it.
    parts = [str(p) for p in loc]
    if parts and parts[0] in _EVENT_TYPES:
        parts = parts[1:]
    return ".".join(parts)


_EVENT_TYPES = frozenset(
    {
        "injury_report",
        "sampling_result",
        "station_heartbeat",
        "recall_notice",
        "recall_progress_report",
    }
)


def _err(field: str, message: str) -> dict[str, str]:
    return {"field": field, "message": message}


def _source(record: RawRecord) -> bytes:
    return orjson.dumps(
        {"topic": record.topic, "partition": record.partition, "offset": record.offset}
    )


def _accept(record: RawRecord, event: StationEvent, now: datetime) -> Accepted:
    original = (record.value or b"").strip()
    product_key = product_key_of(event)
    # The event as sent (already validated): re-serialising the model would cost more than all
    # other checks together, and the stored payload stays exactly what the station signed.
    canonical = b"".join(
        (
            b'{"event":',
            original,
            b',"product_key":',
            orjson.dumps(product_key),
            b',"received_at":',
            orjson.dumps(now),
            b',"source":',
            _source(record),
            b"}",
        )
    )
    return Accepted(
        canonical, product_key, str(event.event_id), event.type, partition_key_of(event), event
    )


def reject_record(
    record: RawRecord, reason: RejectReason, errors: list[dict[str, str]], now: datetime
) -> Rejected:
    """A dead letter for a record that passed validation but broke a stateful rule."""
    return _reject(record, _claimed_reporter(record.key), _Problem(reason, errors), now)


def _reject(record: RawRecord, claimed: str | None, problem: _Problem, now: datetime) -> Rejected:
    letter = {
        "reason": problem.reason.value,
        "errors": problem.errors,
        "reporter_id": claimed,
        "received_at": now,
        "source": {"topic": record.topic, "partition": record.partition, "offset": record.offset},
        "original_b64": base64.b64encode(record.value or b"").decode("ascii"),
    }
    return Rejected(orjson.dumps(letter), problem.reason, claimed)
