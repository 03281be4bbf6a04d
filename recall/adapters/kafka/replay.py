"""Read a topic from its beginning up to where it ends now, in batches (kafka-python).

No consumer group: nothing is committed and no worker's group is disturbed, so a replay may
run beside the workers. The end is fixed when the replay starts; records published meanwhile
are left to the running projectors.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from recall.config import Settings

STALL_S = 60.0
"""No record and no progress for this long: the broker is away (the caller may rerun)."""


class ReplayStalledError(TimeoutError):
    """The broker stopped answering in the middle of a replay."""


@dataclass(frozen=True, slots=True)
class Replayed:
    topic: str
    partition: int
    offset: int
    value: bytes | None


def replay(settings: Settings, topic: str, *, batch: int = 500) -> Iterator[list[Replayed]]:
    """Every record of `topic` from the earliest kept offset to the current end, in batches."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id="recall-readmodel",
        group_id=None,
        enable_auto_commit=False,
        request_timeout_ms=20_000,
        **settings.kafka_client_options(),
    )
    try:
        partitions = sorted(consumer.partitions_for_topic(topic) or ())
        tps = [TopicPartition(topic, p) for p in partitions]
        if not tps:
            return
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        ends = consumer.end_offsets(tps)
        remaining = {tp for tp in tps if consumer.position(tp) < ends[tp]}
        last_progress = time.monotonic()
        while remaining:
            polled = consumer.poll(timeout_ms=500, max_records=batch)
            out = [
                Replayed(topic, m.partition, m.offset, m.value)
                for tp, messages in polled.items()
                for m in messages
                if m.offset < ends[tp]
            ]
            remaining = {tp for tp in remaining if consumer.position(tp) < ends[tp]}
            if out:
                last_progress = time.monotonic()
                yield out
            elif time.monotonic() - last_progress > STALL_S:
                raise ReplayStalledError(f"no progress reading {topic} for {STALL_S:.0f}s")
    finally:
        consumer.close()
