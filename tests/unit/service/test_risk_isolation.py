"""One bad product or record never costs the others: the risk agents' batch logic, no Kafka.

`process_risk_batch` and `process_regional_batch` are what the agents run per batch; here
their ports (send, load) are fakes that record what was produced and when it was delivered.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

import streams.agents.regional as regional_agent
import streams.agents.risk as risk_agent
from recall.service.risk.assessment import assess
from recall.service.risk.regional import RegionalCase, assess_region, bundle_bytes
from recall.service.risk.state import ProductRiskState, day_of
from streams.agents.regional import process_regional_batch
from streams.agents.risk import AgentPorts, process_risk_batch
from streams.context import TopicNames
from streams.metrics import WorkerMetrics

NOW = datetime(2024, 10, 5, 4, 0, tzinfo=UTC)
TODAY = day_of(NOW)
TOPICS = TopicNames(**{f.name: f.name for f in dataclasses.fields(TopicNames)})


class FakeBroker:
    """Records every send; deliveries complete only when the batch awaits them."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, dict[str, Any], int | None]] = []
        self.pending: list[asyncio.Future[None]] = []

    async def send(
        self, topic: str, key: bytes | None, value: bytes, partition: int | None
    ) -> Awaitable[None]:
        self.sent.append((topic, key, orjson.loads(value), partition))
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_soon(future.set_result, None)
        self.pending.append(future)
        return future

    def on(self, topic: str) -> list[dict[str, Any]]:
        return [value for t, _, value, _ in self.sent if t == topic]


def _ports(broker: FakeBroker, table: dict[bytes, bytes] | None = None) -> AgentPorts:
    store = table if table is not None else {}
    return AgentPorts(
        send=broker.send,
        load=store.get,
        topics=TOPICS,
        metrics=WorkerMetrics(),
        partitions=3,
        max_age_days=730,
    )


def _canonical(n: int, product: str, *, died: bool = True) -> dict[str, Any]:
    moment = (NOW - timedelta(minutes=n)).isoformat()
    return {
        "event": {
            "event_id": f"00000000-0000-4000-8000-{n:012d}",
            "type": "injury_report",
            "jurisdiction": "140105",
            "payload": {
                "occurred_at": moment,
                "disposition": "died" if died else "treated_released",
                "injury_nature": "burn_scald",
                "body_part": "hand",
                "age_years": 40,
                "mechanism": "hot_object",
                "product": {"category": "kitchenware"},
            },
        },
        "product_key": f"unknown/acme/{product}",
        "received_at": moment,
    }


def _message(offset: int, value: bytes, topic: str = "events.canonical") -> SimpleNamespace:
    return SimpleNamespace(
        topic=topic, partition=1, offset=offset, value=value, timestamp=NOW.timestamp()
    )


def _isolated(ports: AgentPorts, agent: str) -> float:
    value = ports.metrics.registry.get_sample_value(
        "recall_records_isolated_total", {"agent": agent}
    )
    return value or 0.0


def test_a_clean_batch_signals_then_returns_writes_after_every_delivery() -> None:
    broker = FakeBroker()
    ports = _ports(broker)
    messages = [_message(i, orjson.dumps(_canonical(i, "k-1"))) for i in range(3)]

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


def test_an_unreadable_record_is_dead_lettered_and_the_rest_go_on() -> None:
    broker = FakeBroker()
    ports = _ports(broker)
    lax = _canonical(2, "k-2")
    lax["event"]["payload"]["age_years"] = "4"
    messages = [
        _message(10, b"{not json"),
        _message(11, orjson.dumps(lax)),
        _message(12, orjson.dumps(_canonical(3, "k-3"))),
    ]
    writes = asyncio.run(process_risk_batch(messages, ports, NOW))
    assert [key for key, _ in writes] == [b"unknown/acme/k-3"]
    letters = broker.on("deadletter")
    assert [(d["reason"], d["source"]["offset"]) for d in letters] == [
        ("malformed_json", 10),
        ("schema", 11),
    ]
    assert letters[1]["errors"][0]["field"] == "event.payload.age_years"
    assert all(d["stage"] == "assess_risk" for d in letters)
    assert b'"4"' not in orjson.dumps(letters), "no record contents in a dead letter"
    assert _isolated(ports, "assess_risk") == 2


