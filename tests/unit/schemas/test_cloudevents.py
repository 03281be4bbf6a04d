"""`schemas.cloudevents`: every emitted record is a CloudEvent the SDK itself parses back.

Round trips go through the SDK's own parsers (`kafka.from_binary`, `http.from_http`): the
headers and bodies built here are what any CloudEvents consumer reads.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from cloudevents.core.bindings import http, kafka
from cloudevents.core.formats.json import JSONFormat

from schemas.cloudevents import (
    CLOUDEVENT_TOPICS,
    INVESTIGATION_TYPE,
    NotACloudEventTopicError,
    alert_type,
    cloudevent_of,
    http_structured,
    kafka_headers,
)
from schemas.recalls import RecallEffectivenessUpdated
from schemas.risk import (
    ALERT_DETAILS,
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
    RISK_SCORES,
    RISK_SIGNALS,
    OutgoingRecordError,
    encode,
)

AT = datetime(2026, 11, 29, 12, 0, 0, 250000, tzinfo=UTC)


def _alert(kind: AlertKind = AlertKind.RECALL_LAGGING, **changes: Any) -> Alert:
    fields: dict[str, Any] = {
        "alert_id": "a-1",
        "severity": "warning",
        "kind": kind,
        "title": "召回进度滞后 / Recall lagging",
        "subject": "R-1",
        "jurisdiction": "330100",
        "at": AT,
        "details": dict.fromkeys(ALERT_DETAILS[kind].model_fields, "x"),
        "category": "children",
    }
    return Alert.model_validate(fields | changes)


def _signal() -> SignalRaised:
    return SignalRaised(
        signal_id="sig-1",
        product_key="children|stroller|acme|s1",
        hazard="fall",
        category="children",
        jurisdiction="440300",
        method="live_nb",
        risk_level="high",
        day="2026-11-29",
        observed=9.0,
        expected=1.5,
        threshold=5.0,
        statistic=0.001,
        window="28d",
        explanation=("9 injuries against 1.5 expected",),
        trigger_event_id="ev-9",
        raised_at=AT,
    )


def _investigation(action: InvestigationAction = InvestigationAction.OPEN) -> InvestigationEvent:
    return InvestigationEvent(
        record_id="inv-1:1",
        investigation_id="inv-1",
        action=action,
        product_key="children|stroller|acme|s1",
        hazard="fall",
        state="opened",
        actor="system",
        at=AT,
        reason="signal sig-1",
        jurisdiction="440300",
    )


def _effectiveness() -> RecallEffectivenessUpdated:
    return RecallEffectivenessUpdated.model_validate(
        {
            "recall_id": "R-1",
            "state": "in_progress",
            "at": AT,
            "rates": {
                "overall": {
                    "affected": 100,
                    "corrected": 40,
                    "unreachable": 0,
                    "raw_rate": 0.4,
                    "adjusted_rate": 0.4,
                    "reach": 0.9,
                }
            },
            "forecast": None,
            "post_recall": {"before": 3, "after": 0},
            "residual_risk": None,
        }
    )


def _parse_kafka(headers: list[tuple[str, bytes]], value: bytes, key: bytes) -> Any:
    return kafka.from_binary(kafka.KafkaMessage(dict(headers), key, value), JSONFormat())


def test_an_alert_in_binary_mode_round_trips_through_the_sdk_with_the_record_value() -> None:
    alert = _alert()
    value = encode(ALERTS, alert)
    headers = kafka_headers(ALERTS, alert)
    event = _parse_kafka(headers, value, b"a-1")
    assert event.get_specversion() == "1.0"
    assert event.get_id() == "a-1"
    assert event.get_source() == "/recall-tracker/alerts"
    assert event.get_type() == "cn.recall.alert.recall_lagging"
    assert event.get_subject() == "R-1"
    assert event.get_time() == AT
    assert event.get_datacontenttype() == "application/json"
    assert event.get_extension("region") == "330100"
    assert event.get_extension("severity") == "warning"
    assert event.get_extension("category") == "children"
    assert Alert.model_validate(event.get_data()) == alert


def test_binary_mode_headers_are_bytes_and_name_every_required_attribute() -> None:
    headers = dict(kafka_headers(ALERTS, _alert()))
    assert all(isinstance(v, bytes) for v in headers.values())
    assert {"ce_specversion", "ce_id", "ce_source", "ce_type"} <= headers.keys()
    assert headers["content-type"] == b"application/json"
    assert headers["ce_time"] == b"2026-11-29T12:00:00.250000Z"


def test_an_unknown_region_is_absent_rather_than_empty() -> None:
    headers = dict(kafka_headers(ALERTS, _alert(jurisdiction=None, category=None)))
    assert "ce_region" not in headers
    assert "ce_category" not in headers


@pytest.mark.parametrize("kind", list(AlertKind))
def test_every_alert_kind_maps_to_a_type_firing_and_resolved(kind: AlertKind) -> None:
    firing = cloudevent_of(ALERTS, _alert(kind))
    resolved = cloudevent_of(ALERTS, _alert(kind, status="resolved", alert_id="a-2"))
    assert firing.get_type() == f"cn.recall.alert.{kind.value}" == alert_type(kind)
    assert resolved.get_type() == f"cn.recall.alert.{kind.value}.resolved"
    assert alert_type(kind, AlertStatus.RESOLVED) == resolved.get_type()


def test_a_signal_is_a_raised_signal_about_its_product() -> None:
    signal = _signal()
    event = _parse_kafka(kafka_headers(RISK_SIGNALS, signal), encode(RISK_SIGNALS, signal), b"k")
    assert event.get_type() == "cn.recall.signal.raised"
    assert event.get_source() == "/recall-tracker/risk.signals"
    assert (event.get_id(), event.get_subject()) == ("sig-1", signal.product_key)
    assert event.get_extension("region") == "440300"
    assert event.get_extension("category") == "children"
    assert SignalRaised.model_validate(event.get_data()) == signal


@pytest.mark.parametrize("action", list(InvestigationAction))
def test_every_investigation_action_maps_to_a_past_tense_type(
    action: InvestigationAction,
) -> None:
    record = _investigation(action)
    event = cloudevent_of(INVESTIGATION_EVENTS, record)
    assert event.get_type() == INVESTIGATION_TYPE[action]
    assert event.get_type().startswith("cn.recall.investigation.")
    assert (event.get_id(), event.get_subject()) == ("inv-1:1", "inv-1")
    assert event.get_extension("region") == "440300"


def test_an_opened_investigation_has_the_documented_type() -> None:
    assert cloudevent_of(INVESTIGATION_EVENTS, _investigation()).get_type() == (
        "cn.recall.investigation.opened"
    )


def test_an_effectiveness_update_is_identified_by_its_outbox_record_id() -> None:
    update = _effectiveness()
    headers = kafka_headers(RECALL_EFFECTIVENESS, update, record_id="effectiveness:R-1:2:3")
    event = _parse_kafka(headers, encode(RECALL_EFFECTIVENESS, update), b"R-1")
    assert event.get_type() == "cn.recall.recall.effectiveness.updated"
    assert (event.get_id(), event.get_subject()) == ("effectiveness:R-1:2:3", "R-1")
    assert event.get_extension("region") is None
    with pytest.raises(ValueError, match="outbox record id"):
        kafka_headers(RECALL_EFFECTIVENESS, update)


def test_the_alert_over_http_is_structured_and_parses_back_with_the_sdk() -> None:
    alert = _alert(kind=AlertKind.REFERRAL, status="resolved")
    headers, body = http_structured(alert)
    assert headers == {"content-type": "application/cloudevents+json"}
    document = orjson.loads(body)
    assert document["specversion"] == "1.0"
    assert document["data"]["alert_id"] == "a-1"
    event = http.from_http(http.HTTPMessage(headers, body), JSONFormat())
    assert event.get_type() == "cn.recall.alert.referral.resolved"
    assert event.get_id() == "a-1"
    assert event.get_time() == AT
    assert event.get_extension("region") == "330100"
    assert Alert.model_validate(event.get_data()) == alert


def test_other_topics_and_other_models_are_refused() -> None:
    with pytest.raises(NotACloudEventTopicError):
        kafka_headers(RISK_SCORES, _alert())
    with pytest.raises(TypeError):
        kafka_headers(ALERTS, _signal())


def test_each_cloudevent_topic_has_its_own_source() -> None:
    sources = {cloudevent_of(ALERTS, _alert()).get_source()} | {
        f"/recall-tracker/{spec.name}" for spec in CLOUDEVENT_TOPICS
    }
    assert len(sources) == len(CLOUDEVENT_TOPICS)


def test_a_record_the_sdk_refuses_is_an_outgoing_record_error_naming_the_attribute() -> None:
    with pytest.raises(OutgoingRecordError, match="not a valid CloudEvent: id"):
        kafka_headers(ALERTS, _alert(alert_id=""))


def test_an_empty_subject_is_left_out_rather_than_refused() -> None:
    assert "ce_subject" not in dict(kafka_headers(ALERTS, _alert(subject="")))


def test_the_asyncapi_headers_schema_describes_the_real_headers() -> None:
    from recall.tools.contract import asyncapi, message_name

    messages = asyncapi()["components"]["messages"]
    records = [
        (ALERTS, _alert(), None),
        (ALERTS, _alert(AlertKind.STATION_SILENT, status="resolved", category=None), None),
        (RISK_SIGNALS, _signal(), None),
        (INVESTIGATION_EVENTS, _investigation(InvestigationAction.CONCLUDE), None),
        (RECALL_EFFECTIVENESS, _effectiveness(), "effectiveness:R-1:1:1"),
    ]
    for spec, value, record_id in records:
        schema = messages[message_name(spec)]["headers"]
        headers = {k: v.decode() for k, v in kafka_headers(spec, value, record_id=record_id)}
        assert set(schema["required"]) <= headers.keys() <= schema["properties"].keys()
        for name, text in headers.items():
            rule = schema["properties"][name]
            assert text == rule.get("const", text), name
            assert text in rule.get("enum", [text]), name
    assert "CloudEvent" in messages[message_name(ALERTS)]["description"]
    assert "headers" not in messages[message_name(RISK_SCORES)]
