"""The stuck-worker watchdog: exit only when records wait, nothing moves, the database is fine."""

from __future__ import annotations

from streams.metrics import WorkerMetrics
from streams.readiness import Consumption, stuck_reason
from streams.supervision import Supervision

AFTER = 180.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _consumption(**changes: object) -> Consumption:
    base = {
        "started_at": 0.0,
        "measured_at": 500.0,
        "progressed_at": 500.0,
        "backlog": True,
        "assigned": True,
    }
    return Consumption(**{**base, **changes})  # type: ignore[arg-type]


def _reason(
    consumption: Consumption, *, now: float = 600.0, joined: bool = True, failing: bool = False
) -> str | None:
    return stuck_reason(
        consumption, joined_group=joined, timers_failing=failing, now=now, after_s=AFTER
    )


def test_waiting_records_and_no_read_for_the_window_is_stuck() -> None:
    assert _reason(_consumption(progressed_at=500.0)) is None  # read 100 s ago
    reason = _reason(_consumption(progressed_at=400.0))  # 200 s ago, records still waiting
    assert reason is not None and "none read for 200 s" in reason


def test_idle_worker_without_backlog_is_never_stuck() -> None:
    assert _reason(_consumption(backlog=False, progressed_at=0.0)) is None


def test_a_database_outage_is_waited_out_not_restarted() -> None:
    assert _reason(_consumption(progressed_at=0.0), failing=True) is None
    assert _reason(_consumption(measured_at=0.0), failing=True) is None


def test_a_blocked_event_loop_is_stuck() -> None:
    reason = _reason(_consumption(measured_at=100.0, backlog=False))
    assert reason is not None and "event loop blocked" in reason


def test_never_joining_the_group_is_stuck_only_after_the_window() -> None:
    assert _reason(_consumption(started_at=500.0, backlog=False), joined=False) is None
    reason = _reason(_consumption(started_at=0.0, backlog=False), joined=False)
    assert reason is not None and "consumer group" in reason


def test_progress_on_any_partition_resets_the_clock() -> None:
    clock = FakeClock()
    supervision = Supervision(WorkerMetrics(), clock=clock, stuck_after_s=AFTER)
    supervision.observe_consumption({"events.canonical[0]": 5, "x-changelog[0]": 10}, True)
    for step in range(1, 6):  # a long table recovery: the changelog keeps moving
        clock.now += 100
        supervision.observe_consumption(
            {"events.canonical[0]": 5, "x-changelog[0]": 10 + step}, True
        )
        assert supervision.stuck(joined_group=True) is None
    clock.now += AFTER + 1
    supervision.observe_consumption({"events.canonical[0]": 5, "x-changelog[0]": 15}, True)
    reason = supervision.stuck(joined_group=True)
    assert reason is not None and "none read" in reason


def test_a_failed_store_write_within_the_window_counts_as_an_outage() -> None:
    clock = FakeClock()
    metrics = WorkerMetrics()
    supervision = Supervision(metrics, clock=clock, stuck_after_s=AFTER)
    supervision.observe_consumption({"intake.raw[0]": 7}, True)
    assert supervision.stuck(joined_group=True) is None
    metrics.db_failures.labels("intake").inc()
    clock.now += AFTER + 1
    supervision.observe_consumption({"intake.raw[0]": 7}, True)
    assert supervision.stuck(joined_group=True) is None, "the write failed just now"
    clock.now += AFTER + 1
    supervision.observe_consumption({"intake.raw[0]": 7}, True)
    assert supervision.stuck(joined_group=True) is not None, "no failure for a whole window"
