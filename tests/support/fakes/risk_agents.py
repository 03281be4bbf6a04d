"""Fakes for the risk agents' tests: a recording broker behind `AgentPorts`, input records.

`FakeBroker.send` has the shape of `AgentPorts.send` (queue a record, get its delivery
future); `FakeProducer` stands in for a Faust app's producer, so a real agent under
`agent.test_context()` produces into memory (its table's changelog writes included).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import orjson
from faust.types import TP
from faust.types.tuples import RecordMetadata

from recall.service.risk.bundles import RegionalCase, regional_bundle
from schemas.topics import RISK_REGIONAL, encode
from streams.agents.ports import AgentPorts
from streams.context import TopicNames
from streams.metrics import WorkerMetrics

NOW = datetime(2024, 10, 5, 4, 0, tzinfo=UTC)
TOPICS = TopicNames(**{f.name: f.name for f in dataclasses.fields(TopicNames)})
"""Runtime topic names equal to the `TopicNames` fields: `signals`, `deadletter`, …"""


class FakeBroker:
    """Records every send; deliveries complete only when the batch awaits them.

    `fail_at` makes the send with that index (0-based, counting every send) raise `failure`
    instead, once: a broker that drops out in the middle of a batch.
    """

    def __init__(self, fail_at: int | None = None, failure: Exception | None = None) -> None:
        self.sent: list[tuple[str, bytes | None, bytes, int | None]] = []
        self.headers: list[list[tuple[str, bytes]] | None] = []  # of each sent record, in order
        self.pending: list[asyncio.Future[None]] = []
        self.fail_at, self.failure, self.attempts = fail_at, failure, 0

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        partition: int | None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> Awaitable[None]:
        attempt, self.attempts = self.attempts, self.attempts + 1
        if attempt == self.fail_at:
            raise self.failure or ConnectionError("broker away")
        self.sent.append((topic, key, value, partition))
        self.headers.append(headers)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        loop.call_soon(future.set_result, None)
        self.pending.append(future)
        return future

    def raw(self, topic: str) -> list[bytes]:
        return [value for t, _, value, _ in self.sent if t == topic]

    def on(self, topic: str) -> list[dict[str, Any]]:
        return [orjson.loads(value) for value in self.raw(topic)]


class FakeProducer:
    """A Faust producer that keeps what it is given — the agents' records and the tables'
    changelog records (a `-changelog` topic), each delivered at once. The agents' sends can
    be made to fail once, at a given index, like `FakeBroker`."""

    def __init__(self, fail_at: int | None = None) -> None:
        self.sent: list[tuple[str, bytes | None, bytes, int | None]] = []
        self.changelog: list[tuple[bytes, bytes, int | None]] = []
        self.order: list[str] = []  # "send:<topic>" and "changelog", in call order
        self.fail_at, self.attempts = fail_at, 0

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        partition: int | None,
        timestamp: float | None = None,
        headers: Any = None,
        **_: Any,
    ) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if topic.endswith("-changelog"):  # a table write (`streams.table_store`)
            self.changelog.append((key or b"", value, partition))
            self.order.append("changelog")
            tp = TP(topic, partition or 0)
            future.set_result(RecordMetadata(topic, tp.partition, tp, len(self.changelog) - 1))
            return future
        attempt, self.attempts = self.attempts, self.attempts + 1
        if attempt == self.fail_at:
            raise ConnectionError("broker away")
        self.sent.append((topic, key, value, partition))
        self.order.append(f"send:{topic}")
        future.set_result(None)
        return future

    async def maybe_start(self) -> None:
        """Faust starts its producer before a table's first changelog record: nothing to do."""

    def raw(self, topic: str) -> list[bytes]:
        return [value for t, _, value, _ in self.sent if t == topic]

    def on(self, topic: str) -> list[dict[str, Any]]:
        return [orjson.loads(value) for value in self.raw(topic)]


def recording_ports(
    broker: FakeBroker, table: dict[bytes, bytes] | None = None, partitions: int = 3
) -> AgentPorts:
    store = table if table is not None else {}
    return AgentPorts(
        send=broker.send,
        load=store.get,
        topics=TOPICS,
        metrics=WorkerMetrics(),
        partitions=partitions,
        max_age_days=730,
    )


def canonical(n: int, product: str, *, died: bool = True, now: datetime = NOW) -> dict[str, Any]:
    """An `events.canonical` record: a burn from product `unknown/acme/<product>`, n minutes
    before `now`, reported by a station in Taiyuan (140105)."""
    moment = (now - timedelta(minutes=n)).isoformat()
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


def message(
    offset: int, value: bytes, topic: str = "events.canonical", partition: int = 1
) -> SimpleNamespace:
    """A consumed record as the batch logic sees it (`event.message`)."""
    return SimpleNamespace(
        topic=topic, partition=partition, offset=offset, value=value, timestamp=NOW.timestamp()
    )


def bundle(records: list[RegionalCase]) -> bytes:
    """A `risk.regional` record, encoded as `assess_risk` produces it."""
    return encode(RISK_REGIONAL, regional_bundle(records))


def isolated(ports: AgentPorts, agent: str) -> float:
    value = ports.metrics.registry.get_sample_value(
        "recall_records_isolated_total", {"agent": agent}
    )
    return value or 0.0
