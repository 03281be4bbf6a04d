"""Is every published intake record accounted for? Published vs stored, per partition.

DESIGN.md §7: every record ends in exactly one of stored / dead-lettered / duplicate. The
broker knows how many records each partition of `intake.raw` holds (its offset range); the
system of record knows which positions ended where. A partition whose counts differ has records
still in flight (lag) or lost; positions recorded twice are a bug. Pure: the CLI and tests feed
it the two views.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PartitionBalance:
    partition: int
    first_offset: int
    next_offset: int
    published: int
    accounted: int

    @property
    def unaccounted(self) -> int:
        """Records published but not yet (or never) given an outcome."""
        return self.published - self.accounted

    @property
    def balanced(self) -> bool:
        return self.unaccounted == 0


def balance(
    published: Iterable[tuple[int, int, int]], accounted: Iterable[tuple[int, int]]
) -> list[PartitionBalance]:
    """Join (partition, first offset, next offset) from the broker with (partition, count).

    Counts in the store for offsets the broker has already deleted (retention) are beyond our
    view, so a partition whose start moved past zero compares only what is still retained: the
    caller passes counts of positions at or after `first_offset`.
    """
    counts = dict(accounted)
    return [
        PartitionBalance(p, first, nxt, nxt - first, counts.get(p, 0))
        for p, first, nxt in sorted(published)
    ]
