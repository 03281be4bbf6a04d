"""`event_row` and `dead_letter_row`: rows from `process_record` output, None for the rest."""

from __future__ import annotations

import base64
import random
from datetime import datetime
from typing import Any

import orjson
import pytest

from recall.service.intake.admission import Accepted, RawRecord, Rejected, process_record
from recall.service.intake.letters import claimed_event_id
from recall.service.intake.ports import EventRow
from recall.service.intake.records import dead_letter_row, event_row
from tests.unit.schemas.builders import (
    T_OCCURRED,
    T_SENT,
    USCC,
    heartbeat_event,
    injury_event,
    injury_payload,
    sampling_event,
)
from tests.unit.service.intake.intake_builders import (
    NOW,
    OFFSET,
    PARTITION,
    RULES,
    TOPIC,
    raw,
    raw_bytes,
)


def _accepted(record: RawRecord) -> Accepted:
    outcome = process_record(record, RULES, NOW)
    assert isinstance(outcome, Accepted)
    return outcome


def _letter(record: RawRecord) -> bytes:
    outcome = process_record(record, RULES, NOW)
    assert isinstance(outcome, Rejected)
    return outcome.dead_letter


def _row(record: RawRecord) -> EventRow:
    return event_row(record, _accepted(record), NOW)


# --- event rows -----------------------------------------------------------------------------


def test_injury_report_row() -> None:
    row = _row(raw(injury_event()))
    assert row["event_id"] == injury_event()["event_id"]
    assert row["type"] == "injury_report"
    assert row["reporter_id"] == "hosp-140105-01"
    assert row["jurisdiction"] == "140105"
    assert row["product_key"] == f"{USCC}/acme/k-1"
    assert row["occurred_at"] == datetime.fromisoformat(T_OCCURRED)
    assert row["sent_at"] == datetime.fromisoformat(T_SENT)
    assert row["received_at"] == NOW
    assert (row["source_topic"], row["source_partition"], row["source_offset"]) == (
        TOPIC,
        PARTITION,
        OFFSET,
    )
    assert row["payload"]["case_ref"] == injury_payload()["case_ref"]


def test_row_times_are_timezone_aware() -> None:
    row = _row(raw(injury_event()))
    for field in ("occurred_at", "sent_at", "received_at"):
        time = row[field]  # occurred_at is optional in a row, present in an injury report's
        assert time is not None and time.tzinfo is not None, field


def test_sampling_result_row_uses_sampled_at() -> None:
    row = _row(raw(sampling_event()))
    assert row["type"] == "sampling_result"
    assert row["occurred_at"] == datetime.fromisoformat(T_OCCURRED)
    assert row["payload"]["sample_id"] == "S-2024-0042"


def test_heartbeat_row_has_no_product_and_no_occurrence() -> None:
    row = _row(raw(heartbeat_event()))
    assert row["product_key"] is None
    assert row["occurred_at"] is None
    assert row["payload"]["status"] == "ok"


def test_event_row_stores_the_validated_payload_and_its_content_hash() -> None:
    record = raw(injury_event())
    row = _row(record)
    assert row["content_hash"] == _accepted(record).content_hash
    assert len(row["content_hash"]) == 64
    assert row["payload"]["product"]["brand"] == injury_payload()["product"]["brand"]


# --- dead-letter rows -----------------------------------------------------------------------


def test_dead_letter_row_round_trips_the_original_bytes() -> None:
    record = raw(injury_event(injury_payload(age_years=130)))
    row = dead_letter_row(_letter(record))
    assert row is not None
    assert row["original"] == record.value
    assert row["reason"] == "schema"
    assert row["reporter_id"] == "hosp-140105-01"
    assert row["received_at"] == NOW
    assert (row["source_topic"], row["source_partition"], row["source_offset"]) == (
        TOPIC,
        PARTITION,
        OFFSET,
    )
    assert row["errors"][0]["field"] == "payload.age_years"
    assert row["detail"].startswith("payload.age_years: ")


