"""`compute_disproportionality` (timer): the live score's category-wide disproportionality.

Part of the `risk` stage, on the leader only (one writer), every `disproportionality_interval_s`:
`recall.service.risk.disproportionality_job` counts the last `disproportionality_window_days`
of injury reports in one grouped query and replaces `product_disproportionality` in one
transaction. The leader reloads its own map at once; the other workers pick the run up at
their next registry refresh (`WorkerContext.refresh_disproportionality`). Idempotent (a rerun
replaces the same rows), so a failed tick is retried by the supervision on a later one.
`clock` is injectable for tests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

import faust
import structlog

from recall.adapters.db.disproportionality_store import SqlLiveDisproportionality
from recall.adapters.db.event_counts import SqlInjuryCounts
from recall.service.risk.disproportionality_job import JobRun, run_disproportionality_job
from streams.context import WorkerContext
from streams.supervision import supervision_of
from streams.timers import supervised_timer

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]
TIMER = "compute_disproportionality"


class DisproportionalityJob:
    """One run per call: count, judge, replace, reload this worker's map, export the gauges."""

    def __init__(self, context: WorkerContext, clock: Clock) -> None:
        self.context = context
        self.counts = SqlInjuryCounts(context.sessions)
        self.store = SqlLiveDisproportionality(context.sessions)
        self.clock = clock

    def __call__(self) -> JobRun:
        started = time.perf_counter()
        settings = self.context.settings
        run = run_disproportionality_job(
            self.counts,
            self.store,
            window_days=settings.disproportionality_window_days,
            now=self.clock(),
        )
        self.context.refresh_disproportionality()
        gauge = self.context.metrics.disproportionality_pairs
        gauge.labels("stored").set(run.stored)
        gauge.labels("signals").set(run.signals)
        log.info(
            "live disproportionality computed",
            window_days=settings.disproportionality_window_days,
            cases=run.cases,
            skipped=run.skipped,
            pairs=run.pairs,
            stored=run.stored,
            signals=run.signals,
            seconds=round(time.perf_counter() - started, 3),
        )
        return run


def register(
    app: faust.App, context: WorkerContext, clock: Clock = lambda: datetime.now(UTC)
) -> None:
    job = DisproportionalityJob(context, clock)

    @supervised_timer(
        app,
        supervision_of(context),
        TIMER,
        context.settings.disproportionality_interval_s,
        on_leader=True,
    )
    async def compute_disproportionality() -> None:
        await asyncio.to_thread(job)