def test_one_failing_record_costs_only_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    real = assess
    poisoned = "00000000-0000-4000-8000-000000000021"

    def fragile(state: ProductRiskState, cases: Any, *args: Any) -> Any:
        if any(c.event_id == poisoned for c in cases):
            raise ZeroDivisionError("a bug met this record")
        return real(state, cases, *args)

    monkeypatch.setattr(risk_agent, "assess", fragile)
    broker = FakeBroker()
    table: dict[bytes, bytes] = {}
    ports = _ports(broker, table)
    messages = [
        _message(20, orjson.dumps(_canonical(20, "bad", died=False))),
        _message(21, orjson.dumps(_canonical(21, "bad", died=False))),
        _message(22, orjson.dumps(_canonical(22, "bad", died=False))),
        _message(23, orjson.dumps(_canonical(23, "good"))),
    ]
    writes = dict(asyncio.run(process_risk_batch(messages, ports, NOW)))
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
    assert _isolated(ports, "assess_risk") == 1
    assert [s["product_key"] for s in broker.on("signals")] == ["unknown/acme/good"]


def test_a_transient_error_is_not_the_records_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    def offline(*_: Any) -> Any:
        raise ConnectionError("broker away")

    monkeypatch.setattr(risk_agent, "assess", offline)
    broker = FakeBroker()
    messages = [_message(30, orjson.dumps(_canonical(30, "k-1")))]
    with pytest.raises(ConnectionError):
        asyncio.run(process_risk_batch(messages, _ports(broker), NOW))
    assert broker.on("deadletter") == [], "retried by the supervisor, never dead-lettered"


def _bundle(offset: int, records: list[RegionalCase]) -> SimpleNamespace:
    return _message(offset, bundle_bytes(records), topic="risk.regional")


def _regional(n: int, region: str, day: int = TODAY) -> RegionalCase:
    return RegionalCase(f"r{n}", "kitchenware", region, "burns", day, 2, None)


def test_regional_batch_isolates_a_failing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    real = assess_region

    def fragile(state: Any, records: Any, *args: Any) -> Any:
        if any(r.event_id == "r2" for r in records):
            raise KeyError("a bug met this case")
        return real(state, records, *args)

    monkeypatch.setattr(regional_agent, "assess_region", fragile)
    broker = FakeBroker()
    ports = _ports(broker)
    messages = [
        _bundle(40, [_regional(1, "140100"), _regional(2, "140100"), _regional(3, "110100")]),
        _bundle(41, [_regional(4, "140100")]),
        _message(42, b'[["r5", "kitchenware", "140100", "burns", true, 2, null]]', "risk.regional"),
    ]
    writes = dict(asyncio.run(process_regional_batch(messages, ports, NOW)))
    assert set(writes) == {b"kitchenware|140100", b"kitchenware|110100"}
    letters = broker.on("deadletter")
    assert [(d["reason"], d["source"]["offset"]) for d in letters] == [
        ("schema", 42),
        ("processing_error", 40),
    ]
    assert all(d["stage"] == "assess_regions" for d in letters)
    assert _isolated(ports, "assess_regions") == 2


def test_regional_cases_beyond_the_bound_move_nothing() -> None:
    broker = FakeBroker()
    table: dict[bytes, bytes] = {}
    ports = _ports(broker, table)
    bogus = _regional(9, "140100", day=2_932_897)
    writes = dict(asyncio.run(process_regional_batch([_bundle(50, [bogus])], ports, NOW)))
    state = orjson.loads(writes[b"kitchenware|140100"])
    assert state["w"] is None and state["h"] == {}
    assert "r9" in state["i"], "remembered, so a replay is a replay"
