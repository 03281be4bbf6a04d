"""State tables: declared once (`partitioned_table`), stored where their keys hash to.

Faust's RocksDB store puts every write into the database of the *current event's* partition and
refuses writes without one. Our tables use `use_partitioner=True` and are written once per key
after a `take_events` batch, where no single event is current; and a key's partition is Kafka's
murmur2 of its raw bytes — the partition its changelog record goes to and is recovered from.
This store writes there, so live writes and changelog recovery fill the same database, and a
rebalance that hands partition p to another worker hands over exactly p's keys.
"""

from __future__ import annotations

import asyncio
from typing import Any

import faust
from faust.stores import STORES
from faust.stores.rocksdb import Store as RocksDBStore
from faust.types import FutureMessage

from streams.partitioning import partition_of

SCHEME = "recall-rocksdb"


class PartitionedRocksDBStore(RocksDBStore):
    def _set(self, key: bytes, value: bytes | None) -> None:
        partitions = self.table.partitions or self.app.conf.topic_partitions
        partition = partition_of(key, partitions)
        db = self._db_for_partition(partition)
        self._key_index[key] = partition
        db.put(key, value)


class PartitionedTable(faust.Table[bytes, bytes]):
    """A table that names its changelog partition itself instead of asking the producer.

    With `use_partitioner` Faust leaves the partition to the producer's partitioner, which
    reads the producer's cached topic metadata synchronously: a write made before the producer
    has ever fetched the changelog topic's metadata (the first batch right after start)
    raised TypeError and crashed the agent. Kafka's default partitioner is murmur2 of the key
    bytes, which `partition_of` computes without metadata — the same partition, always known.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unsent: list[FutureMessage] = []

    def send_changelog(
        self,
        partition: int | None,
        key: Any,
        value: Any,
        key_serializer: Any = None,
        value_serializer: Any = None,
    ) -> FutureMessage:
        """Queue a write's changelog record; `changelog_delivered` sends the batch's together.

        Faust would hand it to its producer buffer (`send_soon`), which one task drains a
        record at a time, shared by every table and interleaved with everything else on the
        event loop: with a few hundred writes a batch, waiting for them took 0.2–1 s of each
        `assess_risk` batch at half load (`recall bench pipeline`), longer than the batch's
        own work, and while the buffer held over 100 records Faust's conductor held back
        every agent's input. Same record, same callback (`_on_changelog_sent` keeps the
        offset recovery starts from); only the sending moves.
        """
        fut = self.changelog_topic.as_future_message(
            key=key,
            value=value,
            partition=partition,
            key_serializer=self.key_serializer if key_serializer is None else key_serializer,
            value_serializer=(
                self.value_serializer if value_serializer is None else value_serializer
            ),
            callback=self._on_changelog_sent,
            eager_partitioning=True,
        )
        self._unsent.append(fut)
        return fut

    async def changelog_delivered(self) -> None:
        """Send every changelog record written so far and wait until the broker has them.

        An agent calls this after its batch's writes and before the batch is acked: a record
        is only sent here (see `send_changelog`), and offsets must not be committed while the
        states they depend on are still in memory — a worker killed then would lose those
        states for good: its successor recovers the changelog without them and resumes after
        the events (the three-worker kill test, docs/streams.md "Several workers"). Faust's
        own flush before a commit gives up after 0.1 s without progress
        (`ProducerBuffer.flush_atmost`), so it could not be relied on for that either.
        """
        pending, self._unsent = self._unsent, []
        for fut in pending:  # in write order: per key, the broker keeps them in order
            await self.changelog_topic.publish_message(fut, wait=False)
        if pending:
            await asyncio.gather(*pending)

    def partition_for_key(self, key: Any) -> int | None:
        if isinstance(key, bytes):
            return partition_of(key, self.partitions or self.app.conf.topic_partitions)
        return super().partition_for_key(key)


def register() -> str:
    """Make the store known to Faust; returns the store URL to configure."""
    STORES.aliases[SCHEME] = f"{__name__}:PartitionedRocksDBStore"
    return f"{SCHEME}://"


def changelog_topics(app: faust.App) -> list[tuple[str, int]]:
    """(name, partitions) of every table's changelog, to create before the worker starts."""
    return [
        (table.changelog_topic.get_topic_name(), int(table.changelog_topic.partitions))
        for table in app.tables.values()
    ]


def partitioned_table(app: faust.App, name: str, partitions: int, help: str) -> Any:
    """A state table keyed by raw key bytes, written per key from batches (`use_partitioner`).

    The key type must be `bytes`: with `str` Faust serialises keys as JSON, the quoted bytes
    hash to another partition than the source record's key, and with several workers a key's
    state would be recovered by the wrong one. Values are bytes the caller serialises.
    """
    table = PartitionedTable(
        app,
        name=name,
        default=None,
        beacon=app.tables.beacon,
        key_type=bytes,
        value_type=bytes,
        partitions=partitions,
        use_partitioner=True,
        help=help,
    )
    return app.tables.add(table)
