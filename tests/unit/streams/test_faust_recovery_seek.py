"""Table recovery never seeks a standby partition to `None` (`streams.faust_seek`).

A rebalance while recovery waits for the active partitions replaces the standby partitions
with ones whose offset Faust has not built yet (its placeholder is `None`); Faust's own
`_seek_offsets` passes that `None` on, and aiokafka's `seek` refuses it, crashing the worker on
its first start. The rebalance has also signalled a new recovery: the guard starts over.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from faust.tables.recovery import RebalanceAgain, Recovery
from faust.types import TP

from streams.faust_seek import _seek_offsets_as_faust_does, install


class SeekRecorder:
    """What `_seek_offsets` uses of Faust's consumer: `seek_wait`, recorded."""

    def __init__(self) -> None:
        self.sought: list[dict[Any, Any]] = []

    async def seek_wait(self, offsets: dict[Any, Any]) -> None:
        self.sought.append(dict(offsets))


LATE = TP("risk-product_to_risk-changelog", 7)
"""Assigned as a standby while recovery was waiting: no offset built yet."""
KNOWN = TP("risk-product_to_risk-changelog", 2)


def _offsets() -> Counter[Any]:
    offsets: Counter[Any] = Counter({KNOWN: 41})
    offsets.setdefault(LATE, None)  # type: ignore[arg-type]  # as Recovery._add leaves it
    return offsets


def test_a_partition_assigned_mid_recovery_starts_recovery_over_and_seeks_nothing() -> None:
    install()
    consumer = SeekRecorder()
    with pytest.raises(RebalanceAgain):
        asyncio.run(Recovery._seek_offsets(None, consumer, {LATE, KNOWN}, _offsets(), "standby"))  # type: ignore[arg-type]
    assert consumer.sought == []


def test_offsets_built_for_every_partition_are_sought_as_faust_does() -> None:
    install()
    consumer = SeekRecorder()
    offsets: Counter[Any] = Counter({KNOWN: 41, LATE: -1})
    asyncio.run(Recovery._seek_offsets(None, consumer, {LATE, KNOWN}, offsets, "standby"))  # type: ignore[arg-type]
    assert consumer.sought == [{LATE: 0, KNOWN: 41}]


def test_faust_alone_would_seek_to_none() -> None:
    """Why the guard exists: Faust's method hands the placeholder to the consumer."""
    consumer = SeekRecorder()
    asyncio.run(_seek_offsets_as_faust_does(None, consumer, {LATE, KNOWN}, _offsets(), "standby"))  # type: ignore[arg-type]
    assert consumer.sought == [{LATE: None, KNOWN: 41}]
