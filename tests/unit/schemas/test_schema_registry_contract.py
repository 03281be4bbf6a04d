"""Registry file entries, records written by the pipeline, and the exported contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import ValidationError

from recall.tools.contract import asyncapi, export, json_schema, models
from schemas import CanonicalEvent, DeadLetter, RejectReason, SourcePosition
from schemas.registry import (
    ExpertEntry,
    ManufacturerEntry,
    ProductEntry,
    RegistryFile,
    StationEntry,
)
from schemas.topics import ALL_TOPICS
from tests.unit.schemas.builders import USCC

MODELS = models()

# --- registry file --------------------------------------------------------------------------


def _registry() -> dict[str, Any]:
    return {
        "stations": [
            {
                "station_id": "hosp-140105-01",
                "kind": "hospital",
                "name": "山西省人民医院急诊科",
                "jurisdiction": "140105",
            },
            {
                "station_id": "firm-acme",
                "kind": "firm",
                "name": "Acme",
                "jurisdiction": "140100",
                "manufacturer_code": USCC.lower(),
            },
        ],
        "manufacturers": [
            {"credit_code": USCC, "name": "Acme 电器有限公司", "jurisdiction": "140100"}
        ],
        "product_kinds": [
            {
                "kind": "electric_kettle",
                "category": "appliances",
                "name_zh": "电水壶",
                "name_en": "Electric kettle",
            }
        ],
        "products": [
            {
                "manufacturer_code": USCC,
                "brand": "Ａｃｍｅ",
                "model": "K-1",
                "category": "appliances",
                "kind": "electric_kettle",
                "gtin": "4006381333931",
                "units_in_use": 12000,
            }
        ],
        "standards": [
            {
                "code": "GB 4706.19-2008",
                "title": "家用和类似用途电器的安全 液体加热器的特殊要求",
                "category": "appliances",
            }
        ],
        "labs": [
            {
                "lab_id": "lab-140100-01",
                "name": "省质检院",
                "jurisdiction": "140100",
                "accreditation": "CNAS L0001",
            }
        ],
        "experts": [
            {
                "expert_id": "exp-1",
                "name": "王工",
                "jurisdiction": "140000",
                "categories": ["appliances"],
                "linked_firms": [USCC],
            }
        ],
    }


def test_valid_registry_file_loads_and_normalises() -> None:
    registry = RegistryFile.model_validate(_registry())
    assert registry.stations[0].enabled is True
    assert registry.stations[1].manufacturer_code == USCC
    assert registry.products[0].brand == "Acme"
    assert registry.experts[0].active is True


def test_empty_registry_file_is_valid() -> None:
    assert RegistryFile.model_validate({}) == RegistryFile()


@pytest.mark.parametrize(
    ("section", "field", "value"),
    [
        ("stations", "kind", "pharmacy"),
        ("stations", "jurisdiction", "990000"),
        ("stations", "station_id", "bad id"),
        ("stations", "nickname", "x"),
        ("manufacturers", "credit_code", USCC[:-1] + ("0" if USCC[-1] != "0" else "1")),
        ("products", "gtin", "4006381333932"),
        ("products", "units_in_use", -1),
        ("products", "brand", "13800138000"),
        ("experts", "categories", []),
        ("experts", "linked_firms", ["91350100M000100Y44"]),
        ("labs", "accreditation", ""),
    ],
)
def test_registry_entries_are_checked(section: str, field: str, value: object) -> None:
    data = _registry()
    data[section][0][field] = value
    with pytest.raises(ValidationError) as caught:
        RegistryFile.model_validate(data)
    assert caught.value.errors()[0]["loc"][:3] == (section, 0, field)


def test_unknown_registry_section_is_refused() -> None:
    with pytest.raises(ValidationError, match="extra"):
        RegistryFile.model_validate({**_registry(), "hospitals": []})


def test_entry_models_are_usable_alone() -> None:
    assert StationEntry(station_id="s1", kind="media", name="n", jurisdiction="140000").enabled
    assert ManufacturerEntry(credit_code=USCC, name="n", jurisdiction="140100").credit_code == USCC
    product = ProductEntry(
        manufacturer_code=USCC, brand="b", model="m", category="lighting", kind="lamp"
    )
    assert product.gtin is None
    expert = ExpertEntry(expert_id="e", name="n", jurisdiction="140000", categories=("lighting",))
    assert expert.linked_firms == ()


# --- pipeline records -----------------------------------------------------------------------


@pytest.mark.parametrize(("partition", "offset"), [(-1, 0), (0, -1)])
def test_source_position_is_non_negative(partition: int, offset: int) -> None:
    with pytest.raises(ValidationError):
        SourcePosition(topic="intake.raw", partition=partition, offset=offset)


def test_dead_letter_reason_is_coded() -> None:
    letter: dict[str, Any] = {
        "reason": "bored",
        "errors": [],
        "reporter_id": None,
        "received_at": "2024-05-01T00:00:00Z",
        "source": {"topic": "intake.raw", "partition": 0, "offset": 0},
        "original_b64": "",
        "original_size": 0,
        "original_sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    }
    with pytest.raises(ValidationError):
        DeadLetter.model_validate(letter)
    assert DeadLetter.model_validate({**letter, "reason": "schema"}).reason is RejectReason.SCHEMA


def test_reject_reasons_are_the_documented_set() -> None:
    assert {r.value for r in RejectReason} == {
        "malformed_json",
        "oversize",
        "schema",
        "unknown_reporter",
        "disabled_reporter",
        "unauthenticated",
        "wrong_jurisdiction",
        "not_permitted",
        "unknown_recall",
        "invalid_progress",
        "recall_conflict",
        "event_time_out_of_range",
        "event_id_conflict",
        "storage_refused",
        "internal_error",
        "processing_error",
        "unknown_product_kind",
        "kind_not_in_category",
        "unknown_standard",
        "standard_withdrawn",
        "standard_not_in_force",
        "unknown_lab",
        "lab_not_accredited",
        "lab_out_of_scope",
        "lab_not_reporter",
        "unknown_manufacturer",
    }


def test_canonical_event_refuses_naive_received_at() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        CanonicalEvent.model_validate(
            {
                "event": {},
                "product_key": None,
                "received_at": "2024-05-01T00:00:00",
                "source": {"topic": "t", "partition": 0, "offset": 0},
            }
        )


# --- exported contract ----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_exports_a_json_schema(name: str) -> None:
    schema = json_schema(MODELS[name])
    assert orjson.loads(orjson.dumps(schema)) == schema
    assert "properties" in schema or "oneOf" in schema or "items" in schema


def test_station_event_schema_is_a_discriminated_union() -> None:
    schema = json_schema(MODELS["station-event"])
    assert schema["discriminator"]["propertyName"] == "type"
    assert set(schema["discriminator"]["mapping"]) == {
        "injury_report",
        "sampling_result",
        "station_heartbeat",
        "recall_notice",
        "recall_progress_report",
    }


def test_exported_schemas_forbid_unknown_fields() -> None:
    defs = json_schema(MODELS["station-event"])["$defs"]
    assert defs, "no definitions exported"
    for name, definition in defs.items():
        if definition.get("type") == "object":
            assert definition.get("additionalProperties") is False, name


def test_asyncapi_lists_every_topic() -> None:
    doc = asyncapi()
    assert doc["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in doc["channels"].values()}
    assert addresses == {spec.name for spec in ALL_TOPICS}


def test_asyncapi_message_references_resolve() -> None:
    doc = asyncapi()
    for channel in doc["channels"].values():
        for message in channel.get("messages", {}).values():
            name = message["$ref"].rsplit("/", 1)[-1]
            payload_ref = doc["components"]["messages"][name]["payload"]["$ref"]
            assert payload_ref.rsplit("/", 1)[-1] in doc["components"]["schemas"]


def test_asyncapi_carries_topic_retention() -> None:
    channels = {c["address"]: c for c in asyncapi()["channels"].values()}
    for spec in ALL_TOPICS:
        config = channels[spec.name]["bindings"]["kafka"]["topicConfiguration"]
        assert config["retention.ms"] == spec.retention_ms


def test_export_writes_every_schema_and_the_asyncapi_doc(tmp_path: Path) -> None:
    written = export(tmp_path / "contract")
    names = {path.name for path in written}
    assert names == {f"{name}.schema.json" for name in MODELS} | {"asyncapi.json"}
    for path in written:
        assert isinstance(orjson.loads(path.read_bytes()), dict)
