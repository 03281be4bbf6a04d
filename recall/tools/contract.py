"""Generate the integrator-facing contract: JSON Schema per model and an AsyncAPI document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel, TypeAdapter

from schemas import (
    STATION_EVENT_ADAPTER,
    CanonicalEvent,
    DeadLetter,
    InjuryReport,
    SamplingResult,
    StationHeartbeat,
)
from schemas.recalls import RecallNotice, RecallProgressReport
from schemas.registry import RegistryFile
from schemas.risk import Alert, InvestigationEvent, RiskScoreUpdated, SignalRaised
from schemas.topics import (
    ALERTS,
    ALL_TOPICS,
    EVENTS_CANONICAL,
    INTAKE_DEADLETTER,
    INTAKE_RAW,
    INVESTIGATION_EVENTS,
    RISK_SCORES,
    RISK_SIGNALS,
)

MODELS: dict[str, type[BaseModel] | TypeAdapter[Any]] = {
    "station-event": STATION_EVENT_ADAPTER,
    "injury-report": InjuryReport,
    "sampling-result": SamplingResult,
    "station-heartbeat": StationHeartbeat,
    "canonical-event": CanonicalEvent,
    "dead-letter": DeadLetter,
    "registry-file": RegistryFile,
    "signal-raised": SignalRaised,
    "risk-score-updated": RiskScoreUpdated,
    "investigation-event": InvestigationEvent,
    "alert": Alert,
    "recall-notice": RecallNotice,
    "recall-progress-report": RecallProgressReport,
}
_MESSAGES = {
    INTAKE_RAW.name: "station-event",
    EVENTS_CANONICAL.name: "canonical-event",
    INTAKE_DEADLETTER.name: "dead-letter",
    RISK_SIGNALS.name: "signal-raised",
    RISK_SCORES.name: "risk-score-updated",
    INVESTIGATION_EVENTS.name: "investigation-event",
    ALERTS.name: "alert",
}


def json_schema(model: type[BaseModel] | TypeAdapter[Any]) -> dict[str, Any]:
    if isinstance(model, TypeAdapter):
        return model.json_schema()
    return model.model_json_schema()


def asyncapi() -> dict[str, Any]:
    """AsyncAPI 3.0 description of every declared topic and its message schema."""
    channels: dict[str, Any] = {}
    components: dict[str, Any] = {"messages": {}, "schemas": {}}
    for spec in ALL_TOPICS:
        message = _MESSAGES.get(spec.name)
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
        if message:
            channel["messages"] = {message: {"$ref": f"#/components/messages/{message}"}}
            components["messages"][message] = {
                "payload": {"$ref": f"#/components/schemas/{message}"},
                "contentType": "application/json",
            }
            components["schemas"][message] = json_schema(MODELS[message])
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
    for name, model in MODELS.items():
        path = directory / f"{name}.schema.json"
        path.write_bytes(orjson.dumps(json_schema(model), option=orjson.OPT_INDENT_2))
        written.append(path)
    path = directory / "asyncapi.json"
    path.write_bytes(orjson.dumps(asyncapi(), option=orjson.OPT_INDENT_2))
    written.append(path)
    return written
