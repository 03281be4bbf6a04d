"""`streams.faust_seek` on a real broker: after a rebalance every source partition is read
again from its committed offset, a partition without one from its start.

aiokafka's `seek_to_committed` (what Faust calls when a rebalance ends) leaves a partition
with no committed offset where its fetch position was; records fetched and dropped during the
rebalance were then never processed (docs/streams.md "Several workers"). Here a consumer
reads every partition to its end, as a fetcher does before a rebalance suspends it; then the
seek must bring each source partition back — and leave the changelog where it was.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from kafka.admin import KafkaAdminClient, NewTopic

from streams.faust_seek import _seek_to_committed_or_beginning

pytestmark = pytest.mark.integration
RECORDS = 10


class _ConsumerThread:
    """What `_seek_to_committed_or_beginning` needs of Faust's consumer thread: its consumer."""

    def __init__(self, consumer: AIOKafkaConsumer) -> None:
        self.consumer = consumer

    def _ensure_consumer(self) -> AIOKafkaConsumer:
        return self.consumer


def _create(bootstrap: str, topics: dict[str, int]) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(n, p, 1) for n, p in topics.items()])
    finally:
        admin.close()


async def _positions_after_seek(bootstrap: str, patched: bool) -> dict[str, int]:
    run = uuid.uuid4().hex[:8]
    source, changelog = f"seek-{run}", f"seek-{run}-product_to_risk-changelog"
    _create(bootstrap, {source: 2, changelog: 1})
    tps = {
        "unset": TopicPartition(source, 0),
        "committed": TopicPartition(source, 1),
        "changelog": TopicPartition(changelog, 0),
    }
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for tp in tps.values():
            for n in range(RECORDS):
                await producer.send_and_wait(tp.topic, b"%d" % n, partition=tp.partition)
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=f"seek-{run}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        consumer.assign(list(tps.values()))
        await consumer.commit({tps["committed"]: OffsetAndMetadata(4, "")})
        async with asyncio.timeout(60):  # every partition fetched to its end
            while [await consumer.position(tp) for tp in tps.values()] != [RECORDS] * len(tps):
                await consumer.getmany(timeout_ms=500)
        if patched:
            await _seek_to_committed_or_beginning(_ConsumerThread(consumer))
        else:
            await consumer.seek_to_committed()
        return {name: await consumer.position(tp) for name, tp in tps.items()}
    finally:
        await consumer.stop()


def test_a_partition_without_a_commit_is_read_again_from_its_start(bootstrap: str) -> None:
    positions = asyncio.run(_positions_after_seek(bootstrap, patched=True))
    assert positions == {"unset": 0, "committed": 4, "changelog": RECORDS}


def test_aiokafka_alone_leaves_it_past_the_records_it_dropped(bootstrap: str) -> None:
    """Why the patch exists: if aiokafka ever seeks such partitions itself, this fails and
    `streams.faust_seek` can go."""
    positions = asyncio.run(_positions_after_seek(bootstrap, patched=False))
    assert positions == {"unset": RECORDS, "committed": 4, "changelog": RECORDS}
