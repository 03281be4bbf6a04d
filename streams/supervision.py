"""Keep a worker whole: every timer recovers, every agent crash ends the process.

In Faust an exception that escapes a timer or an agent crashes only that actor: the app logs
`Crashed reason=...` and stops doing the work, while the process, its consumer-group membership
and its metrics port stay up — so no supervisor restarts it and records pile up unprocessed
(issue 8, point 2). DESIGN.md §7 allows two outcomes only: the actor recovers, or the process
exits non-zero so Kubernetes, systemd or the tests' `WorkerProcess` starts a fresh one that
re-reads the uncommitted batch. This module implements both:

- `streams.timers.supervised_timer` wraps every timer: a transient error (the database or
  broker is away) is counted and retried on a later tick with backoff; a permanent one is
  logged with its traceback and retried too when the timer's work is idempotent, else the
  process exits.
- `exit_on_agent_error` replaces Faust's agent error hook, which commits the consumer's offsets
  (acking the failed batch: data loss); ours exits before anything is committed.
- `watch_app` exits the process if the app itself is marked crashed by any other path.
- `Supervision` holds what readiness needs; `streams.readiness` decides it as pure functions.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

import faust
import structlog

from recall.adapters.db.errors import ErrorKind, classify
from streams.metrics import WorkerMetrics
from streams.readiness import (
    Consumption,
    PartitionProgress,
    Readiness,
    TimerHealth,
    readiness,
    stuck_reason,
)

log = structlog.get_logger(__name__)

EXIT_CRASHED = 70  # EX_SOFTWARE: "internal software error" — the supervisor should restart us
TimerFn = Callable[[], Awaitable[None]]
Clock = Callable[[], float]


def exit_process(reason: str, error: BaseException | None = None) -> NoReturn:
    """Log why, flush every log handler, then end the process at once with `EXIT_CRASHED`.

    `os._exit`, not `sys.exit`: a clean shutdown would run Faust's stop path, which commits
    the consumer's acked offsets — including the batch that just failed — and can hang on a
    crashed actor. Ending hard keeps the failed batch uncommitted, so the next worker re-reads
    it; every write it made is idempotent.
    """
    try:
        log.critical(
            "worker exiting after a crash; the supervisor must restart it",
            reason=reason,
            error=type(error).__name__ if error is not None else None,
            exc_info=error,
            exit_code=EXIT_CRASHED,
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(EXIT_CRASHED)


def failure_kind(error: BaseException) -> ErrorKind:
    """Transient when waiting can fix it: database errors by `classify`, Kafka by `retriable`."""
    if getattr(error, "retriable", False):  # aiokafka's KafkaError subclasses say so themselves
        return ErrorKind.TRANSIENT
    return classify(error)


@dataclass
class Supervision:
    """Shared state of one worker's supervision; the HTTP thread reads it, the loop writes it."""

    metrics: WorkerMetrics
    clock: Clock = time.monotonic
    stall_after_s: float = 30.0
    failing_timer_after: int = 3
    max_backoff_s: float = 15.0
    timers: dict[str, TimerHealth] = field(default_factory=dict)
    partitions: dict[str, PartitionProgress] = field(default_factory=dict)
    stuck_after_s: float = 180.0
    consumption: Consumption | None = None
    _read: dict[str, int] = field(default_factory=dict, repr=False)
    _writes_failed: float = 0.0
    _write_failed_at: float | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _store_failures(self) -> float:
        """All store writes that failed so far (`recall_db_write_failures_total`, any table)."""
        return sum(
            sample.value
            for family in self.metrics.db_failures.collect()
            for sample in family.samples
            if sample.name.endswith("_total")
        )

    def observe_consumption(self, read: Mapping[str, int], backlog: bool) -> None:
        """Record every assigned partition's read position (from the loop, every second)."""
        now = self.clock()
        with self._lock:
            before = self.consumption or Consumption(now, now, now, False, False)
            moved = dict(read) != self._read or not backlog
            self._read = dict(read)
            self.consumption = Consumption(
                started_at=before.started_at,
                measured_at=now,
                progressed_at=now if moved else before.progressed_at,
                backlog=backlog,
                assigned=bool(read),
            )

    def stuck(self, *, joined_group: bool) -> str | None:
        """`stuck_reason` on the current state (from the watchdog thread).

        A store write that failed within the window (an agent waiting out the database in
        `with_retry`) counts as an outage just like a failing timer.
        """
        now = self.clock()
        writes_failed = self._store_failures()
        with self._lock:
            consumption = self.consumption or Consumption(now, now, now, False, False)
            if self.consumption is None:
                self.consumption = consumption
            if writes_failed != self._writes_failed:
                self._writes_failed, self._write_failed_at = writes_failed, now
            failing = any(t.consecutive_failures > 0 for t in self.timers.values()) or (
                self._write_failed_at is not None
                and now - self._write_failed_at < self.stuck_after_s
            )
        return stuck_reason(
            consumption,
            joined_group=joined_group,
            timers_failing=failing,
            now=now,
            after_s=self.stuck_after_s,
        )

    def timer(self, name: str, interval_s: float) -> TimerHealth:
        with self._lock:
            return self.timers.setdefault(name, TimerHealth(interval_s))

    def observe_partitions(self, seen: Mapping[str, tuple[int, int]]) -> None:
        """Record (processed position, high-water) per source partition; keep when it moved."""
        now = self.clock()
        with self._lock:
            updated: dict[str, PartitionProgress] = {}
            for name, (position, highwater) in seen.items():
                before = self.partitions.get(name)
                if before is None or before.position != position or before.lag == 0:
                    advanced_at = now  # moved, or had nothing to do until now
                else:
                    advanced_at = before.advanced_at
                updated[name] = PartitionProgress(position, highwater, advanced_at)
            self.partitions = updated

    def check(
        self, *, started: bool, joined_group: bool, rebalancing: bool, crashed: str | None
    ) -> Readiness:
        with self._lock:
            timers = {name: TimerHealth(**vars(t)) for name, t in self.timers.items()}
            partitions = dict(self.partitions)
        result = readiness(
            started=started,
            joined_group=joined_group,
            rebalancing=rebalancing,
            crashed=crashed,
            partitions=partitions,
            timers=timers,
            now=self.clock(),
            stall_after_s=self.stall_after_s,
            failing_timer_after=self.failing_timer_after,
        )
        self.metrics.ready.set(1 if result.ready else 0)
        return result


