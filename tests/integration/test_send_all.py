"""`send_all` on a real broker: each record where aiokafka's own `send` puts it, order kept.

The intake forwards accepted events as whole record batches per partition
(`streams.batch_consumer.send_all`). The risk agents downstream rely on every event of a
product arriving on the partition Kafka's default partitioner gives its key, and latency is
measured from the record timestamp, so both are checked against what the broker stored: the
same keys sent one by one with `AIOKafkaProducer.send` land on the same partitions, and
`send_all`'s records come back with their timestamps, in order within each partition. Enough
records that the 512 KiB batches fill up and a partition gets several.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from typing import NamedTuple

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from recall.config import Settings
from streams.batch_consumer import PRODUCER_BATCH_BYTES, make_producer, send_all

pytestmark = pytest.mark.integration
PARTITIONS = 3
Stored = tuple[bytes | None, bytes | None, int]
Sent = tuple[bytes, bytes, int]
VALUE_BYTES = 4096


def _create(settings: Settings, topics: list[str]) -> None:
    admin = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    try:
        admin.create_topics([NewTopic(t, PARTITIONS, 1) for t in topics])
    finally:
        admin.close()


async def _read(settings: Settings, topic: str, total: int) -> dict[int, list[Stored]]:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: dict[int, list[Stored]] = defaultdict(list)
    try:
        consumer.assign([TopicPartition(topic, p) for p in range(PARTITIONS)])
        async with asyncio.timeout(60):
            while sum(len(v) for v in found.values()) < total:
                for tp, records in (await consumer.getmany(timeout_ms=500)).items():
                    found[tp.partition] += [(r.key, r.value, r.timestamp) for r in records]
    finally:
        await consumer.stop()
    return found


class _Outcome(NamedTuple):
    records: list[Sent]
    partition_of_key: dict[bytes, int]
    """Where `AIOKafkaProducer.send` put each key."""
    batches: int
    stored: dict[int, list[Stored]]


async def _scenario(settings: Settings) -> _Outcome:
    """The same keys sent with `send` and, as many records, with `send_all`; what came back."""
    run = uuid.uuid4().hex[:8]
    one_by_one, batched = f"send-one-{run}", f"send-all-{run}"
    _create(settings, [one_by_one, batched])
    keys = [f"91140100MA0L2K3M4J:kettle-{i}".encode() for i in range(40)]
    # 3 batches' worth on average per partition: batches must fill and follow each other.
    total = 3 * PARTITIONS * PRODUCER_BATCH_BYTES // VALUE_BYTES
    records: list[Sent] = [
        (keys[i % len(keys)], b"%08d" % i + b"x" * (VALUE_BYTES - 8), 1_700_000_000_000 + i)
        for i in range(total)
    ]
    producer = make_producer(settings, f"send-all-{run}")
    await producer.start()
    try:
        where = {
            key: (await producer.send_and_wait(one_by_one, b"", key=key)).partition for key in keys
        }
        deliveries = await send_all(producer, batched, records)
        await asyncio.gather(*deliveries)
    finally:
        await producer.stop()
    return _Outcome(records, where, len(deliveries), await _read(settings, batched, total))


def test_send_all_puts_records_where_send_would_in_order(broker_settings: Settings) -> None:
    outcome = asyncio.run(_scenario(broker_settings))
    assert outcome.batches > PARTITIONS, "some partition filled a batch and got another"
    for partition, got in outcome.stored.items():
        expected = [r for r in outcome.records if outcome.partition_of_key[r[0]] == partition]
        assert got == expected, f"partition {partition}: other records, order or timestamps"
    assert sum(len(v) for v in outcome.stored.values()) == len(outcome.records)
