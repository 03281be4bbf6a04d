"""Every topic of the system, declared once: name, key, partitions, retention, purpose.

This module has no Faust import so that station-side tools (kafka-python) and the admin
commands share the declarations without loading the stream runtime. `docs/asyncapi.yaml` is
generated from these declarations by `recall schemas export`.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    key: str
    value: str
    purpose: str
    retention_ms: int
    partitions: int | None = None  # None: the configured default (RECALL_TOPIC_PARTITIONS)
    compacted: bool = False


INTAKE_RAW = TopicSpec(
    name="intake.raw",
    key="reporter id (UTF-8); must equal the envelope's reporter_id",
    value="StationEvent JSON bytes, signed in header x-recall-signature",
    purpose="What stations, labs and firms send, exactly as sent",
    retention_ms=14 * DAY_MS,
)
EVENTS_CANONICAL = TopicSpec(
    name="events.canonical",
    key="product key (UTF-8), or reporter id for station-level events",
    value="CanonicalEvent JSON",
    purpose="Validated, authenticated events; per-product state lives on this partitioning",
    retention_ms=30 * DAY_MS,
)
INTAKE_DEADLETTER = TopicSpec(
    name="intake.deadletter",
    key="claimed reporter id (UTF-8) or empty",
    value="DeadLetter JSON: reason, field errors, original bytes (base64), source position",
    purpose="Every refused record, with why; nothing is dropped silently",
    retention_ms=90 * DAY_MS,
)

RISK_SIGNALS = TopicSpec(
    name="risk.signals",
    key="product key (UTF-8)",
    value="SignalRaised JSON",
    purpose="Reasons for concern about a product and hazard, with their evidence",
    retention_ms=365 * DAY_MS,
)
RISK_SCORES = TopicSpec(
    name="risk.scores",
    key="product key (UTF-8)",
    value="RiskScoreUpdated JSON",
    purpose="The latest composite risk score per product, with its explanation",
    retention_ms=365 * DAY_MS,
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
)
INVESTIGATION_EVENTS = TopicSpec(
    name="investigations.events",
    key="investigation id (UTF-8)",
    value="InvestigationEvent JSON",
    purpose="Every investigation transition, from the system of record (outbox)",
    retention_ms=365 * DAY_MS,
)
RECALL_EFFECTIVENESS = TopicSpec(
    name="recalls.effectiveness",
    key="recall id (UTF-8)",
    value="RecallEffectivenessUpdated JSON: rates per level, forecast, post-recall incidents",
    purpose="Each recall's effectiveness after every report, from the system of record (outbox)",
    retention_ms=365 * DAY_MS,
)
ALERTS = TopicSpec(
    name="alerts",
    key="alert id (UTF-8)",
    value="Alert JSON",
    purpose="What must reach people and systems: webhooks, Alertmanager, chat",
    retention_ms=90 * DAY_MS,
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
)
