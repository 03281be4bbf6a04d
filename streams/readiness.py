"""Readiness and stuck-ness of a worker, decided as pure functions of what it observed.

`readiness` answers "is this worker consuming?" for `/ready` (it never asks for a restart);
`stuck_reason` answers "will it never consume again?" for the watchdog, which exits the
process so its supervisor starts a fresh one. Both are pure so that every rule is unit-tested
on hand-made observations (`tests/unit/streams/test_supervision.py`, `test_stuck.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import orjson


@dataclass
class TimerHealth:
    """What one timer has done lately; read by readiness and by its own backoff."""

    interval_s: float
    runs: int = 0
    failures: int = 0
    consecutive_failures: int = 0
    last_success: float | None = None
    last_error: str | None = None
    next_attempt: float = 0.0

    def succeeded(self, now: float) -> None:
        self.runs += 1
        self.consecutive_failures = 0
        self.last_success = now
        self.last_error = None
        self.next_attempt = 0.0

    def failed(self, now: float, error: BaseException, max_backoff_s: float) -> None:
        """Back off exponentially from one interval: a dead database is not polled 5 times/s."""
        self.failures += 1
        self.consecutive_failures += 1
        self.last_error = type(error).__name__
        backoff = min(self.interval_s * 2 ** (self.consecutive_failures - 1), max_backoff_s)
        self.next_attempt = now + backoff


@dataclass(frozen=True, slots=True)
class PartitionProgress:
    """A source partition's processed position (committed offset) and when it last moved."""

    position: int
    highwater: int
    advanced_at: float

    @property
    def lag(self) -> int:
        return max(0, self.highwater - self.position)


@dataclass(frozen=True, slots=True)
class Readiness:
    ready: bool
    reasons: tuple[str, ...]

    def body(self) -> bytes:
        return orjson.dumps({"ready": self.ready, "reasons": list(self.reasons)})


def readiness(
    *,
    started: bool,
    joined_group: bool,
    rebalancing: bool,
    crashed: str | None,
    partitions: Mapping[str, PartitionProgress],
    timers: Mapping[str, TimerHealth],
    now: float,
    stall_after_s: float,
    failing_timer_after: int,
) -> Readiness:
    """Ready means "consuming": started, in the group, nothing crashed, no partition stalled.

    A partition is stalled when it has records to process (lag > 0) but its processed position
    has not moved for `stall_after_s`; a timer is failing after `failing_timer_after` failures
    in a row. Both are what a database outage looks like from inside the worker, and both clear
    by themselves when it ends: readiness is not liveness, it never asks for a restart.
    """
    reasons: list[str] = []
    if crashed is not None:
        reasons.append(f"crashed: {crashed}")
    if not started:
        reasons.append("starting")
    elif not joined_group:
        reasons.append("not yet in the consumer group")
    if rebalancing:
        reasons.append("rebalancing")
    for name, progress in sorted(partitions.items()):
        idle_s = now - progress.advanced_at
        if progress.lag > 0 and idle_s > stall_after_s:
            reasons.append(f"{name} stalled: lag {progress.lag}, no progress for {idle_s:.0f} s")
    for name, timer in sorted(timers.items()):
        if timer.consecutive_failures >= failing_timer_after:
            reasons.append(
                f"timer {name} failing: {timer.consecutive_failures} in a row"
                f" (last {timer.last_error})"
            )
    return Readiness(not reasons, tuple(reasons))


@dataclass(frozen=True, slots=True)
class Consumption:
    """What the consumer did lately, over every assigned partition (changelogs included)."""

    started_at: float
    measured_at: float
    progressed_at: float
    backlog: bool
    assigned: bool


def stuck_reason(
    consumption: Consumption,
    *,
    joined_group: bool,
    timers_failing: bool,
    now: float,
    after_s: float,
) -> str | None:
    """Why the worker is stuck for good, or None: the liveness the readiness check is not.

    Faust has known hangs in rebalance and table recovery (faust-streaming issues #21 and #74)
    after which a worker stays up and consumes nothing, forever. A worker that for `after_s`
    has had records waiting and read none, never joined its group, or stopped measuring at all
    (its event loop blocked) is stuck, and exiting lets the supervisor start a fresh one that
    re-reads from the committed offsets. A failing timer means the database is out: that stall
    is waited out, never restarted, since a fresh worker could not start without the database.
    Progress counts every partition, changelogs too, so a long table recovery is not a stall.
    """
    if timers_failing:
        return None
    if now - consumption.measured_at > after_s:
        idle = now - consumption.measured_at
        return f"no consumer measurement for {idle:.0f} s (event loop blocked)"
    if not joined_group and now - consumption.started_at > after_s:
        return f"not in the consumer group {now - consumption.started_at:.0f} s after start"
    if consumption.backlog and now - consumption.progressed_at > after_s:
        return f"records waiting but none read for {now - consumption.progressed_at:.0f} s"
    return None
