"""Which partition a key lands on, computed the way the worker's producer computes it.

`assess_risk` bundles regional cases per destination partition and sends each bundle to that
partition explicitly, so the bundle must go exactly where a keyed record would have gone:
`region_to_risk` (`use_partitioner=True`) writes each key's changelog to that same partition,
and a key's state has to be read and written by the worker that owns it.
"""

from __future__ import annotations

from functools import lru_cache

from aiokafka.partitioner import murmur2


@lru_cache(maxsize=1 << 16)
def partition_of(key: bytes, partitions: int) -> int:
    """Kafka's default partition for `key` (murmur2, as the Java client and aiokafka do).

    Cached: murmur2 is pure Python in aiokafka, and the intake computes it for every record
    it forwards (`BatchConsumer.send_all`) over a few thousand products' keys."""
    if partitions < 1:
        raise ValueError(f"a topic has at least one partition, not {partitions}")
    hashed: int = murmur2(key)
    return (hashed & 0x7FFFFFFF) % partitions
