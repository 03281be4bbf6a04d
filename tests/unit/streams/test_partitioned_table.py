"""Table writes name their changelog partition without producer metadata."""

from __future__ import annotations

import faust

from streams.partitioning import partition_of
from streams.table_store import PartitionedTable, partitioned_table


def test_changelog_partition_is_murmur2_of_the_key_without_metadata() -> None:
    app = faust.App("partitioned-table-test", broker="memory://", store="memory://")
    table = partitioned_table(app, "product_to_risk", 6, "test table")
    assert isinstance(table, PartitionedTable)
    keys = [b"", b"a", b"91140100MA0L2K3M4X/acme/k-1", "美的/电水壶".encode()]
    assert [table.partition_for_key(k) for k in keys] == [partition_of(k, 6) for k in keys]
    assert len({table.partition_for_key(bytes([i])) for i in range(64)}) == 6
