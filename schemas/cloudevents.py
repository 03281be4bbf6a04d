"""CloudEvents 1.0 for everything the system emits for others: alerts, signals, investigation
events and recall effectiveness updates.

The envelope is built with the CNCF SDK (`cloudevents` 2.x, its `cloudevents.core` API: the
maintained one — `cloudevents.v1` is the frozen 1.x API kept only for old callers, with
deprecated modules), never by hand, so attribute names, header prefixes and time formats are
the specification's.

Content modes
-------------
* **Kafka: binary mode.** The attributes travel as record headers (`ce_id`, `ce_type`, …,
  `content-type: application/json`, by the SDK's Kafka binding); the record *value* stays
  exactly the JSON it always was (`schemas.topics.encode`). Existing consumers, the
  dashboard's live view and the AsyncAPI message schemas keep working unchanged, and a
  CloudEvents-aware consumer parses the same record with `kafka.from_binary`. Structured
  mode would wrap every value in an envelope and break all of them at once.
* **HTTP webhooks: structured mode** (`application/cloudevents+json`, `http_structured`):
  one self-contained JSON body, which is what gets signed (Standard Webhooks), logged and
  replayed; headers can be lost by proxies, a body cannot.

The contract (one rule, see docs/streams.md "CloudEvents")
----------------------------------------------------------
=========================  ======================================  ==========================
topic                      type                                    id / subject
=========================  ======================================  ==========================
`risk.signals`             `cn.recall.signal.raised`               signal_id / product_key
`investigations.events`    `cn.recall.investigation.<event>`       record_id / investigation_id
`recalls.effectiveness`    `cn.recall.recall.effectiveness.updated` outbox record id / recall_id
`alerts`                   `cn.recall.alert.<kind>[.resolved]`     alert_id / alert.subject
=========================  ======================================  ==========================

* `type` is `cn.recall.<object>.<what happened, past tense>`; an investigation's event is its
  action in the past tense (`opened`, `evidence_attached`, `assigned`, `concluded`,
  `recall_requested`); an alert's is its kind, and a *resolving* alert (status `resolved`)
  appends `.resolved`, so a receiver that routes on `type` alone (Knative triggers,
  EventBridge rules: exact match) tells an ending from a start without reading the data.
* `source` is `/recall-tracker/<declared topic name>` (a URI-reference, the same whatever
  topic prefix a deployment uses), so `source` + `id` is unique as the spec requires.
* `id` is the record's own stable id, so consumers deduplicate the repeats that
  at-least-once delivery allows by `id` alone. A `recalls.effectiveness` record carries no id
  field, so its id is the outbox record id that queued it (`effectiveness:<recall>:<reports>:
  <transitions>`), which the publisher passes as `record_id`.
* `subject` is the id of the object the event is about; `time` the record's own time;
  `datacontenttype` is `application/json`.
* Extensions (lowercase alphanumeric, at most 20 characters, as the spec requires):
  `region` — the GB/T 2260 code of the record's jurisdiction (omitted when unknown);
  `severity` — alerts only (`info`, `warning`, `critical`);
  `category` — the product category when the record knows it (alerts, signals).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from cloudevents.core.bindings import http, kafka
from cloudevents.core.exceptions import CloudEventValidationError
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from pydantic import BaseModel

from schemas.recalls import RecallEffectivenessUpdated
from schemas.risk import (
    Alert,
    AlertKind,
    AlertStatus,
    InvestigationAction,
    InvestigationEvent,
    SignalRaised,
)
from schemas.topics import (
    ALERTS,
    INVESTIGATION_EVENTS,
    RECALL_EFFECTIVENESS,
    RISK_SIGNALS,
    OutgoingRecordError,
    TopicSpec,
)

SPECVERSION: Final = "1.0"
DATACONTENTTYPE: Final = "application/json"
TYPE_PREFIX: Final = "cn.recall"
SOURCE_PREFIX: Final = "/recall-tracker"

REGION: Final = "region"
"""Extension attribute: GB/T 2260 code of the record's jurisdiction."""
SEVERITY: Final = "severity"
"""Extension attribute (alerts): info, warning or critical."""
CATEGORY: Final = "category"
"""Extension attribute: the product category, when the record knows it."""