def supervision_of(context: Any) -> Supervision:
    """The one `Supervision` of a worker context, created on first use.

    Timers and agents are registered by several modules that each get only the `WorkerContext`;
    they all reach the same state through this, without a new field every caller must pass.
    """
    existing = getattr(context, "_supervision", None)
    if isinstance(existing, Supervision):
        return existing
    created = Supervision(context.metrics, stuck_after_s=context.settings.stuck_exit_seconds)
    context._supervision = created
    return created


async def exit_on_agent_error(agent: Any, error: BaseException) -> None:
    """Faust's agent `on_error` hook, replaced: exit before the failed batch can be committed.

    Faust's own hook commits the consumer's offsets and restarts the actor; the batch being
    processed is then lost or, at best, half applied. Our agents isolate per-record errors
    themselves, so whatever reaches this point is unexpected and the only safe move is a restart
    of the whole process from the last committed offsets.
    """
    exit_process(f"agent {getattr(agent, 'name', agent)} crashed", error)


def supervise_agents(app: faust.App) -> None:
    """Install `exit_on_agent_error` on every agent of `app` (any module registered it)."""
    for agent in app.agents.values():
        agent._on_error = exit_on_agent_error


def watch_app(
    app: faust.App,
    supervision: Supervision | None = None,
    measure: Callable[[], Awaitable[None]] | None = None,
    *,
    interval_s: float = 1.0,
    on_fatal: Callable[[str, BaseException], None] = exit_process,
) -> threading.Thread:
    """A daemon thread that ends the process if the app crashed or is stuck for good.

    Timers and agents are covered above; this catches every other path (a task, a table, a
    `BaseException` from a timer) that leaves Faust's app crashed while the process lives on,
    and a worker that consumes nothing while records wait (`stuck_reason`). A thread, not a
    task: it keeps working however stuck the event loop's actors are. `measure` (which reads
    the consumer and calls `observe_consumption`) is run *on* the loop from here, not as a
    Faust timer: timers start only after table recovery, and a hung recovery is one of the
    stalls to catch; a measurement that never completes is itself the sign of a blocked loop.
    """

    def watch() -> None:
        pending: concurrent.futures.Future[None] | None = None
        while True:
            reason = app.crash_reason if app.crashed else None
            if reason is not None or app.crashed:
                on_fatal("the Faust app crashed", reason or RuntimeError("crashed"))
                return  # only a test's on_fatal returns
            if supervision is not None:
                if measure is not None and (pending is None or pending.done()):
                    pending = _measure_on_loop(app, measure)
                any_app: Any = app
                stuck = supervision.stuck(joined_group=any_app.rebalancing_count > 0)
                if stuck is not None:
                    on_fatal(f"the worker is stuck: {stuck}", RuntimeError(stuck))
                    return
            time.sleep(interval_s)

    thread = threading.Thread(target=watch, name="recall-watchdog", daemon=True)
    thread.start()
    return thread


def _measure_on_loop(
    app: faust.App, measure: Callable[[], Awaitable[None]]
) -> concurrent.futures.Future[None] | None:
    loop = getattr(app, "_loop", None)
    if loop is None or not loop.is_running():
        return None

    async def run() -> None:
        await measure()

    return asyncio.run_coroutine_threadsafe(run(), loop)
