"""Strict wire types: numbers, booleans and times are never coerced, in any event type.

Lax pydantic reads "4", 4.0 and true as the integer 4 (well, 1), 1700000000 as a time in 1970
or 2023, and "2024-01-01T00:00:00" as a time in an unknown zone. A station with such a bug
would have its data silently reinterpreted; strict types turn that into a dead letter that
names the field. Enums, UUIDs and times still come from JSON strings, tuples from arrays.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from pydantic import BaseModel, ValidationError

from schemas import STATION_EVENT_ADAPTER
from schemas.common import Strict
from schemas.recalls import RecallNotice, RecallProgressReport, SupplyLevel
from schemas.registry import RegistryFile, StationEntry
from tests.unit.schemas.builders import (
    Event,
    drop_path,
    heartbeat_event,
    injury_event,
    progress_event,
    recall_notice_event,
    sampling_event,
    set_path,
    to_bytes,
)

LAX_INTS = [
    pytest.param("4", id="string"),
    pytest.param(True, id="true"),
    pytest.param(4.0, id="float"),
]
LAX_BOOLS = [
    pytest.param(1, id="one"),
    pytest.param(0, id="zero"),
    pytest.param("true", id="string-true"),
    pytest.param("false", id="string-false"),
]
LAX_DATETIMES = [
    pytest.param(1700000000, id="epoch-int"),
    pytest.param(1700000000.5, id="epoch-float"),
    pytest.param("1700000000", id="epoch-string"),
    pytest.param("2024-01-01T00:00:00", id="no-offset"),
    pytest.param("2024-01-01", id="date-only"),
    pytest.param("2024-01-01 00:00:00+08:00", id="space-separator"),
    pytest.param("20240101T000000+0800", id="basic-format"),
    pytest.param("２０２４-01-01T00:00:00+08:00", id="full-width-digits"),
    pytest.param(True, id="true"),
]

# (event builder, dotted path of an int field, a valid value there)
INT_FIELDS = [
    pytest.param(injury_event, "payload.age_years", id="injury.age_years"),
    pytest.param(heartbeat_event, "payload.queued_reports", id="heartbeat.queued_reports"),
    pytest.param(recall_notice_event, "payload.affected.consumer", id="notice.affected"),
    pytest.param(
        recall_notice_event, "payload.reporting_cadence_days", id="notice.reporting_cadence_days"
    ),
    pytest.param(progress_event, "payload.sequence", id="progress.sequence"),
    pytest.param(progress_event, "payload.levels.consumer.located", id="progress.located"),
    pytest.param(
        progress_event, "payload.levels.consumer.corrected.replace", id="progress.corrected"
    ),
    pytest.param(
        progress_event, "payload.levels.consumer.unreachable.moved", id="progress.unreachable"
    ),
]
BOOL_FIELDS = [
    pytest.param(sampling_event, "payload.vulnerable_users", id="sampling.vulnerable_users"),
    pytest.param(progress_event, "payload.refused", id="progress.refused"),
]
DATETIME_FIELDS = [
    pytest.param(injury_event, "sent_at", id="envelope.sent_at"),
    pytest.param(injury_event, "payload.occurred_at", id="injury.occurred_at"),
    pytest.param(sampling_event, "payload.sampled_at", id="sampling.sampled_at"),
    pytest.param(heartbeat_event, "sent_at", id="heartbeat.sent_at"),
    pytest.param(recall_notice_event, "payload.start", id="notice.start"),
    pytest.param(recall_notice_event, "payload.target_date", id="notice.target_date"),
    pytest.param(progress_event, "payload.period_start", id="progress.period_start"),
    pytest.param(progress_event, "payload.period_end", id="progress.period_end"),
]


def _errors(event: Event) -> list[tuple[str, str, str]]:
    """(path without the union tag, error type, message) per error; [] when valid."""
    try:
        STATION_EVENT_ADAPTER.validate_json(to_bytes(event))
    except ValidationError as error:
        return [
            (".".join(str(p) for p in e["loc"][1:]), e["type"], e["msg"]) for e in error.errors()
        ]
    return []


def _refused_at(event: Event, path: str, types: set[str]) -> str:
    errors = _errors(event)
    at_path = [(kind, msg) for p, kind, msg in errors if p == path]
    assert at_path, f"not refused at {path}: {errors}"
    kind, message = at_path[0]
    assert kind in types, errors
    return message


def _get(event: Event, path: str) -> Any:
    node: Any = event
    for part in path.split("."):
        node = node[part]
    return node


@pytest.mark.parametrize(
    "build", [injury_event, sampling_event, heartbeat_event, recall_notice_event, progress_event]
)
def test_every_event_type_is_valid_as_built(build: Any) -> None:
    """The lax values below are the only change, so a refusal is about them."""
    assert _errors(build()) == []


@pytest.mark.parametrize("lax", LAX_INTS)
@pytest.mark.parametrize(("build", "path"), INT_FIELDS)
def test_integers_only_from_json_integers(build: Any, path: str, lax: object) -> None:
    event = build()
    assert isinstance(_get(event, path), int)
    message = _refused_at(set_path(event, path, lax), path, {"int_type"})
    assert "valid integer" in message


@pytest.mark.parametrize("lax", LAX_BOOLS)
@pytest.mark.parametrize(("build", "path"), BOOL_FIELDS)
def test_booleans_only_from_json_booleans(build: Any, path: str, lax: object) -> None:
    message = _refused_at(set_path(build(), path, lax), path, {"bool_type"})
    assert "valid boolean" in message


@pytest.mark.parametrize("lax", LAX_DATETIMES)
@pytest.mark.parametrize(("build", "path"), DATETIME_FIELDS)
def test_times_only_from_iso_strings_with_an_offset(build: Any, path: str, lax: object) -> None:
    message = _refused_at(
        set_path(build(), path, lax),
        path,
        {"datetime_type", "datetime_parsing", "timezone_aware"},
    )
    assert "2024-05-01T10:00:00+08:00" in message  # the error shows the expected spelling


def test_missing_offset_is_named_in_the_error() -> None:
    event = set_path(injury_event(), "payload.occurred_at", "2024-01-01T00:00:00")
    message = _refused_at(event, "payload.occurred_at", {"timezone_aware"})
    assert "UTC offset" in message


def test_impossible_date_is_refused_with_a_reason() -> None:
    event = set_path(injury_event(), "payload.occurred_at", "2024-13-01T00:00:00+08:00")
    message = _refused_at(event, "payload.occurred_at", {"datetime_parsing"})
    assert "month" in message


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-05-01T10:00:00+08:00", datetime(2024, 5, 1, 2, 0, tzinfo=UTC)),
        ("2024-05-01T02:00:00Z", datetime(2024, 5, 1, 2, 0, tzinfo=UTC)),
        ("2024-05-01T02:00Z", datetime(2024, 5, 1, 2, 0, tzinfo=UTC)),
        ("2024-05-01T02:00:00.123456789-00:00", datetime(2024, 5, 1, 2, 0, 0, 123456, UTC)),
    ],
)
def test_iso_strings_with_an_offset_are_accepted(value: str, expected: datetime) -> None:
    event = set_path(injury_event(), "sent_at", value)
    assert STATION_EVENT_ADAPTER.validate_json(to_bytes(event)).sent_at == expected


@pytest.mark.parametrize("lax", ["0.5", True, None])
def test_target_rate_is_a_json_number(lax: object) -> None:
    event = set_path(recall_notice_event(), "payload.target_rate", lax)
    _refused_at(event, "payload.target_rate", {"float_type"})


def test_float_fields_accept_json_integers() -> None:
    event = set_path(recall_notice_event(), "payload.target_rate", 1)
    parsed = STATION_EVENT_ADAPTER.validate_json(to_bytes(event))
    assert isinstance(parsed.payload, RecallNotice)
    assert parsed.payload.target_rate == 1.0


def test_strings_enums_uuids_and_arrays_still_parse_from_json() -> None:
    """Strictness must not refuse what JSON can only spell as a string or an array."""
    notice = STATION_EVENT_ADAPTER.validate_json(to_bytes(recall_notice_event()))
    assert isinstance(notice.payload, RecallNotice)
    assert notice.payload.affected[SupplyLevel.CONSUMER] == 1000  # enum dict key
    assert notice.payload.batches == ("B2024-05",)  # tuple from an array
    assert str(notice.event_id) == "0f8e7a52-3c1b-4d62-9a57-6d2b8f3a1c44"
    progress = STATION_EVENT_ADAPTER.validate_json(to_bytes(progress_event()))
    assert isinstance(progress.payload, RecallProgressReport)
    assert progress.payload.levels[SupplyLevel.CONSUMER].unreachable == {"moved": 10}


@pytest.mark.parametrize("value", [1, 4.0, True])
def test_enum_fields_refuse_non_strings(value: object) -> None:
    _refused_at(set_path(injury_event(), "payload.sex", value), "payload.sex", {"enum"})


def test_strings_are_not_made_from_numbers() -> None:
    _refused_at(set_path(injury_event(), "reporter_id", 140105), "reporter_id", {"string_type"})


def test_event_id_from_a_number_is_refused() -> None:
    _refused_at(set_path(injury_event(), "event_id", 1), "event_id", {"uuid_type"})


def test_strict_events_round_trip_through_their_own_json() -> None:
    """What the pipeline writes (model_dump_json) must pass the strict contract again."""
    for build in (injury_event, sampling_event, heartbeat_event):
        parsed = STATION_EVENT_ADAPTER.validate_json(to_bytes(build()))
        assert STATION_EVENT_ADAPTER.validate_json(STATION_EVENT_ADAPTER.dump_json(parsed)) == (
            parsed
        )
    for build in (recall_notice_event, progress_event):
        parsed = STATION_EVENT_ADAPTER.validate_json(to_bytes(build()))
        assert STATION_EVENT_ADAPTER.validate_json(STATION_EVENT_ADAPTER.dump_json(parsed)) == (
            parsed
        )


def test_python_objects_built_by_our_code_still_validate() -> None:
    """Enums as values, aware datetimes and tuples from Python callers (generators, tests)."""
    entry = StationEntry(station_id="s-1", kind="hospital", name="急诊", jurisdiction="140105")
    assert entry.enabled is True
    event = STATION_EVENT_ADAPTER.validate_python(
        set_path(injury_event(), "sent_at", datetime(2024, 5, 1, tzinfo=UTC))
    )
    assert event.sent_at == datetime(2024, 5, 1, tzinfo=UTC)


def test_naive_datetime_object_is_refused_in_python_mode() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        STATION_EVENT_ADAPTER.validate_python(
            set_path(injury_event(), "sent_at", datetime(2024, 5, 1))
        )


def test_event_without_optional_int_is_still_valid() -> None:
    assert _errors(drop_path(injury_event(), "payload.age_years")) == []


# --- registry file ------------------------------------------------------------------------------


def _registry(station: dict[str, Any]) -> bytes:
    base = {"station_id": "s-1", "kind": "hospital", "name": "急诊", "jurisdiction": "140105"}
    return orjson.dumps({"stations": [{**base, **station}]})


@pytest.mark.parametrize("lax", [{"enabled": "false"}, {"enabled": 0}])
def test_registry_file_flags_are_strict(lax: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="valid boolean"):
        RegistryFile.model_validate_json(_registry(lax))


def test_registry_file_counts_are_strict() -> None:
    product = {
        "manufacturer_code": "91310000132200821H",
        "brand": "Acme",
        "model": "K-1",
        "category": "appliances",
        "kind": "electric_kettle",
        "units_in_use": "12000",
    }
    with pytest.raises(ValidationError, match="valid integer"):
        RegistryFile.model_validate_json(orjson.dumps({"products": [product]}))


def test_registry_names_are_normalised_and_checked() -> None:
    registry = RegistryFile.model_validate_json(_registry({"name": "  省人民医院\u3000急诊  "}))
    assert registry.stations[0].name == "省人民医院 急诊"
    with pytest.raises(ValidationError, match="U\\+200B"):
        RegistryFile.model_validate_json(_registry({"name": "省人民\u200b医院"}))


# --- guard: no lax scalar can be added to a wire model --------------------------------------

_SCALARS = {"int", "float", "bool", "datetime"}
# schemas.records is being reworked for the dead-letter writer in the same change; its
# int/bool/datetime fields are to become WireInt/WireBool/WireDatetime there.
_PENDING_MODULES: set[str] = set()
_MODULES = [
    "schemas.common",
    "schemas.envelope",
    "schemas.heartbeat",
    "schemas.injury",
    "schemas.recalls",
    "schemas.records",
    "schemas.registry",
    "schemas.risk",
    "schemas.sampling",
]


def _models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for name in _MODULES:
        for _, obj in inspect.getmembers(importlib.import_module(name), inspect.isclass):
            if issubclass(obj, Strict) and obj.__module__ not in _PENDING_MODULES:
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [found[k] for k in sorted(found)]


def _lax_scalars(schema: object, path: str = "") -> Iterator[str]:
    if isinstance(schema, dict):
        kind = schema.get("type")  # a field may be called "type" too: then this is a dict
        if isinstance(kind, str) and kind in _SCALARS and schema.get("strict") is not True:
            yield f"{path}: {kind}"
        for key, value in schema.items():
            yield from _lax_scalars(value, f"{path}.{key}")
    elif isinstance(schema, list):
        for i, value in enumerate(schema):
            yield from _lax_scalars(value, f"{path}[{i}]")


def test_the_guard_finds_wire_models() -> None:
    names = {m.__name__ for m in _models()}
    assert {"Envelope", "InjuryReport", "RecallNotice", "StationEntry", "SignalRaised"} <= names


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_no_wire_model_has_a_lax_scalar(model: type[BaseModel]) -> None:
    assert list(_lax_scalars(model.__pydantic_core_schema__)) == []


def test_the_guard_would_see_a_lax_int() -> None:
    class Lax(Strict):
        count: int

    assert list(_lax_scalars(Lax.__pydantic_core_schema__)) != []
