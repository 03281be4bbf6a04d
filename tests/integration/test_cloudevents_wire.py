"""CloudEvents on the real broker: what the worker emits for others parses with the SDK.

A lab's serious sampling failure makes the risk agent raise a signal (produced by the agent,
`produce_all`), the investigation stage open an investigation (its event and its alert go
through the SQL outbox, `publish_outbox`), and a firm's recall notice makes an effectiveness
update (outbox). A plain kafka-python consumer reads each record with its headers and the
SDK's own Kafka binding (`from_binary`) turns it into a CloudEvent; its attributes must follow
the contract of `schemas.cloudevents`, and the record value must still be the plain JSON the
topic's model describes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings import kafka
from cloudevents.core.formats.json import JSONFormat

from schemas.cloudevents import INVESTIGATION_TYPE, alert_type
from schemas.recalls import RecallEffectivenessUpdated
from schemas.risk import Alert, AlertKind, AlertStatus, InvestigationEvent, SignalRaised
from tests.support.cases import firm_for, pick, recall_notice, serious_sampling_failure
from tests.support.pipeline import Pipeline

pytestmark = pytest.mark.integration

Record = tuple[BaseCloudEvent, dict[str, Any]]


def _messages(pipeline: Pipeline, base_topic: str) -> list[Any]:
    """Every record of a declared topic so far, headers included (no group)."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(
        pipeline.settings.topic_name(base_topic),
        bootstrap_servers=pipeline.settings.bootstrap_servers,
        auto_offset_reset="earliest",
        consumer_timeout_ms=2000,
        group_id=None,
    )
    try:
        return list(consumer)
    finally:
        consumer.close()


def _records(pipeline: Pipeline, base_topic: str) -> list[Record]:
    """Every record of a declared topic so far, as (the SDK's CloudEvent, the value's JSON)."""
    out: list[Record] = []
    for m in _messages(pipeline, base_topic):
        message = kafka.KafkaMessage(dict(m.headers), m.key, m.value)
        out.append((kafka.from_binary(message, JSONFormat()), orjson.loads(m.value)))
    return out


def _common(event: BaseCloudEvent, source: str, subject: str, region: str | None) -> None:
    assert event.get_specversion() == "1.0"
    assert event.get_source() == source
    assert event.get_subject() == subject
    assert event.get_datacontenttype() == "application/json"
    assert event.get_extension("region") == region
    assert isinstance(event.get_time(), datetime)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_signals_investigation_events_alerts_and_effectiveness_are_cloudevents(
    pipeline: Pipeline,
) -> None:
    registry = pipeline.registry
    lab, tested = pick(registry, "lab"), registry.products[4]
    recalled = registry.products[0]
    firm = firm_for(registry, recalled)
    pipeline.start_worker()
    sender = pipeline.sender()
    sender.send(lab.station_id, serious_sampling_failure(lab, tested, "S-CE-0001"))
    start = datetime.now(UTC) - timedelta(days=10)
    sender.send(firm.station_id, recall_notice(firm, recalled, "R-CE-1", start=start))
    sender.flush()
    sender.close()

    def arrived() -> bool:
        opened = [v for _, v in _records(pipeline, "alerts") if v["kind"] == "investigation_opened"]
        return bool(
            _records(pipeline, "risk.signals")
            and _records(pipeline, "investigations.events")
            and opened
            and _records(pipeline, "recalls.effectiveness")
        )

    pipeline.wait(arrived, 120)

    for event, value in _records(pipeline, "risk.signals"):
        signal = SignalRaised.model_validate(value)  # the value is still the plain record
        _common(event, "/recall-tracker/risk.signals", signal.product_key, signal.jurisdiction)
        assert event.get_type() == "cn.recall.signal.raised"
        assert event.get_id() == signal.signal_id
        assert event.get_extension("category") == signal.category
        assert event.get_data() == value

    for event, value in _records(pipeline, "investigations.events"):
        record = InvestigationEvent.model_validate(value)
        source = "/recall-tracker/investigations.events"
        _common(event, source, record.investigation_id, record.jurisdiction)
        assert event.get_type() == INVESTIGATION_TYPE[record.action]
        assert event.get_id() == record.record_id
        assert event.get_time() == record.at

    alerts = _records(pipeline, "alerts")
    for event, value in alerts:
        alert = Alert.model_validate(value)
        _common(event, "/recall-tracker/alerts", alert.subject, alert.jurisdiction)
        assert event.get_type() == alert_type(alert.kind, alert.status)
        assert event.get_type().startswith(f"cn.recall.alert.{alert.kind.value}")
        assert (event.get_type().endswith(".resolved")) is (alert.status is AlertStatus.RESOLVED)
        assert event.get_id() == alert.alert_id
        assert event.get_extension("severity") == alert.severity.value
        expected_category = alert.category.value if alert.category else None
        assert event.get_extension("category") == expected_category
    opened = [e for e, v in alerts if v["kind"] == AlertKind.INVESTIGATION_OPENED.value]
    assert opened[0].get_type() == "cn.recall.alert.investigation_opened"
    assert opened[0].get_extension("category") == tested.category.value

    for event, value in _records(pipeline, "recalls.effectiveness"):
        update = RecallEffectivenessUpdated.model_validate(value)
        _common(event, "/recall-tracker/recalls.effectiveness", update.recall_id, None)
        assert event.get_type() == "cn.recall.recall.effectiveness.updated"
        assert event.get_id().startswith(f"effectiveness:{update.recall_id}:")

    # risk.scores is the system's own (compacted, high-volume): no CloudEvents headers.
    scores = [m.headers for m in _messages(pipeline, "risk.scores")]
    assert scores and all(not any(name.startswith("ce_") for name, _ in h) for h in scores)
