"""How late the worker's event loop runs what is due: `recall_event_loop_lag_seconds`.

Every stage of a worker shares one event loop (and one interpreter lock). A batch that
computes for 200 ms without awaiting holds every other stage for those 200 ms, the stages on
the path to an investigation included: what a regulator sees as the p99 of send →
investigation is partly this wait. The probe sleeps `INTERVAL_S` over and over and records by
how much each wake-up came late; a histogram, so Prometheus can give its quantiles and the
largest bucket says how long the longest stall was (docs/streams.md "Gathering").
"""

from __future__ import annotations

import asyncio
from typing import Any

import mode
from prometheus_client import Histogram

INTERVAL_S = 0.1
"""Ten wake-ups a second: a stall of 100 ms or more is seen every time, at no measurable cost."""


async def watch(histogram: Histogram, interval_s: float = INTERVAL_S) -> None:
    """Until cancelled: sleep, then observe how late the wake-up came."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + interval_s
        await asyncio.sleep(interval_s)
        histogram.observe(max(0.0, loop.time() - due))


class LoopLagProbe(mode.Service):
    """`watch` as a service of the app (`app.add_dependency`): it starts with the app, before
    table recovery — a worker replaying its changelogs is busy too — and stops with it."""

    def __init__(self, histogram: Histogram, interval_s: float = INTERVAL_S, **kwargs: Any):
        super().__init__(**kwargs)
        self.histogram = histogram
        self.interval_s = interval_s

    @mode.Service.task
    async def _watch(self) -> None:
        await watch(self.histogram, self.interval_s)
