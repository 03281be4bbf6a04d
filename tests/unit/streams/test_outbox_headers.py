"""`publish_outbox`'s headers: an outbox row becomes a CloudEvent by its runtime topic."""

from __future__ import annotations

from cloudevents.core.base import BaseCloudEvent
from cloudevents.core.bindings import kafka
from cloudevents.core.formats.json import JSONFormat

from recall.config import Settings
from recall.service.ports import OutputTopics, alert_record, outbox_record
from schemas.recalls import RecallEffectivenessUpdated
from schemas.topics import RECALL_EFFECTIVENESS
from streams.context import TopicNames
from streams.event_headers import OutboxHeaders
from tests.unit.streams.test_cloudevent_headers import ALERT

PREFIX = "t-42."
TOPICS = TopicNames.of(Settings(topic_prefix=PREFIX))
OUTPUT = OutputTopics(
    investigations=TOPICS.investigations, effectiveness=TOPICS.effectiveness, alerts=TOPICS.alerts
)


def _event(headers: list[tuple[str, bytes]] | None, key: str, value: bytes) -> BaseCloudEvent:
    assert headers is not None
    return kafka.from_binary(kafka.KafkaMessage(dict(headers), key, value), JSONFormat())


def test_an_alert_row_under_a_prefixed_topic_gets_its_alert_headers() -> None:
    row = alert_record(ALERT, OUTPUT)
    assert row.topic == f"{PREFIX}alerts"
    event = _event(OutboxHeaders(TOPICS)(row.topic, row.record_id, row.value), row.key, row.value)
    assert event.get_type() == "cn.recall.alert.regional_signal"
    assert event.get_id() == ALERT.alert_id
    assert event.get_source() == "/recall-tracker/alerts"


def test_an_effectiveness_row_is_identified_by_its_outbox_record_id() -> None:
    update = RecallEffectivenessUpdated.model_validate(
        {
            "recall_id": "R-1",
            "state": "in_progress",
            "at": ALERT.at,
            "rates": {
                "overall": {
                    "affected": 10,
                    "corrected": 1,
                    "unreachable": 0,
                    "raw_rate": 0.1,
                    "adjusted_rate": 0.1,
                    "reach": 0.5,
                }
            },
            "forecast": None,
            "post_recall": {"before": 0, "after": 0},
            "residual_risk": None,
        }
    )
    row = outbox_record(
        RECALL_EFFECTIVENESS,
        OUTPUT.effectiveness,
        record_id="effectiveness:R-1:1:2",
        key="R-1",
        value=update,
        at=ALERT.at,
    )
    event = _event(OutboxHeaders(TOPICS)(row.topic, row.record_id, row.value), row.key, row.value)
    assert event.get_id() == "effectiveness:R-1:1:2"
    assert event.get_subject() == "R-1"


def test_other_topics_and_unreadable_values_go_without_headers_rather_than_block() -> None:
    headers = OutboxHeaders(TOPICS)
    assert headers(TOPICS.scores, "x", b"{}") is None
    assert headers(TOPICS.alerts, "alert:x", b'{"not": "an alert"}') is None
