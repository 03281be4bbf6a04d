"""Every topic of the system, declared once: name, key, value model, partitions, retention.

The topics are part of the wire contract, so they live beside the models their records obey.
No Faust import: station-side tools (kafka-python), the admin commands and the stream runtime
share these declarations. `recall schemas export DIR` generates the AsyncAPI 3 document
`DIR/asyncapi.json` (and one `<model>.schema.json` per model) from them
(`recall/tools/contract.py`); nothing is kept generated in the repository.

Every record this system produces goes through `encode`, which validates it against its
topic's model: a record that does not obey the contract is refused on the producer side
(`OutgoingRecordError`), before any consumer can trip on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import PydanticSerializationError

from schemas.cases import FirmCreditRecorded
from schemas.envelope import STATION_EVENT_ADAPTER
from schemas.recalls import RecallEffectivenessUpdated
from schemas.records import CanonicalEvent, DeadLetter
from schemas.registry import RegistryChange
from schemas.risk import (
    Alert,
    InvestigationEvent,
    RegionalBundle,
    RiskScoreUpdated,
    SignalRaised,
)

DAY_MS = 24 * 3600 * 1000

ValueModel = type[BaseModel] | TypeAdapter[Any]


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    key: str
    value: str
    purpose: str
    retention_ms: int
    model: ValueModel
    """What every record value must validate against (strict, like the intake)."""
    partitions: int | None = None  # None: the configured default (RECALL_TOPIC_PARTITIONS)
    compacted: bool = False


class OutgoingRecordError(ValueError):
    """A record built by this system does not obey its topic's model: a bug, never sent."""


def encode(spec: TopicSpec, value: BaseModel | Mapping[str, Any] | Any) -> bytes:
    """The JSON bytes of `value` after validating it against `spec.model`.

    Models are validated again from their JSON form, so a model built with `model_construct`
    or mutated after construction cannot slip past. Raises `OutgoingRecordError` naming the
    topic and the fields at fault (never the values, which may hold personal data).
    """
    if isinstance(spec.model, TypeAdapter):
        adapter: TypeAdapter[Any] = spec.model
    else:
        if isinstance(value, BaseModel) and not isinstance(value, spec.model):
            raise OutgoingRecordError(
                f"{spec.name} carries {spec.model.__name__} records, not {type(value).__name__}"
            )
        adapter = _adapter(spec.model)
    try:
        document = (
            value.model_dump(mode="json", warnings=False) if isinstance(value, BaseModel) else value
        )
        # Validated from JSON, exactly as a consumer will read it.
        checked = adapter.validate_json(orjson.dumps(document))
        return orjson.dumps(adapter.dump_python(checked, mode="json", warnings=False))
    except (orjson.JSONEncodeError, PydanticSerializationError):
        raise OutgoingRecordError(f"record for {spec.name} is not JSON-serialisable") from None
    except ValidationError as error:
        fields = sorted({".".join(str(p) for p in e["loc"]) or "(value)" for e in error.errors()})
        raise OutgoingRecordError(
            f"record for {spec.name} does not obey its model: {', '.join(fields)}"
        ) from None


_ADAPTERS: dict[type[BaseModel], TypeAdapter[Any]] = {}


