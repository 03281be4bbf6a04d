"""`partition_of` must agree with Kafka's own partitioner, or regional state splits in two."""

from __future__ import annotations

import pytest

from streams.partitioning import partition_of

# Kafka's UtilsTest.testMurmur2: murmur2(bytes) as the Java client computes it (signed int32).
JAVA_MURMUR2 = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


@pytest.mark.parametrize(("key", "java_hash"), JAVA_MURMUR2.items())
@pytest.mark.parametrize("partitions", [1, 6, 7, 64])
def test_partition_matches_the_java_client(key: bytes, java_hash: int, partitions: int) -> None:
    assert partition_of(key, partitions) == (java_hash & 0x7FFFFFFF) % partitions


def test_chinese_region_keys_spread_over_partitions() -> None:
    keys = [f"家用电器|{city}00".encode() for city in range(1101, 1161)]
    assert len({partition_of(k, 6) for k in keys}) == 6


def test_a_topic_without_partitions_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one partition"):
        partition_of(b"k", 0)
