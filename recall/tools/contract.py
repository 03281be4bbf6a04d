"""Generate the integrator-facing contract: JSON Schema per model and an AsyncAPI document."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

import orjson
from pydantic import BaseModel, TypeAdapter

from recall.config import Settings
from schemas import InjuryReport, SamplingResult, StationHeartbeat, cloudevents
from schemas.common import ProductCategory
from schemas.recalls import RecallNotice, RecallProgressReport
from schemas.registry import RegistryFile
from schemas.risk import ALERT_DETAILS, AlertSeverity
from schemas.signing import KEY_VERSION_HEADER, SIGNATURE_HEADER
from schemas.topics import (
    ALERTS,
    ALL_TOPICS,
    EVENTS_CANONICAL,
    FIRMS_CREDIT,
    INTAKE_DEADLETTER,
    INTAKE_RAW,
    INVESTIGATION_EVENTS,
    RECALL_EFFECTIVENESS,
    REGISTRY_CHANGES,
    RISK_REGIONAL,
    RISK_SCORES,
    RISK_SIGNALS,
    TopicSpec,
)

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


# --- AsyncAPI ---------------------------------------------------------------------------------

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
DEFAULT_PARTITIONS = Settings.model_fields["topic_partitions"].default
"""What `partitions=None` means: the configured default (`RECALL_TOPIC_PARTITIONS`)."""

EXTERNAL = "stations"
"""The producers outside the system: stations, labs and firms (`recall intake send`)."""

SENDERS: dict[str, tuple[str, ...]] = {
    INTAKE_RAW.name: (EXTERNAL,),
    EVENTS_CANONICAL.name: ("validate_intake",),
    INTAKE_DEADLETTER.name: (
        "validate_intake",
        "assess_risk",
        "assess_regions",
        "open_investigations",
        "track_recalls",
        "project_scores",
        "project_signals",
        "project_alerts",
    ),
    RISK_SIGNALS.name: ("assess_risk",),
    RISK_SCORES.name: ("assess_risk",),
    RISK_REGIONAL.name: ("assess_risk",),
    INVESTIGATION_EVENTS.name: ("publish_outbox",),
    RECALL_EFFECTIVENESS.name: ("publish_outbox",),
    ALERTS.name: ("assess_regions", "publish_outbox"),
    FIRMS_CREDIT.name: ("publish_outbox",),
    REGISTRY_CHANGES.name: ("registry_cli",),
}
"""Who writes each topic (docs/streams.md): worker agents and timers, or the stations."""

RECEIVERS: dict[str, tuple[str, ...]] = {
    INTAKE_RAW.name: ("validate_intake",),
    EVENTS_CANONICAL.name: ("assess_risk", "track_recalls"),
    INTAKE_DEADLETTER.name: (),
    RISK_SIGNALS.name: ("open_investigations", "project_signals", "api_live"),
    RISK_SCORES.name: ("project_scores",),
    RISK_REGIONAL.name: ("assess_regions",),
    INVESTIGATION_EVENTS.name: ("api_live",),
    RECALL_EFFECTIVENESS.name: (),
    ALERTS.name: ("project_alerts", "schedule_webhooks", "forward_alerts", "api_live"),
    FIRMS_CREDIT.name: (),
    REGISTRY_CHANGES.name: ("apply_registry_changes",),
}
"""Who reads each topic inside the system; `api_live` is the API's live-update consumer."""

ROLES: dict[str, str] = {
    EXTERNAL: "stations, labs and firms, signing each record (`recall intake send`)",
    "validate_intake": "worker batch consumer `validate_intake` (intake stage, group"
    " `<app id>-intake`)",
    "assess_risk": "worker agent `assess_risk` (risk stage)",
    "assess_regions": "worker agent `assess_regions` (risk stage)",
    "open_investigations": "worker agent `open_investigations` (investigations stage)",
    "track_recalls": "worker agent `track_recalls` (recalls stage)",
    "publish_outbox": "worker timer `publish_outbox`: the SQL outbox written by the agents,"
    " `check_report_deadlines` and the API",
    "project_scores": "worker batch consumer `project_scores` (read model, group"
    " `<app id>-project_scores`)",
    "project_signals": "worker batch consumer `project_signals` (read model, group"
    " `<app id>-project_signals`)",
    "project_alerts": "worker batch consumer `project_alerts` (read model, group"
    " `<app id>-project_alerts`)",
    "schedule_webhooks": "worker agent `schedule_webhooks` (webhooks stage: alerts → the"
    " delivery queue in SQL)",
    "forward_alerts": "worker agent `forward_alerts` (alertmanager stage, only with"
    " `RECALL_ALERTMANAGER_URL`)",
    "api_live": "the API's live-update consumer (dashboard server-sent events; no group)",
    "registry_cli": "regulators' registry officers (`recall registry change …`)",
    "apply_registry_changes": "worker agent `apply_registry_changes` (intake stage)",
}

_UNKEYED = {RISK_REGIONAL.name}
"""Topics whose records carry no key (the partition is chosen by the producer)."""

