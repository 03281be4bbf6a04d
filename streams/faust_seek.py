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

The second half of the same race: Faust's fetcher also drops every record below the last
offset it delivered (`Consumer._read_offset`), and records an offset jump as a "gap" that its
commits skip (`Consumer._add_gap`, meant for compacted and transactional topics; ours are
neither). Records fetched for a partition before Faust counts it active are skipped, and a
batch fetched before a rebalance's second seek is still delivered after it: the worker's log
in a failing three-worker run showed `events.canonical[1]` records 133–144 skipped as
inactive, then a gap 134–145 recorded, the partition sought back to 133, and the re-fetched
133–164 dropped as already read — the group committed past records no agent saw.
`install()` therefore also gives each Faust consumer read offsets that never drop a record
(`RereadAfterSeek`): after a seek the records are delivered again — every agent's effect is
idempotent (docs/streams.md "Exactly once in effect") — and an offset jump is never taken
for a gap, so a commit cannot pass a record that was not acknowledged.

A third: table recovery seeks its standby changelog partitions to offsets it built before
waiting for the active ones, but iterates the *live* set of standby partitions. A rebalance
during that wait replaces the set (`Recovery.on_rebalance`) with partitions whose offset is
still unset (`None`, Faust's placeholder), and aiokafka refuses to seek to `None`: a worker
crashed on its first start (`recall bench takeover`, 3 workers, 12 partitions, 2 standbys:
"Offset must be a positive integer"). The same `on_rebalance` has also signalled a new
recovery, so `install()` has `Recovery._seek_offsets` raise Faust's own `RebalanceAgain` on
an unset offset — what `Recovery._wait` raises when it sees that signal first — and the
recovery loop starts over with the new assignment, seeking nothing for the stale one.

A fourth, from the same rebalances: Faust's livelock detector (`verify_event_path`, run on a
timer for every assigned partition) reads the partition's position, expecting `None` when it
is unknown, but aiokafka 0.14's `position` asserts that it is known. A partition just sought
to its beginning has none until the fetcher resets it, and a detector tick in that window
crashed the whole worker (`AssertionError` in `subscription_state.position`; a three-worker
fresh-clone run, the victim's first rebalance). `install()` has the detector skip such a
partition, as Faust's own code means to (`committed_offset is not None`): nothing can be late
on a partition that has no position yet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from aiokafka import TopicPartition
from faust.tables.recovery import RebalanceAgain, Recovery
from faust.transport.consumer import Consumer
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread

_INSTALLED = "_recall_seeks_unset_to_beginning"


class RereadAfterSeek(dict[Any, int | None]):
    """Faust's per-partition read offsets, kept for those who ask with `get` (the worker's
    progress metrics), but read as unknown by Faust's fetcher (`[]`): it then drops no record
    as already read and records no offset jump as a gap."""

    def __getitem__(self, tp: Any) -> int | None:
        return None


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


_seek_offsets_as_faust_does = Recovery._seek_offsets


async def seek_offsets(
    self: Recovery, consumer: Any, tps: set[Any], offsets: Counter[Any], title: str
) -> None:
    """`Recovery._seek_offsets`, except that a partition assigned after this recovery built
    its offsets (still `None`) means a rebalance replaced the assignment: start over."""
    if any(offsets.get(tp) is None for tp in tps):
        raise RebalanceAgain()
    await _seek_offsets_as_faust_does(self, consumer, tps, offsets, title)


_verify_event_path_as_faust_does = AIOKafkaConsumerThread.verify_event_path


def position_known(thread: Any, tp: Any) -> bool:
    """Whether aiokafka knows where `tp` is read from (False while it is being reset, or
    while no assignment is there at all — in the middle of a rebalance)."""
    subscription = thread._ensure_consumer()._fetcher._subscriptions.subscription
    assignment = getattr(subscription, "assignment", None)
    if assignment is None:
        return False
    state = assignment.state_value(TopicPartition(tp.topic, tp.partition))
    return state is not None and bool(state.has_valid_position)


def verify_event_path(self: AIOKafkaConsumerThread, now: float, tp: Any) -> None:
    """`AIOKafkaConsumerThread.verify_event_path`, for partitions with a known position."""
    if position_known(self, tp):
        _verify_event_path_as_faust_does(self, now, tp)


def install() -> None:
    """Patch Faust's consumer and its thread once per process (idempotent)."""
    if getattr(AIOKafkaConsumerThread, _INSTALLED, False):
        return
    AIOKafkaConsumerThread.seek_to_committed = seek_to_committed  # type: ignore[method-assign,assignment]
    created = Consumer.__init__

    def init(self: Consumer, *args: Any, **kwargs: Any) -> None:
        created(self, *args, **kwargs)
        self._read_offset = RereadAfterSeek()

    Consumer.__init__ = init  # type: ignore[method-assign]
    Recovery._seek_offsets = seek_offsets  # type: ignore[method-assign]
    AIOKafkaConsumerThread.verify_event_path = verify_event_path  # type: ignore[method-assign]
    setattr(AIOKafkaConsumerThread, _INSTALLED, True)
