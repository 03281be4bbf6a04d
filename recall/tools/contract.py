"""Generate the integrator-facing contract: JSON Schema per model and an AsyncAPI document."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, TypeAdapter

from schemas import InjuryReport, SamplingResult, StationHeartbeat
from schemas.recalls import RecallNotice, RecallProgressReport
from schemas.registry import RegistryFile
from schemas.risk import ALERT_DETAILS
from schemas.topics import ALL_TOPICS, INTAKE_RAW, TopicSpec

PAYLOADS: dict[str, type[BaseModel] | TypeAdapter[Any]] = {
    "injury-report": InjuryReport,
    "sampling-result": SamplingResult,
    "station-heartbeat": StationHeartbeat,
    "registry-file": RegistryFile,
    "recall-notice": RecallNotice,
    "recall-progress-report": RecallProgressReport,
}
"""Models that are not a topic's value: the payloads inside events, and the registry file."""
PAYLOADS |= {
    f"alert-details-{kind.value.replace('_', '-')}": model for kind, model in ALERT_DETAILS.items()
}


_ADAPTER_MESSAGES = {INTAKE_RAW.name: "station-event"}


def message_name(spec: TopicSpec) -> str:
    """The message's name: its model's, kebab-cased (`SignalRaised` → `signal-raised`)."""
    if isinstance(spec.model, TypeAdapter):  # a union of models, named by what it carries
        return _ADAPTER_MESSAGES.get(spec.name, spec.name.replace(".", "-") + "-record")
    return re.sub(r"(?<!^)(?=[A-Z])", "-", spec.model.__name__).lower()


def models() -> dict[str, type[BaseModel] | TypeAdapter[Any]]:
    """Every model of the contract by name: each topic's value model, then the payloads."""
    found: dict[str, type[BaseModel] | TypeAdapter[Any]] = {
        message_name(spec): spec.model for spec in ALL_TOPICS
    }
    return found | PAYLOADS


def json_schema(model: type[BaseModel] | TypeAdapter[Any]) -> dict[str, Any]:
    if isinstance(model, TypeAdapter):
        return model.json_schema()
    return model.model_json_schema()


def asyncapi() -> dict[str, Any]:
    """AsyncAPI 3.0 description of every declared topic and its message schema."""
    channels: dict[str, Any] = {}
    components: dict[str, Any] = {"messages": {}, "schemas": {}}
    for spec in ALL_TOPICS:
        message = message_name(spec)
        channel: dict[str, Any] = {
            "address": spec.name,
            "description": spec.purpose,
            "bindings": {
                "kafka": {
                    "partitions": spec.partitions or "RECALL_TOPIC_PARTITIONS (default 6)",
                    "topicConfiguration": {
                        "retention.ms": spec.retention_ms,
                        "cleanup.policy": ["compact" if spec.compacted else "delete"],
                    },
                }
            },
            "x-key": spec.key,
            "x-value": spec.value,
        }
        channel["messages"] = {message: {"$ref": f"#/components/messages/{message}"}}
        components["messages"][message] = {
            "payload": {"$ref": f"#/components/schemas/{message}"},
            "contentType": "application/json",
        }
        components["schemas"][message] = json_schema(spec.model)
        channels[spec.name.replace(".", "_")] = channel
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "recall-tracker event streams", "version": "1"},
        "channels": channels,
        "components": components,
    }


def export(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in models().items():
        path = directory / f"{name}.schema.json"
        path.write_bytes(orjson.dumps(json_schema(model), option=orjson.OPT_INDENT_2))
        written.append(path)
    path = directory / "asyncapi.json"
    path.write_bytes(orjson.dumps(asyncapi(), option=orjson.OPT_INDENT_2))
    written.append(path)
    return written