CLOUDEVENT_TOPICS: Final[tuple[TopicSpec, ...]] = (
    RISK_SIGNALS,
    INVESTIGATION_EVENTS,
    RECALL_EFFECTIVENESS,
    ALERTS,
)
"""The topics whose records are CloudEvents (binary mode): what others read."""

SOURCE: Final[dict[str, str]] = {
    spec.name: f"{SOURCE_PREFIX}/{spec.name}" for spec in CLOUDEVENT_TOPICS
}
"""`source` per declared topic name."""

EXTENSIONS: Final[dict[str, tuple[str, ...]]] = {
    ALERTS.name: (REGION, SEVERITY, CATEGORY),
    RISK_SIGNALS.name: (REGION, CATEGORY),
    INVESTIGATION_EVENTS.name: (REGION,),
    RECALL_EFFECTIVENESS.name: (),
}
"""The extension attributes each topic's events may carry (each only when known)."""

SIGNAL_TYPE: Final = f"{TYPE_PREFIX}.signal.raised"
EFFECTIVENESS_TYPE: Final = f"{TYPE_PREFIX}.recall.effectiveness.updated"
INVESTIGATION_TYPE: Final[dict[InvestigationAction, str]] = {
    InvestigationAction.OPEN: f"{TYPE_PREFIX}.investigation.opened",
    InvestigationAction.ATTACH_EVIDENCE: f"{TYPE_PREFIX}.investigation.evidence_attached",
    InvestigationAction.ASSIGN: f"{TYPE_PREFIX}.investigation.assigned",
    InvestigationAction.CONCLUDE: f"{TYPE_PREFIX}.investigation.concluded",
    InvestigationAction.REQUEST_RECALL: f"{TYPE_PREFIX}.investigation.recall_requested",
}
"""An investigation event's type: its action in the past tense."""

_FORMAT: Final = JSONFormat()


def alert_type(kind: AlertKind, status: AlertStatus = AlertStatus.FIRING) -> str:
    """`cn.recall.alert.<kind>`, with `.resolved` appended for a resolving alert."""
    base = f"{TYPE_PREFIX}.alert.{kind.value}"
    return f"{base}.resolved" if status is AlertStatus.RESOLVED else base


class NotACloudEventTopicError(ValueError):
    """The topic's records are not CloudEvents (internal topics, intake)."""


def event_types(spec: TopicSpec) -> tuple[str, ...]:
    """Every `type` a record of `spec` can carry (the AsyncAPI headers schema lists them)."""
    if spec.name == ALERTS.name:
        return tuple(alert_type(kind, status) for kind in AlertKind for status in AlertStatus)
    if spec.name == INVESTIGATION_EVENTS.name:
        return tuple(INVESTIGATION_TYPE.values())
    if spec.name == RISK_SIGNALS.name:
        return (SIGNAL_TYPE,)
    if spec.name == RECALL_EFFECTIVENESS.name:
        return (EFFECTIVENESS_TYPE,)
    raise NotACloudEventTopicError(f"{spec.name} records are not CloudEvents")


Attributes = dict[str, Any]


def _base(spec: TopicSpec, type_: str, id_: str, subject: str, time: datetime) -> Attributes:
    attributes: Attributes = {
        "specversion": SPECVERSION,
        "id": id_,
        "source": SOURCE[spec.name],
        "type": type_,
        "time": time,
        "datacontenttype": DATACONTENTTYPE,
    }
    if subject:  # optional, and never empty when present (the spec)
        attributes["subject"] = subject
    return attributes


def _extend(attributes: Attributes, **extensions: str | None) -> Attributes:
    """Extensions with a value only: an unknown region is absent, never an empty string."""
    attributes.update({name: value for name, value in extensions.items() if value})
    return attributes


def _alert(value: Alert, record_id: str | None) -> Attributes:
    attributes = _base(
        ALERTS, alert_type(value.kind, value.status), value.alert_id, value.subject, value.at
    )
    category = value.category.value if value.category is not None else None
    return _extend(
        attributes, region=value.jurisdiction, severity=value.severity.value, category=category
    )


