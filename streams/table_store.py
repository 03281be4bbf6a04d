"""State tables: declared once (`partitioned_table`), stored where their keys hash to.

Faust's RocksDB store puts every write into the database of the *current event's* partition and
refuses writes without one. Our tables use `use_partitioner=True` and are written once per key
after a `take_events` batch, where no single event is current; and a key's partition is Kafka's
murmur2 of its raw bytes — the partition its changelog record goes to and is recovered from.
This store writes there, so live writes and changelog recovery fill the same database, and a
rebalance that hands partition p to another worker hands over exactly p's keys.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.stores import STORES
from faust.stores.rocksdb import Store as RocksDBStore

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
