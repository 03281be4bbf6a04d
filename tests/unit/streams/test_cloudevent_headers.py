"""The agents' produce path: records of the topics others read carry CloudEvents headers
(binary mode), the value unchanged; the internal topics go without."""

from __future__ import annotations

import asyncio

from cloudevents.core.bindings import kafka
from cloudevents.core.formats.json import JSONFormat

from schemas.risk import Alert, AlertKind, AlertSeverity, RiskScoreUpdated, SignalRaised
from schemas.topics import ALERTS, RISK_SCORES, RISK_SIGNALS, encode
from streams.agents.ports import Outgoing, produce_all
from tests.support.fakes.risk_agents import NOW, FakeBroker, recording_ports

SIGNAL = SignalRaised(
    signal_id="sig-1",
    product_key="unknown/acme/k-1",
    hazard="burns",
    category="kitchenware",
    jurisdiction="140105",
    method="live_nb",
    risk_level="serious",
    day="2024-10-05",
    observed=6.0,
    expected=0.25,
    threshold=5.0,
    statistic=12.5,
    window="1 day",
    explanation=("6 cases",),
    trigger_event_id="ev-3",
    raised_at=NOW,
)
ALERT = Alert(
    alert_id="a-1",
    severity=AlertSeverity.WARNING,
    kind=AlertKind.REGIONAL_SIGNAL,
    title="区域风险信号 / Regional signal",
    subject="kitchenware|140100",
    jurisdiction="140100",
    at=NOW,
    details={
        "hazard": "burns",
        "day": "2024-10-05",
        "observed": "12",
        "expected": "2.10",
        "threshold": "6.0",
        "trigger_event_id": "r1",
        "explanation": "12 kitchenware cases",
    },
    category="kitchenware",
)
SCORE = RiskScoreUpdated(
    product_key="unknown/acme/k-1", score=80.0, risk_level="high", explanation=(), updated_at=NOW
)


def test_signals_and_alerts_carry_cloudevents_headers_and_scores_do_not() -> None:
    broker = FakeBroker()
    ports = recording_ports(broker)
    records = [
        Outgoing(RISK_SIGNALS, b"unknown/acme/k-1", SIGNAL),
        Outgoing(RISK_SCORES, b"unknown/acme/k-1", SCORE),
        Outgoing(ALERTS, b"a-1", ALERT),
    ]

    async def run() -> None:
        for delivery in await produce_all(ports, records):
            await delivery

    asyncio.run(run())
    signal_headers, score_headers, alert_headers = broker.headers
    assert score_headers is None
    assert signal_headers is not None and alert_headers is not None
    (_, key, value, _) = broker.sent[0]
    assert value == encode(RISK_SIGNALS, SIGNAL), "the value is the record's JSON, unchanged"
    event = kafka.from_binary(kafka.KafkaMessage(dict(signal_headers), key, value), JSONFormat())
    assert (event.get_type(), event.get_id()) == ("cn.recall.signal.raised", "sig-1")
    assert event.get_extension("region") == "140105"
    (_, key, value, _) = broker.sent[2]
    event = kafka.from_binary(kafka.KafkaMessage(dict(alert_headers), key, value), JSONFormat())
    assert event.get_type() == "cn.recall.alert.regional_signal"
    assert (event.get_id(), event.get_subject()) == ("a-1", "kitchenware|140100")
