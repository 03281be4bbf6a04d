"""`process_record`: every accepted shape and every rejection reason, with its dead letter."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import orjson
import pytest

from recall.domain.intake import Reporter
from recall.service.intake.admission import (
    Accepted,
    IntakeRules,
    RawRecord,
    Rejected,
    process_record,
)
from schemas import MAX_EVENT_BYTES, STATION_EVENT_ADAPTER, CanonicalEvent, DeadLetter, RejectReason
from schemas.signing import SIGNATURE_HEADER
from tests.unit.schemas.builders import (
    LAB,
    REPORTER,
    USCC,
    Event,
    drop_path,
    failed_sampling_payload,
    heartbeat_event,
    injury_event,
    injury_payload,
    product,
    sampling_event,
    set_path,
    to_bytes,
)
from tests.unit.service.intake.intake_builders import (
    KEYRING,
    NOW,
    OFFSET,
    PARTITION,
    REPORTERS,
    RULES,
    TOPIC,
    raw,
    raw_bytes,
    signed_headers,
)


def _process(
    record: RawRecord, reporters: dict[str, Reporter] | None = None
) -> Accepted | Rejected:
    rules = RULES if reporters is None else IntakeRules(reporters, KEYRING)
    return process_record(record, rules, NOW)


def _accepted(record: RawRecord) -> Accepted:
    outcome = _process(record)
    assert isinstance(outcome, Accepted), outcome
    return outcome


def _rejected(record: RawRecord, reason: RejectReason) -> dict[str, Any]:
    """The dead letter as JSON, after checking the reason and that it is a valid DeadLetter."""
    outcome = _process(record)
    assert isinstance(outcome, Rejected), outcome
    assert outcome.reason is reason, orjson.loads(outcome.dead_letter)
    DeadLetter.model_validate_json(outcome.dead_letter)
    letter: dict[str, Any] = orjson.loads(outcome.dead_letter)
    assert letter["reason"] == reason.value
    return letter


def _fields(letter: dict[str, Any]) -> list[str]:
    return [error["field"] for error in letter["errors"]]


# --- accepted -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "product_key"),
    [
        (injury_event(), f"{USCC}/acme/k-1"),
        (sampling_event(failed_sampling_payload()), f"{USCC}/acme/k-1"),
        (heartbeat_event(), None),
    ],
)
def test_valid_events_are_accepted_as_canonical(event: Event, product_key: str | None) -> None:
    outcome = _accepted(raw(event))
    assert outcome.event_type == event["type"]
    assert outcome.event_id == event["event_id"]
    assert outcome.product_key == product_key
    canonical = orjson.loads(outcome.canonical)
    assert set(canonical) == {"event", "product_key", "received_at", "source"}
    assert canonical["product_key"] == product_key
    assert datetime.fromisoformat(canonical["received_at"]) == NOW
    assert canonical["source"] == {"topic": TOPIC, "partition": PARTITION, "offset": OFFSET}
    assert canonical["event"]["reporter_id"] == event["reporter_id"]


def test_canonical_bytes_are_a_valid_canonical_event() -> None:
    outcome = _accepted(raw(injury_event()))
    record = CanonicalEvent.model_validate_json(outcome.canonical)
    assert record.event == STATION_EVENT_ADAPTER.validate_json(to_bytes(injury_event()))
    assert record.received_at == NOW
    assert record.source.offset == OFFSET


def test_canonical_event_is_the_validated_model_and_keys_by_normalised_labels() -> None:
    """The event travels as validated (NFKC, trimmed), not as raw bytes; the key also folds case."""
    event = injury_event(injury_payload(product=product(brand=" ＡＣＭＥ ", model="ＭＫ－１")))
    outcome = _accepted(raw(event))
    canonical = orjson.loads(outcome.canonical)
    stored = canonical["event"]["payload"]["product"]
    assert (stored["brand"], stored["model"]) == ("ACME", "MK-1")
    assert outcome.product_key == canonical["product_key"] == f"{USCC}/acme/mk-1"


def test_chinese_report_is_accepted_in_its_nfkc_form() -> None:
    """DESIGN.md §7: text is normalised (NFKC); the full-width comma folds, the words stay."""
    payload = injury_payload(narrative="儿童碰倒电水壶，右手烫伤。", product=product(brand="美的"))
    outcome = _accepted(raw(injury_event(payload)))
    payload_out = orjson.loads(outcome.canonical)["event"]["payload"]
    assert payload_out["narrative"] == "儿童碰倒电水壶,右手烫伤。"
    assert payload_out["product"]["brand"] == "美的"


def test_city_reporter_may_report_for_its_counties() -> None:
    _accepted(raw(injury_event(reporter_id="city-hosp-140100", jurisdiction="140105")))


def test_province_reporter_may_report_anywhere_in_the_province() -> None:
    _accepted(raw(sampling_event(reporter_id="prov-enf-140000", jurisdiction="140212")))


def test_firm_may_send_heartbeats() -> None:
    _accepted(raw(heartbeat_event(reporter_id="firm-acme", jurisdiction="140100")))


def test_extra_headers_are_ignored() -> None:
    event = injury_event()
    value = to_bytes(event)
    headers = [("trace", b"abc"), *signed_headers(value, REPORTER)]
    _accepted(raw_bytes(value, headers=headers))


# --- oversize and malformed -----------------------------------------------------------------


def test_oversize_is_refused_before_anything_else() -> None:
    value = b"{" + b" " * MAX_EVENT_BYTES + b"}"
    letter = _rejected(raw_bytes(value, key=None, headers=[]), RejectReason.OVERSIZE)
    assert _fields(letter) == [""]
    assert str(MAX_EVENT_BYTES) in letter["errors"][0]["message"]


def test_exactly_max_bytes_is_not_oversize() -> None:
    value = to_bytes(injury_event())
    padded = value[:-1] + b" " * (MAX_EVENT_BYTES - len(value)) + b"}"
    assert len(padded) == MAX_EVENT_BYTES
    _accepted(raw_bytes(padded))


@pytest.mark.parametrize(
    "value", [b"{not json", b"", b"\xff\xfe\x00", b'{"event_id": ', b"{}}", b"nul"]
)
def test_signed_garbage_is_malformed_json(value: bytes) -> None:
    letter = _rejected(raw_bytes(value), RejectReason.MALFORMED_JSON)
    assert _fields(letter) == [""]


def test_tombstone_record_is_refused_not_raised() -> None:
    _rejected(raw_bytes(None), RejectReason.MALFORMED_JSON)
    _rejected(raw_bytes(None, headers=[]), RejectReason.UNAUTHENTICATED)


def test_unsigned_garbage_is_unauthenticated_first() -> None:
    _rejected(raw_bytes(b"{not json", headers=[]), RejectReason.UNAUTHENTICATED)


# --- schema ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (injury_event(injury_payload(age_years=130)), "payload.age_years"),
        (set_path(injury_event(), "payload.product.gtin", "4006381333932"), "payload.product.gtin"),
        (
            set_path(injury_event(), "payload.occurred_at", "2024-05-01T10:00:00"),
            "payload.occurred_at",
        ),
        (set_path(injury_event(), "payload.patient_name", "张三"), "payload.patient_name"),
        (set_path(sampling_event(), "payload.items.0.verdict", "ok"), "payload.items.0.verdict"),
        (set_path(heartbeat_event(), "payload.status", "down"), "payload.status"),
        (injury_event(schema_version=2), "schema_version"),
        (injury_event(jurisdiction="990105"), "jurisdiction"),
    ],
)
def test_schema_errors_name_the_field_without_the_union_tag(event: Event, field: str) -> None:
    letter = _rejected(raw(event), RejectReason.SCHEMA)
    assert field in _fields(letter)
    tags = ("injury_report", "sampling_result", "station_heartbeat")
    assert not any(f.split(".")[0] in tags for f in _fields(letter))


def test_missing_type_tag_is_a_whole_event_schema_error() -> None:
    letter = _rejected(raw(drop_path(injury_event(), "type")), RejectReason.SCHEMA)
    assert _fields(letter) == [""]


@pytest.mark.parametrize("value", [b"[1, 2, 3]", b"null", b"NaN", b'"text"'])
def test_non_object_json_is_a_schema_error(value: bytes) -> None:
    letter = _rejected(raw_bytes(value), RejectReason.SCHEMA)
    assert _fields(letter) == [""]


def test_identifier_in_narrative_is_a_schema_error() -> None:
    event = injury_event(injury_payload(narrative="母亲手机 13800138000"))
    letter = _rejected(raw(event), RejectReason.SCHEMA)
    assert _fields(letter) == ["payload.narrative"]
    assert "13800138000" not in orjson.dumps(letter["errors"]).decode()


def test_at_most_twenty_field_errors_are_reported() -> None:
    payload = {f"extra_{i}": i for i in range(40)}
    letter = _rejected(raw(heartbeat_event(payload)), RejectReason.SCHEMA)
    assert len(letter["errors"]) == 20


# --- authentication -------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, b""])
def test_record_without_key_is_unauthenticated(key: bytes | None) -> None:
    letter = _rejected(raw(injury_event(), key=key), RejectReason.UNAUTHENTICATED)
    assert _fields(letter) == ["key"]
    assert letter["reporter_id"] is None


def test_non_utf8_key_is_unauthenticated() -> None:
    letter = _rejected(raw(injury_event(), key=b"\xff\xfe"), RejectReason.UNAUTHENTICATED)
    assert letter["reporter_id"] is None


def test_missing_signature_header_is_unauthenticated() -> None:
    letter = _rejected(raw(injury_event(), headers=[]), RejectReason.UNAUTHENTICATED)
    assert _fields(letter) == ["headers"]
    assert SIGNATURE_HEADER in letter["errors"][0]["message"]
    assert letter["reporter_id"] == REPORTER


def test_signature_under_another_header_name_is_missing() -> None:
    value = to_bytes(injury_event())
    headers = [
        (name.upper() if name == SIGNATURE_HEADER else name, v)
        for name, v in signed_headers(value, REPORTER)
    ]
    _rejected(raw_bytes(value, headers=headers), RejectReason.UNAUTHENTICATED)


@pytest.mark.parametrize(
    "header",
    [b"", b"00" * 32, b"not-hex", "é".encode(), b"\xff" * 64],
)
def test_wrong_signature_is_unauthenticated(header: bytes) -> None:
    record = raw(injury_event(), headers=[(SIGNATURE_HEADER, header)])
    letter = _rejected(record, RejectReason.UNAUTHENTICATED)
    assert _fields(letter) == ["headers"]


def test_signature_with_another_stations_key_is_unauthenticated() -> None:
    _rejected(raw(injury_event(), signer="hosp-140106-01"), RejectReason.UNAUTHENTICATED)


def test_value_changed_after_signing_is_unauthenticated() -> None:
    value = to_bytes(injury_event())
    tampered = value.replace(b'"age_years":4', b'"age_years":5')
    assert tampered != value
    headers = signed_headers(value, REPORTER)
    _rejected(raw_bytes(tampered, headers=headers), RejectReason.UNAUTHENTICATED)


def test_station_cannot_report_as_another() -> None:
    """Signed correctly by A (key A), but the envelope claims B."""
    event = injury_event(reporter_id="hosp-140106-01", jurisdiction="140106")
    letter = _rejected(raw(event, key=REPORTER), RejectReason.UNAUTHENTICATED)
    assert _fields(letter) == ["reporter_id"]
    assert letter["reporter_id"] == REPORTER


# --- admission ------------------------------------------------------------------------------


def test_unregistered_reporter_is_refused() -> None:
    letter = _rejected(raw(injury_event(reporter_id="hosp-ghost")), RejectReason.UNKNOWN_REPORTER)
    assert _fields(letter) == ["reporter_id"]
    assert "hosp-ghost" in letter["errors"][0]["message"]


def test_disabled_reporter_is_refused() -> None:
    _rejected(raw(injury_event(reporter_id="hosp-disabled")), RejectReason.DISABLED_REPORTER)


@pytest.mark.parametrize(
    ("reporter_id", "jurisdiction"),
    [
        (REPORTER, "140106"),  # neighbouring county
        (REPORTER, "140100"),  # its own city: a county sees only itself
        (REPORTER, "140000"),  # its province
        ("hosp-140106-01", "140105"),
        ("city-hosp-140100", "140212"),  # a county of another city
        ("prov-enf-140000", "110101"),  # another province
    ],
)
def test_reporting_outside_the_registered_area_is_refused(
    reporter_id: str, jurisdiction: str
) -> None:
    event = heartbeat_event(reporter_id=reporter_id, jurisdiction=jurisdiction)
    letter = _rejected(raw(event), RejectReason.WRONG_JURISDICTION)
    assert jurisdiction in letter["errors"][0]["message"]


@pytest.mark.parametrize(
    ("event", "reporter_id"),
    [
        (sampling_event(reporter_id=REPORTER, jurisdiction="140105"), REPORTER),
        (injury_event(reporter_id="firm-acme", jurisdiction="140100"), "firm-acme"),
        (sampling_event(reporter_id="firm-acme"), "firm-acme"),
    ],
)
def test_reporter_kind_must_be_permitted_for_the_event_type(event: Event, reporter_id: str) -> None:
    letter = _rejected(raw(event), RejectReason.NOT_PERMITTED)
    assert letter["reporter_id"] == reporter_id


def test_lab_may_send_sampling_results() -> None:
    assert _accepted(raw(sampling_event(reporter_id=LAB))).event_type == "sampling_result"


@pytest.mark.parametrize("jurisdiction", ["140015", "14０１０５"])
def test_jurisdiction_the_wire_admits_but_the_domain_refuses_does_not_raise(
    jurisdiction: str,
) -> None:
    """The schema's check is looser than `covers()`; the intake must still never raise."""
    city = heartbeat_event(reporter_id="city-hosp-140100", jurisdiction=jurisdiction)
    outcome = _process(raw(city))
    assert isinstance(outcome, Rejected)


