"""What the intake produces obeys its topic's model; what does not is refused on our side.

Canonical events are validated once at construction (the event by the intake's own strict
parse, the envelope by `CanonicalEvent`), not again by `encode`: these tests hold the bytes
equal to what `encode(EVENTS_CANONICAL, …)` would produce. Dead letters go through `encode`.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import orjson
import pytest

from recall.service.intake.admission import Accepted, RawRecord, Rejected, process_record
from recall.service.intake.letters import dead_letter
from schemas import RejectReason
from schemas.topics import EVENTS_CANONICAL, INTAKE_DEADLETTER, OutgoingRecordError, encode
from tests.unit.schemas.builders import (
    heartbeat_event,
    injury_event,
    recall_notice_event,
    sampling_event,
    set_path,
)
from tests.unit.service.intake.intake_builders import NOW, RULES, raw, raw_bytes


def _accepted(record: RawRecord) -> Accepted:
    outcome = process_record(record, RULES, NOW)
    assert isinstance(outcome, Accepted), outcome
    return outcome


def _rejected(record: RawRecord) -> Rejected:
    outcome = process_record(record, RULES, NOW)
    assert isinstance(outcome, Rejected), outcome
    return outcome


@pytest.mark.parametrize(
    "event",
    [
        injury_event(),
        sampling_event(),
        heartbeat_event(),
        recall_notice_event(reporter_id="firm-acme"),
        injury_event(
            set_path(injury_event(), "payload.narrative", "ｋｅｔｔｌｅ  boiled")["payload"]
        ),
    ],
    ids=["injury", "sampling", "heartbeat", "notice", "nfkc"],
)
def test_canonical_bytes_are_what_encode_produces(event: dict[str, Any]) -> None:
    canonical = _accepted(raw(event)).canonical
    assert encode(EVENTS_CANONICAL, orjson.loads(canonical)) == canonical


@pytest.mark.parametrize(
    "record",
    [
        raw_bytes(b"{broken"),
        raw_bytes(b"\x00\xff binary", headers=[]),
        raw(injury_event(reporter_id="hosp-ghost")),
        raw(injury_event(jurisdiction="310101")),
    ],
    ids=["malformed", "unsigned", "unregistered", "elsewhere"],
)
def test_dead_letter_bytes_are_what_encode_produces(record: RawRecord) -> None:
    letter = _rejected(record).dead_letter
    assert encode(INTAKE_DEADLETTER, orjson.loads(letter)) == letter
    assert orjson.loads(letter)["stage"] == "validate_intake"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("source", "offset"), -1),
        (("source", "partition"), "3"),
        (("received_at",), "2024-05-01T04:30:00"),  # no offset
        (("event", "jurisdiction"), "31010"),
        (("event", "payload", "age_years"), -4),
        (("product_key",), 7),
    ],
)
def test_an_invalid_canonical_record_is_refused_by_encode(
    path: tuple[str, ...], value: object
) -> None:
    document = orjson.loads(_accepted(raw(injury_event())).canonical)
    node = document
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    with pytest.raises(OutgoingRecordError, match=r"events\.canonical") as refused:
        encode(EVENTS_CANONICAL, document)
    assert path[-1] in str(refused.value)  # the field is named (the union adds its tag)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reason", "bored"),
        ("original_size", -1),
        ("errors", [{"field": "x"}]),
        ("received_at", 1_714_537_800),
        ("unexpected", True),
    ],
)
def test_an_invalid_dead_letter_is_refused_by_encode(field: str, value: object) -> None:
    letter = orjson.loads(_rejected(raw_bytes(b"{broken")).dead_letter)
    letter[field] = value
    with pytest.raises(OutgoingRecordError, match=r"intake\.deadletter"):
        encode(INTAKE_DEADLETTER, letter)


def test_a_letter_the_contract_refuses_is_kept_bare_as_an_internal_error() -> None:
    # A lone surrogate cannot be written as JSON: the letter as worded would be refused.
    position = ("intake.raw", 2, 77)
    letter = dead_letter(
        position,
        b"original bytes",
        reason=RejectReason.SCHEMA,
        errors=[{"field": "payload.\ud800", "message": "bad"}],
        reporter_id="hosp-140105-01",
        now=NOW,
    )
    document = orjson.loads(letter)
    assert document["reason"] == "internal_error"
    assert document["reporter_id"] is None
    assert document["source"] == {"topic": "intake.raw", "partition": 2, "offset": 77}
    assert base64.b64decode(document["original_b64"]) == b"original bytes"
    assert datetime.fromisoformat(document["received_at"]) == NOW
    assert encode(INTAKE_DEADLETTER, document) == letter
