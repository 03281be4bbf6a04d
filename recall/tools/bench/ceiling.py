"""The aiokafka ceiling: what a bare consume → parse → produce loop reaches on this broker.

`recall bench intake` and `recall bench pipeline` both state their rate as a fraction of this
ceiling, measured in the same run on the same topic and broker, so the ratio cancels out the
machine (a busy box slows both). The loop does the least a Kafka stage can do per record while
keeping the guarantees the worker keeps: acks=all, a batch's sends awaited together, offsets
committed after each batch.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import orjson

from recall.config import Settings
from schemas.topics import INTAKE_RAW


async def ceiling_samples(settings: Settings, total: int, sink: str) -> list[tuple[float, int]]:
    """(time, records forwarded) while the loop reads the first `total` records of intake.raw."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    consumer = AIOKafkaConsumer(
        settings.topic_name(INTAKE_RAW.name),
        bootstrap_servers=settings.bootstrap_servers,
        group_id=f"ceiling-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        max_partition_fetch_bytes=4 << 20,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers, linger_ms=5, acks="all"
    )
    await consumer.start()
    await producer.start()
    samples: list[tuple[float, int]] = [(time.monotonic(), 0)]
    seen = 0
    try:
        while seen < total:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            futures = []
            for records in batches.values():
                for record in records:
                    event = orjson.loads(record.value)
                    futures.append(await producer.send(sink, orjson.dumps(event), key=record.key))
            await asyncio.gather(*futures)
            seen += len(futures)
            samples.append((time.monotonic(), seen))
            await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()
    return samples


def create_sink(settings: Settings, name: str) -> None:
    """The ceiling's output topic, partitioned like the run's own topics."""
    from kafka.admin import NewTopic

    from recall.adapters.kafka.admin import admin_client

    client = admin_client(settings)
    try:
        client.create_topics(
            [NewTopic(name, settings.topic_partitions, settings.topic_replication)]
        )
    finally:
        client.close()


def measure_ceiling(settings: Settings, total: int) -> list[tuple[float, int]]:
    """Run the ceiling loop over the run's intake.raw into a sink under the run's prefix (so
    the run's clean-up deletes it); call it with no worker running, as the worker would
    otherwise compete for the same cores."""
    sink = settings.topic_name("ceiling.sink")
    create_sink(settings, sink)
    return asyncio.run(ceiling_samples(settings, total, sink))