def test_dead_letter_row_of_binary_unauthenticated_record() -> None:
    value = bytes(range(256))
    row = dead_letter_row(_letter(raw_bytes(value, key=None, headers=[])))
    assert row is not None
    assert row["original"] == value
    assert row["reporter_id"] is None
    assert row["detail"] == "key: record key must be the reporter id"


def test_dead_letter_detail_joins_every_error() -> None:
    payload = {f"extra_{i}": i for i in range(3)}
    row = dead_letter_row(_letter(raw(heartbeat_event(payload))))
    assert row is not None
    assert row["detail"].count("; ") == len(row["errors"]) - 1
    assert "payload.extra_0: " in row["detail"]


# --- the event id a refused record claims --------------------------------------------------

EVENT_ID = "0f8e4c2a-3b1d-4e5f-8a6b-7c9d0e1f2a3b"


def test_a_refused_records_letter_row_carries_the_event_id_it_claims() -> None:
    record = raw(injury_event(injury_payload(age_years=130), event_id=EVENT_ID.upper()))
    outcome = process_record(record, RULES, NOW)
    assert isinstance(outcome, Rejected) and outcome.event_id == EVENT_ID
    row = dead_letter_row(outcome.dead_letter, outcome.event_id)
    assert row is not None and row["event_id"] == EVENT_ID
    assert "event_id" not in orjson.loads(outcome.dead_letter)  # the wire letter is unchanged


def test_an_unauthenticated_records_claim_is_kept_for_its_claimed_reporter() -> None:
    outcome = process_record(raw(injury_event(event_id=EVENT_ID), signer="hosp-ghost"), RULES, NOW)
    assert isinstance(outcome, Rejected) and outcome.reason.value == "unauthenticated"
    assert (outcome.reporter_id, outcome.event_id) == ("hosp-140105-01", EVENT_ID)


@pytest.mark.parametrize(
    "claimed",
    [
        EVENT_ID,
        EVENT_ID.upper(),
        EVENT_ID.replace("-", ""),
        "{" + EVENT_ID + "}",
        "urn:uuid:" + EVENT_ID,
    ],
)
def test_every_form_the_envelope_reads_is_kept_canonical(claimed: str) -> None:
    assert claimed_event_id(orjson.dumps({"event_id": claimed, "type": "nonsense"})) == EVENT_ID


@pytest.mark.parametrize(
    "value",
    [
        orjson.dumps({"event_id": "e" * 60_000}),  # a huge claim
        orjson.dumps({"event_id": EVENT_ID + "0"}),  # one character too long
        orjson.dumps({"event_id": EVENT_ID[:-1] + "\x00"}),  # a NUL byte inside
        orjson.dumps({"event_id": EVENT_ID + "\u0000"}),  # a NUL byte after
        orjson.dumps({"event_id": f" {EVENT_ID}"}),
        orjson.dumps({"event_id": "{" + EVENT_ID}),
        orjson.dumps({"event_id": "urn:uuid:{" + EVENT_ID + "}"}),
        orjson.dumps({"event_id": "ｆ" + EVENT_ID[1:]}),  # a full-width letter is not hex
        orjson.dumps({"event_id": "station-42"}),
        orjson.dumps({"event_id": 42}),
        orjson.dumps({"event_id": None}),
        orjson.dumps({"event_id": [EVENT_ID]}),
        orjson.dumps({"event_id": {"id": EVENT_ID}}),
        orjson.dumps({"payload": {"event_id": EVENT_ID}}),  # not the envelope's
        orjson.dumps([{"event_id": EVENT_ID}]),
        b'{"event_id": "' + EVENT_ID.encode() + b'", "age": ',  # cut short
        b'{"event_id": "' + EVENT_ID.encode() + b'", "x": "\xff\xfe"}',  # not UTF-8
        b'{"event_id": "' + EVENT_ID.encode() + b'", "pad": "' + b"x" * 70_000 + b'"}',
        b"",
        b"\x00" * 32,  # NUL bytes, no JSON
    ],
)
def test_anything_but_a_readable_uuid_claims_no_event_id(value: bytes) -> None:
    assert claimed_event_id(value) is None


