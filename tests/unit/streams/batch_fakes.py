"""aiokafka's consumer and producer as a batch consumer (`streams.batch_consumer`) uses them,
in memory: `ConsumerRecord`s with millisecond timestamps, `commit` of explicit offsets, sends
recorded in call order with the commits, so a test asserts the stage's order of work."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata

from streams.batch_consumer import RecordBatch
from tests.unit.streams.faust_support import PARTITIONS

Headers = list[tuple[str, bytes]]
Record = tuple[bytes, bytes, int, Headers]
"""(key, value, partition, headers) of a record to put."""

SENT_MS = 1_700_000_000_123
"""Every fake record's broker timestamp: the station's send time, in ms as aiokafka has it."""


class FakeConsumer:
    """`AIOKafkaConsumer` as the stage uses it: `put` records, `getmany` hands them out once."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.listener: ConsumerRebalanceListener | None = None
        self.pending: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]] = {}
        self.next_offset: dict[TopicPartition, int] = {}
        self.commits: list[dict[TopicPartition, int]] = []
        self.events: list[str] = []  # "commit", in call order with the producer's "send"
        self.assigned = {TopicPartition(topic, p) for p in range(PARTITIONS)}
        self.stopped = False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        self.stopped = True

    def subscribe(self, topics: list[str], listener: ConsumerRebalanceListener) -> None:
        assert topics == [self.topic]
        self.listener = listener

    def put(self, records: list[Record], *, first_offset: int = 0) -> None:
        for index, (key, value, partition, headers) in enumerate(records):
            # Offsets count from `first_offset` across partitions, as Faust's test channel
            # did: the same offsets again are a redelivery.
            tp, offset = TopicPartition(self.topic, partition), first_offset + index
            self.next_offset[tp] = max(self.next_offset.get(tp, 0), offset + 1)
            record = ConsumerRecord(
                self.topic, partition, offset, SENT_MS, 0, key, value, None,
                len(key), len(value), tuple(headers),
            )  # fmt: skip
            self.pending.setdefault(tp, []).append(record)

    async def getmany(
        self, *, timeout_ms: int, max_records: int
    ) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
        batch, self.pending = self.pending, {}
        if not batch:  # as aiokafka waits up to `timeout_ms`: the loop runs other tasks
            await asyncio.sleep(timeout_ms / 1000)
        return batch

    async def commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        self.commits.append({tp: meta.offset for tp, meta in offsets.items()})
        self.events.append("commit")

    def assignment(self) -> set[TopicPartition]:
        return set(self.assigned)

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.next_offset.get(tp, 0)

    async def position(self, tp: TopicPartition) -> int:
        return 0


BATCH_RECORDS = 3
"""A fake record batch fills up after this many records (aiokafka's fills up by bytes)."""


@dataclass
class FakeBatch:
    """aiokafka's `BatchBuilder` as `send_all` uses it: append until full (None)."""

    records: list[tuple[bytes | None, bytes, int | None]] = field(default_factory=list)

    def append(self, *, timestamp: int | None, key: bytes | None, value: bytes | None) -> object:
        if len(self.records) == BATCH_RECORDS:
            return None
        assert value is not None
        self.records.append((key, value, timestamp))
        return len(self.records)


def _done() -> asyncio.Future[None]:
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    future.set_result(None)
    return future


@dataclass
class FakeProducer:
    """`AIOKafkaProducer.send` as the stage calls it; `fail_at` fails that send once, `gate`
    holds every delivery until set."""

    events: list[str]
    fail_at: int | None = None
    gate: asyncio.Event | None = None
    sent: list[tuple[str, bytes | None, bytes, int | None]] = field(default_factory=list)
    attempts: int = 0
    batches: list[tuple[str, int, list[bytes | None]]] = field(default_factory=list)
    """(topic, partition, the records' keys) of each `send_batch`."""

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def partitions_for(self, topic: str) -> set[int]:
        return set(range(PARTITIONS))

    def create_batch(self) -> FakeBatch:
        return FakeBatch()

    async def send_batch(
        self, batch: RecordBatch, topic: str, *, partition: int
    ) -> asyncio.Future[None]:
        """The batch's records as `send` would deliver them, one by one: `fail_at` counts
        records either way, and a failure leaves the rest of the batch unsent."""
        assert 0 <= partition < PARTITIONS
        assert isinstance(batch, FakeBatch) and batch.records, "only batches it made, not empty"
        self.batches.append((topic, partition, [key for key, _, _ in batch.records]))
        deliveries = [
            await self.send(topic, value, key=key, timestamp_ms=timestamp_ms)
            for key, value, timestamp_ms in batch.records
        ]
        if not deliveries:
            return _done()
        delivered = asyncio.gather(*deliveries)
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        delivered.add_done_callback(lambda _: future.set_result(None))
        return future

    async def send(
        self,
        topic: str,
        value: bytes,
        *,
        key: bytes | None,
        timestamp_ms: int | None = None,
        partition: int | None = None,
        headers: Headers | None = None,
    ) -> asyncio.Future[None]:
        attempt, self.attempts = self.attempts, self.attempts + 1
        if attempt == self.fail_at:
            raise ConnectionError("broker away")
        self.sent.append((topic, key, value, timestamp_ms))
        self.events.append(f"send:{topic}")
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.gate is None:
            future.set_result(None)
        else:
            gate = self.gate
            asyncio.get_running_loop().create_task(gate.wait()).add_done_callback(
                lambda _: future.set_result(None)
            )
        return future