def _signal(value: SignalRaised, record_id: str | None) -> Attributes:
    attributes = _base(
        RISK_SIGNALS, SIGNAL_TYPE, value.signal_id, value.product_key, value.raised_at
    )
    return _extend(attributes, region=value.jurisdiction, category=value.category)


def _investigation(value: InvestigationEvent, record_id: str | None) -> Attributes:
    attributes = _base(
        INVESTIGATION_EVENTS,
        INVESTIGATION_TYPE[value.action],
        value.record_id,
        value.investigation_id,
        value.at,
    )
    return _extend(attributes, region=value.jurisdiction)


def _effectiveness(value: RecallEffectivenessUpdated, record_id: str | None) -> Attributes:
    if not record_id:
        raise ValueError(
            "a recalls.effectiveness record has no id of its own: pass the outbox record id"
        )
    return _base(RECALL_EFFECTIVENESS, EFFECTIVENESS_TYPE, record_id, value.recall_id, value.at)


_ATTRIBUTES: Final[dict[str, tuple[type[BaseModel], Callable[[Any, str | None], Attributes]]]] = {
    ALERTS.name: (Alert, _alert),
    RISK_SIGNALS.name: (SignalRaised, _signal),
    INVESTIGATION_EVENTS.name: (InvestigationEvent, _investigation),
    RECALL_EFFECTIVENESS.name: (RecallEffectivenessUpdated, _effectiveness),
}


def attributes_of(spec: TopicSpec, value: BaseModel, *, record_id: str | None = None) -> Attributes:
    """The CloudEvents attributes (with extensions) of one record of `spec`.

    `record_id` is the outbox record id; only `recalls.effectiveness` needs it (see above).
    Raises `NotACloudEventTopicError` for other topics, `TypeError` for a value of another model.
    """
    entry = _ATTRIBUTES.get(spec.name)
    if entry is None:
        raise NotACloudEventTopicError(f"{spec.name} records are not CloudEvents")
    model, build = entry
    if not isinstance(value, model):
        raise TypeError(f"{spec.name} carries {model.__name__} records, not {type(value).__name__}")
    return build(value, record_id)


def cloudevent_of(spec: TopicSpec, value: BaseModel, *, record_id: str | None = None) -> CloudEvent:
    """The record as a CloudEvent (SDK `cloudevents.core.v1.event.CloudEvent`), its data the
    record's JSON document (what `schemas.topics.encode` sends).

    A record the SDK refuses as an event (an empty id) is `OutgoingRecordError`, like a
    record that breaks its topic's model: a bug of ours, never sent.
    """
    data = value.model_dump(mode="json", warnings=False)
    return _event(spec, attributes_of(spec, value, record_id=record_id), data)


def _event(spec: TopicSpec, attributes: Attributes, data: dict[str, Any] | None) -> CloudEvent:
    try:
        return CloudEvent(attributes, data)
    except CloudEventValidationError as error:
        names = ", ".join(sorted(error.errors))
        raise OutgoingRecordError(
            f"record for {spec.name} is not a valid CloudEvent: {names}"
        ) from None


def kafka_headers(
    spec: TopicSpec, value: BaseModel, *, record_id: str | None = None
) -> list[tuple[str, bytes]]:
    """Binary-mode Kafka headers of one record (`ce_specversion`, `ce_id`, `ce_source`,
    `ce_type`, `ce_subject`, `ce_time`, extensions as `ce_<name>`, and `content-type`),
    made by the SDK's Kafka binding.

    The record value is left to `encode` (unchanged bytes): the event handed to the binding
    carries no data, so the value is not serialised a second time only to be thrown away.
    """
    event = _event(spec, attributes_of(spec, value, record_id=record_id), None)
    return list(kafka.to_binary(event, _FORMAT).headers.items())


def http_structured(alert: Alert) -> tuple[dict[str, str], bytes]:
    """Structured-mode HTTP form of an alert: headers (`content-type:
    application/cloudevents+json`) and the JSON body holding attributes and data, made by the
    SDK's HTTP binding. Webhook deliveries post exactly this body (and sign it)."""
    message = http.to_structured(cloudevent_of(ALERTS, alert), _FORMAT)
    return dict(message.headers), message.body