def test_a_nul_quoted_by_a_validation_message_is_spelled_out() -> None:
    """PostgreSQL text cannot hold NUL: a letter quoting one would be refused by the store."""
    extra: dict[str, Any] = {"extra\x00field": 1}
    record = raw(injury_event(event_id="\x00" * 36, **extra))
    outcome = process_record(record, RULES, NOW)
    assert isinstance(outcome, Rejected) and outcome.reason.value == "schema"
    row = dead_letter_row(outcome.dead_letter, outcome.event_id)
    assert row is not None and row["event_id"] is None
    texts = [row["detail"], *(v for e in row["errors"] for v in e.values())]
    assert not any("\x00" in text for text in texts)
    assert "found `\\x00`" in row["detail"]
    assert "extra\\x00field" in row["detail"]
    assert row["original"] == record.value  # the bytes themselves are kept as sent


def test_an_oversize_records_letter_has_no_event_id() -> None:
    value = orjson.dumps({"event_id": EVENT_ID, "pad": "x" * 70_000})
    outcome = process_record(raw_bytes(value), RULES, NOW)
    assert isinstance(outcome, Rejected) and outcome.reason.value == "oversize"
    assert outcome.event_id is None


def _letter_dict() -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(_letter(raw(injury_event(reporter_id="hosp-ghost"))))
    return loaded


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("original_b64", "***not base64***"),
        ("original_b64", "YQ"),  # bad padding
        ("original_b64", "é"),
        ("original_b64", 12),
        ("errors", 7),
        ("errors", "oops"),
        ("errors", [1, 2]),
        ("errors", {"field": "x"}),
        ("received_at", "later"),
        ("source", []),
        ("source", {"topic": "t", "partition": "p", "offset": 0}),
    ],
)
def test_dead_letter_row_with_a_bad_value_is_none(field: str, value: object) -> None:
    letter = {**_letter_dict(), field: value}
    assert dead_letter_row(orjson.dumps(letter)) is None


@pytest.mark.parametrize("field", ["reason", "errors", "received_at", "source", "original_b64"])
def test_dead_letter_row_without_a_required_field_is_none(field: str) -> None:
    letter = _letter_dict()
    del letter[field]
    assert dead_letter_row(orjson.dumps(letter)) is None


@pytest.mark.parametrize("garbage", [b"", b"{", b"[]", b"null", b"{}", b"\x80"])
def test_dead_letter_row_of_garbage_is_none(garbage: bytes) -> None:
    assert dead_letter_row(garbage) is None


def test_dead_letter_without_reporter_reads_as_none() -> None:
    letter = _letter_dict()
    del letter["reporter_id"]
    row = dead_letter_row(orjson.dumps(letter))
    assert row is not None
    assert row["reporter_id"] is None


# --- never raise on mutated records ---------------------------------------------------------


def _mutations(rng: random.Random, value: bytes, count: int) -> list[bytes]:
    out = []
    for _ in range(count):
        data = bytearray(value)
        where = rng.randrange(len(data))
        if rng.random() < 0.5:
            data[where] = rng.choice(b'0123456789{}[]",:ntfx\\ ')
        else:
            del data[where : where + rng.randrange(1, 8)]
        out.append(bytes(data))
    return out


def test_mutated_dead_letters_give_a_row_or_none_never_an_exception() -> None:
    rng = random.Random(1400)
    letter = _letter(raw(injury_event(injury_payload(age_years=-1))))
    results = [dead_letter_row(m) for m in _mutations(rng, letter, 300)]
    assert all(r is None or isinstance(r, dict) for r in results)
    assert any(r is None for r in results)


def test_base64_of_the_dead_letter_is_standard_alphabet() -> None:
    value = b"\xfb\xff\xfe"  # encodes to '+//+' characters in the standard alphabet
    letter = orjson.loads(_letter(raw_bytes(value, key=None, headers=[])))
    assert letter["original_b64"] == base64.b64encode(value).decode()
    row = dead_letter_row(orjson.dumps(letter))
    assert row is not None
    assert row["original"] == value
