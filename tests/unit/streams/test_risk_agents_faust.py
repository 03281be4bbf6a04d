"""The risk agents as Faust runs them, in memory: `agent.test_context()`, no broker.

Each agent is registered by its own module's `register` on a Faust app configured like the
worker's (raw keys and values, tables in the `memory://` store); records are put on the agent's
in-memory channel, and the app's producer is a `FakeProducer` that keeps the records and the
tables' changelog writes. faust-streaming has no `memory://` transport, so the broker URL
names a closed port: nothing here may reach it, and nothing does. Each test is one
`asyncio.run`, with the app built inside it (Faust binds an app to the running loop).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from recall.service.risk.bundles import RegionalCase, cases_from_bundle
from recall.service.risk.state import day_of
from schemas import DeadLetter
from schemas.risk import Alert, AlertKind, RiskScoreUpdated, SignalRaised
from schemas.topics import EVENTS_CANONICAL, RISK_REGIONAL
from streams.agents import regional, risk
from streams.partitioning import partition_of
from tests.support.fakes.risk_agents import bundle, canonical
from tests.unit.streams.faust_support import PARTITIONS
from tests.unit.streams.faust_support import harness as _harness
from tests.unit.streams.faust_support import put_all as _put_all
from tests.unit.streams.faust_support import run as _run


def _canonical(n: int, product: str, now: datetime) -> tuple[bytes, bytes, int]:
    key = f"unknown/acme/{product}".encode()
    return key, orjson.dumps(canonical(n, product, now=now)), partition_of(key, PARTITIONS)


def test_assess_risk_produces_contract_records_then_writes_its_state(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = _harness(tmp_path, EVENTS_CANONICAL, risk)
        now = datetime.now(UTC)
        await _put_all(app.agent("assess_risk"), [_canonical(i, "k-1", now) for i in range(3)])

        signals = [SignalRaised.model_validate_json(v) for v in app.producer.raw("risk.signals")]
        [score] = [RiskScoreUpdated.model_validate_json(v) for v in app.producer.raw("risk.scores")]
        [regional_bundle] = app.producer.raw("risk.regional")
        assert sorted(s.method for s in signals) == ["fatal_case", "severe_cluster"]
        assert score.product_key == "unknown/acme/k-1" and score.risk_level == "serious"
        routed = cases_from_bundle(regional_bundle)
        assert len(routed) == 9, "three cases, each in its county, city and province"
        assert app.producer.order[-1] == "changelog", "the state is written after the records"
        assert list(app.table("product_to_risk")) == [b"unknown/acme/k-1"]

    _run(scenario)


def test_assess_risk_dead_letters_a_poison_record_and_processes_the_rest(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = _harness(tmp_path, EVENTS_CANONICAL, risk)
        now = datetime.now(UTC)
        poison = (b"unknown/acme/k-2", b'{"event": {"type": "injury_report"', 0)
        await _put_all(app.agent("assess_risk"), [poison, _canonical(1, "k-1", now)])

        [raw] = app.producer.raw("intake.deadletter")
        letter = DeadLetter.model_validate_json(raw)
        assert (letter.reason, letter.stage, letter.source.offset) == (
            "malformed_json",
            "assess_risk",
            0,
        )
        assert [s["method"] for s in app.producer.on("risk.signals")] == ["fatal_case"]
        assert list(app.table("product_to_risk")) == [b"unknown/acme/k-1"]

    _run(scenario)


def test_assess_risk_retries_a_batch_after_the_producer_failed(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = _harness(tmp_path, EVENTS_CANONICAL, risk, fail_at=1)
        now = datetime.now(UTC)
        records = [_canonical(i, "k-1", now) for i in range(3)]
        with pytest.raises(ConnectionError):
            await _put_all(app.agent("assess_risk"), records)  # the agent crashes: exit 70
        assert app.table("product_to_risk") == {}, "nothing remembered: the batch is not acked"
        first = [s["signal_id"] for s in app.producer.on("risk.signals")]

        await _put_all(app.agent("assess_risk"), records)  # the restarted worker re-reads
        again = [s["signal_id"] for s in app.producer.on("risk.signals")][len(first) :]
        assert len(first) == 1 and len(again) == 2 and again[0] == first[0], "the same ids"
        assert app.producer.on("intake.deadletter") == []
        assert list(app.table("product_to_risk")) == [b"unknown/acme/k-1"]

    _run(scenario)


def _bundle(records: list[RegionalCase]) -> tuple[None, bytes, int]:
    return None, bundle(records), partition_of(records[0].key.encode(), PARTITIONS)


def _quiet_then_spike(today: int) -> tuple[list[RegionalCase], list[RegionalCase]]:
    def case(n: int, day: int) -> RegionalCase:
        return RegionalCase(f"r-{day}-{n}", "kitchenware", "140100", "burns", day, 2, None)

    quiet = [case(i, today - 60 + d) for d in range(60) for i in range(1 + d % 3)]
    return quiet, [case(i, today) for i in range(12)]


def test_assess_regions_alerts_once_and_writes_its_state(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = _harness(tmp_path, RISK_REGIONAL, regional)
        quiet, spike = _quiet_then_spike(day_of(datetime.now(UTC)))
        agent = app.agent("assess_regions")
        await _put_all(agent, [_bundle(quiet)])
        assert app.producer.sent == [], "a quiet region alarms nobody"
        await _put_all(agent, [_bundle(spike), _bundle(spike)])  # the second: a redelivery

        [(topic, key, value, _)] = app.producer.sent
        alert = Alert.model_validate_json(value)
        assert topic == "alerts" and key == alert.alert_id.encode()
        assert alert.kind is AlertKind.REGIONAL_SIGNAL and alert.subject == "kitchenware|140100"
        assert app.producer.order[-1] == "changelog"
        assert list(app.table("region_to_risk")) == [b"kitchenware|140100"]

    _run(scenario)


def test_assess_regions_dead_letters_a_poison_bundle_and_processes_the_rest(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        app = _harness(tmp_path, RISK_REGIONAL, regional)
        quiet, _ = _quiet_then_spike(day_of(datetime.now(UTC)))
        poison = (None, b'[["r1", "kitchenware", "140100", "burns", "monday", 2, null]]', 0)
        await _put_all(app.agent("assess_regions"), [poison, _bundle(quiet)])

        [raw] = app.producer.raw("intake.deadletter")
        letter = DeadLetter.model_validate_json(raw)
        assert (letter.reason, letter.stage, letter.source.offset) == (
            "schema",
            "assess_regions",
            0,
        )
        assert letter.errors[0].message == "regional bundle item 0: bad day"
        assert b"monday" not in raw, "the letter names the field, never the value"
        assert list(app.table("region_to_risk")) == [b"kitchenware|140100"]

    _run(scenario)


def test_assess_regions_retries_a_batch_after_the_producer_failed(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = _harness(tmp_path, RISK_REGIONAL, regional, fail_at=0)
        quiet, spike = _quiet_then_spike(day_of(datetime.now(UTC)))
        agent = app.agent("assess_regions")
        await _put_all(agent, [_bundle(quiet)])
        before = app.table("region_to_risk")
        with pytest.raises(ConnectionError):
            await _put_all(agent, [_bundle(spike)])
        assert app.table("region_to_risk") == before, "the spike is not remembered"

        await _put_all(agent, [_bundle(spike)])
        [alert] = app.producer.on("alerts")
        assert alert["kind"] == "regional_signal"
        assert app.table("region_to_risk") != before

    _run(scenario)
