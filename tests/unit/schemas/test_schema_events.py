"""The station event envelope and its payloads: shape rules, bounds, enums, union dispatch."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from schemas import (
    STATION_EVENT_ADAPTER,
    InjuryReportEvent,
    SamplingResultEvent,
    StationHeartbeatEvent,
)
from schemas.injury import InjuryReport
from tests.unit.schemas.builders import (
    Event,
    drop_path,
    heartbeat_event,
    heartbeat_payload,
    injury_event,
    injury_payload,
    product,
    sampling_event,
    set_path,
    to_bytes,
)


def _errors(event: Event) -> list[tuple[str, str]]:
    """(path without the union tag, error type) for each error; [] when the event is valid."""
    try:
        STATION_EVENT_ADAPTER.validate_json(to_bytes(event))
    except ValidationError as error:
        return [(".".join(str(p) for p in e["loc"][1:]), e["type"]) for e in error.errors()]
    return []


def _refused_at(event: Event, path: str) -> None:
    errors = _errors(event)
    assert errors, "event was accepted"
    assert path in [p for p, _ in errors], errors


# --- valid events and union dispatch --------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "model"),
    [
        (injury_event(), InjuryReportEvent),
        (sampling_event(), SamplingResultEvent),
        (heartbeat_event(), StationHeartbeatEvent),
    ],
)
def test_valid_events_parse_into_their_own_model(event: Event, model: type[Any]) -> None:
    parsed = STATION_EVENT_ADAPTER.validate_json(to_bytes(event))
    assert type(parsed) is model
    assert parsed.type == event["type"]
    assert str(parsed.event_id) == event["event_id"]


def test_events_round_trip_through_json() -> None:
    for event in (injury_event(), sampling_event(), heartbeat_event()):
        parsed = STATION_EVENT_ADAPTER.validate_json(to_bytes(event))
        again = STATION_EVENT_ADAPTER.validate_json(STATION_EVENT_ADAPTER.dump_json(parsed))
        assert again == parsed


def test_type_selects_the_payload_model() -> None:
    """An injury payload under a heartbeat tag is validated as a heartbeat and refused."""
    errors = _errors(heartbeat_event(injury_payload()))
    assert ("payload.status", "missing") in errors
    assert ("payload.case_ref", "extra_forbidden") in errors


@pytest.mark.parametrize("tag", ["recall_notify", "INJURY_REPORT", "", 1])
def test_unknown_type_tag_is_refused(tag: object) -> None:
    with pytest.raises(ValidationError) as caught:
        STATION_EVENT_ADAPTER.validate_json(to_bytes(injury_event(type=tag)))
    assert caught.value.errors()[0]["type"] == "union_tag_invalid"


def test_missing_type_tag_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        STATION_EVENT_ADAPTER.validate_json(to_bytes(drop_path(injury_event(), "type")))
    assert caught.value.errors()[0]["type"] == "union_tag_not_found"


@pytest.mark.parametrize("body", [b"[]", b"null", b'"injury_report"', b"1"])
def test_non_object_json_is_refused(body: bytes) -> None:
    with pytest.raises(ValidationError):
        STATION_EVENT_ADAPTER.validate_json(body)


def test_models_are_frozen() -> None:
    parsed = STATION_EVENT_ADAPTER.validate_json(to_bytes(injury_event()))
    with pytest.raises(ValidationError):
        parsed.reporter_id = "someone-else"  # type: ignore[misc]  # frozen on purpose


# --- envelope -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [0, 2, "1", None])
def test_schema_version_other_than_1_is_refused(version: object) -> None:
    _refused_at(injury_event(schema_version=version), "schema_version")


def test_schema_version_defaults_to_1() -> None:
    parsed = STATION_EVENT_ADAPTER.validate_json(
        to_bytes(drop_path(injury_event(), "schema_version"))
    )
    assert parsed.schema_version == 1


@pytest.mark.parametrize("field", ["event_id", "reporter_id", "jurisdiction", "sent_at", "payload"])
def test_required_envelope_fields(field: str) -> None:
    _refused_at(drop_path(injury_event(), field), field)


@pytest.mark.parametrize("event_id", ["", "not-a-uuid", "0f8e7a52-3c1b-4d62-9a57-6d2b8f3a1c4"])
def test_event_id_must_be_a_uuid(event_id: str) -> None:
    _refused_at(injury_event(event_id=event_id), "event_id")


@pytest.mark.parametrize(
    "reporter_id", ["", "-starts-with-dash", "has space", "医院一", "x" * 65, "a/b"]
)
def test_reporter_id_must_be_an_identifier(reporter_id: str) -> None:
    _refused_at(injury_event(reporter_id=reporter_id), "reporter_id")


def test_reporter_id_of_64_characters_is_accepted() -> None:
    assert _errors(injury_event(reporter_id="h" * 64)) == []


@pytest.mark.parametrize("jurisdiction", ["14010", "990105", "14010x", 140105])
def test_envelope_jurisdiction_is_checked(jurisdiction: object) -> None:
    _refused_at(injury_event(jurisdiction=jurisdiction), "jurisdiction")


# --- timestamps -----------------------------------------------------------------------------

NAIVE = "2024-05-01T10:00:00"


@pytest.mark.parametrize(
    ("build", "path"),
    [
        (lambda t: injury_event(sent_at=t), "sent_at"),
        (lambda t: injury_event(injury_payload(occurred_at=t)), "payload.occurred_at"),
        (lambda t: sampling_event(sent_at=t), "sent_at"),
        (lambda t: set_path(sampling_event(), "payload.sampled_at", t), "payload.sampled_at"),
        (lambda t: heartbeat_event(sent_at=t), "sent_at"),
    ],
)
def test_naive_timestamps_are_refused(build: Any, path: str) -> None:
    assert (path, "timezone_aware") in _errors(build(NAIVE))
    assert _errors(build(NAIVE + "Z")) == []
    assert _errors(build(NAIVE + "+08:00")) == []


def test_timezone_offset_is_kept() -> None:
    parsed = STATION_EVENT_ADAPTER.validate_json(to_bytes(injury_event()))
    assert parsed.sent_at.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01T00:00:00Z", ""])
def test_unparseable_timestamps_are_refused(value: str) -> None:
    _refused_at(injury_event(sent_at=value), "sent_at")


# --- unknown fields at every level ----------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "where"),
    [
        (injury_event(), ""),
        (injury_event(), "payload"),
        (injury_event(), "payload.product"),
        (sampling_event(), "payload"),
        (sampling_event(), "payload.product"),
        (sampling_event(), "payload.channel"),
        (sampling_event(), "payload.items.0"),
        (heartbeat_event(), "payload"),
    ],
)
def test_unknown_fields_are_refused_at_every_level(event: Event, where: str) -> None:
    path = f"{where}.patient_name" if where else "patient_name"
    assert (path, "extra_forbidden") in _errors(set_path(event, path, "张三"))


# --- bounded lengths ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "limit", "filler"),
    [
        ("payload.narrative", 4000, "烫"),
        ("payload.diagnosis", 200, "d"),
        ("payload.case_ref", 64, "c"),
        ("payload.product.brand", 80, "美"),
        ("payload.product.model", 80, "m"),
        ("payload.product.kind", 40, "k"),
        ("payload.product.batch", 64, "b"),
    ],
)
def test_text_bounds_are_inclusive(path: str, limit: int, filler: str) -> None:
    assert _errors(set_path(injury_event(), path, filler * limit)) == []
    assert (path, "string_too_long") in _errors(
        set_path(injury_event(), path, filler * (limit + 1))
    )


@pytest.mark.parametrize("path", ["payload.product.brand", "payload.product.model"])
@pytest.mark.parametrize("blank", ["", "   ", "\u3000"])
def test_labels_must_not_be_blank(path: str, blank: str) -> None:
    assert (path, "string_too_short") in _errors(set_path(injury_event(), path, blank))


@pytest.mark.parametrize(
    ("age", "ok"), [(0, True), (120, True), (None, True), (-1, False), (121, False)]
)
def test_age_bounds(age: int | None, ok: bool) -> None:
    errors = _errors(injury_event(injury_payload(age_years=age)))
    assert (errors == []) is ok


def test_age_must_be_whole_years() -> None:
    _refused_at(injury_event(injury_payload(age_years=4.5)), "payload.age_years")


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("payload.sex", "m"),
        ("payload.body_part", "arm"),
        ("payload.injury_nature", "Burn_Scald"),
        ("payload.mechanism", "dog_bite"),
        ("payload.disposition", "discharged"),
        ("payload.setting", "farm"),
        ("payload.activity", "gaming"),
        ("payload.product.category", "toys"),
    ],
)
def test_coded_fields_refuse_unknown_codes(field: str, bad: str) -> None:
    assert (field, "enum") in _errors(set_path(injury_event(), field, bad))


@pytest.mark.parametrize("kind", ["Electric_Kettle", "1kettle", "kettle-x", "电水壶"])
def test_product_kind_is_a_lowercase_code(kind: str) -> None:
    _refused_at(set_path(injury_event(), "payload.product.kind", kind), "payload.product.kind")


def test_every_coded_value_of_the_injury_card_is_accepted() -> None:
    from schemas.injury import (
        Activity,
        BodyPart,
        Disposition,
        InjuryNature,
        Mechanism,
        Setting,
        Sex,
    )

    fields = {
        "sex": Sex,
        "body_part": BodyPart,
        "injury_nature": InjuryNature,
        "mechanism": Mechanism,
        "disposition": Disposition,
        "setting": Setting,
        "activity": Activity,
    }
    for field, enum in fields.items():
        for member in enum:
            report = InjuryReport.model_validate(injury_payload(**{field: member.value}))
            assert getattr(report, field) is member


# --- heartbeat ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"status": "down"}, "payload.status"),
        ({"software_version": ""}, "payload.software_version"),
        ({"software_version": "1.0 beta"}, "payload.software_version"),
        ({"software_version": "v" * 41}, "payload.software_version"),
        ({"queued_reports": -1}, "payload.queued_reports"),
        ({"queued_reports": 10_000_001}, "payload.queued_reports"),
    ],
)
def test_heartbeat_rules(overrides: dict[str, Any], path: str) -> None:
    _refused_at(heartbeat_event(heartbeat_payload(**overrides)), path)


def test_heartbeat_extremes_are_accepted() -> None:
    payload = heartbeat_payload(
        status="degraded", software_version="2.0.0+rc_1-x", queued_reports=10_000_000
    )
    assert _errors(heartbeat_event(payload)) == []


# --- Chinese text everywhere ----------------------------------------------------------------


def test_chinese_text_is_accepted_in_every_free_text_and_label() -> None:
    event = injury_event(
        injury_payload(
            diagnosis="右手二度烫伤",
            narrative="儿童玩耍时碰倒电水壶，壶盖在沸腾时弹开，热水溅到右手。",
            product=product(brand="美的", model="电水壶 MK-1"),
        )
    )
    parsed = STATION_EVENT_ADAPTER.validate_json(to_bytes(event))
    assert isinstance(parsed, InjuryReportEvent)
    assert parsed.payload.product.brand == "美的"
    assert parsed.payload.narrative.startswith("儿童玩耍时")
    assert parsed.payload.diagnosis == "右手二度烫伤"


def test_chinese_text_is_accepted_in_sampling_labels() -> None:
    event = set_path(
        sampling_event(),
        "payload.channel",
        {"kind": "online", "platform": "京东", "shop": "美的官方旗舰店"},
    )
    event = set_path(event, "payload.items.0.item", "防触电保护")
    assert _errors(event) == []


def test_narrative_defaults_to_empty() -> None:
    payload = injury_payload()
    del payload["narrative"]
    assert InjuryReport.model_validate(payload).narrative == ""