def _adapter(model: type[BaseModel]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(model)
    if adapter is None:
        adapter = _ADAPTERS[model] = TypeAdapter(model)
    return adapter


INTAKE_RAW = TopicSpec(
    name="intake.raw",
    key="reporter id (UTF-8); must equal the envelope's reporter_id",
    value="StationEvent JSON bytes, signed in header x-recall-signature",
    purpose="What stations, labs and firms send, exactly as sent",
    retention_ms=14 * DAY_MS,
    model=STATION_EVENT_ADAPTER,
)
EVENTS_CANONICAL = TopicSpec(
    name="events.canonical",
    key="product key (UTF-8), or reporter id for station-level events",
    value="CanonicalEvent JSON",
    purpose="Validated, authenticated events; per-product state lives on this partitioning",
    retention_ms=30 * DAY_MS,
    model=CanonicalEvent,
)
INTAKE_DEADLETTER = TopicSpec(
    name="intake.deadletter",
    key="claimed reporter id (UTF-8) or empty",
    value="DeadLetter JSON: reason, field errors, original bytes (base64), source position",
    purpose="Every refused record, with why; nothing is dropped silently",
    retention_ms=90 * DAY_MS,
    model=DeadLetter,
)

RISK_SIGNALS = TopicSpec(
    name="risk.signals",
    key="product key (UTF-8)",
    value="SignalRaised JSON",
    purpose="Reasons for concern about a product and hazard, with their evidence",
    retention_ms=365 * DAY_MS,
    model=SignalRaised,
)
RISK_SCORES = TopicSpec(
    name="risk.scores",
    key="product key (UTF-8)",
    value="RiskScoreUpdated JSON",
    purpose="The latest composite risk score per product, with its explanation",
    retention_ms=365 * DAY_MS,
    model=RiskScoreUpdated,
    compacted=True,
)
RISK_REGIONAL = TopicSpec(
    name="risk.regional",
    key=(
        "none; each record is sent to the partition that a key `category|region` (product"
        " category | reporting station's city code XXXX00) would land on (murmur2)"
    ),
    value=(
        "compact JSON list of new injury cases [event_id, category, region, hazard, day"
        " (event-time day number, China time), severity (1-4), sent_ts (epoch seconds or"
        " null)], every case's key belonging to this partition; one bundle per partition per"
        " assess_risk batch"
    ),
    purpose="Injury cases routed by category x region, so regional state lives on one partition",
    retention_ms=30 * DAY_MS,
    model=RegionalBundle,
)
INVESTIGATION_EVENTS = TopicSpec(
    name="investigations.events",
    key="investigation id (UTF-8)",
    value="InvestigationEvent JSON",
    purpose="Every investigation transition, from the system of record (outbox)",
    retention_ms=365 * DAY_MS,
    model=InvestigationEvent,
)
RECALL_EFFECTIVENESS = TopicSpec(
    name="recalls.effectiveness",
    key="recall id (UTF-8)",
    value="RecallEffectivenessUpdated JSON: rates per level, forecast, post-recall incidents",
    purpose="Each recall's effectiveness after every report, from the system of record (outbox)",
    retention_ms=365 * DAY_MS,
    model=RecallEffectivenessUpdated,
)
ALERTS = TopicSpec(
    name="alerts",
    key="alert id (UTF-8)",
    value="Alert JSON",
    purpose="What must reach people and systems: webhooks, Alertmanager, chat",
    retention_ms=90 * DAY_MS,
    model=Alert,
)

REGISTRY_CHANGES = TopicSpec(
    name="registry.changes",
    key="section|entry key (UTF-8), e.g. `standards|GB 4706.1-2005`",
    value="RegistryChange JSON: section, key, upsert or retire, the new entry, who, when, why",
    purpose="Changes to the registries intake judges by, applied to SQL once each and audited",
    retention_ms=365 * DAY_MS,
    model=RegistryChange,
    partitions=1,  # rare, and applied in the order they were made
)
FIRMS_CREDIT = TopicSpec(
    name="firms.credit",
    key="firm's unified social credit code (UTF-8)",
    value="FirmCreditRecorded JSON: firm, case, outcome, penalty, at",
    purpose="Enforcement case outcomes for the firm's credit record (信用监管), once per case",
    retention_ms=3650 * DAY_MS,
    model=FirmCreditRecorded,
)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    INTAKE_RAW,
    EVENTS_CANONICAL,
    INTAKE_DEADLETTER,
    RISK_SIGNALS,
    RISK_SCORES,
    RISK_REGIONAL,
    INVESTIGATION_EVENTS,
    RECALL_EFFECTIVENESS,
    ALERTS,
    REGISTRY_CHANGES,
    FIRMS_CREDIT,
)
