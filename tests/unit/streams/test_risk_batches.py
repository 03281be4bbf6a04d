"""One bad product or record never costs the others: the risk agents' batch logic, no Kafka.

`process_risk_batch` and `process_regional_batch` are what the agents run per batch; here
their ports (send, load) are fakes that record what was produced and when it was delivered.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import orjson
import pytest
from aiokafka.errors import KafkaConnectionError

import streams.agents.regional as regional_agent
import streams.agents.risk as risk_agent
from recall.service.risk.assessment import assess
from recall.service.risk.bundles import RegionalCase, cases_from_bundle
from recall.service.risk.regional import assess_region
from recall.service.risk.state import ProductRiskState, day_of
from schemas.risk import RiskScoreUpdated, SignalRaised
from streams.agents.ports import AgentPorts
from streams.agents.regional import process_regional_batch
from streams.agents.risk import process_risk_batch
from tests.support.fakes.risk_agents import (
    NOW,
    FakeBroker,
    bundle,
    canonical,
    isolated,
    message,
    recording_ports,
)

TODAY = day_of(NOW)


def _batch(messages: list[Any], ports: AgentPorts) -> dict[bytes, bytes]:
    return dict(asyncio.run(process_risk_batch(messages, ports, NOW)))


def test_a_clean_batch_signals_then_returns_writes_after_every_delivery() -> None:
    broker = FakeBroker()
    ports = recording_ports(broker)
    messages = [message(i, orjson.dumps(canonical(i, "k-1"))) for i in range(3)]

    async def batch() -> tuple[list[tuple[bytes, bytes]], bool]:
        writes = await process_risk_batch(messages, ports, NOW)
        return writes, all(f.done() for f in broker.pending)

    writes, delivered = asyncio.run(batch())
    assert delivered and broker.pending, "every delivery is done before the writes are due"
    assert [key for key, _ in writes] == [b"unknown/acme/k-1"]
    methods = sorted(s["method"] for s in broker.on("signals"))
    assert methods == ["fatal_case", "severe_cluster"], "deaths, three of them in a week"
    assert broker.on("regional"), "new injury cases are routed to the regional stage"
    assert broker.on("deadletter") == []


def test_what_goes_out_obeys_the_contract_and_names_its_cause() -> None:
    broker = FakeBroker()
    _batch(
        [message(i, orjson.dumps(canonical(i, "k-1"))) for i in range(3)], recording_ports(broker)
    )
    signals = [SignalRaised.model_validate_json(raw) for raw in broker.raw("signals")]
    [score] = [RiskScoreUpdated.model_validate_json(raw) for raw in broker.raw("scores")]
    assert {s.risk_level for s in signals} == {"serious"}
    assert all(s.raised_at == NOW and s.product_key == "unknown/acme/k-1" for s in signals)
    assert {s.trigger_event_id for s in signals} <= {
        canonical(i, "")["event"]["event_id"] for i in range(3)
    }
    assert score.risk_level == "serious" and score.updated_at == NOW and 0 < score.score <= 100
    cases = []
    for raw_bundle in broker.raw("regional"):  # one per partition; each in event-time order
        bundled = cases_from_bundle(raw_bundle)
        assert [c.day for c in bundled] == sorted(c.day for c in bundled), "event-time order"
        cases += bundled
    assert sorted(c.key for c in cases) == sorted(
        f"kitchenware|{code}" for code in ("140105", "140100", "140000") for _ in range(3)
    ), "each case counted in its station's county, city and province"


def test_an_unreadable_record_is_dead_lettered_and_the_rest_go_on() -> None:
    broker = FakeBroker()
    ports = recording_ports(broker)
    lax = canonical(2, "k-2")
    lax["event"]["payload"]["age_years"] = "4"
    messages = [
        message(10, b"{not json"),
        message(11, orjson.dumps(lax)),
        message(12, orjson.dumps(canonical(3, "k-3"))),
    ]
    writes = _batch(messages, ports)
    assert list(writes) == [b"unknown/acme/k-3"]
    letters = broker.on("deadletter")
    assert [(d["reason"], d["source"]["offset"]) for d in letters] == [
        ("malformed_json", 10),
        ("schema", 11),
    ]
    assert letters[1]["errors"][0]["field"] == "event.payload.age_years"
    assert all(d["stage"] == "assess_risk" for d in letters)
    assert b'"4"' not in orjson.dumps(letters), "no record contents in a dead letter"
    assert isolated(ports, "assess_risk") == 2


def test_one_failing_record_costs_only_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    real = assess
    poisoned = "00000000-0000-4000-8000-000000000021"

    def fragile(state: ProductRiskState, cases: Any, *args: Any, **kwargs: Any) -> Any:
        if any(c.event_id == poisoned for c in cases):
            raise ZeroDivisionError("a bug met this record")
        return real(state, cases, *args, **kwargs)

    monkeypatch.setattr(risk_agent, "assess", fragile)
    broker = FakeBroker()
    ports = recording_ports(broker)
    messages = [
        message(20, orjson.dumps(canonical(20, "bad", died=False))),
        message(21, orjson.dumps(canonical(21, "bad", died=False))),
        message(22, orjson.dumps(canonical(22, "bad", died=False))),
        message(23, orjson.dumps(canonical(23, "good"))),
    ]
    writes = _batch(messages, ports)
    good = ProductRiskState.from_bytes(writes[b"unknown/acme/good"])
    bad = ProductRiskState.from_bytes(writes[b"unknown/acme/bad"])
    assert good.hazards["burns"].cases == 1
    assert bad.hazards["burns"].cases == 2, "the failing record's neighbours are still counted"
    assert not bad.seen(poisoned)
    [letter] = broker.on("deadletter")
    assert letter["reason"] == "processing_error" and letter["stage"] == "assess_risk"
    assert letter["errors"] == [{"field": "", "message": "ZeroDivisionError"}]
    assert letter["source"] == {"topic": "events.canonical", "partition": 1, "offset": 21}
    assert datetime.fromisoformat(letter["received_at"]) == NOW
    assert isolated(ports, "assess_risk") == 1
    assert [s["product_key"] for s in broker.on("signals")] == ["unknown/acme/good"]


def test_a_transient_error_is_not_the_records_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(*_: Any, **__: Any) -> Any:
        raise ConnectionError("broker away")

    monkeypatch.setattr(risk_agent, "assess", offline)
    broker = FakeBroker()
    messages = [message(30, orjson.dumps(canonical(30, "k-1")))]
    with pytest.raises(ConnectionError):
        asyncio.run(process_risk_batch(messages, recording_ports(broker), NOW))
    assert broker.on("deadletter") == [], "retried by the supervisor, never dead-lettered"


def test_a_batch_retried_after_the_broker_failed_produces_the_same_records() -> None:
    """The producer fails mid-batch: nothing is due to the table, and the batch read again
    (the supervisor's restart) sends the same signal ids and then writes the state once."""
    messages = [message(i, orjson.dumps(canonical(i, "k-1"))) for i in range(3)]
    table: dict[bytes, bytes] = {}
    failing = FakeBroker(fail_at=1, failure=KafkaConnectionError())
    with pytest.raises(KafkaConnectionError):
        _batch(messages, recording_ports(failing, table))
    assert table == {} and failing.on("deadletter") == [], "a broker outage is no record's fault"

    healthy = FakeBroker()
    writes = _batch(messages, recording_ports(healthy, table))
    first_ids = [s["signal_id"] for s in failing.on("signals")]
    again_ids = [s["signal_id"] for s in healthy.on("signals")]
    assert first_ids and first_ids == again_ids[: len(first_ids)], (
        "same ids: downstream drops repeats"
    )
    assert len(again_ids) == 2 and list(writes) == [b"unknown/acme/k-1"]
    table.update(writes)
    replayed = FakeBroker()
    _batch(messages, recording_ports(replayed, table))
    assert replayed.on("signals") == [], "once the state is written, a redelivery is a replay"


def _regional(n: int, region: str, day: int = TODAY) -> RegionalCase:
    return RegionalCase(f"r{n}", "kitchenware", region, "burns", day, 2, None)


def _bundle_message(offset: int, records: list[RegionalCase]) -> Any:
    return message(offset, bundle(records), topic="risk.regional")


def test_regional_batch_isolates_a_failing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    real = assess_region

    def fragile(state: Any, records: Any, *args: Any) -> Any:
        if any(r.event_id == "r2" for r in records):
            raise KeyError("a bug met this case")
        return real(state, records, *args)

    monkeypatch.setattr(regional_agent, "assess_region", fragile)
    broker = FakeBroker()
    ports = recording_ports(broker)
    messages = [
        _bundle_message(
            40, [_regional(1, "140100"), _regional(2, "140100"), _regional(3, "110100")]
        ),
        _bundle_message(41, [_regional(4, "140100")]),
        message(42, b'[["r5", "kitchenware", "140100", "burns", true, 2, null]]', "risk.regional"),
    ]
    writes = dict(asyncio.run(process_regional_batch(messages, ports, NOW)))
    assert set(writes) == {b"kitchenware|140100", b"kitchenware|110100"}
    letters = broker.on("deadletter")
    assert [(d["reason"], d["source"]["offset"]) for d in letters] == [
        ("schema", 42),
        ("processing_error", 40),
    ]
    assert letters[0]["errors"][0]["message"] == "regional bundle item 0: bad day"
    assert all(d["stage"] == "assess_regions" for d in letters)
    assert isolated(ports, "assess_regions") == 2


def test_regional_cases_beyond_the_bound_move_nothing() -> None:
    broker = FakeBroker()
    ports = recording_ports(broker)
    bogus = _regional(9, "140100", day=2_932_897)
    writes = dict(asyncio.run(process_regional_batch([_bundle_message(50, [bogus])], ports, NOW)))
    state = orjson.loads(writes[b"kitchenware|140100"])
    assert state["w"] is None and state["h"] == {}
    assert "r9" in state["i"], "remembered, so a replay is a replay"


def test_a_regional_batch_retried_after_the_broker_failed_sends_the_same_alert() -> None:
    baseline = [
        _regional(1000 + d * 10 + i, "140100", TODAY - 60 + d)
        for d in range(60)
        for i in range(d % 3 + 1)
    ]
    spike = [_regional(i, "140100") for i in range(12)]
    table: dict[bytes, bytes] = {}
    warm = FakeBroker()
    table.update(
        asyncio.run(
            process_regional_batch(
                [_bundle_message(1, baseline)], recording_ports(warm, table), NOW
            )
        )
    )
    assert warm.sent == [], "a quiet baseline alarms nobody"

    failing = FakeBroker(fail_at=0, failure=KafkaConnectionError())
    with pytest.raises(KafkaConnectionError):
        asyncio.run(
            process_regional_batch(
                [_bundle_message(2, spike)], recording_ports(failing, table), NOW
            )
        )
    healthy = FakeBroker()
    writes = asyncio.run(
        process_regional_batch([_bundle_message(2, spike)], recording_ports(healthy, table), NOW)
    )
    [alert] = healthy.on("alerts")
    assert alert["kind"] == "regional_signal" and alert["jurisdiction"] == "140100"
    assert [key for _, key, _, _ in healthy.sent] == [alert["alert_id"].encode()]
    assert dict(writes).keys() == {b"kitchenware|140100"}
