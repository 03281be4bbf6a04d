"""Faust timers that never crash their actor: every tick is supervised.

In Faust an exception that escapes a timer stops that timer for good while the process lives
on. `supervised_timer` wraps every timer of the worker: a transient error (the database or
broker is away) is counted and retried on a later tick with backoff; a permanent one is logged
with its traceback and retried too when the timer's work is idempotent, else the process exits
(`streams.supervision.exit_process`) for its supervisor to start a fresh one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import NoReturn

import faust
import structlog

from recall.adapters.db.errors import ErrorKind
from streams.supervision import Supervision, TimerFn, exit_process, failure_kind

log = structlog.get_logger(__name__)


async def run_tick(
    supervision: Supervision,
    name: str,
    fn: TimerFn,
    *,
    idempotent: bool,
    on_fatal: Callable[[str, BaseException], NoReturn] = exit_process,
) -> None:
    """One supervised run of a timer's body: never lets an `Exception` escape.

    Transient errors and, for idempotent work, permanent ones are counted and retried on a
    later tick (after the backoff); a permanent error in work that is not safe to repeat ends
    the process through `on_fatal`. `CancelledError` (shutdown, rebalance) passes through.
    """
    state = supervision.timer(name, 0.0)
    metrics = supervision.metrics
    if supervision.clock() < state.next_attempt:
        return  # backing off after a failure
    try:
        await fn()
    except asyncio.CancelledError:
        raise
    except Exception as error:
        kind = failure_kind(error)
        metrics.timer_failures.labels(name, kind.value).inc()
        with supervision._lock:
            state.failed(supervision.clock(), error, supervision.max_backoff_s)
        detail = str(getattr(error, "orig", None) or error)[:300]
        if kind is ErrorKind.TRANSIENT:
            log.warning(
                "timer failed; retrying on a later tick",
                timer=name,
                kind=kind.value,
                error=type(error).__name__,
                detail=detail,
                failures_in_a_row=state.consecutive_failures,
            )
        elif idempotent:
            log.error(
                "timer failed with a permanent error; its work is idempotent, retrying later",
                timer=name,
                kind=kind.value,
                error=type(error).__name__,
                failures_in_a_row=state.consecutive_failures,
                exc_info=error,
            )
        else:
            on_fatal(f"timer {name} failed with a permanent error", error)
    else:
        metrics.timer_runs.labels(name).inc()
        metrics.timer_last_success.labels(name).set(time.time())
        with supervision._lock:
            state.succeeded(supervision.clock())


def supervised_timer(
    app: faust.App,
    supervision: Supervision,
    name: str,
    seconds: float,
    *,
    on_leader: bool = False,
    idempotent: bool = True,
) -> Callable[[TimerFn], TimerFn]:
    """Register `fn` as a Faust timer every `seconds` that never crashes its actor.

    Every timer of the worker goes through here, so the metrics `recall_timer_runs_total` and
    `recall_timer_failures_total{kind}` list them all by `name`.
    """

    def register(fn: TimerFn) -> TimerFn:
        supervision.timer(name, seconds).interval_s = seconds

        async def tick() -> None:
            await run_tick(supervision, name, fn, idempotent=idempotent)

        tick.__name__ = tick.__qualname__ = name
        app.timer(seconds, on_leader=on_leader, name=name)(tick)
        return fn

    return register
