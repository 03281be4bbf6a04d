"""`send_all`: a stage's records leave as one record batch per partition, where `send` put them.

The intake forwards every accepted event; `send` cost ~25 µs of Python a record, so the stage
now appends records to aiokafka's batch builder per partition and sends whole batches. What
must not change is where a record lands — the partition Kafka's default partitioner gives its
key, which keyed agents downstream rely on — and the order of records within a partition.
The real producer's side of that is in tests/integration/test_send_all.py.
"""

from __future__ import annotations

import asyncio

import pytest

from streams.batch_consumer import send_all
from streams.partitioning import partition_of
from tests.unit.streams.batch_fakes import BATCH_RECORDS, FakeProducer
from tests.unit.streams.faust_support import PARTITIONS, run


def _records(n: int) -> list[tuple[bytes, bytes, int | None]]:
    return [(f"product-{i % 7}".encode(), f"value-{i}".encode(), 1_000 + i) for i in range(n)]


def test_each_record_lands_on_its_keys_partition_in_order() -> None:
    async def scenario() -> None:
        producer = FakeProducer(events=[])
        records = _records(40)
        deliveries = await send_all(producer, "events.canonical", records)
        await asyncio.gather(*deliveries)
        assert len(deliveries) == len(producer.batches)
        for topic, partition, keys in producer.batches:
            assert topic == "events.canonical"
            assert 1 <= len(keys) <= BATCH_RECORDS
            assert {partition_of(k or b"", PARTITIONS) for k in keys} == {partition}
        sent = [(key, value, ts) for _, key, value, ts in producer.sent]
        assert sorted(sent) == sorted(records), "every record once, timestamp kept"
        for p in range(PARTITIONS):
            mine = [r for r in records if partition_of(r[0], PARTITIONS) == p]
            assert [r for r in sent if partition_of(r[0] or b"", PARTITIONS) == p] == mine

    run(scenario)


def test_a_full_batch_is_sent_and_the_next_one_started() -> None:
    async def scenario() -> None:
        producer = FakeProducer(events=[])
        key = b"one-product"
        records = [(key, f"v{i}".encode(), None) for i in range(2 * BATCH_RECORDS + 1)]
        await asyncio.gather(*await send_all(producer, "t", records))
        assert [len(keys) for _, _, keys in producer.batches] == [
            BATCH_RECORDS,
            BATCH_RECORDS,
            1,
        ]
        assert [value for _, _, value, _ in producer.sent] == [v for _, v, _ in records]

    run(scenario)


def test_nothing_to_send_sends_no_batch() -> None:
    async def scenario() -> None:
        producer = FakeProducer(events=[])
        assert await send_all(producer, "t", []) == []
        assert producer.batches == []

    run(scenario)


class _TinyBatch:
    def append(self, *, timestamp: int | None, key: bytes | None, value: bytes | None) -> None:
        return None  # refuses even a first record


class _TinyProducer(FakeProducer):
    def create_batch(self) -> _TinyBatch:  # type: ignore[override]
        return _TinyBatch()


def test_a_record_larger_than_a_whole_batch_is_an_error_not_a_loop() -> None:
    async def scenario() -> None:
        with pytest.raises(ValueError, match="exceeds a whole batch"):
            await send_all(_TinyProducer(events=[]), "t", [(b"k", b"x" * 10, None)])

    run(scenario)
