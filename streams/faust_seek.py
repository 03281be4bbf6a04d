"""After a rebalance, Faust reads every source partition again from its committed offset —
including the partitions that have none yet.

Faust ends each rebalance with `Consumer.perform_seek`, which asks aiokafka's
`seek_to_committed` to rewind every assigned partition to its committed offset, forgetting
records fetched while the rebalance was under way (its fetcher drops those: flow is
suspended). aiokafka seeks only partitions whose committed offset is above 0; one that has
none (or 0) keeps its fetch position — past the records just dropped. Faust then takes the
next record as the first, and its commit bookkeeping checks for a gap at the head only when
the committed offset is non-zero (`Consumer._new_offset`), so it commits past the dropped
records: they are never processed. The three-worker kill test showed exactly this: a worker
that took over `events.canonical[4]`, which had no commit yet, skipped offsets 12–226, and
Faust's group committed the partition to its end (docs/streams.md "Several workers").

`install()` wraps Faust's aiokafka consumer thread so that such partitions are sought to
their beginning — where our `auto_offset_reset="earliest"` would start them — before the
committed offsets are returned to Faust. Changelog partitions are left alone: table
recovery positions them itself, from the offsets its stores persisted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiokafka import TopicPartition
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

_INSTALLED = "_recall_seeks_unset_to_beginning"


def is_source(tp: TopicPartition) -> bool:
    """A partition agents read (not a table changelog, not Faust's leader topic)."""
    return not tp.topic.endswith("-changelog") and "__assignor" not in tp.topic


async def _seek_to_committed_or_beginning(thread: Any) -> Mapping[TopicPartition, int | None]:
    consumer = thread._ensure_consumer()
    committed: Mapping[TopicPartition, int | None] = await consumer.seek_to_committed()
    unset = [tp for tp, offset in committed.items() if not offset and is_source(tp)]
    if unset:
        await consumer.seek_to_beginning(*unset)
    return committed


async def seek_to_committed(self: AIOKafkaConsumerThread) -> Mapping[TopicPartition, int | None]:
    """`AIOKafkaConsumerThread.seek_to_committed`, with unset source partitions rewound."""
    committed: Mapping[TopicPartition, int | None] = await self.call_thread(
        _seek_to_committed_or_beginning, self
    )
    return committed


def install() -> None:
    """Patch Faust's consumer thread once per process (idempotent)."""
    if getattr(AIOKafkaConsumerThread, _INSTALLED, False):
        return
    AIOKafkaConsumerThread.seek_to_committed = seek_to_committed  # type: ignore[method-assign,assignment]
    setattr(AIOKafkaConsumerThread, _INSTALLED, True)
