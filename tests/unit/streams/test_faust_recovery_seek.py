"""Table recovery never seeks a standby partition to `None` (`streams.faust_seek`).

A rebalance while recovery waits for the active partitions adds standby partitions whose
offset Faust has not built yet (its placeholder is `None`); Faust's own `_seek_offsets` passes
that `None` on, and aiokafka's `seek` refuses it, crashing the worker on its first start.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from faust.tables.recovery import Recovery
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


def test_a_standby_partition_assigned_mid_recovery_is_read_from_its_beginning() -> None:
    install()
    consumer = SeekRecorder()
    asyncio.run(Recovery._seek_offsets(None, consumer, {LATE, KNOWN}, _offsets(), "standby"))  # type: ignore[arg-type]
    assert consumer.sought == [{LATE: 0, KNOWN: 41}]


def test_faust_alone_would_seek_to_none() -> None:
    """Why the guard exists: Faust's method hands the placeholder to the consumer."""
    consumer = SeekRecorder()
    asyncio.run(_seek_offsets_as_faust_does(None, consumer, {LATE, KNOWN}, _offsets(), "standby"))  # type: ignore[arg-type]
    assert consumer.sought == [{LATE: None, KNOWN: 41}]