_SIGNED_HEADERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        SIGNATURE_HEADER: {
            "type": "string",
            "pattern": "^[0-9a-f]{64}$",
            "description": "Hex HMAC-SHA256 of the value with the station's key (docs/intake.md)",
        },
        KEY_VERSION_HEADER: {
            "type": "string",
            "pattern": "^[0-9]+$",
            "description": "The version of the station key that signed the value",
        },
    },
    "required": [SIGNATURE_HEADER, KEY_VERSION_HEADER],
}


_CLOUDEVENT_TOPICS = {spec.name for spec in cloudevents.CLOUDEVENT_TOPICS}

_EXTENSION_SCHEMAS: dict[str, dict[str, Any]] = {
    cloudevents.REGION: {
        "type": "string",
        "pattern": "^[0-9]{6}$",
        "description": "Extension `region`: GB/T 2260 code of the record's jurisdiction;"
        " absent when unknown",
    },
    cloudevents.SEVERITY: {
        "type": "string",
        "enum": [s.value for s in AlertSeverity],
        "description": "Extension `severity`: the alert's severity",
    },
    cloudevents.CATEGORY: {
        "type": "string",
        "enum": [c.value for c in ProductCategory],
        "description": "Extension `category`: the product category; absent when none",
    },
}


def _cloudevent_headers(spec: TopicSpec) -> dict[str, Any]:
    """The CloudEvents binary-mode headers of a topic's records (schemas/cloudevents.py):
    header values are UTF-8 bytes on Kafka, described here as the strings they hold."""
    types = cloudevents.event_types(spec)
    type_schema: dict[str, Any] = {"const": types[0]} if len(types) == 1 else {"enum": list(types)}
    properties: dict[str, Any] = {
        "ce_specversion": {"type": "string", "const": cloudevents.SPECVERSION},
        "ce_id": {
            "type": "string",
            "minLength": 1,
            "description": "The record's stable id (deduplicate on it)",
        },
        "ce_source": {"type": "string", "const": cloudevents.SOURCE[spec.name]},
        "ce_type": {"type": "string", **type_schema},
        "ce_subject": {"type": "string", "description": "The id of the object concerned"},
        "ce_time": {"type": "string", "format": "date-time"},
        "content-type": {
            "type": "string",
            "const": cloudevents.DATACONTENTTYPE,
            "description": "CloudEvents `datacontenttype`",
        },
    }
    for name in cloudevents.EXTENSIONS[spec.name]:
        properties[f"ce_{name}"] = _EXTENSION_SCHEMAS[name]
    return {
        "type": "object",
        "description": "CloudEvents 1.0, Kafka binary content mode: the attributes as `ce_*`"
        " headers, `content-type` for `datacontenttype`; the record value is the event data.",
        "properties": properties,
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "content-type"],
    }


def channel_id(spec: TopicSpec) -> str:
    return spec.name.replace(".", "_")


class ContractError(ValueError):
    """The models cannot be described in one AsyncAPI document (e.g. two `$defs` disagree)."""


def _asyncapi_schema(node: Any) -> Any:
    """A pydantic (JSON Schema 2020-12, OpenAPI flavoured) schema as an AsyncAPI Schema Object.

    `#/$defs/X` becomes `#/components/schemas/X`, `prefixItems` the draft-07 tuple form
    (`items` as a list) and pydantic's OpenAPI discriminator object its property name, which
    is what AsyncAPI's `discriminator` is; each `oneOf` branch still pins it with `const`.
    """
    if isinstance(node, list):
        return [_asyncapi_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$defs":
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
            out[key] = "#/components/schemas/" + value.removeprefix("#/$defs/")
        elif key == "discriminator" and isinstance(value, dict):
            out[key] = value["propertyName"]
        elif key == "prefixItems":  # draft-07: `items` as a list, the rest `additionalItems`
            out["items"] = _asyncapi_schema(value)
            if "items" not in node and "maxItems" not in node:
                out["additionalItems"] = False
        elif key == "items" and "prefixItems" in node:
            out["additionalItems"] = _asyncapi_schema(value)
        elif key in {"properties", "patternProperties"}:  # names, not keywords
            out[key] = {name: _asyncapi_schema(sub) for name, sub in value.items()}
        else:
            out[key] = _asyncapi_schema(value)
    return out


def _hoist(name: str, schema: dict[str, Any], into: dict[str, Any]) -> dict[str, Any]:
    """Move the schema's `$defs` into `into` (components.schemas); the rewritten schema."""
    for def_name, definition in schema.get("$defs", {}).items():
        converted = _asyncapi_schema(definition)
        if into.setdefault(def_name, converted) != converted:
            raise ContractError(f"{name}: definition {def_name} differs from another model's")
    return cast(dict[str, Any], _asyncapi_schema(schema))


def _operation(spec: TopicSpec, message: str, action: str, role: str) -> dict[str, Any]:
    channel = channel_id(spec)
    verb = "writes" if action == "send" else "reads"
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "messages": [{"$ref": f"#/channels/{channel}/messages/{message}"}],
        "summary": f"{ROLES[role]} {verb} `{spec.name}`",
        "x-role": role,
    }