def test_reporter_registered_with_an_unusable_code_does_not_raise() -> None:
    """The registry schema admits 140015 for a station; admitting its events must not crash."""
    reporters = {**REPORTERS, "odd": Reporter("odd", "hospital", "140015", enabled=True)}
    outcome = _process(raw(heartbeat_event(reporter_id="odd")), reporters)
    assert isinstance(outcome, Accepted | Rejected)


# --- dead letter contents -------------------------------------------------------------------


@pytest.mark.parametrize(
    "record",
    [
        raw_bytes(b"\x00\xffbinary\n\r\x80", headers=[]),
        raw_bytes(b"{broken"),
        raw(injury_event(injury_payload(age_years=-3))),
        raw(injury_event(reporter_id="hosp-ghost")),
    ],
)
def test_dead_letter_carries_the_original_bytes_and_position(record: RawRecord) -> None:
    outcome = _process(record)
    assert isinstance(outcome, Rejected)
    letter = orjson.loads(outcome.dead_letter)
    assert base64.b64decode(letter["original_b64"], validate=True) == record.value
    assert letter["source"] == {"topic": TOPIC, "partition": PARTITION, "offset": OFFSET}
    assert datetime.fromisoformat(letter["received_at"]) == NOW
    assert outcome.reporter_id == letter["reporter_id"]


def test_dead_letter_reporter_is_the_claimed_key() -> None:
    outcome = _process(raw(injury_event(reporter_id="hosp-ghost")))
    assert isinstance(outcome, Rejected)
    assert outcome.reporter_id == "hosp-ghost"
