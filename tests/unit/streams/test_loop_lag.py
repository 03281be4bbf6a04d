"""The event-loop probe sees a stall (`streams.loop_lag`)."""

from __future__ import annotations

import asyncio
import time

from prometheus_client import CollectorRegistry, Histogram

from streams.loop_lag import watch
from streams.metrics import LOOP_LAG_BUCKETS, WorkerMetrics

STALL_S = 0.3


def _observed(histogram: Histogram) -> list[tuple[float, float]]:
    """(bucket bound, cumulative count) pairs of the histogram."""
    [family] = histogram.collect()
    return [(float(s.labels["le"]), s.value) for s in family.samples if s.name.endswith("_bucket")]


def test_a_stage_that_holds_the_loop_shows_as_lag() -> None:
    """A batch that computes without awaiting holds every other stage: the probe's next
    wake-up comes at least the stall minus one interval late."""
    histogram = Histogram("lag", "test", buckets=LOOP_LAG_BUCKETS, registry=CollectorRegistry())

    async def scenario() -> None:
        probe = asyncio.create_task(watch(histogram, interval_s=0.02))
        deadline = time.monotonic() + 10
        while _observed(histogram)[-1][1] < 2:  # running: two wake-ups seen
            assert time.monotonic() < deadline, "the probe never woke"
            await asyncio.sleep(0.01)
        time.sleep(STALL_S)  # the fault: the loop held, as by a long batch
        seen = _observed(histogram)[-1][1]
        while _observed(histogram)[-1][1] <= seen:  # the wake-up after the stall
            assert time.monotonic() < deadline, "no wake-up after the stall"
            await asyncio.sleep(0.01)
        probe.cancel()

    asyncio.run(scenario())
    buckets = dict(_observed(histogram))
    total = buckets[float("inf")]
    assert buckets[0.25] < total, "a wake-up at least 0.28 s late is above the 0.25 s bucket"


def test_the_worker_exports_it() -> None:
    names = {m.name for m in WorkerMetrics().registry.collect()}
    assert "recall_event_loop_lag_seconds" in names