def asyncapi() -> dict[str, Any]:
    """AsyncAPI 3.0 description of every declared topic: servers, channels, operations, messages.

    Every `$defs` of the pydantic schemas is hoisted into `components.schemas` (one name, one
    definition across all models), so the document resolves on its own; `make test` checks it
    with the official parser (tests/unit/schemas/test_asyncapi_parser.py).
    """
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for spec in ALL_TOPICS:
        message = message_name(spec)
        channel = channel_id(spec)
        partitions = spec.partitions or DEFAULT_PARTITIONS
        partitions_note = (
            f"{spec.partitions} partitions, fixed."
            if spec.partitions
            else f"RECALL_TOPIC_PARTITIONS partitions (default {DEFAULT_PARTITIONS})."
        )
        channels[channel] = {
            "address": spec.name,
            "title": spec.name,
            "description": f"{spec.purpose}. Key: {spec.key}. Value: {spec.value}. "
            f"{partitions_note}",
            "messages": {message: {"$ref": f"#/components/messages/{message}"}},
            "bindings": {
                "kafka": {
                    "topic": spec.name,
                    "partitions": partitions,
                    "topicConfiguration": {
                        "retention.ms": spec.retention_ms,
                        "cleanup.policy": ["compact" if spec.compacted else "delete"],
                    },
                    "bindingVersion": KAFKA_BINDING_VERSION,
                }
            },
        }
        payload = _hoist(message, json_schema(spec.model), schemas)
        if message in schemas:
            raise ContractError(f"message {message} collides with a definition of that name")
        schemas[message] = payload
        kafka_message: dict[str, Any] = {"bindingVersion": KAFKA_BINDING_VERSION}
        if spec.name not in _UNKEYED:
            kafka_message["key"] = {"type": "string", "description": spec.key}
        messages[message] = {
            "name": message,
            "title": payload.get("title", message),
            "summary": spec.value,
            "contentType": "application/json",
            "payload": {"$ref": f"#/components/schemas/{message}"},
            "bindings": {"kafka": kafka_message},
        }
        if spec is INTAKE_RAW:
            messages[message]["headers"] = _SIGNED_HEADERS
        if spec.name in _CLOUDEVENT_TOPICS:
            messages[message]["headers"] = _cloudevent_headers(spec)
            messages[message]["description"] = (
                "A CloudEvent (specversion 1.0) in Kafka binary content mode: its attributes"
                " travel as `ce_*` record headers (made by the CNCF CloudEvents SDK), the value"
                " is the event's data, this payload, unchanged. Parse with the SDK's Kafka"
                " binding (`from_binary`) or read the value as plain JSON. The `type` rule,"
                " `source`, `id` and `subject` per topic: docs/streams.md, CloudEvents."
            )
            messages[message]["x-cloudevents"] = {
                "specversion": cloudevents.SPECVERSION,
                "contentMode": "binary",
                "source": cloudevents.SOURCE[spec.name],
                "types": list(cloudevents.event_types(spec)),
                "extensions": list(cloudevents.EXTENSIONS[spec.name]),
            }
        for action, roles in (("send", SENDERS[spec.name]), ("receive", RECEIVERS[spec.name])):
            for role in roles:
                operations[f"{role}-{action}-{channel}"] = _operation(spec, message, action, role)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "recall-tracker event streams",
            "version": "1",
            "description": (
                "Every Kafka topic of recall-tracker (schemas/topics.py): its records' JSON"
                " Schema, key, partitions, retention, and who writes and reads it. Operations"
                " are the system's own agents, timers and consumers; `intake.raw` is written"
                " by stations. Topic names carry RECALL_TOPIC_PREFIX when one is set. Records"
                " of the topics others read (`risk.signals`, `investigations.events`,"
                " `recalls.effectiveness`, `alerts`) are CloudEvents 1.0 in Kafka binary"
                " content mode: `ce_*` headers, the value unchanged."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:{port}",
                "protocol": "kafka",
                "description": "The embedded local broker (`recall broker start`), plaintext.",
                "variables": {
                    "port": {
                        "default": str(Settings.model_fields["broker_port"].default),
                        "description": "RECALL_BROKER_PORT",
                    }
                },
            },
            "production": {
                "host": "{bootstrap}",
                "protocol": "kafka-secure",
                "description": "The production cluster (RECALL_KAFKA_BOOTSTRAP_SERVERS), TLS"
                " with SASL/SCRAM (RECALL_KAFKA_SASL_MECHANISM).",
                "variables": {
                    "bootstrap": {
                        "default": "kafka.example.invalid:9093",
                        "description": "A bootstrap broker of the production cluster, host:port"
                        " (placeholder)",
                    }
                },
                "security": [
                    {"$ref": "#/components/securitySchemes/scramSha512"},
                    {"$ref": "#/components/securitySchemes/scramSha256"},
                ],
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "securitySchemes": {
                "scramSha512": {"type": "scramSha512", "description": "SASL SCRAM-SHA-512"},
                "scramSha256": {"type": "scramSha256", "description": "SASL SCRAM-SHA-256"},
            },
        },
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
